"""Small wording and formatting helpers shared by cogs."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import discord

NO_MENTIONS = discord.AllowedMentions.none()

# C0 control characters and DEL, except tab, new line and carriage return. They mean nothing in what
# members type, PostgreSQL cannot store NUL at all, and some terminals act on escapes in logs.
_CONTROL = {code: None for code in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)}


def strip_control(text: str) -> str:
    """`text` without control characters (tab and new lines kept)."""
    return text.translate(_CONTROL)


def clean_options(options: list[dict[str, Any]]) -> None:
    """Strip control characters from every string value in an interaction's (nested) options, in place."""
    for option in options:
        value = option.get("value")
        if isinstance(value, str):
            option["value"] = strip_control(value)
        clean_options(option.get("options", []))


# A `[` or `]` with the backslashes before it. A bracket after an odd number of backslashes is escaped
# already; one after an even number (none, or escaped backslashes) gets one more backslash.
_BRACKET = re.compile(r"\\*[\[\]]")


def unlink(text: str) -> str:
    """Member text to show where Discord renders markdown (message content, embed descriptions and field
    values): every square bracket escaped, so `[Verify](https://evil…)` reads as typed and never becomes a
    masked link in Lantern's name. Discord hides the escapes, so the text stays readable. Not for
    titles, footers, labels or modal defaults, which don't render markdown and would show the backslashes.
    Escaping twice changes nothing.
    """
    return _BRACKET.sub(lambda match: match[0] if len(match[0]) % 2 == 0 else "\\" + match[0], text)


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def fit_lines(lines: Sequence[str], limit: int, more: Callable[[int], str], *, total: int | None = None) -> str:
    """As many whole `lines` as fit in `limit` characters, one per line; when some are left out, a last
    line `more(n)` says how many (n counts the left-out lines, plus `total - len(lines)` not given at all).

    No line is ever cut, so no mention or markdown link is broken; a line longer than `limit` on its own
    is left out like the rest.
    """
    total = len(lines) if total is None else total
    if total <= len(lines) and sum(len(line) + 1 for line in lines) - 1 <= limit:
        return "\n".join(lines)
    kept: list[str] = []
    size = -1  # no new line before the first line
    for index, line in enumerate(lines):
        grown = size + 1 + len(line)
        left_out = total - index - 1
        tail = 1 + len(more(left_out)) if left_out else 0
        if grown + tail > limit:
            break
        kept.append(line)
        size = grown
    if total > len(kept):
        kept.append(more(total - len(kept)))
    return "\n".join(kept)


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"
