"""The peer-circle solver's inputs and outputs, and the plain words for who was left out. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MIN_SIZE = 3
MAX_SIZE = 6


@dataclass(frozen=True, slots=True)
class Weights:
    """Points a pair of circle-mates earns: `together` for any pair, plus per theme and per heritage
    both listed. A circle's points are the sum over its pairs (docs/circles.md)."""

    theme: int = 3
    heritage: int = 2
    together: int = 1


@dataclass(frozen=True, slots=True)
class CircleMember:
    id: int
    themes: frozenset[str]  # theme keys
    heritages: frozenset[str] = frozenset()  # normalised heritage tags
    size: int = MAX_SIZE  # the largest circle this member wants (3-6); their circle is never larger
    utc_offset_minutes: int = 0  # at the round's time (the cog converts the IANA name, DST-aware)
    window_hours: int | None = None  # largest time difference this member accepts; None: any


@dataclass(frozen=True, slots=True)
class CircleInstance:
    members: tuple[CircleMember, ...]
    blocks: tuple[tuple[int, int], ...] = ()  # either member blocked the other: never together
    past_circles: tuple[frozenset[int], ...] = ()  # two members who shared one are never together again
    max_size: int = MAX_SIZE  # the moderator's bound (3-6), on top of every member's own size
    weights: Weights = Weights()
    seed: int = 0  # neighbourhood order of the local search, and CP-SAT's random seed


class LeftOutReason(StrEnum):
    NO_ONE_IN_WINDOW = "no_one_in_window"
    TOO_FEW_TO_GROUP = "too_few_to_group"
    NO_THREE_TOGETHER = "no_three_together"
    CIRCLES_FULL = "circles_full"


REASON_TEXT = {
    LeftOutReason.NO_ONE_IN_WINDOW: "Nobody else in the pool is within your timezone window this round.",
    LeftOutReason.TOO_FEW_TO_GROUP: (
        "I couldn't find two members within your timezone window who could form a circle with you this round."
    ),
    LeftOutReason.NO_THREE_TOGETHER: (
        "The members within your timezone window are too far apart in time from each other to form a "
        "circle of three with you."
    ),
    LeftOutReason.CIRCLES_FULL: (
        "Every circle I could form this round filled up before a place fitted you; you stay in the pool "
        "for the next round."
    ),
}


@dataclass(frozen=True, slots=True)
class LeftOut:
    member_id: int
    reason: LeftOutReason

    @property
    def text(self) -> str:
        """A plain sentence for the member; it never names or hints at anyone else."""
        return REASON_TEXT[self.reason]


@dataclass(frozen=True, slots=True)
class Circle:
    members: tuple[int, ...]  # ids, sorted
    points: int  # the sum of its pairs' points
    shared_themes: tuple[str, ...]  # listed by every member, sorted
    shared_heritages: tuple[str, ...]
    starter_themes: tuple[str, ...]  # listed by at least two members, most members first (for starters)
    starter_heritages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CircleResult:
    circles: tuple[Circle, ...]  # sorted by their smallest member id
    left_out: tuple[LeftOut, ...]  # sorted by member id
    placed: int  # members in a circle
    placed_bound: int  # no grouping places more members
    points: int  # the objective: the sum of the circles' points (after placing as many as possible)
    bound: int  # no grouping that places at least `placed` members scores more points
    proven_optimal: bool  # placed == placed_bound and points == bound
    stats: dict[str, float] = field(default_factory=dict)  # timings and sizes, for the benchmark

    @property
    def gap(self) -> float:
        """How far the points are below the bound, as a fraction of the bound (0 when proven optimal)."""
        return (self.bound - self.points) / self.bound if self.bound > 0 else 0.0
