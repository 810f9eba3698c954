"""How long a failed prompt claim (or its thread) waits before the next try."""

from __future__ import annotations

from datetime import timedelta

from cogs.prompts.cadence import retry_delay


def test_first_retry_is_on_the_next_run_then_the_wait_doubles_up_to_half_an_hour() -> None:
    """After the 1st failure: the next run; then 1, 2, 4, 8, 16 minutes; from the 7th failure on, 30 minutes."""
    waits = [retry_delay(attempts) for attempts in range(1, 10)]
    assert waits == [timedelta(minutes=m) for m in (0, 1, 2, 4, 8, 16, 30, 30, 30)]


def test_no_failure_yet_means_no_wait() -> None:
    assert retry_delay(0) == timedelta(0)
