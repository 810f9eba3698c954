"""The mentor-mentee pair matcher: who is proposed to whom. Pure: no discord, no database.

`match` (the optimal assignment of a round) and `score_pair` (one pair's score and reason) are the entry
points; the types in `model` are the contract the pairing flow in cogs/mentorship/ depends on (new optional
fields with defaults may be added, nothing may be removed or renamed). `offset_minutes` and
`window_minutes` are the timezone rules, for explaining why a mentee went unmatched. `match` is
synchronous and CPU-bound: the cog runs it in a worker process (cogs/mentorship/matching_runner.py).

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

Modules, in the order a round uses them: `model` (types), `scoring` and `reasons` (one pair, in plain
Python), `assign` (`match`), `population` (profiles as arrays), `block_scoring` (many pairs at once),
`candidates` (the sparse graph), `solve` (the rounds), `flow` (the primal-dual min-cost flow), `certify`
(pricing: the optimality check), `pairs` (the chosen pairs with their parts and reasons).
"""

from engine.matching.assign import CANDIDATES_PER_MENTEE, match
from engine.matching.model import (
    MatchResult,
    MenteeProfile,
    MentorProfile,
    Objective,
    Pair,
    ScoreParts,
    Weights,
)
from engine.matching.reasons import reason_text
from engine.matching.scoring import DAY_MINUTES, offset_minutes, score_pair, window_minutes

__all__ = [
    "CANDIDATES_PER_MENTEE",
    "DAY_MINUTES",
    "MatchResult",
    "MenteeProfile",
    "MentorProfile",
    "Objective",
    "Pair",
    "ScoreParts",
    "Weights",
    "match",
    "offset_minutes",
    "reason_text",
    "score_pair",
    "window_minutes",
]
