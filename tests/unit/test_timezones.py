"""Timezones as people type them: IANA names, offsets, cities and abbreviations; what is stored; autocomplete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cogs.prompts.cadence import Cadence, next_run
from core import timezones
from core.errors import AmbiguousTimezone, UnknownTimezone
from engine.matching.scoring import offset_minutes as _offset_minutes

WINTER = datetime(2026, 1, 15, 12, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 12, tzinfo=UTC)
IANA = sorted(available_timezones() - {"localtime"})  # "localtime" is the host's zone file, not a name


def test_canonical_accepts_any_case_and_spaces() -> None:
    assert timezones.canonical("asia/manila") == "Asia/Manila"
    assert timezones.canonical("America/New York") == "America/New_York"
    assert timezones.canonical("UTC") == "UTC"


def test_unknown_names_are_none() -> None:
    assert timezones.canonical("Mars/Olympus") is None
    assert timezones.canonical("") is None
    assert timezones.canonical("../../etc/passwd") is None


def test_search_prefers_prefix_then_city() -> None:
    assert timezones.search("Asia/Man")[0] == "Asia/Manila"
    assert timezones.search("tokyo") == ["Asia/Tokyo"]


@given(st.text(max_size=30))
def test_search_returns_at_most_25_valid_names(query: str) -> None:
    results = timezones.search(query)
    assert len(results) <= 25
    assert all(timezones.canonical(name) == name for name in results)


# ------------------------------------------------------------------ what people type


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("UTC+8", "Etc/GMT-8"),  # Etc signs are inverted: Etc/GMT-8 is eight hours ahead of UTC
        ("GMT-5", "Etc/GMT+5"),
        ("utc + 9", "Etc/GMT-9"),
        ("+05:30", "UTC+05:30"),
        ("+0530", "UTC+05:30"),
        ("UTC+5:45", "UTC+05:45"),
        ("UTC\u22123:30", "UTC-03:30"),  # a typographic minus
        ("UTC+0", "UTC"),
        ("Manila", "Asia/Manila"),
        ("seoul", "Asia/Seoul"),
        ("TORONTO", "America/Toronto"),
        ("new york", "America/New_York"),
        ("Ho Chi Minh", "Asia/Ho_Chi_Minh"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),  # the zone, not the old link to it
        ("Mumbai", "Asia/Kolkata"),  # a big city the tz database names no zone after
        ("JST", "Asia/Tokyo"),
        ("kst", "Asia/Seoul"),
        ("Asia/Manila", "Asia/Manila"),
        ("EST", "EST"),  # an IANA name stays itself
    ],
)
def test_what_people_type_is_understood(typed: str, stored: str) -> None:
    assert timezones.parse(typed) == stored


@pytest.mark.parametrize(
    ("typed", "meanings"),
    [
        ("IST", ["India", "Israel", "Ireland"]),
        ("cst", ["US & Canada Central", "China", "Cuba"]),
        ("PST", ["US & Canada Pacific", "Philippines"]),
        ("BST", ["Britain", "Bangladesh"]),
    ],
)
def test_ambiguous_abbreviations_are_asked_about(typed: str, meanings: list[str]) -> None:
    """`IST` is India, Israel or Ireland: the answer lists each with its zone, and nothing is guessed."""
    with pytest.raises(AmbiguousTimezone) as raised:
        timezones.parse(typed)
    assert [meaning for meaning, _zone in raised.value.choices] == meanings
    message = raised.value.user_message()
    assert all(meaning in message for meaning in meanings)
    assert all(f"`{zone}`" in message for _meaning, zone in raised.value.choices)
    assert "Type the one you mean" in message


def test_every_abbreviation_and_city_names_a_real_zone() -> None:
    named = [*timezones.ABBREVIATIONS.values(), *timezones.CITIES.values()]
    named += [zone for choices in timezones.AMBIGUOUS.values() for _meaning, zone in choices]
    assert all(timezones.canonical(zone) == zone for zone in named)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Mars/Olympus", "I don't know the timezone `Mars/Olympus`. Type a city (`Manila`), an offset (`UTC+8`)"),
        ("UTC+15", "I can't use the timezone `UTC+15`: offsets run from `UTC-12:00` to `UTC+14:00`."),
        ("GMT-13", "offsets run from `UTC-12:00` to `UTC+14:00`"),
        ("+05:07", "offsets go in quarter hours, like `UTC+5:30`"),
        ("+05:75", "offsets go in quarter hours"),
        ("localtime", "I don't know the timezone `localtime`"),
        ("../../etc/passwd", "I don't know the timezone"),
    ],
)
def test_junk_is_refused_with_a_reason(typed: str, expected: str) -> None:
    with pytest.raises(UnknownTimezone) as raised:
        timezones.parse(typed)
    assert expected in raised.value.user_message()


OFFSETS = st.integers(min_value=timezones.MIN_OFFSET // 15, max_value=timezones.MAX_OFFSET // 15).map(
    lambda quarters: quarters * 15
)


def written(minutes: int, style: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return [
        f"UTC{sign}{hours}:{rest:02d}",
        f"GMT{sign}{hours:02d}{rest:02d}",
        f"{sign}{hours:02d}:{rest:02d}",
        f"utc {sign} {hours}" + (f":{rest:02d}" if rest else ""),
    ][style]


@given(OFFSETS, st.integers(min_value=0, max_value=3))
def test_every_quarter_hour_offset_round_trips(minutes: int, style: int) -> None:
    """Every offset from -12:00 to +14:00 in 15-minute steps, however written, is stored as a zone that is
    exactly that far from UTC in winter and in summer, reads back as itself, and labels as UTC±…"""
    stored = timezones.parse(written(minutes, style))
    assert stored == timezones.offset_name(minutes)
    assert timezones.parse(stored) == stored
    zone = timezones.zone(stored)
    for instant in (WINTER, SUMMER):
        assert instant.astimezone(zone).utcoffset() == timedelta(minutes=minutes)
    assert timezones.label(stored).startswith("UTC")
    if minutes % 60 == 0 and minutes:
        assert stored.startswith("Etc/GMT")  # whole hours stay IANA names every reader already understands
        assert ZoneInfo(stored).utcoffset(WINTER) == timedelta(minutes=minutes)


def test_every_offset_step_is_covered() -> None:
    """The whole range, not only what hypothesis happens to draw."""
    for minutes in range(timezones.MIN_OFFSET, timezones.MAX_OFFSET + 1, 15):
        stored = timezones.parse(written(minutes, 0))
        assert timezones.zone(stored).utcoffset(SUMMER) == timedelta(minutes=minutes)


@pytest.mark.parametrize("name", IANA)
def test_every_iana_name_is_accepted_as_itself(name: str) -> None:
    assert timezones.parse(name) == name
    assert timezones.zone(name).key == name


@given(st.text(max_size=70))
def test_anything_typed_is_either_a_zone_or_a_clear_refusal(typed: str) -> None:
    """Nothing typed crashes: it parses to a usable zone, or the refusal echoes it and says what to do."""
    try:
        stored = timezones.parse(typed)
    except AmbiguousTimezone as ambiguous:
        assert "Type the one you mean" in ambiguous.user_message()
    except UnknownTimezone as unknown:
        message = unknown.user_message()
        assert message.startswith(("I don't know the timezone `", "I can't use the timezone `"))
        assert "Traceback" not in message
    else:
        timezones.zone(stored)


# ------------------------------------------------------------------ daylight saving


def test_iana_zones_keep_daylight_saving_and_fixed_offsets_do_not() -> None:
    """A city follows its clocks through the year; `UTC-5` stays five hours behind in July."""
    toronto = timezones.zone(timezones.parse("Toronto"))
    assert WINTER.astimezone(toronto).utcoffset() == timedelta(hours=-5)
    assert SUMMER.astimezone(toronto).utcoffset() == timedelta(hours=-4)
    fixed = timezones.zone(timezones.parse("UTC-5"))
    assert WINTER.astimezone(fixed).utcoffset() == SUMMER.astimezone(fixed).utcoffset() == timedelta(hours=-5)


def test_readers_of_stored_names_understand_fixed_offsets() -> None:
    """Matching and prompt schedules read `UTC+05:30` as they read `Asia/Kolkata`."""
    assert _offset_minutes("UTC+05:30", SUMMER) == 330
    assert _offset_minutes("Etc/GMT-8", SUMMER) == 480
    after = datetime(2026, 7, 1, tzinfo=UTC)
    daily_nine = next_run(Cadence("daily"), 9, 0, "UTC+05:30", after)
    assert daily_nine == datetime(2026, 7, 1, 3, 30, tzinfo=UTC)
    assert next_run(Cadence("daily"), 9, 0, "Asia/Kolkata", after) == daily_nine


def test_labels_read_as_people_write_them() -> None:
    assert timezones.label("Etc/GMT-8") == "UTC+8"
    assert timezones.label("Etc/GMT+5") == "UTC-5"
    assert timezones.label("UTC+05:30") == "UTC+05:30"
    assert timezones.label("Etc/UTC") == "UTC"
    assert timezones.label("Asia/Manila") == "Asia/Manila"


def test_stored_offset_names_are_only_the_ones_parse_makes() -> None:
    with pytest.raises(ValueError):
        timezones.zone("UTC+08:00")  # whole hours are stored as Etc/GMT-8
    with pytest.raises(ValueError):
        timezones.zone("UTC+15:00")
    with pytest.raises(ValueError):
        timezones.zone("localtime")


# ------------------------------------------------------------------ autocomplete


def test_choices_show_the_local_time_now() -> None:
    now = datetime(2026, 1, 1, 6, 30, tzinfo=UTC)
    assert timezones.choices("manila", now)[0] == ("Asia/Manila · Thu 14:30 now", "Asia/Manila")
    assert timezones.choices("UTC+5:30", now)[0] == ("UTC+05:30 · Thu 12:00 now", "UTC+05:30")
    assert timezones.choices("utc-5", now)[0] == ("UTC-5 · Thu 01:30 now", "Etc/GMT+5")


def test_choices_for_an_ambiguous_abbreviation_list_every_meaning() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    shown = timezones.choices("IST", now)
    assert [value for _name, value in shown[:3]] == ["Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"]
    assert shown[0][0] == "India: Asia/Kolkata · Thu 05:30 now"


@given(st.text(max_size=100))
def test_choices_fit_discord(query: str) -> None:
    """At most 25 choices, names and values of at most 100 characters, every value accepted back."""
    shown = timezones.choices(query, datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert len(shown) <= 25
    assert len({value for _name, value in shown}) == len(shown)
    for name, value in shown:
        assert 1 <= len(name) <= 100 and 1 <= len(value) <= 100
        assert timezones.parse(value) == value
