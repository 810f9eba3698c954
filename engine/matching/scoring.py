"""One pair's score, hard rules and reason, in plain Python: the reference the vectorised scoring
(`block_scoring`) and a round's pairs (`pairs`) must agree with. Also the point formulas and the parts and
reason of what a pair shares (`score_parts`, `memo_reason`), which `pairs` uses too, and the round's UTC
offsets (DST-aware)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from core import timezones
from engine.matching.model import MenteeProfile, MentorProfile, Pair, ScoreParts, Weights
from engine.matching.reasons import reason_text

DAY_MINUTES = 1440
HALF_DAY_MINUTES = 720


def fraction_points(weight: int, shared: int, total: int) -> int:
    """`weight` scaled by shared/total, rounded half up, in integers (0 when total is 0)."""
    if total <= 0:
        return 0
    return (2 * weight * shared + total) // (2 * total)


def timezone_points(weight: int, gap_minutes: int) -> int:
    """Full `weight` at 0 minutes apart, falling linearly to 0 at 12 hours, rounded half up."""
    closeness = max(0, HALF_DAY_MINUTES - gap_minutes)
    return (2 * weight * closeness + HALF_DAY_MINUTES) // (2 * HALF_DAY_MINUTES)


def circular_gap(a_minutes: int, b_minutes: int) -> int:
    """Minutes between two UTC offsets on the 24-hour clock (at most 12 hours)."""
    gap = abs(a_minutes - b_minutes) % DAY_MINUTES
    return min(gap, DAY_MINUTES - gap)


def score_pair(
    mentee: MenteeProfile,
    mentor: MentorProfile,
    *,
    at: datetime,
    weights: Weights = Weights(),  # noqa: B008 (frozen: one shared default is safe)
    theme_labels: dict[str, str] | None = None,
) -> Pair | None:
    """The pair's score and reason, or None when a hard rule forbids it (ignores exclusions and
    capacity, which `match` applies). `at` is the round's time, for DST-aware offsets."""
    check_round(at, weights)
    return scored_pair(
        mentee,
        mentor,
        offset_minutes(mentee.timezone, at),
        offset_minutes(mentor.timezone, at),
        weights,
        theme_labels,
    )


def check_round(at: datetime, weights: Weights) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the round time `at` must be timezone-aware")
    if min(weights.theme, weights.heritage, weights.language, weights.timezone) < 0:
        raise ValueError(f"weights must not be negative: {weights}")


@lru_cache(maxsize=4096)
def offset_minutes(timezone: str, at: datetime) -> int:
    """The UTC offset of `timezone` at the instant `at`, in whole minutes (DST-aware)."""
    zone = timezones.zone(timezone)  # an IANA name or a stored fixed offset; ValueError if neither
    offset = at.astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def window_minutes(mentee: MenteeProfile) -> int:
    if mentee.max_timezone_gap_hours is None:
        return DAY_MINUTES
    return max(0, min(mentee.max_timezone_gap_hours * 60, DAY_MINUTES))


def wants_similar(mentee: MenteeProfile) -> bool:
    return mentee.heritage_preference == "similar" and bool(mentee.heritages)


def scored_pair(
    mentee: MenteeProfile,
    mentor: MentorProfile,
    mentee_offset: int,
    mentor_offset: int,
    weights: Weights,
    theme_labels: dict[str, str] | None,
    reasons: dict[tuple[object, ...], str] | None = None,
) -> Pair | None:
    """The pair's score and reason (None when a hard rule forbids it), read off the profiles' tag sets: the plain
    reading that `pairs.chosen_pairs` (a round's pairs, from the encoded bit words) is tested against. `reasons`
    memoises reason lines."""
    if mentee.id == mentor.id:
        return None
    themes = mentee.themes & (mentor.themes - mentor.not_covered)
    if not themes:
        return None
    gap = circular_gap(mentee_offset, mentor_offset)
    if gap > window_minutes(mentee):
        return None
    heritages = tuple(sorted(mentee.heritages & mentor.heritages))
    themes_shown, languages = tuple(sorted(themes)), tuple(sorted(mentee.languages & mentor.languages))
    counts = (len(mentee.themes), len(mentee.heritages) if wants_similar(mentee) else None, len(mentee.languages))
    parts = score_parts(len(themes_shown), len(heritages), len(languages), gap, counts, weights)
    reason = memo_reason(themes_shown, heritages, languages, gap, theme_labels, reasons)
    score = parts.theme + parts.heritage + parts.language + parts.timezone
    return Pair(mentor.id, mentee.id, score, parts, themes_shown, languages, heritages, gap / 60, reason)


def score_parts(
    themes: int, heritages: int, languages: int, gap: int, counts: tuple[int, int | None, int], weights: Weights
) -> ScoreParts:
    """The four parts from what a pair shares (how many themes, heritages, languages; the gap in minutes) and
    the mentee's `counts`: themes wanted, heritages listed (None unless they want similar heritage: then every
    mentor gets the full weight), languages listed."""
    wanted, listed, spoken = counts
    heritage = weights.heritage if listed is None else fraction_points(weights.heritage, heritages, listed)
    return ScoreParts(
        fraction_points(weights.theme, themes, wanted),
        heritage,
        fraction_points(weights.language, languages, spoken),
        timezone_points(weights.timezone, gap),
    )


def memo_reason(
    themes: tuple[str, ...],
    heritages: tuple[str, ...],
    languages: tuple[str, ...],
    gap: int,
    theme_labels: dict[str, str] | None,
    reasons: dict[tuple[object, ...], str] | None,
) -> str:
    """`reason_text` for the shared tags (sorted) and the gap in minutes, memoised in `reasons` when given."""
    key = (themes, heritages, languages, gap)
    reason = reasons.get(key) if reasons is not None else None
    if reason is None:
        reason = reason_text(themes, heritages, languages, gap / 60, theme_labels)
        if reasons is not None:
            reasons[key] = reason
    return reason
