"""Pure parsing of moderator options: the welcome template and the check-in days."""

from __future__ import annotations

import re

from core.errors import InvalidInput
from core.text import truncate

WELCOME_PLACEHOLDERS = ("member", "server")
WELCOME_MAX = 1000
MAX_CHECKINS = 3
MAX_CHECKIN_DAY = 365


# A welcome template is plain text with two placeholders, nothing else: no format specification
# (`{member:>999999999}` would build a gigabyte), no conversion, no attribute or index access.
# `{{` and `}}` stand for a literal brace.
_WELCOME_TOKEN = re.compile(r"\{\{|\}\}|\{(?:member|server)\}")
_BRACED = re.compile(r"\{[^{}]*\}")
MESSAGE_MAX = 2000  # Discord's limit on a message's content


def parse_welcome_template(text: str) -> str:
    """Validate a welcome template: only `{member}` and `{server}`, balanced braces, bounded length."""
    text = text.strip()
    if not text:
        raise InvalidInput("The welcome message", "is empty", "Write a sentence, for example `Welcome, {member}!`")
    if len(text) > WELCOME_MAX:
        raise InvalidInput("The welcome message", f"is {len(text)} characters long; the limit is {WELCOME_MAX}")
    hint = "Only `{member}` and `{server}` work, written just like that."
    rest = _WELCOME_TOKEN.sub("", text)
    unknown = sorted(set(_BRACED.findall(rest)))
    if unknown:
        shown = ", ".join(f"`{truncate(field, 40)}`" for field in unknown[:5])
        raise InvalidInput("The welcome message", f"uses {shown}, which I don't know", hint)
    if "{" in rest or "}" in rest:
        raise InvalidInput(
            "The welcome message", "has an unmatched `{` or `}`", f"{hint} Write `{{{{` or `}}}}` for a brace."
        )
    return text


def render_welcome(template: str, *, member: str, server: str) -> str:
    """Fill in `{member}` and `{server}`; anything else (even a template stored before validation was
    strict) is shown as written. Never longer than a Discord message."""
    values = {"{member}": member, "{server}": server, "{{": "{", "}}": "}"}
    text = _WELCOME_TOKEN.sub(lambda match: values[match.group(0)], template)
    return truncate(text, MESSAGE_MAX)


def parse_checkins(text: str) -> str:
    """'14,45' → '14,45'; 'off' → 'off'. Days ascending, 1–365, at most three."""
    cleaned = text.strip().lower()
    if cleaned in {"off", "none", "0"}:
        return "off"
    parts = [part.strip() for part in cleaned.replace(";", ",").split(",") if part.strip()]
    hint = "Give up to three days after the match, like `14,45`, or `off`."
    if not parts or not all(part.isdigit() for part in parts):
        raise InvalidInput("Check-in days", f"`{text}` isn't a list of day numbers", hint)
    days = [int(part) for part in parts]
    if len(days) > MAX_CHECKINS:
        raise InvalidInput("Check-in days", f"has {len(days)} days; the limit is {MAX_CHECKINS}", hint)
    if any(day < 1 or day > MAX_CHECKIN_DAY for day in days):
        raise InvalidInput("Check-in days", f"must each be between 1 and {MAX_CHECKIN_DAY}", hint)
    if sorted(set(days)) != days:
        raise InvalidInput("Check-in days", "must be different and in increasing order", hint)
    return ",".join(str(day) for day in days)
