"""fit_lines: whole lines within a limit, and a count of the rest."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from core.text import fit_lines


def more(left: int) -> str:
    return f"…and {left} more."


def test_everything_that_fits_is_shown_without_a_count() -> None:
    """Lines that fit are joined as they are."""
    assert fit_lines(["a", "b"], 3, more) == "a\nb"


def test_lines_that_do_not_fit_are_counted_on_a_last_line() -> None:
    """Room is kept for the count: the last line that would crowd it out is counted instead."""
    lines = [f"line {n}" for n in range(10)]
    assert fit_lines(lines, 30, more) == "line 0\nline 1\n…and 8 more."


def test_the_count_includes_items_never_given() -> None:
    """With `total`, the count covers items the caller left out before (a top ten of a thousand)."""
    assert fit_lines(["a", "b"], 100, more, total=1000) == "a\nb\n…and 998 more."


@given(st.lists(st.text(alphabet="ab ", max_size=30), max_size=40), st.integers(min_value=20, max_value=400))
def test_never_longer_than_the_limit_and_never_cuts_a_line(lines: list[str], limit: int) -> None:
    """The result fits, and every line in it but the count is one of the given lines, whole."""
    text = fit_lines(lines, limit, more)
    assert len(text) <= limit
    shown = text.split("\n") if text else []
    if shown and shown[-1].startswith("…and"):
        shown.pop()
    assert shown == lines[: len(shown)]


# unlink: member text never becomes a masked link ----------------------------------------------------

_ESCAPED = re.compile(r"\\.", re.DOTALL)


@given(st.text(alphabet="[]()\\ab:/", max_size=40))
def test_unlink_leaves_no_unescaped_bracket_and_is_idempotent(text: str) -> None:
    """After unlink every bracket is escaped (so no `[words](url)` can render), and doing it twice changes nothing."""
    from core.text import unlink

    once = unlink(text)
    assert "[" not in _ESCAPED.sub("", once) and "]" not in _ESCAPED.sub("", once)
    assert unlink(once) == once
    assert once.replace("\\", "") == text.replace("\\", "")  # only backslashes are added
