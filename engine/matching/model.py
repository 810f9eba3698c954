"""The matcher's types: the profiles it reads, the weights it scores with, the pairs and the result it
returns, and the objective a round maximises. The contract the mentorship cog depends on: new optional
fields with defaults may be added, nothing may be removed or renamed."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


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
