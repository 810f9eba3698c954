"""When an occasion post falls due, how late it may still go out, and how moderators name occasions. Pure rules:
no discord or database import.

An occasion kept on `day` (its guild-local date, from cogs/prompts/calendar.py) posts `days_before` days
earlier at the occasion's time (09:00 unless a moderator chose another), in the guild's timezone. If Lantern
was down then, the post goes out late, once, until the occasion's day is over in the guild's timezone (its
*window*); after that it is not posted at all, and the occasion waits for its next date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo

from cogs.prompts import calendar
from cogs.prompts.calendar import Occasion, UnknownOccasion
from core.search_text import folded_name, typed_in

DEFAULT_TIME = "09:00"
MAX_DAYS_BEFORE = 14
YEARS_AHEAD = 3  # next_post looks this many years past today for an occasion's next date
ALL = "all"


def local_today(now: datetime, zone: tzinfo) -> date:
    return now.astimezone(zone).date()


def _local(day: date, hour: int, minute: int, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def post_moment(day: date, days_before: int, hour: int, minute: int, zone: tzinfo) -> datetime:
    """When the post for an occasion kept on `day` falls due (UTC)."""
    return _local(day - timedelta(days=days_before), hour, minute, zone)


def window_end(day: date, zone: tzinfo) -> datetime:
    """The end of the occasion's day in the guild's timezone (UTC): its post is not made after this."""
    return _local(day + timedelta(days=1), 0, 0, zone)


def next_post(
    occasion: Occasion,
    zone: tzinfo,
    hour: int,
    minute: int,
    days_before: int,
    now: datetime,
    after: date | None = None,
) -> tuple[date, datetime] | None:
    """The occasion's next date whose window is still open at `now` (and, with `after`, later than it), with the
    moment its post falls due; None when the calendar behind it has no such date."""
    today = local_today(now, zone)
    first_year = max(today.year, after.year if after else today.year)
    for year in range(first_year, first_year + YEARS_AHEAD):
        for day in occasion.dates(year):
            if (after is not None and day <= after) or window_end(day, zone) <= now:
                continue
            return day, post_moment(day, days_before, hour, minute, zone)
    return None


def format_day(day: date) -> str:
    """'Sun 7 Feb 2027': a date written out, never a Discord timestamp (which shows the reader's own day)."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def how_soon(day: date, today: date) -> str:
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days"


def parse_occasions(text: str) -> list[Occasion]:
    """Occasions named by key or name, comma-separated (`all` for every one), without repeats, in calendar order;
    UnknownOccasion names the first one it doesn't know."""
    wanted: set[str] = set()
    for part in text.split(","):
        typed = part.strip()
        if not typed:
            continue
        if typed.casefold() == ALL:
            wanted.update(occasion.key for occasion in calendar.OCCASIONS)
            continue
        wanted.add(find(typed).key)
    if not wanted:
        raise UnknownOccasion(text)
    return [occasion for occasion in calendar.OCCASIONS if occasion.key in wanted]


def find(typed: str) -> Occasion:
    folded = folded_name(typed)
    for occasion in calendar.OCCASIONS:
        if folded in (occasion.key, folded_name(occasion.name)):
            return occasion
    return calendar.get(typed)


def search(typed: str, exclude: Iterable[str] = ()) -> list[Occasion]:
    """Occasions whose key or name contains `typed`, for autocomplete."""
    skip = set(exclude)
    return [
        occasion
        for occasion in calendar.OCCASIONS
        if occasion.key not in skip and typed_in(typed, occasion.key, occasion.name)
    ]
