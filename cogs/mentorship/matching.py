"""The matching engine: who is proposed to whom. Pure: no discord, no database.

INTERFACE (agreed in code first; the pairing flow in cogs/mentorship/ depends on it). The types and
the signatures of `score_pair` and `match` are the contract; new optional fields with defaults may
be added, nothing may be removed or renamed.

Rules (docs/matching.md has the algorithm, its optimality proof and benchmark figures):

- Hard: a pair is never proposed when it is excluded (ever proposed or paired, or blocked; an
  exclusion (a, b) is about the two members, so it also forbids b mentoring a), when mentee and
  mentor are the same member, beyond the mentor's remaining capacity (0: none), outside the
  mentee's timezone window, or when the mentor covers none of the themes the
  mentee wants. The last rule is stricter than "not every wanted theme is in the not-covered list":
  a pair that shares no covered theme at all is not proposed either, because a proposal must have a
  reason and the theme is the heart of it.
- Timezone gap: the difference of the two UTC offsets at the round's time `at` (DST-aware, zoneinfo),
  measured round the 24-hour clock, so it is at most 12 hours (Auckland and Honolulu are 1 hour apart
  in time of day, not 23).
- Score, integer 0-100, the sum of four parts (each rounded half up):
  theme = weight x (wanted themes the mentor offers and covers) / (themes wanted);
  heritage, when the mentee prefers similar heritage = weight x (mentee's heritages the mentor shares)
  / (mentee's heritages); when the preference is "any" (or no heritage is listed) every mentor meets
  it, so the part is the full weight for every pair of that mentee. A constant per mentee never
  changes which mentor that mentee gets, and giving the full weight (rather than 0) puts an
  open-minded mentee on the same 0-100 scale as a "similar" mentee whose wish is met, so neither kind
  of mentee is favoured when mentors are scarce;
  language = weight x (mentee's languages the mentor speaks) / (mentee's languages), 0 if none listed;
  timezone = full weight at 0 hours apart, falling linearly to 0 at 12 hours.
- Assignment: exact maximum (not greedy) of the objective; ties are broken first by the other
  criterion (best total: then more pairs; most matched: then best total), then deterministically:
  inputs are sorted by id before the graph is built and the solver is deterministic, so the same
  profiles give the same pairs whatever their order.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import Literal

import numpy as np

from cogs.mentorship import matching_engine as engine
from config.content import default_themes, theme_label
from core import timezones


class Objective(StrEnum):
    """What a round maximises."""

    BEST_TOTAL = "best_total"  # the largest total score
    MOST_MATCHED = "most_matched"  # the most mentees matched, then the largest total score


@dataclass(frozen=True, slots=True)
class Weights:
    """Points each component can contribute; they add up to 100."""

    theme: int = 50
    heritage: int = 20
    language: int = 15
    timezone: int = 15


@dataclass(frozen=True, slots=True)
class MenteeProfile:
    id: int
    themes: frozenset[str]  # theme keys wanted (at least one)
    heritages: frozenset[str] = frozenset()  # normalised heritage tags
    languages: frozenset[str] = frozenset()  # normalised language tags
    timezone: str = "UTC"  # IANA name
    heritage_preference: Literal["similar", "any"] = "any"
    max_timezone_gap_hours: int | None = None  # None: any gap


@dataclass(frozen=True, slots=True)
class MentorProfile:
    id: int
    themes: frozenset[str]  # theme keys offered
    not_covered: frozenset[str] = frozenset()  # theme keys the mentor does not cover
    heritages: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    timezone: str = "UTC"
    capacity: int = 1  # remaining places this round (0 means none)


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """The integer points of each component; `total` is their sum, 0-100."""

    theme: int
    heritage: int
    language: int
    timezone: int

    @property
    def total(self) -> int:
        return self.theme + self.heritage + self.language + self.timezone


@dataclass(frozen=True, slots=True)
class Pair:
    mentor_id: int
    mentee_id: int
    score: int  # 0-100
    parts: ScoreParts
    shared_themes: tuple[str, ...]  # theme keys, sorted
    shared_languages: tuple[str, ...]
    shared_heritages: tuple[str, ...]
    timezone_gap_hours: float
    reason: str  # one line for humans, e.g. "You both listed career guidance and speak tagalog; 1 hour apart"


@dataclass(frozen=True, slots=True)
class MatchResult:
    pairs: tuple[Pair, ...]  # sorted by (mentor_id, mentee_id)
    total_score: int
    unmatched_mentees: tuple[int, ...]  # sorted
    certified_optimal: bool = True  # an optimality proof (LP duality) was checked
    stats: dict[str, float] = field(default_factory=dict)  # timings and sizes, for the benchmark


CANDIDATES_PER_MENTEE = 5  # with each mentor's top 40 and dense pricing: fewest solver rounds measured at 10k x 2k


def score_pair(
    mentee: MenteeProfile,
    mentor: MentorProfile,
    *,
    at: datetime,
    weights: Weights = Weights(),
    theme_labels: dict[str, str] | None = None,
) -> Pair | None:
    """The pair's score and reason, or None when a hard rule forbids it (ignores exclusions and
    capacity, which `match` applies). `at` is the round's time, for DST-aware offsets."""
    _check_round(at, weights)
    return _score(
        mentee,
        mentor,
        _offset_minutes(mentee.timezone, at),
        _offset_minutes(mentor.timezone, at),
        weights,
        theme_labels,
    )


def match(
    mentees: Sequence[MenteeProfile],
    mentors: Sequence[MentorProfile],
    *,
    at: datetime,
    exclusions: Iterable[tuple[int, int]] = (),  # (mentor_id, mentee_id): ever proposed/paired, or blocked
    weights: Weights = Weights(),
    objective: Objective = Objective.BEST_TOTAL,
    theme_labels: dict[str, str] | None = None,
    candidates_per_mentee: int = CANDIDATES_PER_MENTEE,
    candidates_per_mentor: int | None = None,
) -> MatchResult:
    """The optimal assignment: each mentee at most one mentor, each mentor at most `capacity`
    mentees, no hard rule broken, maximising the objective. Deterministic.

    `candidates_per_mentee` / `candidates_per_mentor` (default: 40, or 8 x the largest capacity) size
    the sparse graph solved first; they change speed, never the result, which is certified optimal over
    every eligible pair (`certified_optimal`)."""
    _check_round(at, weights)
    objective = Objective(objective)
    started, started_cpu = time.perf_counter(), time.process_time()
    mentees = sorted(mentees, key=lambda profile: profile.id)
    mentors = sorted(mentors, key=lambda profile: profile.id)
    _check_unique("mentee", [profile.id for profile in mentees])
    _check_unique("mentor", [profile.id for profile in mentors])
    open_mentors = [profile for profile in mentors if profile.capacity > 0]
    if not mentees or not open_mentors:
        return MatchResult((), 0, tuple(profile.id for profile in mentees), True, {"mentees": len(mentees)})

    profiles: tuple[MenteeProfile | MentorProfile, ...] = (*mentees, *open_mentors)
    offsets = {name: _offset_minutes(name, at) for name in {p.timezone for p in profiles}}
    population = _encode(mentees, open_mentors, offsets, exclusions, weights)
    largest_capacity = max(profile.capacity for profile in open_mentors)
    per_mentor = candidates_per_mentor if candidates_per_mentor is not None else max(40, 8 * largest_capacity)
    outcome = engine.optimise(
        population,
        most_matched=objective is Objective.MOST_MATCHED,
        per_mentee=max(1, candidates_per_mentee),
        per_mentor=max(1, per_mentor),
    )

    pairs = []
    reasons: dict[tuple[object, ...], str] = {}  # pairs often share a reason (about half at 50k x 10k)
    for row, col, expected in zip(outcome.rows.tolist(), outcome.cols.tolist(), outcome.scores.tolist(), strict=True):
        mentee, mentor = mentees[row], open_mentors[col]
        pair = _score(
            mentee, mentor, offsets[mentee.timezone], offsets[mentor.timezone], weights, theme_labels, reasons
        )
        if pair is None or pair.score != expected:  # the vectorised and scalar scores must agree
            raise RuntimeError(f"score mismatch for mentor {mentor.id} and mentee {mentee.id}")
        pairs.append(pair)
    pairs.sort(key=lambda pair: (pair.mentor_id, pair.mentee_id))
    matched = {pair.mentee_id for pair in pairs}
    stats = dict(outcome.stats)
    stats["total_s"] = time.perf_counter() - started
    stats["total_cpu_s"] = time.process_time() - started_cpu
    return MatchResult(
        pairs=tuple(pairs),
        total_score=sum(pair.score for pair in pairs),
        unmatched_mentees=tuple(profile.id for profile in mentees if profile.id not in matched),
        certified_optimal=outcome.certified,
        stats=stats,
    )


def _check_round(at: datetime, weights: Weights) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the round time `at` must be timezone-aware")
    if min(weights.theme, weights.heritage, weights.language, weights.timezone) < 0:
        raise ValueError(f"weights must not be negative: {weights}")


def _check_unique(side: str, ids: list[int]) -> None:
    repeated = sorted({a for a, b in pairwise(ids) if a == b})
    if repeated:
        raise ValueError(f"{side} ids appear more than once: {repeated[:10]}")


@lru_cache(maxsize=4096)
def _offset_minutes(timezone: str, at: datetime) -> int:
    """The UTC offset of `timezone` at the instant `at`, in whole minutes (DST-aware)."""
    zone = timezones.zone(timezone)  # an IANA name or a stored fixed offset; ValueError if neither
    offset = at.astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _window_minutes(mentee: MenteeProfile) -> int:
    if mentee.max_timezone_gap_hours is None:
        return engine.DAY_MINUTES
    return max(0, min(mentee.max_timezone_gap_hours * 60, engine.DAY_MINUTES))


def _wants_similar(mentee: MenteeProfile) -> bool:
    return mentee.heritage_preference == "similar" and bool(mentee.heritages)


def _score(
    mentee: MenteeProfile,
    mentor: MentorProfile,
    mentee_offset: int,
    mentor_offset: int,
    weights: Weights,
    theme_labels: dict[str, str] | None,
    reasons: dict[tuple[object, ...], str] | None = None,
) -> Pair | None:
    """The pair's score and reason (None when a hard rule forbids it); `reasons` memoises reason lines.
    Positional constructor calls: this runs once per proposed pair (30k at 50k x 10k)."""
    if mentee.id == mentor.id:
        return None
    themes = mentee.themes & (mentor.themes - mentor.not_covered)
    if not themes:
        return None
    gap = engine.circular_gap(mentee_offset, mentor_offset)
    if gap > _window_minutes(mentee):
        return None
    heritages = mentee.heritages & mentor.heritages
    languages = mentee.languages & mentor.languages
    fraction = engine.fraction_points
    if _wants_similar(mentee):
        heritage = fraction(weights.heritage, len(heritages), len(mentee.heritages))
    else:
        heritage = weights.heritage
    parts = ScoreParts(
        fraction(weights.theme, len(themes), len(mentee.themes)),
        heritage,
        fraction(weights.language, len(languages), len(mentee.languages)),
        engine.timezone_points(weights.timezone, gap),
    )
    shared_themes, shared_languages = tuple(sorted(themes)), tuple(sorted(languages))
    shared_heritages = tuple(sorted(heritages))
    key = (shared_themes, shared_heritages, shared_languages, gap)
    reason = reasons.get(key) if reasons is not None else None
    if reason is None:
        reason = reason_text(shared_themes, shared_heritages, shared_languages, gap / 60, theme_labels)
        if reasons is not None:
            reasons[key] = reason
    score = parts.theme + parts.heritage + parts.language + parts.timezone
    return Pair(mentor.id, mentee.id, score, parts, shared_themes, shared_languages, shared_heritages, gap / 60, reason)


def reason_text(
    themes: Sequence[str],
    heritages: Sequence[str],
    languages: Sequence[str],
    gap_hours: float,
    theme_labels: dict[str, str] | None = None,
) -> str:
    """One line for humans: "You both listed career guidance and speak Tagalog; 1 hour apart"."""
    if theme_labels:
        labels, defaults = theme_labels.get, _default_labels()
        clauses = [f"listed {_and([(labels(key) or defaults.get(key, key)).lower() for key in themes])}"]
    else:
        clauses = [_listed(tuple(themes))]
    if heritages:
        clauses.append(_clause("share {} heritage", tuple(heritages)))
    if languages:
        clauses.append(_clause("speak {}", tuple(languages)))
    plural = "" if gap_hours == 1 else "s"
    apart = f"{gap_hours:g} hour{plural} apart" if gap_hours else "no time difference"
    return f"You both {_and(clauses)}; {apart}"


@lru_cache(maxsize=4096)
def _listed(themes: tuple[str, ...]) -> str:
    """The themes clause with the default labels (memoised: a few hundred theme sets recur)."""
    defaults = _default_labels()
    return f"listed {_and([defaults.get(key, key).lower() for key in themes])}"


@lru_cache(maxsize=4096)
def _clause(template: str, tags: tuple[str, ...]) -> str:
    """A heritage or language clause, tags title-cased (memoised)."""
    return template.format(_and([tag.title() for tag in tags]))


@lru_cache(maxsize=1)
def _default_labels() -> dict[str, str]:
    """`theme_label` as a dict (it scans the theme list on every call)."""
    return {theme.key: theme_label(theme.key) for theme in default_themes()}


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _distinct_keys(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique without its first-call import of numpy.ma)."""
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys


def _encode(
    mentees: list[MenteeProfile],
    mentors: list[MentorProfile],
    offsets: dict[str, int],
    exclusions: Iterable[tuple[int, int]],
    weights: Weights,
) -> engine.Population:
    """The arrays the vectorised engine scores with. Only tags present on both sides get a bit."""
    covered = [mentor.themes - mentor.not_covered for mentor in mentors]

    def vocab(left: Iterable[frozenset[str]], right: Iterable[frozenset[str]]) -> dict[str, int]:
        common = set().union(*left) & set().union(*right)
        return {tag: bit for bit, tag in enumerate(sorted(common))}

    theme_vocab = vocab((p.themes for p in mentees), covered)
    heritage_vocab = vocab((p.heritages for p in mentees if _wants_similar(p)), (p.heritages for p in mentors))
    language_vocab = vocab((p.languages for p in mentees), (p.languages for p in mentors))

    # Forbidden (row, col) pairs, vectorised (a set of tuples took ~2 s and ~150 MB for 1M exclusions): an
    # exclusion is about the two members, whichever role each takes; nobody mentors themself.
    mentee_ids = np.array([profile.id for profile in mentees], dtype=np.int64)  # sorted
    mentor_ids = np.array([profile.id for profile in mentors], dtype=np.int64)
    given = np.array(exclusions if isinstance(exclusions, list) else list(exclusions), dtype=np.int64).reshape(-1, 2)
    first = np.concatenate([given[:, 1], given[:, 0], mentor_ids])  # mentee side of each candidate pair
    second = np.concatenate([given[:, 0], given[:, 1], mentor_ids])  # mentor side
    rows = np.minimum(np.searchsorted(mentee_ids, first), max(len(mentees) - 1, 0))
    cols = np.minimum(np.searchsorted(mentor_ids, second), max(len(mentors) - 1, 0))
    known = (mentee_ids[rows] == first) & (mentor_ids[cols] == second)
    keys = _distinct_keys(rows[known] * len(mentors) + cols[known])
    pairs = np.stack([keys // len(mentors), keys % len(mentors)], axis=1)
    excluded_ptr = np.concatenate([[0], np.cumsum(np.bincount(pairs[:, 0], minlength=len(mentees)))])

    def counts(sets: Iterable[frozenset[str]]) -> np.ndarray:
        return np.array([len(tags) for tags in sets], dtype=np.int32)

    theme_count = counts(p.themes for p in mentees)
    heritage_count = counts(p.heritages for p in mentees)
    language_count = counts(p.languages for p in mentees)
    theme_table, theme_stride = engine.fraction_table(weights.theme, int(theme_count.max()))
    heritage_table, heritage_stride = engine.fraction_table(weights.heritage, int(heritage_count.max()))
    language_table, language_stride = engine.fraction_table(weights.language, int(language_count.max()))
    closeness = engine.HALF_DAY_MINUTES - np.arange(engine.HALF_DAY_MINUTES + 1, dtype=np.int64)  # timezone_points
    timezone_table = ((2 * weights.timezone * closeness + engine.HALF_DAY_MINUTES) // engine.DAY_MINUTES).astype(
        np.int16
    )
    return engine.Population(
        themes=engine.bitsets([p.themes for p in mentees], theme_vocab),
        theme_count=theme_count,
        heritages=engine.bitsets([p.heritages for p in mentees], heritage_vocab),
        heritage_count=heritage_count,
        similar=np.array([_wants_similar(p) for p in mentees], dtype=bool),
        languages=engine.bitsets([p.languages for p in mentees], language_vocab),
        language_count=language_count,
        offsets=np.array([offsets[p.timezone] for p in mentees], dtype=np.int16),
        window=np.array([_window_minutes(p) for p in mentees], dtype=np.int16),
        mentors=engine.Side(
            themes=engine.bitsets(covered, theme_vocab),
            heritages=engine.bitsets([p.heritages for p in mentors], heritage_vocab),
            languages=engine.bitsets([p.languages for p in mentors], language_vocab),
            offsets=np.array([offsets[p.timezone] for p in mentors], dtype=np.int16),
        ),
        capacity=np.array([p.capacity for p in mentors], dtype=np.int64),
        excluded_ptr=excluded_ptr.astype(np.int64),
        excluded_cols=pairs[:, 1].copy(),
        theme_table=theme_table,
        theme_stride=theme_stride,
        heritage_table=heritage_table,
        heritage_stride=heritage_stride,
        language_table=language_table,
        language_stride=language_stride,
        timezone_table=timezone_table,
        heritage_any=weights.heritage,
        excluded_keys=pairs[:, 0] * len(mentors) + pairs[:, 1],
    )
