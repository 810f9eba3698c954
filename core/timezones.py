"""Timezones as people type them: IANA names, offsets (`UTC+8`, `GMT-5`, `+05:30`), cities (`Manila`) and
the abbreviations that mean one thing (`JST`); the ones that don't (`IST`) are asked about. No discord import.

What is stored (guild_settings.timezone, mentor offers and requests) stays a name `zone()` turns into a
ZoneInfo:
- an IANA name, as itself (`Asia/Manila`): daylight saving follows the zone's rules;
- a whole-hour offset as IANA's fixed zone `Etc/GMT-8` for UTC+8 (Etc signs are inverted by POSIX), which
  every reader of these columns already understands;
- any other quarter-hour offset as `UTC+05:30`, which only `zone()` understands (a ZoneInfo built from
  a one-type TZif, so it behaves and prints like any other zone);
- `UTC` is the column default, "never chosen"; a moderator who chooses UTC gets `Etc/UTC` (the same zone).
Fixed offsets never change with the seasons: that is what someone who types `UTC-5` asks for.
"""

from __future__ import annotations

import io
import re
import struct
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.errors import AmbiguousTimezone, UnknownTimezone

DEFAULT = "UTC"  # the column default: a guild that never chose
CHOSEN_UTC = "Etc/UTC"  # a guild that chose UTC
MIN_OFFSET = -12 * 60  # minutes; the furthest west any zone is
MAX_OFFSET = 14 * 60  # Kiribati
_NOT_NAMES = {"localtime"}  # the host's own zone file, not a timezone name

# `UTC+8`, `GMT -5`, `+05:30`, `+0530`, `UTC+5:45`, `utc−3` (a typographic minus).
_OFFSET = re.compile(r"(?:utc|gmt|z)?\s*([+\-\u2212])\s*(\d{1,2})(?:[:h.]?(\d{2}))?", re.IGNORECASE)
_STORED_OFFSET = re.compile(r"UTC([+-])(\d{2}):(\d{2})")
_ETC_OFFSET = re.compile(r"Etc/GMT([+-])(\d{1,2})")

# Abbreviations with one meaning among people who use them. Those that are IANA names themselves (EST,
# MST, HST, CET, EET, WET) are accepted as those zones.
ABBREVIATIONS: dict[str, str] = {
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    "PHT": "Asia/Manila",
    "PHST": "Asia/Manila",
    "HKT": "Asia/Hong_Kong",
    "SGT": "Asia/Singapore",
    "MYT": "Asia/Kuala_Lumpur",
    "ICT": "Asia/Bangkok",
    "WIB": "Asia/Jakarta",
    "WITA": "Asia/Makassar",
    "WIT": "Asia/Jayapura",
    "PKT": "Asia/Karachi",
    "NPT": "Asia/Kathmandu",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
    "AWST": "Australia/Perth",
    "NZST": "Pacific/Auckland",
    "NZDT": "Pacific/Auckland",
    "PDT": "America/Los_Angeles",
    "PT": "America/Los_Angeles",
    "MDT": "America/Denver",
    "MT": "America/Denver",
    "CDT": "America/Chicago",
    "CT": "America/Chicago",
    "EDT": "America/New_York",
    "ET": "America/New_York",
    "AKST": "America/Anchorage",
    "AKDT": "America/Anchorage",
    "NST": "America/St_Johns",
    "NDT": "America/St_Johns",
    "CEST": "Europe/Berlin",
    "EEST": "Europe/Athens",
    "WEST": "Europe/Lisbon",
    "MSK": "Europe/Moscow",
}

# Abbreviations that mean different places: the member is asked which.
AMBIGUOUS: dict[str, tuple[tuple[str, str], ...]] = {
    "IST": (("India", "Asia/Kolkata"), ("Israel", "Asia/Jerusalem"), ("Ireland", "Europe/Dublin")),
    "CST": (("US & Canada Central", "America/Chicago"), ("China", "Asia/Shanghai"), ("Cuba", "America/Havana")),
    "PST": (("US & Canada Pacific", "America/Los_Angeles"), ("Philippines", "Asia/Manila")),
    "BST": (("Britain", "Europe/London"), ("Bangladesh", "Asia/Dhaka")),
    "AST": (("Atlantic", "America/Halifax"), ("Arabia", "Asia/Riyadh")),
    "GST": (("Gulf", "Asia/Dubai"), ("South Georgia", "Atlantic/South_Georgia")),
    "SST": (("Samoa", "Pacific/Pago_Pago"), ("Singapore", "Asia/Singapore")),
}

# Big cities the tz database names no zone after.
CITIES: dict[str, str] = {
    "beijing": "Asia/Shanghai",
    "delhi": "Asia/Kolkata",
    "new_delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "osaka": "Asia/Tokyo",
    "kyoto": "Asia/Tokyo",
    "busan": "Asia/Seoul",
    "cebu": "Asia/Manila",
    "davao": "Asia/Manila",
    "hanoi": "Asia/Ho_Chi_Minh",
    "bali": "Asia/Makassar",
    "san_francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "san_diego": "America/Los_Angeles",
    "washington": "America/New_York",
    "boston": "America/New_York",
    "atlanta": "America/New_York",
    "miami": "America/New_York",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "ottawa": "America/Toronto",
    "canberra": "Australia/Sydney",
}


@cache
def _names() -> frozenset[str]:
    return frozenset(available_timezones() - _NOT_NAMES)


@cache
def all_names() -> tuple[str, ...]:
    """The zones autocomplete offers: Area/City names and UTC, without legacy and fixed Etc zones."""
    names = {name for name in _names() if "/" in name or name == "UTC"}
    names -= {name for name in names if name.startswith(("Etc/", "SystemV/", "posix/", "right/"))}
    return tuple(sorted(names))


@cache
def _by_folded() -> dict[str, str]:
    return {name.casefold(): name for name in _names()}


def _fold(text: str) -> str:
    return text.strip().replace(" ", "_").casefold()


def canonical(name: str) -> str | None:
    """The IANA spelling of `name` (any case, spaces for underscores), or None if unknown."""
    found = _by_folded().get(_fold(name))
    if found is None:
        return None
    try:
        ZoneInfo(found)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return found


# ------------------------------------------------------------------ fixed offsets


def offset_name(minutes: int) -> str:
    """How a fixed offset is stored: `UTC` for zero, `Etc/GMT-8` for UTC+8, `UTC+05:30` otherwise."""
    if not MIN_OFFSET <= minutes <= MAX_OFFSET or minutes % 15:
        raise ValueError(f"no fixed zone for {minutes} minutes")
    if minutes == 0:
        return DEFAULT
    if minutes % 60 == 0:
        return f"Etc/GMT{-minutes // 60:+d}"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def _tzif(name: str, minutes: int) -> bytes:
    """A TZif (RFC 8536) file for a zone that is always `minutes` ahead of UTC."""
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    abbreviation = f"{sign}{hours:02d}{rest:02d}".encode() + b"\0"
    header = b"TZif2" + bytes(15) + struct.pack(">6l", 0, 0, 0, 0, 1, len(abbreviation))
    block = header + struct.pack(">lbb", minutes * 60, 0, 0) + abbreviation
    posix_sign = "-" if minutes >= 0 else "+"  # POSIX TZ strings count west of Greenwich as positive
    footer = f"\n<{sign}{hours:02d}{rest:02d}>{posix_sign}{hours}:{rest:02d}\n".encode()
    return block + block + footer


@cache
def _fixed_zone(name: str, minutes: int) -> ZoneInfo:
    return ZoneInfo.from_file(io.BytesIO(_tzif(name, minutes)), key=name)


def zone(name: str) -> ZoneInfo:
    """The zone a stored name stands for; ValueError when it stands for none."""
    stored = _STORED_OFFSET.fullmatch(name)
    if stored:
        minutes = (int(stored[2]) * 60 + int(stored[3])) * (1 if stored[1] == "+" else -1)
        if offset_name(minutes) != name:
            raise ValueError(f"not a stored offset: {name!r}")
        return _fixed_zone(name, minutes)
    if name in _NOT_NAMES:
        raise ValueError(f"unknown timezone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown timezone {name!r}") from error


def label(name: str) -> str:
    """A stored name as people read it: `UTC+8` for `Etc/GMT-8`, `UTC` for `Etc/UTC`."""
    if name == CHOSEN_UTC:
        return "UTC"
    etc = _ETC_OFFSET.fullmatch(name)
    if etc:
        hours = int(etc[2])
        return "UTC" if hours == 0 else f"UTC{'-' if etc[1] == '+' else '+'}{hours}"
    return name


def is_default(name: str | None) -> bool:
    """Whether this is the column default, which nobody chose."""
    return name is None or name == DEFAULT


# ------------------------------------------------------------------ parsing what people type


def _parse_offset(text: str) -> str | None:
    match = _OFFSET.fullmatch(text)
    if match is None:
        return None
    hours, rest = int(match[2]), int(match[3] or 0)
    minutes = (hours * 60 + rest) * (-1 if match[1] in "-\u2212" else 1)
    if rest >= 60 or rest % 15:
        raise UnknownTimezone(text, "offsets go in quarter hours, like `UTC+5:30` or `UTC+5:45`")
    if not MIN_OFFSET <= minutes <= MAX_OFFSET:
        raise UnknownTimezone(text, "offsets run from `UTC-12:00` to `UTC+14:00`")
    return offset_name(minutes)


def _behaviour(name: str) -> tuple[timedelta | None, ...]:
    tz = ZoneInfo(name)
    instants = (datetime(2000, 1, 15, tzinfo=UTC), datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 7, 15, tzinfo=UTC))
    return tuple(instant.astimezone(tz).utcoffset() for instant in instants)


@cache
def _cities() -> dict[str, tuple[str, ...]]:
    """Folded city part → the zones named after it, the canonical one first when they all behave alike."""
    found: dict[str, list[str]] = {}
    for name in _names():
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            found.setdefault(name.rsplit("/", 1)[-1].casefold(), []).append(name)
    cities: dict[str, tuple[str, ...]] = {}
    popular = set(all_names())
    for city, names in found.items():
        names.sort(key=lambda n: (n not in popular, -n.count("/"), n))
        if len(names) > 1 and len({_behaviour(n) for n in names}) == 1:
            names = names[:1]  # links to one zone (America/Buenos_Aires → America/Argentina/Buenos_Aires)
        cities[city] = tuple(names)
    for city, name in CITIES.items():
        cities.setdefault(city, (name,))
    return cities


def parse(text: str) -> str:
    """The name to store for what someone typed; UnknownTimezone or AmbiguousTimezone (with the choices)."""
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > 64:
        raise UnknownTimezone(text)
    found = canonical(cleaned)
    if found is not None:
        return found
    offset = _parse_offset(cleaned)
    if offset is not None:
        return offset
    upper = cleaned.upper()
    if upper in ABBREVIATIONS:
        return ABBREVIATIONS[upper]
    if upper in AMBIGUOUS:
        raise AmbiguousTimezone(cleaned, AMBIGUOUS[upper])
    zones = _cities().get(_fold(cleaned))
    if zones is None:
        raise UnknownTimezone(text)
    if len(zones) > 1:
        raise AmbiguousTimezone(cleaned, tuple((name, name) for name in zones))
    return zones[0]


# ------------------------------------------------------------------ autocomplete

POPULAR = (
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Manila",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Auckland",
)


def search(query: str, limit: int = 25) -> list[str]:
    """Names matching `query`: whole-name prefix first, then city prefix, then anywhere."""
    folded = _fold(query)
    if not folded:
        return list(POPULAR[:limit])
    ranked: list[tuple[int, str]] = []
    for name in all_names():
        lowered = name.casefold()
        city = lowered.rsplit("/", 1)[-1]
        if lowered.startswith(folded):
            ranked.append((0, name))
        elif city.startswith(folded):
            ranked.append((1, name))
        elif folded in lowered:
            ranked.append((2, name))
    ranked.sort()
    return [name for _, name in ranked[:limit]]


def choices(query: str, now: datetime, limit: int = 25) -> list[tuple[str, str]]:
    """(shown name, value) for autocomplete: what `query` parses to first (or every reading of an
    ambiguous one), then matching zone names; each shows the local time at `now`. Names ≤ 100 chars."""
    found: list[tuple[str, str]] = []  # (meaning, stored name)
    try:
        found.append(("", parse(query)))
    except AmbiguousTimezone as ambiguous:
        found.extend(ambiguous.choices)
    except UnknownTimezone:
        pass
    found.extend(("", name) for name in search(query, limit))
    result: list[tuple[str, str]] = []
    seen: set[str] = set()
    for meaning, name in found:
        if name in seen:
            continue
        seen.add(name)
        local = now.astimezone(zone(name))
        shown = label(name) if not meaning or meaning == name else f"{meaning}: {label(name)}"
        result.append((f"{shown} · {local:%a %H:%M} now"[:100], name))
        if len(result) == limit:
            break
    return result
