"""Pure parsing of moderator options: the welcome template and the check-in days."""

from __future__ import annotations

import string

from core.errors import InvalidInput

WELCOME_PLACEHOLDERS = ("member", "server")
WELCOME_MAX = 1000
MAX_CHECKINS = 3
MAX_CHECKIN_DAY = 365


def parse_welcome_template(text: str) -> str:
    """Validate a welcome template: only `{member}` and `{server}`, balanced braces, bounded length."""
    text = text.strip()
    if not text:
        raise InvalidInput("The welcome message", "is empty", "Write a sentence, for example `Welcome, {member}!`")
    if len(text) > WELCOME_MAX:
        raise InvalidInput("The welcome message", f"is {len(text)} characters long; the limit is {WELCOME_MAX}")
    try:
        fields = [name for _, name, spec, conv in string.Formatter().parse(text) if name is not None]
    except ValueError:
        raise InvalidInput(
            "The welcome message", "has an unmatched `{` or `}`", "Use `{member}` and `{server}` as placeholders."
        ) from None
    unknown = sorted({name for name in fields if name not in WELCOME_PLACEHOLDERS})
    if unknown:
        shown = ", ".join(f"`{{{name}}}`" for name in unknown)
        raise InvalidInput(
            "The welcome message", f"uses {shown}, which I don't know", "Only `{member}` and `{server}` work."
        )
    return text


def render_welcome(template: str, *, member: str, server: str) -> str:
    return template.format(member=member, server=server)


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
