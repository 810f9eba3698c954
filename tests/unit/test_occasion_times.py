"""When an occasion post falls due, how late it may go out, and how moderators name occasions (pure rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from cogs.prompts import calendar, occasion_times
from cogs.prompts.calendar import UnknownOccasion

SEOUL = ZoneInfo("Asia/Seoul")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def test_a_post_is_due_at_the_local_time_days_before() -> None:
    """Seollal 2027 (7 Feb), 3 days before at 09:00 in Seoul: 4 Feb 00:00 UTC."""
    assert occasion_times.post_moment(date(2027, 2, 7), 3, 9, 0, SEOUL) == datetime(2027, 2, 4, 0, 0, tzinfo=UTC)


def test_the_window_ends_with_the_local_day() -> None:
    assert occasion_times.window_end(date(2027, 2, 7), SEOUL) == datetime(2027, 2, 7, 15, 0, tzinfo=UTC)
    assert occasion_times.window_end(date(2027, 2, 7), LOS_ANGELES) == datetime(2027, 2, 8, 8, 0, tzinfo=UTC)


def test_next_post_crosses_the_year_end() -> None:
    """On 31 Dec 2026 the next Seollal is 7 Feb 2027."""
    found = occasion_times.next_post(calendar.get("seollal"), SEOUL, 9, 0, 0, datetime(2026, 12, 31, 20, tzinfo=UTC))
    assert found == (date(2027, 2, 7), datetime(2027, 2, 7, 0, 0, tzinfo=UTC))


def test_next_post_keeps_a_day_whose_window_is_open_and_skips_a_closed_one() -> None:
    nowruz = calendar.get("nowruz")
    during = occasion_times.next_post(nowruz, ZoneInfo("UTC"), 9, 0, 0, datetime(2026, 3, 21, 23, tzinfo=UTC))
    after = occasion_times.next_post(nowruz, ZoneInfo("UTC"), 9, 0, 0, datetime(2026, 3, 22, 0, 0, tzinfo=UTC))
    assert during is not None and during[0] == date(2026, 3, 21)
    assert after is not None and after[0].year == 2027


def test_next_post_after_a_day_moves_on_to_the_next_date() -> None:
    found = occasion_times.next_post(
        calendar.get("seollal"), SEOUL, 9, 0, 0, datetime(2027, 2, 7, 1, tzinfo=UTC), after=date(2027, 2, 7)
    )
    assert found is not None and found[0].year == 2028


def test_an_occasion_past_its_tables_has_no_next_post() -> None:
    """Diwali's tables end in 2035."""
    assert occasion_times.next_post(calendar.get("diwali"), SEOUL, 9, 0, 0, datetime(2035, 12, 1, tzinfo=UTC)) is None


def test_a_fixed_offset_zone_works() -> None:
    found = occasion_times.next_post(
        calendar.get("diwali"), ZoneInfo("Asia/Kolkata"), 18, 30, 1, datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert found == (date(2027, 10, 29), datetime(2027, 10, 28, 13, 0, tzinfo=UTC))


def test_occasions_are_named_by_key_or_name_or_all() -> None:
    named = occasion_times.parse_occasions("Seollal (Korean New Year), TET, seollal")
    assert [o.key for o in named] == ["seollal", "tet"]
    assert len(occasion_times.parse_occasions("all")) == len(calendar.OCCASIONS)


def test_an_occasion_is_named_in_any_case_accents_and_spacing() -> None:
    """Its full name without accents and with spaces doubled (as a phone keyboard may) is Tết Nguyên Đán."""
    assert occasion_times.find("tet  nguyen dan   (vietnamese new year)").key == "tet"
    assert occasion_times.find("  SEOLLAL ").key == "seollal"


@pytest.mark.parametrize("typed", ["halloween", " , ,", "seollal, nope"])
def test_an_unknown_occasion_is_refused(typed: str) -> None:
    with pytest.raises(UnknownOccasion):
        occasion_times.parse_occasions(typed)


def test_days_are_written_out_and_counted() -> None:
    assert occasion_times.format_day(date(2027, 2, 7)) == "Sun 7 Feb 2027"
    today = date(2027, 2, 5)
    assert [occasion_times.how_soon(date(2027, 2, d), today) for d in (5, 6, 7)] == ["today", "tomorrow", "in 2 days"]
