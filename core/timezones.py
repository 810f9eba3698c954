"""IANA timezone names: validation and search for autocomplete. No discord import."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@cache
def all_names() -> tuple[str, ...]:
    names = {name for name in available_timezones() if "/" in name or name == "UTC"}
    names -= {name for name in names if name.startswith(("Etc/", "SystemV/", "posix/", "right/"))}
    return tuple(sorted(names))


@cache
def _by_folded() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


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


def search(query: str, limit: int = 25) -> list[str]:
    """Names matching `query`: whole-name prefix first, then city prefix, then anywhere."""
    folded = _fold(query)
    if not folded:
        popular = [
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
        ]
        return popular[:limit]
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
