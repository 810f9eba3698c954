"""Cadences of prompt schedules: parsing what a moderator typed, and the next run time. No discord import.

The time arithmetic is APScheduler's (`CronTrigger`, `CalendarIntervalTrigger`); this module only
chooses the trigger and guards two of its edges: every cadence fires at most once per local day
(a wall time that occurs twice when clocks go back fires at its first occurrence only), and the
answer is always strictly after the moment asked about.

A wall time that does not exist on a day clocks go forward (02:30 in New York on the spring
change) is posted one hour later that day by the calendar cadences, and skipped for that day by
`every N days` (APScheduler's behaviour for each).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger
from apscheduler.triggers.cron import CronTrigger

from core import timezones
from core.errors import InvalidInput

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1}
ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
MAX_EVERY_DAYS = 90
MAX_MONTH_DAY = 28  # every month has it; "monthly last" covers the end of the month

CADENCE_HINT = (
    "Try `daily`, `weekdays`, `weekly friday`, `every 3 days`, `monthly 15`, `monthly last` or `monthly first monday`."
)
EXAMPLES = (
    "daily",
    "weekdays",
    "weekly monday",
    "weekly friday",
    "every 2 days",
    "every 3 days",
    "monthly 1",
    "monthly 15",
    "monthly last",
    "monthly first monday",
    "monthly last friday",
)


@dataclass(frozen=True, slots=True)
class Cadence:
    """kind: daily | weekdays | weekly | every | monthly.

    weekly: `weekday` (0 = Monday). every: `days`. monthly: `day` (1–28, or -1 for the last day),
    or `nth` (1–4, -1 = last) with `weekday`.
    """

    kind: str
    weekday: int | None = None
    days: int | None = None
    day: int | None = None
    nth: int | None = None

    @property
    def spec(self) -> str:
        """The canonical text stored in the database; `parse_cadence(spec)` gives it back."""
        if self.kind == "weekly":
            return f"weekly {WEEKDAYS[self.weekday or 0]}"
        if self.kind == "every":
            return f"every {self.days} days"
        if self.kind == "monthly":
            if self.nth is not None:
                return f"monthly {ORDINAL_WORDS[self.nth]} {WEEKDAYS[self.weekday or 0]}"
            return "monthly last" if self.day == -1 else f"monthly {self.day}"
        return self.kind

    def describe(self) -> str:
        """Plain words: 'every Friday', 'on the first Monday of each month'."""
        if self.kind == "daily":
            return "every day"
        if self.kind == "weekdays":
            return "every weekday (Monday to Friday)"
        if self.kind == "weekly":
            return f"every {WEEKDAY_NAMES[self.weekday or 0]}"
        if self.kind == "every":
            return f"every {self.days} days"
        if self.nth is not None:
            return f"on the {ORDINAL_WORDS[self.nth]} {WEEKDAY_NAMES[self.weekday or 0]} of each month"
        if self.day == -1:
            return "on the last day of each month"
        return f"on day {self.day} of each month"


def _weekday(word: str) -> int | None:
    for index, (short, name) in enumerate(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)):
        if word == short or word == name.lower() or word == name.lower() + "s":
            return index
    if word in {"tues", "thur", "thurs", "weds"}:
        return {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}[word]
    return None


def parse_cadence(text: str) -> Cadence:
    """Parse a cadence as a moderator types it (any case, optional 'on'/'the'/'of the month')."""
    words = [w for w in re.split(r"[\s,]+", text.strip().lower()) if w and w not in {"on", "the", "at", "each"}]
    while words and words[-1] in {"of", "month", "every"} and len(words) > 1:
        words.pop()
    words = [re.sub(r"(?<=\d)(st|nd|rd|th)$", "", w) for w in words]
    if len(words) > 2 and words[0] != "every" and words[-1] == "day" and (words[-2] == "last" or words[-2].isdigit()):
        words.pop()
    bad = InvalidInput("The cadence", f"`{text.strip()[:40]}` isn't one I know", CADENCE_HINT)
    if not words:
        raise bad
    head, rest = words[0], words[1:]
    if (head in {"daily", "everyday"} and not rest) or words == ["every", "day"]:
        return Cadence("daily")
    if (head in {"weekdays", "weekday"} and not rest) or words == ["every", "weekday"]:
        return Cadence("weekdays")
    if head == "weekly" and len(rest) == 1 and (day := _weekday(rest[0])) is not None:
        return Cadence("weekly", weekday=day)
    if head == "every" and len(rest) == 1 and (day := _weekday(rest[0])) is not None:
        return Cadence("weekly", weekday=day)
    if head == "every" and len(rest) == 2 and rest[0].isdigit() and rest[1] in {"day", "days"}:
        days = int(rest[0])
        if not 1 <= days <= MAX_EVERY_DAYS:
            raise InvalidInput(
                "The cadence", f"`every {days} days` is out of range", f"Use 1 to {MAX_EVERY_DAYS} days."
            )
        return Cadence("daily") if days == 1 else Cadence("every", days=days)
    if head == "monthly" and len(rest) == 1:
        if rest[0] == "last":
            return Cadence("monthly", day=-1)
        if rest[0].isdigit():
            day = int(rest[0])
            if not 1 <= day <= MAX_MONTH_DAY:
                raise InvalidInput(
                    "The cadence",
                    f"uses day {day} of the month, which not every month has",
                    "Use a day from 1 to 28, or `monthly last`.",
                )
            return Cadence("monthly", day=day)
    if head == "monthly":
        head, rest = (rest[0], rest[1:]) if rest else ("", [])
    if head in ORDINALS and len(rest) == 1 and (day := _weekday(rest[0])) is not None:
        return Cadence("monthly", nth=ORDINALS[head], weekday=day)
    raise bad


def parse_time(text: str) -> tuple[int, int]:
    """'9:00', '09:00', '18:30' → (hour, minute), on a 24-hour clock."""
    match = re.fullmatch(r"\s*(\d{1,2})[:.h](\d{2})\s*", text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInput(
            "The time", f"`{text.strip()[:20]}` isn't a time I understand", "Use 24-hour HH:MM, for example `18:30`."
        )
    return int(match[1]), int(match[2])


def format_time(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def _cron(cadence: Cadence, hour: int, minute: int, zone: tzinfo) -> CronTrigger:
    fields: dict[str, object] = {"hour": hour, "minute": minute, "second": 0, "timezone": zone}
    if cadence.kind == "weekdays":
        fields["day_of_week"] = "mon-fri"
    elif cadence.kind == "weekly":
        fields["day_of_week"] = WEEKDAYS[cadence.weekday or 0]
    elif cadence.kind == "monthly" and cadence.nth is not None:
        weekday = WEEKDAYS[cadence.weekday or 0]
        fields["day"] = f"last {weekday}" if cadence.nth == -1 else f"{_nth_word(cadence.nth)} {weekday}"
    elif cadence.kind == "monthly":
        fields["day"] = "last" if cadence.day == -1 else cadence.day
    return CronTrigger(**fields)


def _nth_word(nth: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd", 4: "4th"}[nth]


def _next_local_midnight(moment: datetime, zone: tzinfo) -> datetime:
    """The first instant of the local day after `moment`'s, as UTC."""
    day = moment.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def next_run(
    cadence: Cadence, hour: int, minute: int, zone: str | tzinfo, after: datetime, *, anchor: date | None = None
) -> datetime:
    """The first run strictly after `after` (aware), as aware UTC.

    `anchor` is the local date `every N days` counts from (the day the schedule was made).
    """
    tz = timezones.zone(zone) if isinstance(zone, str) else zone
    after = after.astimezone(UTC)
    if cadence.kind == "every":
        return _next_every(cadence.days or 1, hour, minute, tz, after, anchor or after.astimezone(tz).date())
    trigger = _cron(cadence, hour, minute, tz)
    probe = after
    for _ in range(400):
        found = trigger.get_next_fire_time(None, probe + timedelta(microseconds=1))
        if found is None:  # pragma: no cover - no end date is ever set
            break
        found = found.astimezone(UTC)
        local = found.astimezone(tz)
        if found > after and local.fold == 0:
            return found
        # Not strictly later, or the repeat of a wall time when clocks went back: try the next day.
        probe = _next_local_midnight(max(found, probe), tz) - timedelta(microseconds=1)
    raise ValueError(f"no run found for {cadence.spec} after {after.isoformat()}")  # pragma: no cover


def default_anchor(hour: int, minute: int, zone: str | tzinfo, now: datetime) -> date:
    """The local date of the first run of an `every N days` schedule made at `now`: the next HH:MM."""
    tz = timezones.zone(zone) if isinstance(zone, str) else zone
    return next_run(Cadence("daily"), hour, minute, tz, now).astimezone(tz).date()


def _next_every(days: int, hour: int, minute: int, tz: tzinfo, after: datetime, anchor: date) -> datetime:
    local_day = after.astimezone(tz).date()
    periods = max((local_day - anchor).days // days - 1, 0)
    start = anchor + timedelta(days=periods * days)
    trigger = CalendarIntervalTrigger(days=days, hour=hour, minute=minute, start_date=start, timezone=tz)
    found = trigger.get_next_fire_time(None, after)
    for _ in range(400):
        if found is None:  # pragma: no cover - no end date is ever set
            break
        if found.astimezone(UTC) > after:
            return found.astimezone(UTC)
        found = trigger.get_next_fire_time(found, after)
    raise ValueError(f"no run found every {days} days after {after.isoformat()}")  # pragma: no cover


def latest_due(
    cadence: Cadence,
    hour: int,
    minute: int,
    zone: str | tzinfo,
    first_due: datetime,
    now: datetime,
    *,
    anchor: date | None = None,
) -> datetime:
    """The most recent run at or before `now`, given that `first_due` (≤ now) was the first one missed.

    After downtime only this slot is posted (a single catch-up, never a burst).
    """
    slot = first_due
    nxt = next_run(cadence, hour, minute, zone, slot, anchor=anchor)
    if nxt > now:
        return slot
    # Far behind: jump close to now, then step.
    horizon = now - timedelta(days=MAX_EVERY_DAYS + 31)
    if horizon > slot:
        slot = next_run(cadence, hour, minute, zone, horizon, anchor=anchor)
        if slot > now:  # pragma: no cover - every cadence fires within the horizon
            return first_due
        nxt = next_run(cadence, hour, minute, zone, slot, anchor=anchor)
    while nxt <= now:
        slot = nxt
        nxt = next_run(cadence, hour, minute, zone, slot, anchor=anchor)
    return slot


def retry_delay(attempts: int) -> timedelta:
    """How long a prompt claim waits after its `attempts`-th failed try: the first retry comes on the next run
    (due jobs run every 30 s by default), later ones after 1, 2, 4, 8, 16 and then every 30 minutes."""
    if attempts <= 1:
        return timedelta(0)
    return timedelta(minutes=min(2 ** (attempts - 2), 30))
