"""Cadence parsing and next-run arithmetic: examples, then properties across timezones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cogs.prompts.cadence import Cadence, latest_due, next_run, parse_cadence, parse_time
from core.errors import InvalidInput

NY = ZoneInfo("America/New_York")
ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Manila", "America/Santiago"]


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("daily", "daily"),
        ("Every day", "daily"),
        ("weekdays", "weekdays"),
        ("weekly friday", "weekly fri"),
        ("every Tuesday", "weekly tue"),
        ("every 3 days", "every 3 days"),
        ("every 1 day", "daily"),
        ("monthly 15th", "monthly 15"),
        ("monthly on the 1st", "monthly 1"),
        ("monthly last day", "monthly last"),
        ("first Monday", "monthly first mon"),
        ("monthly last friday of the month", "monthly last fri"),
    ],
)
def test_parse_cadence_accepts_what_moderators_type(text: str, spec: str) -> None:
    """Common spellings parse to one canonical spec, which parses back to itself."""
    assert parse_cadence(text).spec == spec
    assert parse_cadence(spec).spec == spec


@pytest.mark.parametrize(
    "text", ["", "hourly", "every 0 days", "every 400 days", "monthly 31", "fifth monday", "weekly"]
)
def test_parse_cadence_refuses_the_rest(text: str) -> None:
    """Unknown or out-of-range cadences are refused with a reason."""
    with pytest.raises(InvalidInput):
        parse_cadence(text)


@pytest.mark.parametrize(("text", "parsed"), [("9:00", (9, 0)), ("18:30", (18, 30)), ("07.05", (7, 5))])
def test_parse_time(text: str, parsed: tuple[int, int]) -> None:
    """HH:MM on a 24-hour clock."""
    assert parse_time(text) == parsed


@pytest.mark.parametrize("text", ["25:00", "9", "12:60", "noon", "9:5"])
def test_parse_time_refuses_nonsense(text: str) -> None:
    """Anything but a valid HH:MM is refused."""
    with pytest.raises(InvalidInput):
        parse_time(text)


def test_daily_keeps_local_time_across_spring_forward() -> None:
    """09:00 in New York is 14:00 UTC before the March change and 13:00 UTC after."""
    before = next_run(Cadence("daily"), 9, 0, NY, datetime(2026, 3, 7, 15, tzinfo=UTC))
    assert before == datetime(2026, 3, 8, 13, tzinfo=UTC)
    assert next_run(Cadence("daily"), 9, 0, NY, datetime(2026, 3, 6, 15, tzinfo=UTC)) == datetime(
        2026, 3, 7, 14, tzinfo=UTC
    )


def test_repeated_wall_time_fires_once_when_clocks_go_back() -> None:
    """01:30 happens twice in New York on 1 November 2026; the schedule fires at the first one only."""
    first = next_run(Cadence("daily"), 1, 30, NY, datetime(2026, 11, 1, 0, tzinfo=UTC))
    assert first == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert next_run(Cadence("daily"), 1, 30, NY, first) == datetime(2026, 11, 2, 6, 30, tzinfo=UTC)


def test_monthly_first_monday_and_last_day() -> None:
    """First Monday of February 2026 is the 2nd; the last day of February is the 28th."""
    start = datetime(2026, 1, 10, tzinfo=UTC)
    assert next_run(parse_cadence("first monday"), 9, 0, "UTC", start) == datetime(2026, 2, 2, 9, tzinfo=UTC)
    feb = datetime(2026, 2, 1, tzinfo=UTC)
    assert next_run(parse_cadence("monthly last"), 9, 0, "UTC", feb) == datetime(2026, 2, 28, 9, tzinfo=UTC)


def test_latest_due_picks_the_most_recent_missed_slot() -> None:
    """Five missed days give one slot: the last one before now."""
    slot = latest_due(
        Cadence("daily"), 9, 0, "UTC", datetime(2026, 1, 1, 9, tzinfo=UTC), datetime(2026, 1, 6, 10, tzinfo=UTC)
    )
    assert slot == datetime(2026, 1, 6, 9, tzinfo=UTC)


def test_latest_due_after_years_of_downtime() -> None:
    """A long gap still yields the last slot before now, quickly."""
    slot = latest_due(
        Cadence("weekly", weekday=0), 9, 0, NY, datetime(2020, 1, 6, 14, tzinfo=UTC), datetime(2026, 1, 7, tzinfo=UTC)
    )
    assert slot == datetime(2026, 1, 5, 14, tzinfo=UTC)


cadences = st.one_of(
    st.just(Cadence("daily")),
    st.just(Cadence("weekdays")),
    st.builds(lambda d: Cadence("weekly", weekday=d), st.integers(0, 6)),
    st.builds(lambda n: Cadence("every", days=n), st.integers(2, 30)),
    st.builds(lambda d: Cadence("monthly", day=d), st.one_of(st.integers(1, 28), st.just(-1))),
    st.builds(lambda n, d: Cadence("monthly", nth=n, weekday=d), st.sampled_from([1, 2, 3, 4, -1]), st.integers(0, 6)),
)
# hypothesis wants naive bounds; the generated moments are aware UTC.
moments = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001
    max_value=datetime(2030, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def _exists(day: date, hour: int, minute: int, zone: ZoneInfo) -> bool:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None)


@settings(max_examples=300, deadline=None)
@given(cadences, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]), st.sampled_from(ZONES), moments)
def test_next_run_is_after_now_at_the_local_wall_time(
    cadence: Cadence, hour: int, minute: int, zone_name: str, now: datetime
) -> None:
    """The next run is strictly after now, at HH:MM local (an hour later only when HH:MM doesn't exist that day)."""
    zone = ZoneInfo(zone_name)
    anchor = (now - timedelta(days=3)).date()
    run = next_run(cadence, hour, minute, zone, now, anchor=anchor)
    assert run > now
    assert run - now <= timedelta(days=31 + 31 if cadence.kind != "every" else (cadence.days or 1) + 2)
    local = run.astimezone(zone)
    if _exists(local.date(), hour, minute, zone):
        assert (local.hour, local.minute) == (hour, minute)
    else:
        assert local.hour == (hour + 1) % 24
    if cadence.kind == "weekdays":
        assert local.weekday() < 5
    if cadence.kind == "weekly":
        assert local.weekday() == cadence.weekday
    if cadence.kind == "every":
        assert (local.date() - anchor).days % (cadence.days or 1) == 0
    if cadence.kind == "monthly" and cadence.nth is not None:
        assert local.weekday() == cadence.weekday
        if cadence.nth > 0:
            assert (local.day - 1) // 7 + 1 == cadence.nth
        else:
            assert (local + timedelta(days=7)).month != local.month


@settings(max_examples=150, deadline=None)
@given(cadences, st.integers(0, 23), st.sampled_from([0, 30]), st.sampled_from(ZONES), moments)
def test_successive_runs_fall_on_different_local_days(
    cadence: Cadence, hour: int, minute: int, zone_name: str, now: datetime
) -> None:
    """Stepping from run to run never fires twice on the same local day (even when clocks go back)."""
    zone = ZoneInfo(zone_name)
    anchor = now.date()
    run = next_run(cadence, hour, minute, zone, now, anchor=anchor)
    for _ in range(5):
        following = next_run(cadence, hour, minute, zone, run, anchor=anchor)
        assert following.astimezone(zone).date() > run.astimezone(zone).date()
        run = following


@settings(max_examples=100, deadline=None)
@given(cadences, st.integers(0, 23), st.sampled_from(ZONES), moments, st.integers(0, 200))
def test_latest_due_is_a_run_at_or_before_now_with_the_next_after(
    cadence: Cadence, hour: int, zone_name: str, start: datetime, days_down: int
) -> None:
    """The catch-up slot is a real run, not after now, and the run after it is after now."""
    anchor = start.date()
    first = next_run(cadence, hour, 0, zone_name, start, anchor=anchor)
    now = first + timedelta(days=days_down, hours=1)
    slot = latest_due(cadence, hour, 0, zone_name, first, now, anchor=anchor)
    assert first <= slot <= now
    assert next_run(cadence, hour, 0, zone_name, slot, anchor=anchor) > now
