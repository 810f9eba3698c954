"""The certified optimum over a `Population`: candidate graph, then rounds of solve and price until no
eligible pair violates the duals.

The problem is a maximum-weight bipartite b-matching: mentees (capacity 1) on one side, mentors
(their remaining capacity) on the other, an edge for every eligible pair. Its linear programme

    max  sum w_ij x_ij   s.t.  sum_j x_ij <= 1 (each mentee),  sum_i x_ij <= c_j (each mentor),  x >= 0

is totally unimodular, so an integral optimum exists and the dual

    min  sum u_i + sum c_j v_j   s.t.  u_i + v_j >= w_ij (every eligible pair),  u, v >= 0

certifies it: integral x and feasible (u, v) with equal objectives are both optimal (weak duality).
We solve on a sparse candidate graph (`candidates`) as a min-cost flow by a primal-dual method (`flow`:
OR-tools max flow on the arcs of reduced cost 0, then a dual step on the minimum cut), read (u, v) off its
node potentials, check u_i + v_j >= w_ij over every eligible pair (`certify`: the first round scores every
pair, by theme group where a bound rules whole columns out; later rounds only the rows and columns whose
duals went down), add any violating pair and repair the flow from where it was, until none is left.

In a price war (`flow.price_war`: far more mentees want a place than there are places at the starting prices)
the first rounds run in coarse units (`flow.coarsen`, every cost divided by 4): each settle and pricing round
there is approximate but cheap, and finds most of the pairs the optimum needs (a coarse round that pricing's
edges `flow.flooded` scales at once, as an exact one does); when a coarse round adds fewer than COARSE_STOP x the
places, `flow.refine` goes back to the exact costs and the rounds go on exactly as before. Certification only ever
happens on exact duals. Crowded 50k x 10k: 123 phases over 8 rounds -> 77 over 9 (4 coarse); crowded 10k x 2k
39 -> 32; tie-heavy (also a war) unchanged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from engine.matching.block_scoring import build_tables
from engine.matching.candidates import build_candidates
from engine.matching.certify import price
from engine.matching.flow import (
    add_edges,
    coarse_leave,
    coarsen,
    flooded,
    network,
    price_war,
    refine,
    settle,
    settle_adaptive,
    solution,
)
from engine.matching.population import Population

COARSE_STOP = 0.1  # coarse rounds end when one adds fewer pairs than this share of the places (or after COARSE_ROUNDS)
COARSE_ROUNDS = 8


@dataclass(slots=True)
class Outcome:
    rows: np.ndarray  # matched mentee rows
    cols: np.ndarray  # their mentor columns
    scores: np.ndarray
    certified: bool
    stats: dict[str, float] = field(default_factory=dict)
    u: np.ndarray | None = None  # the LP duals of the last round (mentees, mentors), for tests
    v: np.ndarray | None = None


def optimise(pop: Population, *, most_matched: bool, per_mentee: int, per_mentor: int, max_rounds: int = 50) -> Outcome:
    """The certified optimal assignment for `pop` (see the module docstring)."""
    n, m = pop.n, pop.m
    largest = int(pop.theme_table.max(initial=0)) + max(int(pop.heritage_table.max(initial=0)), pop.heritage_any)
    largest += int(pop.language_table.max(initial=0)) + int(pop.timezone_table.max(initial=0))
    most = min(n, int(pop.capacity.sum()))
    # Integer edge weights. Best total: the score itself. Most matched: score + a bonus larger than any
    # total score difference, so one more pair always wins and the total decides among equal counts.
    bonus = largest * most + 1 if most_matched else 0

    def weigh(score: np.ndarray) -> np.ndarray:
        return score.astype(np.int64) + bonus

    started, started_cpu = time.perf_counter(), time.process_time()
    tables = build_tables(pop)
    candidates = build_candidates(pop, tables, per_mentee, per_mentor)
    rows, cols, scores, row_best = candidates.rows, candidates.cols, candidates.scores, candidates.row_best
    del candidates  # (memory: `rows`, `cols` and `scores` are replaced by longer copies each round)
    stats: dict[str, float] = {
        "mentees": n,
        "mentors": m,
        "slots": float(pop.capacity.sum()),
        "candidate_edges": rows.size,
        "bonus": bonus,
        "candidates_s": time.perf_counter() - started,
        "candidates_cpu_s": time.process_time() - started_cpu,
    }
    clocks = {"solve_s": 0.0, "solve_cpu_s": 0.0, "certify_s": 0.0, "certify_cpu_s": 0.0}
    checked = added = phases = 0
    certified = False
    checked_duals: tuple[np.ndarray, np.ndarray] | None = None
    recheck = np.zeros(0, np.int64)
    tick, tick_cpu = time.perf_counter(), time.process_time()
    net = network(n, pop.capacity, rows, cols, weigh(scores))  # timed with the first solve
    if price_war(net):  # the first rounds settle and price in coarse units (`flow.coarsen`) until few pairs are added
        coarsen(net)
    coarse_rounds = 0
    for round_number in range(1, max_rounds + 1):
        # Later settles start warm, and scaling them spoils that unless pricing's edges `flooded` the network (then
        # they scale at once, coarse ones too: crowded 50k's second coarse settle 26 -> 22 phases, 81 -> 77 in all).
        flood = round_number > 1 and flooded(net)
        if net.scale > 1:
            coarse_rounds += 1
        if net.scale == 1 or flood:
            phases += settle_adaptive(net, flood)
        else:  # a coarse round; after the first, its settle may leave a little excess (`flow.coarse_leave`)
            phases += settle(net, leave=coarse_leave(net) if round_number > 1 else 0)
        result = solution(net, pop.capacity, rows, cols, weigh(scores))
        tock, tock_cpu = time.perf_counter(), time.process_time()
        clocks["solve_s"] += tock - tick
        clocks["solve_cpu_s"] += tock_cpu - tick_cpu
        stats["rounds"] = round_number
        if net.scale == 1 and not result.dual_ok:
            break
        violations, scanned, recheck = price(pop, tables, row_best, result, bonus, checked_duals, recheck)
        checked_duals = (result.u, result.v)
        new_rows, new_cols, new_scores = violations
        clocks["certify_s"] += time.perf_counter() - tock
        clocks["certify_cpu_s"] += time.process_time() - tock_cpu
        checked += scanned
        if new_rows.size == 0 and net.scale == 1:
            certified = True
            break
        added += new_rows.size
        tick, tick_cpu = time.perf_counter(), time.process_time()
        add_edges(net, new_rows, new_cols, weigh(new_scores))
        rows = np.concatenate([rows, new_rows])
        cols = np.concatenate([cols, new_cols])
        scores = np.concatenate([scores, new_scores])
        if net.scale > 1 and (new_rows.size < COARSE_STOP * pop.capacity.sum() or coarse_rounds == COARSE_ROUNDS):
            phases += refine(net)
    stats.update(clocks, pairs_priced=checked, edges_added=added, final_edges=rows.size, phases=phases)
    stats["coarse_rounds"] = coarse_rounds
    chosen = result.matched
    return Outcome(rows[chosen], cols[chosen], scores[chosen], certified, stats, result.u, result.v)
