"""The cultural calendar: each occasion's dates against dates its authorities published, the limits of the
calendars behind them, and upcoming/on_day/observed_on across year ends.

Every asserted date was read in a published list (named beside it). Dates the calendar gives but that could not
be checked against a publication are listed at the end of this docstring and not asserted:
- Tết 2024–2027 in a Vietnamese source (the library has Vietnam agreeing with China those years);
- Holi 2026 (India's states split between 3 and 4 March) and 2027; Diwali 2027;
- Vesak (Singapore) 2026 and 2027; Eid al-Fitr (Umm al-Qura) 2026 and 2027;
- Nowruz 2024–2027 (pages give the equinox day in UTC, not 1 Farvardin in Tehran).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cogs.prompts import calendar
from cogs.prompts.bank import PROMPT_MAX, default_prompts, text_key
from cogs.prompts.calendar import Kind, UnknownOccasion, observed_on, on_day, upcoming
from cogs.prompts.calendar_prompts import occasion_prompts, prompts_for, seed_rows
from config.content import default_theme_pairs

# Sources, by short name (all read through the search tool; none is fetched at test time):
# HK-GOV: Hong Kong general holidays as gazetted (gov.hk lists, via holiday-times.com for 2024–2025,
#   workingdaycalculator.hk for 2026–2027, aroundtheworldsg.blogspot.com for 2014), and HKO's blog on Tuen Ng 2013.
# KASI: Korea's 월력요항 (calendar data) from KASI / the Korea AeroSpace Administration, as reported for 2017,
#   2018, 2019, 2025 and 2026 (hani.co.kr, cctoday.co.kr, ajunews.com, thegnnews.com, daum.net, zzang402.com),
#   and KASI's lunar-solar table for 2027 (astro.kasi.re.kr/life/post/calendarData).
# SG-MOM: Singapore's gazetted public holidays (mom.gov.sg 2010; channelnewsasia.com 2021, 2023, 2024;
#   Japan's embassy in Singapore 2015; healthcarepanel.asia 2014; hcpasia.com.au 2019).
# SA: Saudi Supreme Court announcements of 1 Shawwal (thenews.com.pk 2020, brecorder.com 2024, e-press.tv 2025).
# TAD: timeanddate-based lists of India's holidays (excelnotes.com Holi 2021–2024; verbosed.com Diwali 2026).

PUBLISHED: dict[str, dict[int, date]] = {
    # HK-GOV (Lunar New Year's Day); SG-MOM 2010, 2014, 2019, 2024.
    "lunar-new-year": {
        2010: date(2010, 2, 14),
        2014: date(2014, 1, 31),
        2019: date(2019, 2, 5),
        2024: date(2024, 2, 10),
        2025: date(2025, 1, 29),
        2026: date(2026, 2, 17),
        2027: date(2027, 2, 6),
    },
    # KASI. 2027 is the edge year: Korea's new moon falls after midnight KST, a day after China's.
    "seollal": {
        2018: date(2018, 2, 16),
        2019: date(2019, 2, 5),
        2025: date(2025, 1, 29),
        2026: date(2026, 2, 17),
        2027: date(2027, 2, 7),
    },
    # viet-jo.com (2006, quoting Vietnam's government: Tết 2007 is 17 February, China's New Year the 18th);
    # vietnamsea.org (2018).
    "tet": {2007: date(2007, 2, 17), 2018: date(2018, 2, 16)},
    # KASI 정월대보름 (the 15th day of the 1st month; China's calendar agrees in these years).
    "lantern-festival": {
        2017: date(2017, 2, 11),
        2018: date(2018, 3, 2),
        2019: date(2019, 2, 19),
        2025: date(2025, 2, 12),
    },
    # HK-GOV Ching Ming Festival; KASI 청명 2027.
    "qingming": {
        2014: date(2014, 4, 5),
        2024: date(2024, 4, 4),
        2025: date(2025, 4, 4),
        2026: date(2026, 4, 5),
        2027: date(2027, 4, 5),
    },
    # HK-GOV Tuen Ng (2013 from HKO's blog: the 5th month began on 8 June); KASI 단오 2017–2019.
    "dragon-boat": {
        2013: date(2013, 6, 12),
        2014: date(2014, 6, 2),
        2017: date(2017, 5, 30),
        2018: date(2018, 6, 18),
        2019: date(2019, 6, 7),
        2025: date(2025, 5, 31),
        2026: date(2026, 6, 19),
        2027: date(2027, 6, 9),
    },
    # HK-GOV: the day following Mid-Autumn minus one (2014: 9 Sep, 2024: 18 Sep, 2025: 7 Oct).
    "mid-autumn": {2014: date(2014, 9, 8), 2024: date(2024, 9, 17), 2025: date(2025, 10, 6)},
    # KASI 추석; 2024 from Korea's holiday list (16–18 September); 2026 from the 24–26 September holiday;
    # 2027 from KASI's table (8th month begins 1 September).
    "chuseok": {
        2018: date(2018, 9, 24),
        2019: date(2019, 9, 13),
        2024: date(2024, 9, 17),
        2025: date(2025, 10, 6),
        2026: date(2026, 9, 25),
        2027: date(2027, 9, 15),
    },
    # SG-MOM Deepavali (the same day as India's Diwali in these years), TAD 2026.
    "diwali": {
        2009: date(2009, 10, 17),
        2010: date(2010, 11, 5),
        2014: date(2014, 10, 23),
        2021: date(2021, 11, 4),
        2023: date(2023, 11, 12),
        2024: date(2024, 10, 31),
        2025: date(2025, 10, 20),
        2026: date(2026, 11, 8),
    },
    # TAD (excelnotes lists 2021–2025; 2025 from holi5.github.io: Holika Dahan 13 March, Holi 14 March).
    "holi": {
        2021: date(2021, 3, 29),
        2022: date(2022, 3, 18),
        2023: date(2023, 3, 8),
        2024: date(2024, 3, 25),
        2025: date(2025, 3, 14),
    },
    # SG-MOM Vesak Day. 2023 is the edge year: gazetted as 2 June after the Buddhist Federation corrected it.
    "vesak": {
        2010: date(2010, 5, 28),
        2014: date(2014, 5, 13),
        2015: date(2015, 6, 1),
        2019: date(2019, 5, 19),
        2021: date(2021, 5, 26),
        2023: date(2023, 6, 2),
        2024: date(2024, 5, 22),
        2025: date(2025, 5, 12),
    },
    # SA; SG-MOM Hari Raya Puasa where Singapore kept the same day (2010, 2014, 2021).
    "eid-al-fitr": {
        2010: date(2010, 9, 10),
        2014: date(2014, 7, 28),
        2020: date(2020, 5, 24),
        2021: date(2021, 5, 13),
        2024: date(2024, 4, 10),
        2025: date(2025, 3, 30),
    },
    # iranpress.com: Nowruz 1398 began at 01:28 on 21 March 2019, Tehran time.
    "nowruz": {2019: date(2019, 3, 21)},
}


@pytest.mark.parametrize(
    ("key", "year", "expected"),
    [(key, year, day) for key, days in PUBLISHED.items() for year, day in sorted(days.items())],
)
def test_dates_match_published_dates(key: str, year: int, expected: date) -> None:
    """Each occasion falls on the day its authority published for that year."""
    assert calendar.get(key).dates(year) == (expected,)


def test_korea_and_vietnam_part_from_china_in_the_years_they_do() -> None:
    """Seollal 2027 is a day after Chinese New Year; Tết is a day earlier in 2007 and 2030, a month earlier in 1985."""
    lny, seollal, tet = (calendar.get(key) for key in ("lunar-new-year", "seollal", "tet"))
    assert seollal.dates(2027)[0] - lny.dates(2027)[0] == timedelta(days=1)
    assert lny.dates(2007) == (date(2007, 2, 18),)  # viet-jo.com, quoting Vietnam's government
    # viet-jo.com and scienceinfo.net: Vietnam keeps Tết a day before China again in 2030 (and 2053).
    assert lny.dates(2030)[0] - tet.dates(2030)[0] == timedelta(days=1)
    assert lny.dates(2053)[0] - tet.dates(2053)[0] == timedelta(days=1)
    assert tet.dates(1985) == (date(1985, 1, 21),) and lny.dates(1985) == (date(1985, 2, 20),)
    assert all(lny.dates(year) == tet.dates(year) == seollal.dates(year) for year in (2024, 2025, 2026))


def test_eid_can_fall_twice_in_one_year_and_local_sighting_can_differ() -> None:
    """Umm al-Qura puts Eid al-Fitr on 2 January and 23 December 2033; Singapore kept 2019's a day after it."""
    eid = calendar.get("eid-al-fitr")
    assert eid.dates(2033) == (date(2033, 1, 2), date(2033, 12, 23))
    # SG-MOM 2019: Hari Raya Puasa on 5 June, by local sighting; the Umm al-Qura day is 4 June.
    assert eid.dates(2019) == (date(2019, 6, 4),)


def test_fixed_days_and_months() -> None:
    """Songkran is 13–15 April, Obon 13–16 August, Loving Day 12 June, and the heritage months their months."""
    assert calendar.get("songkran").spans(2026) == (calendar.Span(date(2026, 4, 13), date(2026, 4, 15)),)
    assert calendar.get("obon").spans(2025) == (calendar.Span(date(2025, 8, 13), date(2025, 8, 16)),)
    assert calendar.get("loving-day").dates(2027) == (date(2027, 6, 12),)
    assert calendar.get("aanhpi-heritage-month").spans(2026) == (calendar.Span(date(2026, 5, 1), date(2026, 5, 31)),)
    assert calendar.get("esea-heritage-month").spans(2024) == (calendar.Span(date(2024, 9, 1), date(2024, 9, 30)),)
    assert calendar.get("filipino-american-history-month").dates(2026) == (date(2026, 10, 1),)


def test_south_asian_heritage_month_moved_to_july_in_2026() -> None:
    """18 July–17 August from 2020 to 2025, then 1–31 July (Wikipedia, South Asian Heritage Month)."""
    sahm = calendar.get("south-asian-heritage-month")
    assert sahm.spans(2025) == (calendar.Span(date(2025, 7, 18), date(2025, 8, 17)),)
    assert sahm.spans(2026) == (calendar.Span(date(2026, 7, 1), date(2026, 7, 31)),)
    assert sahm.dates(2019) == ()  # the first was in 2020


def test_hindu_festivals_stop_where_the_tables_stop() -> None:
    """Diwali and Holi come from tables for 2001–2035 only: outside them there is no date, not a guess."""
    for key in ("diwali", "holi"):
        occasion = calendar.get(key)
        assert (occasion.first_year, occasion.last_year) == (2001, 2035)
        assert occasion.dates(2000) == () and occasion.dates(2036) == ()
        assert occasion.dates(2035)


def test_every_calendar_stops_at_its_documented_edge() -> None:
    """Eid al-Fitr covers 1925–2077 (Umm al-Qura AH 1343–1500); the lunisolar tables 1901–2100; Qingming to 2099."""
    eid = calendar.get("eid-al-fitr")
    assert eid.dates(1924) == () and eid.dates(2078) == ()
    assert eid.dates(1925) == (date(1925, 4, 24),) and eid.dates(2077)
    assert calendar.get("lunar-new-year").dates(2101) == ()
    assert calendar.get("qingming").dates(2100) == ()


@pytest.mark.parametrize("occasion", calendar.OCCASIONS, ids=lambda occasion: occasion.key)
def test_every_year_of_every_range_has_a_date(occasion: calendar.Occasion) -> None:
    """Asked for every year from first_year to last_year, the calendar behind each occasion answers."""
    missing = [year for year in range(occasion.first_year, occasion.last_year + 1) if not occasion.dates(year)]
    assert missing == []


@given(st.sampled_from(calendar.OCCASIONS), st.integers(min_value=1890, max_value=2110))
def test_every_occasion_has_a_date_in_every_year_it_supports(occasion: calendar.Occasion, year: int) -> None:
    """Within first_year–last_year an occasion starts at least once (twice for Eid some years); outside, never."""
    spans = occasion.spans(year)
    if occasion.supports(year):
        assert 1 <= len(spans) <= 2
        assert all(span.start.year == year and span.start <= span.end for span in spans)
    else:
        assert spans == ()


WINDOWS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "lunar-new-year": ((1, 21), (2, 20)),
    "seollal": ((1, 21), (2, 21)),
    "tet": ((1, 20), (2, 20)),
    "lantern-festival": ((2, 4), (3, 6)),
    "qingming": ((4, 4), (4, 6)),
    "dragon-boat": ((5, 27), (6, 26)),  # 26 June 1906 after a leap fourth month; 27 May 2039 and 2085
    "mid-autumn": ((9, 7), (10, 8)),
    "chuseok": ((9, 7), (10, 8)),
    "diwali": ((10, 15), (11, 16)),
    "holi": ((2, 25), (3, 31)),
    "vesak": ((4, 28), (6, 5)),
    "nowruz": ((3, 20), (3, 22)),
}


@pytest.mark.parametrize("key", sorted(WINDOWS))
def test_dates_fall_in_plausible_windows(key: str) -> None:
    """In every year 1901–2100, Lunar New Year falls 21 January–20 February, Mid-Autumn 7 September–8 October,
    Qingming 4–6 April, etc. (every year, not a sample: a sample once missed Dragon Boat's 26 June 1906)."""
    occasion = calendar.get(key)
    (first_month, first_day), (last_month, last_day) = WINDOWS[key]
    outside = [
        day
        for year in range(1901, 2101)
        for day in occasion.dates(year)
        if not date(year, first_month, first_day) <= day <= date(year, last_month, last_day)
    ]
    assert outside == []


@given(st.integers(min_value=1926, max_value=2076))
def test_eid_al_fitr_moves_about_eleven_days_a_year(year: int) -> None:
    """Consecutive Eids are twelve lunar months apart: 353 to 356 days (mostly 354 or 355)."""
    this_year = calendar.get("eid-al-fitr").dates(year)
    following = calendar.get("eid-al-fitr").dates(year + 1)
    assert 353 <= (following[0] - this_year[-1]).days <= 356


def test_upcoming_crosses_the_year_end() -> None:
    """From 20 December 2026 the next Lunar New Year, Tết and Seollal are in February 2027, soonest first."""
    found = upcoming(date(2026, 12, 20), ["seollal", "tet", "lunar-new-year"], days_ahead=60)
    assert [(occasion.key, day) for occasion, day in found] == [
        ("lunar-new-year", date(2027, 2, 6)),
        ("tet", date(2027, 2, 6)),
        ("seollal", date(2027, 2, 7)),
    ]


def test_upcoming_keeps_ties_in_calendar_order_and_respects_the_window() -> None:
    """Ties are listed in the order of OCCASIONS; nothing past `days_ahead` is listed; 0 days means today only."""
    found = upcoming(date(2026, 12, 20), ["seollal", "tet", "lunar-new-year", "eid-al-fitr"], days_ahead=60)
    assert [occasion.key for occasion, _ in found] == ["lunar-new-year", "tet", "seollal"]  # Eid is 9 March
    assert upcoming(date(2027, 2, 6), ["seollal"], days_ahead=0) == []
    assert [o.key for o, _ in upcoming(date(2027, 2, 7), ["seollal"], days_ahead=0)] == ["seollal"]


def test_upcoming_leaves_out_occasions_already_under_way() -> None:
    """On the second day of Obon, upcoming() lists next year's Obon; observed_on() has this year's."""
    day = date(2026, 8, 14)
    assert upcoming(day, ["obon"], days_ahead=365) == [(calendar.get("obon"), date(2027, 8, 13))]
    assert observed_on(day, ["obon"]) == [(calendar.get("obon"), calendar.Span(date(2026, 8, 13), date(2026, 8, 16)))]


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(2097, 1, 1)), st.integers(min_value=0, max_value=800))
def test_upcoming_is_sorted_and_never_in_the_past(today: date, days_ahead: int) -> None:
    """Whatever the day, upcoming() is in date order and within [today, today + days_ahead]."""
    found = upcoming(today, None, days_ahead)
    days = [day for _, day in found]
    assert days == sorted(days)
    assert all(today <= day <= today + timedelta(days=days_ahead) for day in days)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2035, 12, 31)))
def test_on_day_agrees_with_upcoming(day: date) -> None:
    """on_day(d) is exactly what upcoming(d, days_ahead=0) lists."""
    assert on_day(day) == [occasion for occasion, _ in upcoming(day, None, 0)]


def test_on_day_lists_what_starts_that_day() -> None:
    """17 February 2026 starts Lunar New Year, Seollal and Tết; 1 May starts both May heritage months."""
    assert [o.key for o in on_day(date(2026, 2, 17))] == ["lunar-new-year", "seollal", "tet"]
    assert [o.key for o in on_day(date(2026, 5, 1))] == ["aanhpi-heritage-month", "asian-heritage-month-canada"]
    assert on_day(date(2026, 5, 2)) == []
    assert {o.key for o, _ in observed_on(date(2026, 5, 2))} == {"aanhpi-heritage-month", "asian-heritage-month-canada"}


def test_keys_are_checked_and_folded() -> None:
    """Keys are matched in any case; an unknown key says which one, in a member's words."""
    assert calendar.get(" Diwali ").key == "diwali"
    with pytest.raises(UnknownOccasion) as raised:
        upcoming(date(2026, 1, 1), ["diwali", "christmas"])
    assert "`christmas`" in raised.value.user_message()
    with pytest.raises(ValueError):
        upcoming(date(2026, 1, 1), None, days_ahead=-1)


def test_occasions_are_well_formed() -> None:
    """Keys are unique and stable-looking, families name an occasion, and every kind is one of three."""
    keys = [occasion.key for occasion in calendar.OCCASIONS]
    assert len(keys) == len(set(keys))
    assert all(key == key.lower() and " " not in key for key in keys)
    assert all(occasion.family in keys for occasion in calendar.OCCASIONS)
    assert {occasion.kind for occasion in calendar.OCCASIONS} == set(Kind)
    assert all(occasion.description and occasion.convention for occasion in calendar.OCCASIONS)


def test_every_occasion_has_at_least_three_prompts() -> None:
    """Each occasion has three or more prompts, each for an existing theme and within the bank's length limit."""
    themes = {key for key, _ in default_theme_pairs()}
    for occasion in calendar.OCCASIONS:
        assert len(prompts_for(occasion.key)) >= 3, occasion.key
    assert {prompt.occasion for prompt in occasion_prompts()} == {o.key for o in calendar.OCCASIONS}
    assert all(prompt.theme in themes for prompt in occasion_prompts())
    assert all(10 <= len(prompt.text) <= PROMPT_MAX for prompt in occasion_prompts())


def test_occasion_prompts_seed_without_clashing_with_the_default_bank() -> None:
    """No two occasion prompts, and no occasion prompt and default prompt, share a duplicate-detection key."""
    keys = [key for _, _, _, key in seed_rows()]
    assert len(keys) == len(set(keys))
    assert not set(keys) & {text_key(prompt.text) for prompt in default_prompts()}
