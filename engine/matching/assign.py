"""`match`: the optimal assignment of mentees to mentors, from profiles to pairs with their reasons. It
encodes the profiles (`population`), solves (`solve`) and builds each chosen pair with its parts and reason
(`pairs`), checking that both scorings agree."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import pairwise

import numpy as np

from engine.matching.model import MatchResult, MenteeProfile, MentorProfile, Objective, Weights
from engine.matching.pairs import chosen_pairs
from engine.matching.population import Population, encode
from engine.matching.scoring import check_round, offset_minutes
from engine.matching.solve import optimise

CANDIDATES_PER_MENTEE = 5  # with each mentor's top 40 and dense pricing: fewest solver rounds measured at 10k x 2k
MENTOR_DEPTH = 40  # each mentor's top mentees in the graph solved first (or PER_PLACE x the largest capacity)
PER_PLACE = 8
SCARCE_RATIO, SCARCE_DEPTH = 3, 30  # from this many mentees per place, each mentor keeps SCARCE_DEPTH instead


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the round, back as it was after. A round allocates enough
    (arrays, then a `Pair` per pair) to trigger a full collection, which walks every object the process holds, the
    caller's profiles first, and finds nothing to free (the engine makes no reference cycles): one full
    collection during a 50k x 10k round, 0.12-0.14 s of CPU (docs/matching.md, "Ninth pass")."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_collection_paused()
def match(
    mentees: Sequence[MenteeProfile],
    mentors: Sequence[MentorProfile],
    *,
    at: datetime,
    exclusions: Iterable[tuple[int, int]] = (),  # (mentor_id, mentee_id): ever proposed/paired, or blocked
    weights: Weights = Weights(),  # noqa: B008 (frozen: one shared default is safe)
    objective: Objective = Objective.BEST_TOTAL,
    theme_labels: dict[str, str] | None = None,
    candidates_per_mentee: int = CANDIDATES_PER_MENTEE,
    candidates_per_mentor: int | None = None,
) -> MatchResult:
    """The optimal assignment: each mentee at most one mentor, each mentor at most `capacity`
    mentees, no hard rule broken, maximising the objective. Deterministic.

    `candidates_per_mentee` / `candidates_per_mentor` (default: `mentor_depth`) size the sparse graph
    solved first; they change speed, never the result, which is certified optimal over every eligible
    pair (`certified_optimal`)."""
    check_round(at, weights)
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
    offsets = {name: offset_minutes(name, at) for name in {p.timezone for p in profiles}}
    population = encode(mentees, open_mentors, offsets, exclusions, weights)
    per_mentor = candidates_per_mentor if candidates_per_mentor is not None else mentor_depth(population)
    outcome = optimise(
        population,
        most_matched=objective is Objective.MOST_MATCHED,
        per_mentee=max(1, candidates_per_mentee),
        per_mentor=max(1, per_mentor),
    )

    chosen = outcome.rows, outcome.cols, outcome.scores
    pairs = chosen_pairs(mentees, open_mentors, population, *chosen, weights, theme_labels)
    free = np.ones(len(mentees), dtype=bool)
    free[outcome.rows] = False
    stats = dict(outcome.stats)
    stats["total_s"] = time.perf_counter() - started
    stats["total_cpu_s"] = time.process_time() - started_cpu
    return MatchResult(
        pairs=tuple(pairs),
        total_score=sum(pair.score for pair in pairs),
        unmatched_mentees=tuple(mentees[row].id for row in np.flatnonzero(free).tolist()),
        certified_optimal=outcome.certified,
        stats=stats,
    )


def mentor_depth(population: Population) -> int:
    """How many of its top mentees each mentor brings to the graph solved first: MENTOR_DEPTH, or PER_PLACE x
    the largest capacity, or SCARCE_DEPTH when mentees outnumber places SCARCE_RATIO to one.

    Why less when places are scarce: most mentees then stay unmatched, a price war settles over ~80 primal-dual
    phases whatever the depth (crowded 50k x 10k: 77 with 40, 81 with 30), and every phase handles every tight
    arc, so a shallower graph makes each one cheaper. Crowded 50k, engine only, paired: 5.37 / 4.95 / 5.18 ->
    4.84 / 4.82 / 4.85 s CPU (two other seeds: lower in 4 of 4 pairs), crowded 10k 0.41-0.45 -> 0.36-0.44 s.
    Where places are not scarce depth matters: clustered 50k (1.7 mentees a place) took 41 -> 67 phases and
    3.7 -> 5.0 s with 30; the other shapes moved within noise (docs/matching.md, "Ninth pass")."""
    places = int(population.capacity.sum())
    scarce = population.n >= SCARCE_RATIO * places
    return max(SCARCE_DEPTH if scarce else MENTOR_DEPTH, PER_PLACE * int(population.capacity.max(initial=0)))


def _check_unique(side: str, ids: list[int]) -> None:
    repeated = sorted({a for a, b in pairwise(ids) if a == b})
    if repeated:
        raise ValueError(f"{side} ids appear more than once: {repeated[:10]}")
