"""The cultural calendar: occasions that matter to members of mixed Asian heritage, with their dates worked out
for any Gregorian year the calendars behind them cover. No discord or database import.

Where the dates come from (each `Occasion.convention` says it in a sentence a moderator can read):
- East Asian lunisolar dates (Lunar New Year, Seollal, Tết, Lantern Festival, Qingming, Dragon Boat,
  Mid-Autumn, Chuseok), Hindu (Diwali, Holi), Buddhist (Vesak) and Persian (Nowruz) dates come from the
  `holidays` package (vacanza/holidays), which keeps each calendar's dates for 1901–2100, the span of the
  Hong Kong Observatory's conversion tables, with the years where Korea's or Vietnam's calendar parts from
  China's. Its tables of India's Diwali and Holi (from timeanddate) are shorter: 2001–2035.
- Eid al-Fitr is 1 Shawwal in the Umm al-Qura calendar, from `hijridate` (AH 1343–1500: 1925–2077 here).
- Fixed days (Songkran, Obon, Loving Day) and heritage months are plain Gregorian rules.
Outside an occasion's years (`first_year`–`last_year`) it has no date: `dates()` is empty and `upcoming()`
leaves it out rather than guessing.

`holidays` keeps its calendars in underscore-named classes; the version is pinned and the tests ask every
occasion for every year of its range, so an upgrade that moves them fails there, not in a guild.
"""

from __future__ import annotations

import calendar as gregorian
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

from hijridate import Gregorian, Hijri
from holidays.calendars import _BuddhistLunisolar, _ChineseLunisolar, _HinduLunisolar, _Persian
from holidays.calendars.chinese import KOREAN_CALENDAR, VIETNAMESE_CALENDAR

from core.errors import LanternError

MAX_DAYS_AHEAD = 3 * 366  # upcoming() looks at most this far ahead

_chinese = _ChineseLunisolar()
_hindu = _HinduLunisolar()
_buddhist = _BuddhistLunisolar()
_persian = _Persian()


class Kind(StrEnum):
    DAY = "day"
    MULTI_DAY = "multi-day"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Span:
    """The days an occasion is kept in one year: `start` to `end`, both included."""

    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Occasion:
    key: str  # stable: stored with schedules and prompts
    name: str
    description: str
    kind: Kind
    convention: str  # which calendar, country or choice the dates follow, and their limits
    first_year: int
    last_year: int
    rule: Callable[[int], tuple[Span, ...]] = field(repr=False, compare=False)  # spans starting in a year
    family: str = ""  # one festival kept by different calendars (Chinese New Year, Seollal, Tết)

    def __post_init__(self) -> None:
        if not self.family:
            object.__setattr__(self, "family", self.key)

    def supports(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year

    def spans(self, year: int) -> tuple[Span, ...]:
        """The times it is kept that start in `year` (Eid al-Fitr can start twice), or () outside its years."""
        return self.rule(year) if self.supports(year) else ()

    def dates(self, year: int) -> tuple[date, ...]:
        """The first day of each time it is kept in `year`."""
        return tuple(span.start for span in self.spans(year))


@dataclass(eq=False)
class UnknownOccasion(LanternError):
    key: str

    def user_message(self) -> str:
        shown = self.key.replace("`", "'")[:40]
        return f"I don't know the occasion `{shown}`. Pick one from the list as you type."


# ---- Date rules ---------------------------------------------------------------------------------------------


def _day(found: date | None) -> tuple[Span, ...]:
    return (Span(found, found),) if found else ()


def _lunar(method: Callable[..., tuple[date | None, bool]], *calendar: str) -> Callable[[int], tuple[Span, ...]]:
    """A `holidays` Chinese-calendar date; the flag it returns beside it (whether a country confirmed it) is unused."""
    return lambda year: _day(method(year, *calendar)[0])


def _lantern_festival(year: int) -> tuple[Span, ...]:
    # The 15th day of the 1st month: month 1 is never a leap month and always has 29 or 30 days.
    new_year = _chinese.lunar_new_year_date(year)[0]
    return _day(new_year + timedelta(days=14) if new_year else None)


def _fixed(month: int, day: int, length: int = 1) -> Callable[[int], tuple[Span, ...]]:
    def spans(year: int) -> tuple[Span, ...]:
        start = date(year, month, day)
        return (Span(start, start + timedelta(days=length - 1)),)

    return spans


def _month(month: int) -> Callable[[int], tuple[Span, ...]]:
    def spans(year: int) -> tuple[Span, ...]:
        return (Span(date(year, month, 1), date(year, month, gregorian.monthrange(year, month)[1])),)

    return spans


def _south_asian_heritage_month(year: int) -> tuple[Span, ...]:
    if year <= 2025:  # its first six years; the organisers moved it to July from 2026
        return _fixed(7, 18, length=31)(year)
    return _month(7)(year)


def _eid_al_fitr(year: int) -> tuple[Span, ...]:
    """1 Shawwal (Umm al-Qura) of each Hijri year that has it in this Gregorian year: one, sometimes two."""
    hijri_year = Gregorian(year, 1, 1).to_hijri().year
    found: list[date] = []
    for candidate in (hijri_year, hijri_year + 1):
        try:
            day = Hijri(candidate, 10, 1).to_gregorian()
        except OverflowError:  # past the end of the Umm al-Qura table
            continue
        if day.year == year:
            found.append(date(day.year, day.month, day.day))
    return tuple(Span(day, day) for day in found)


# ---- The occasions -----------------------------------------------------------------------------------------

_CHINESE = "The Chinese calendar (China's time, UTC+8), as the Hong Kong Observatory publishes it; 1901–2100."

OCCASIONS: tuple[Occasion, ...] = (
    Occasion(
        "lunar-new-year",
        "Lunar New Year",
        "The first day of the lunar year (Chinese New Year, the Spring Festival): family, food, red envelopes.",
        Kind.DAY,
        _CHINESE + " Seollal and Tết are the same day in most years; they have their own entries.",
        1901,
        2100,
        _lunar(_chinese.lunar_new_year_date),
    ),
    Occasion(
        "seollal",
        "Seollal (Korean New Year)",
        "Korean Lunar New Year: ancestral rites, tteokguk, bowing to elders; a three-day holiday in Korea.",
        Kind.DAY,
        "The Korean calendar (Korea's time, UTC+9), as KASI publishes it; one day after Chinese New Year in "
        "some years (2027: 7 February against 6 February). 1901–2100.",
        1901,
        2100,
        _lunar(_chinese.lunar_new_year_date, KOREAN_CALENDAR),
        family="lunar-new-year",
    ),
    Occasion(
        "tet",
        "Tết Nguyên Đán (Vietnamese New Year)",
        "Vietnamese Lunar New Year: ancestors, bánh chưng, lucky money, the first visitor of the year.",
        Kind.DAY,
        "The Vietnamese calendar (Vietnam's time, UTC+7), which parts from China's in some years: a day "
        "earlier in 2007 and 2030, a month earlier in 1985. 1901–2100.",
        1901,
        2100,
        _lunar(_chinese.lunar_new_year_date, VIETNAMESE_CALENDAR),
        family="lunar-new-year",
    ),
    Occasion(
        "lantern-festival",
        "Lantern Festival",
        "The first full moon of the lunar year closes the New Year season: lanterns, riddles, tangyuan "
        "(Korea's Daeboreum and Vietnam's Tết Nguyên Tiêu, usually the same night).",
        Kind.DAY,
        "The 15th day of the 1st month of the Chinese calendar; 1901–2100.",
        1901,
        2100,
        _lantern_festival,
    ),
    Occasion(
        "qingming",
        "Qingming (Tomb-Sweeping Day)",
        "A day to tend family graves and remember those who came before, at the start of spring.",
        Kind.DAY,
        "The solar term when the sun reaches 15° longitude, in China's time: 4 or 5 April. 1901–2099.",
        1901,
        2099,
        lambda year: _day(_chinese.qingming_date(year)[0]),
    ),
    Occasion(
        "dragon-boat",
        "Dragon Boat Festival",
        "Duanwu (Tuen Ng, Dano, Tết Đoan Ngọ): dragon-boat races, zongzi, and the story of Qu Yuan.",
        Kind.DAY,
        "The 5th day of the 5th month of the Chinese calendar; 1901–2100.",
        1901,
        2100,
        _lunar(_chinese.dragon_boat_date),
    ),
    Occasion(
        "obon",
        "Obon",
        "The Japanese season for welcoming ancestors home: lanterns, bon odori dances, family visits.",
        Kind.MULTI_DAY,
        "13–16 August, as most of Japan keeps it. Tokyo and some other places keep 13–16 July, and Okinawa "
        "follows the lunar calendar.",
        1901,
        2100,
        _fixed(8, 13, length=4),
    ),
    Occasion(
        "mid-autumn",
        "Mid-Autumn Festival · Tết Trung Thu",
        "The harvest full moon: mooncakes, lanterns, and time with family (for children, in Vietnam).",
        Kind.DAY,
        "The 15th day of the 8th month of the Chinese calendar; 1901–2100. Vietnam's calendar nearly always "
        "agrees; the library does not mark the rare years it might not.",
        1901,
        2100,
        _lunar(_chinese.mid_autumn_date),
    ),
    Occasion(
        "chuseok",
        "Chuseok",
        "Korean harvest festival: ancestral rites, songpyeon, going home; the day before and after are holidays.",
        Kind.DAY,
        "The 15th day of the 8th month of the Korean calendar (KASI); 1901–2100.",
        1901,
        2100,
        _lunar(_chinese.mid_autumn_date, KOREAN_CALENDAR),
        family="mid-autumn",
    ),
    Occasion(
        "diwali",
        "Diwali",
        "The festival of lights: diyas, rangoli, sweets and family, over five days around the new moon.",
        Kind.DAY,
        "The day India keeps as its Diwali holiday (Lakshmi Puja), from tables for 2001–2035 only: Hindu "
        "dates depend on local sunrise and sunset, and no library computes them. Some places keep it a day "
        "later or earlier.",
        2001,
        2035,
        lambda year: _day(_hindu.diwali_india_date(year)[0]),
    ),
    Occasion(
        "holi",
        "Holi",
        "The festival of colours at the end of winter, the morning after the Holika bonfire.",
        Kind.DAY,
        "The day India keeps as its Holi holiday, from tables for 2001–2035 only (see Diwali). Some states "
        "keep it a day earlier.",
        2001,
        2035,
        lambda year: _day(_hindu.holi_date(year)[0]),
    ),
    Occasion(
        "vesak",
        "Vesak",
        "Buddhists remember the Buddha's birth, awakening and passing: temples, lanterns, acts of kindness.",
        Kind.DAY,
        "Vesak Day as Singapore keeps it (the full moon of the month Vesākha); 1901–2100. Sri Lanka and "
        "Malaysia sometimes keep it a month earlier, and Korea, Japan and China mark the Buddha's birthday "
        "on other days.",
        1901,
        2100,
        lambda year: _day(_buddhist.vesak_date(year)[0]),
    ),
    Occasion(
        "songkran",
        "Songkran",
        "Thai New Year: water, pouring scented water over elders' hands, merit at the temple.",
        Kind.MULTI_DAY,
        "13–15 April, Thailand's fixed dates (Laos, Cambodia and Myanmar keep their New Years around them).",
        1901,
        2100,
        _fixed(4, 13, length=3),
    ),
    Occasion(
        "eid-al-fitr",
        "Eid al-Fitr",
        "The end of Ramadan: prayers, new clothes, visits, and food shared with neighbours.",
        Kind.DAY,
        "1 Shawwal in the Umm al-Qura calendar (Saudi Arabia's), 1925–2077. Where the new moon is sighted "
        "locally (Indonesia, Malaysia, Pakistan, many mosques abroad) it can be a day later.",
        1925,
        2077,
        _eid_al_fitr,
    ),
    Occasion(
        "nowruz",
        "Nowruz",
        "Persian New Year at the spring equinox, kept from Iran and Afghanistan to Central Asia.",
        Kind.DAY,
        "1 Farvardin of the Iranian calendar: the day of the March equinox in Tehran's time (the next day "
        "if it falls after noon), 20 or 21 March; 1901–2100.",
        1901,
        2100,
        lambda year: _day(_persian.new_year_date(year)),
    ),
    Occasion(
        "loving-day",
        "Loving Day",
        "The anniversary of Loving v. Virginia (1967), which struck down US bans on interracial marriage.",
        Kind.DAY,
        "12 June, every year since the ruling.",
        1967,
        2100,
        _fixed(6, 12),
    ),
    Occasion(
        "aanhpi-heritage-month",
        "Asian American, Native Hawaiian and Pacific Islander Heritage Month (US)",
        "A month to honour the histories and contributions of Asian American and Pacific Islander communities.",
        Kind.MONTH,
        "May, in the United States (a month since 1990, set in law in 1992).",
        1990,
        2100,
        _month(5),
    ),
    Occasion(
        "asian-heritage-month-canada",
        "Asian Heritage Month (Canada)",
        "Canada's month for the stories of people of Asian heritage who have shaped it.",
        Kind.MONTH,
        "May, in Canada (declared by the Government of Canada in 2002).",
        2002,
        2100,
        _month(5),
    ),
    Occasion(
        "south-asian-heritage-month",
        "South Asian Heritage Month (UK)",
        "A month to explore South Asian histories and their ties to Britain.",
        Kind.MONTH,
        "In the UK since 2020: 18 July to 17 August until 2025 (from the Indian Independence Act's royal assent "
        "to the publication of the Radcliffe Line), 1–31 July from 2026.",
        2020,
        2100,
        _south_asian_heritage_month,
    ),
    Occasion(
        "esea-heritage-month",
        "East and South East Asian Heritage Month (UK)",
        "A month for the cultures and histories of East and South East Asian people in Britain.",
        Kind.MONTH,
        "September, in the UK since 2021.",
        2021,
        2100,
        _month(9),
    ),
    Occasion(
        "filipino-american-history-month",
        "Filipino American History Month (US)",
        "October, marking the first recorded landing of Filipinos in what is now California, in 1587.",
        Kind.MONTH,
        "October, in the United States: kept since 1992 and recognised by Congress in 2009.",
        1992,
        2100,
        _month(10),
    ),
)


@cache
def _by_key() -> dict[str, Occasion]:
    return {occasion.key: occasion for occasion in OCCASIONS}


@cache
def _position() -> dict[str, int]:
    return {occasion.key: index for index, occasion in enumerate(OCCASIONS)}


def get(key: str) -> Occasion:
    """The occasion with this key, or UnknownOccasion."""
    try:
        return _by_key()[key.strip().casefold()]
    except KeyError:
        raise UnknownOccasion(key) from None


def _chosen(keys: Iterable[str] | None) -> tuple[Occasion, ...]:
    return OCCASIONS if keys is None else tuple(dict.fromkeys(get(key) for key in keys))


def upcoming(today: date, keys: Iterable[str] | None = None, days_ahead: int = 30) -> list[tuple[Occasion, date]]:
    """Occasions starting from `today` to `days_ahead` days later (both included), soonest first.

    `keys` limits it to those occasions (None: all). Occasions already under way today are not listed again;
    `observed_on` has them. Ties keep the order of OCCASIONS.
    """
    if not 0 <= days_ahead <= MAX_DAYS_AHEAD:
        raise ValueError(f"days_ahead must be between 0 and {MAX_DAYS_AHEAD}, got {days_ahead}")
    chosen = _chosen(keys)
    last = today + timedelta(days=days_ahead)
    found: list[tuple[int, Occasion, date]] = []
    for occasion in chosen:
        index = _position()[occasion.key]
        for year in range(today.year, last.year + 1):
            found.extend((index, occasion, day) for day in occasion.dates(year) if today <= day <= last)
    found.sort(key=lambda item: (item[2], item[0]))
    return [(occasion, day) for _, occasion, day in found]


def on_day(day: date, keys: Iterable[str] | None = None) -> list[Occasion]:
    """Occasions that start on `day`: what a schedule posts that morning."""
    return [occasion for occasion in _chosen(keys) if day in occasion.dates(day.year)]


def observed_on(day: date, keys: Iterable[str] | None = None) -> list[tuple[Occasion, Span]]:
    """Occasions under way on `day` (Obon's third day, any day of a heritage month), with their spans."""
    found: list[tuple[Occasion, Span]] = []
    for occasion in _chosen(keys):
        # A span that started last year can still be running (none do today; this keeps it true if one is added).
        for year in (day.year - 1, day.year):
            found.extend((occasion, span) for span in occasion.spans(year) if day in span)
    return found
