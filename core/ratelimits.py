"""discord.py's sweep of its rate-limit buckets, at most every SWEEP_EVERY seconds.

discord.py keeps a bucket per route (a channel's messages, a DM channel's, each webhook) and, once it holds 256 or
more, walks all of them to drop the inactive ones every time a request needs a bucket it has not seen. A bucket is
inactive only after 300 s without use, so while Lantern posts to thousands of channels in a few minutes (the 09:00
backlog, bench/due.py) each new channel walks every bucket and finds nothing to drop: 3.9 ms of the event loop per
new channel at 10,000, about 20 s over such a drain (measured by profiling the drain). Walking at most every
SWEEP_EVERY seconds drops the same buckets, only up to that much later.
"""

from __future__ import annotations

from collections.abc import Callable

from discord.http import HTTPClient

SWEEP_EVERY = 30.0  # seconds; a bucket becomes sweepable only after 300 s of disuse


def sweep_now_and_then(http: HTTPClient, clock: Callable[[], float], every: float = SWEEP_EVERY) -> None:
    """Make `http`'s bucket sweep run at most once per `every` seconds of `clock` (the event loop's clock, which
    discord.py's buckets use)."""
    sweep = http._try_clear_expired_ratelimits
    last: float | None = None

    def sweep_at_most_every() -> None:
        nonlocal last
        now = clock()
        if last is not None and now - last < every:
            return
        if len(http._buckets) >= 256:  # discord.py's own threshold: below it the sweep does nothing
            last = now
        sweep()

    http._try_clear_expired_ratelimits = sweep_at_most_every  # type: ignore[method-assign]
