"""Every feasible circle of a component, and the best grouping among them (docs/circles.md).

At 100 members the compatibility graph has ~65-105 thousand feasible circles (cliques of 3..6 whose
size every member accepts), listed in ~0.05-0.08 s. Over all of them:

1. **The LP bound** ("choose circles, each member in at most one", relaxed): column generation whose
   pricing is exact and vectorised (the reduced cost of every circle at once). For any duals u >= 0,
   every grouping is worth at most Σ_a u_a + Σ_a max(0, best reduced cost of a circle whose smallest
   member is a): the bound, valid at every round, equal to the LP's value once it has converged.
2. **Reduced-cost fixing**: a grouping that contains a circle of reduced cost r is worth at most
   bound + r, so a grouping better than the incumbent uses only circles with r >= incumbent - bound.
   CP-SAT solves the set packing over the circles within a window of reduced cost, started from the
   incumbent: narrow first (a few hundred circles, milliseconds), then twice as wide while each is
   solved. Once the window holds every circle a better grouping could use, CP-SAT's bound over them
   (or the incumbent) bounds every grouping, and a grouping that meets it is proven optimal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from engine.circles.model import MAX_SIZE, MIN_SIZE
from engine.circles.prepare import Prepared

ENUMERATE_LIMIT = 1_000_000  # feasible circles at most (~100 MB; beyond, the component takes the older path)
ENUMERATE_PER_SECOND = 250_000  # and at most this many per second of the time left (a quarter of it, enumerating)
PRICE_PER_ROUND = 300  # circles of best reduced cost added to the master per round (plus each member's best)
PRICE_POOL = 4_000  # each member's best is looked for among this many circles of best reduced cost
FIXED_LIMIT = 5_000  # circles at most in an integer model (beyond, building it costs more than it brings)
WARM_SHARE = 0.002  # the first integer model: circles within this share of the bound's points of reduced cost
WIDEN_TIME_SHARE = 0.75  # of the time left, at most, for each integer model but the last


@dataclass(frozen=True, slots=True)
class Enumerated:
    bound: int  # on P x placed + points over the members, valid for every grouping
    groups: list[list[int]]  # the best grouping found (global member indices)
    objective: int  # its value
    optimal: bool  # proven optimal over every grouping
    circles: int  # feasible circles enumerated
    rounds: int  # master LP solves


def enumerate_circles(compat: np.ndarray, cap: np.ndarray, deadline: float) -> np.ndarray | None:
    """Every clique of 3..6 members whose size each member accepts, as rows of member positions in
    increasing order, padded with m (the number of members). None when there are more than
    ENUMERATE_LIMIT, or than ENUMERATE_PER_SECOND per second until the deadline."""
    m = len(cap)
    most = int(min(ENUMERATE_LIMIT, ENUMERATE_PER_SECOND * max(0.0, deadline - time.perf_counter())))
    later = [sum(1 << b for b in np.flatnonzero(compat[a]).tolist() if b > a) for a in range(m)]
    caps = cap.tolist()
    pads = [(m,) * (MAX_SIZE - size) for size in range(MAX_SIZE + 1)]
    found: list[tuple[int, ...]] = []

    def grow(circle: tuple[int, ...], candidates: int, limit: int) -> bool:
        """Adds every circle that extends `circle` (already listed if it is one) by members of
        `candidates` (all adjacent to it and larger than its members) within the size `limit`."""
        size = len(circle) + 1
        while candidates:
            low = candidates & -candidates
            member = low.bit_length() - 1
            candidates ^= low
            if caps[member] < size:
                continue
            bigger = (*circle, member)
            if size >= MIN_SIZE:
                found.append(bigger + pads[size])
            further = candidates & later[member]
            if further and size < min(limit, caps[member]) and not grow(bigger, further, min(limit, caps[member])):
                return False
        return len(found) <= most

    for anchor in range(m):
        if time.perf_counter() > deadline or not grow((anchor,), later[anchor], caps[anchor]):
            return None
    return np.array(found, dtype=np.int32).reshape(-1, MAX_SIZE)


def solve_enumerated(
    prep: Prepared,
    idx: np.ndarray,
    place_points: int,
    seeds: list[list[int]],
    repair: Callable[[list[list[int]]], list[list[int]]],
    deadline: float,
    seed: int = 0,
) -> Enumerated | None:
    """The LP bound and the best grouping over every feasible circle of the members `idx` (global
    indices), starting from the grouping `seeds`; `repair` places the members an LP rounding leaves
    out (it returns feasible circles of `idx`). None when the circles are too many to enumerate, or no
    bound is reached, in time."""
    idx = np.sort(idx)
    m = len(idx)
    compat = prep.compat[np.ix_(idx, idx)]
    rows = enumerate_circles(compat, prep.cap[idx], deadline)
    if rows is None or len(rows) == 0:
        return None
    padded = np.zeros((m + 1, m + 1), dtype=np.int64)
    padded[:m, :m] = prep.weight[np.ix_(idx, idx)]
    values = place_points * (rows < m).sum(axis=1)
    for i in range(MAX_SIZE):
        for j in range(i + 1, MAX_SIZE):
            values = values + padded[rows[:, i], rows[:, j]]
    codes = _codes(rows, m)
    local = np.full(len(prep.ids), m, dtype=np.int64)
    local[idx] = np.arange(m)

    def numbers(groups: list[list[int]]) -> list[int]:
        found = [np.flatnonzero(codes == code) for code in _codes(_rows(local, groups, m), m).tolist()]
        return [int(match[0]) for match in found if len(match)]

    def members(numbers: list[int]) -> list[list[int]]:
        return [[int(idx[a]) for a in rows[number][rows[number] < m].tolist()] for number in numbers]

    incumbent = numbers(seeds)

    bound, duals, solution, rounds = _lp_bound(rows, values, m, incumbent, deadline)
    if bound is None or duals is None:
        return None
    best, best_value = incumbent, int(values[incumbent].sum())
    rounded = numbers(repair(members(_rounded(rows, values, m, solution))))
    if int(values[rounded].sum()) > best_value:
        best, best_value = rounded, int(values[rounded].sum())
    reduced = values - np.append(duals, 0.0)[rows].sum(axis=1)
    optimal = False
    # Integer models over the circles within a window of reduced cost, narrow first (solved in a few
    # milliseconds), then wider while each is solved, until the window holds every circle a better
    # grouping could use: then CP-SAT's bound over them bounds every grouping.
    window = max(1.0, WARM_SHARE * (bound % place_points))
    while time.perf_counter() < deadline:
        full = window >= bound - best_value
        keep = np.flatnonzero(reduced >= -min(window, bound - best_value) - 1e-6)
        if len(keep) > FIXED_LIMIT:
            if window > max(1.0, WARM_SHARE * (bound % place_points)):
                break
            keep, full = keep[np.argsort(-reduced[keep], kind="stable")[:FIXED_LIMIT]], False
        now = time.perf_counter()
        until = deadline if full else now + WIDEN_TIME_SHARE * (deadline - now)
        chosen, value, proven = _integer(rows, values, m, keep, best, until, seed)
        if value > best_value:
            best, best_value = chosen, value
        if full:
            bound = min(bound, max(best_value, proven))
            optimal = bound == best_value
            break
        if proven > value:  # not solved in its time: a wider model would fare no better
            break
        window *= 2
    return Enumerated(int(bound), members(best), best_value, optimal, len(rows), rounds)


def _rows(local: np.ndarray, groups: list[list[int]], m: int) -> np.ndarray:
    """Groups of global indices as padded rows of sorted local positions."""
    rows = np.full((len(groups), MAX_SIZE), m, dtype=np.int64)
    for row, group in enumerate(groups):
        rows[row, : len(group)] = np.sort(local[group])
    return rows


def _codes(rows: np.ndarray, m: int) -> np.ndarray:
    """One integer per circle (its padded row in base m + 1; < 2**63 up to 1,500 members)."""
    codes = np.zeros(len(rows), dtype=np.int64)
    for column in range(MAX_SIZE):
        codes = codes * (m + 1) + rows[:, column]
    return codes


def _rounded(rows: np.ndarray, values: np.ndarray, m: int, solution: dict[int, float]) -> list[int]:
    """Circles by LP value, then value, skipping any that overlaps one already taken; then the best
    circle of members still free, while one fits."""
    taken: list[int] = []
    used = np.zeros(m + 1, dtype=bool)
    for number in sorted(solution, key=lambda k: (-solution[k], -int(values[k]), k)):
        row = rows[number]
        if solution[number] > 1e-6 and not used[row].any():
            taken.append(number)
            used[row] = True
            used[m] = False  # the padding
    while True:
        fits = np.flatnonzero(~used[rows].any(axis=1))
        if len(fits) == 0:
            return taken
        number = int(fits[np.argmax(values[fits])])
        taken.append(number)
        used[rows[number]] = True
        used[m] = False


def _lp_bound(
    rows: np.ndarray, values: np.ndarray, m: int, start: list[int], deadline: float
) -> tuple[int | None, np.ndarray | None, dict[int, float], int]:
    """Column generation over the enumerated circles: the best bound seen (None if the deadline came
    before the first), the duals that gave it, the last master's solution and the number of master
    solves."""
    in_master = np.zeros(len(rows), dtype=bool)
    in_master[start] = True
    first = rows[:, 0]
    solver = pywraplp.Solver.CreateSolver("GLOP")
    constraints = [solver.Constraint(0, 1) for _ in range(m)]
    objective = solver.Objective()
    objective.SetMaximization()
    variables: dict[int, pywraplp.Variable] = {}

    def add(numbers: np.ndarray) -> None:
        for number in numbers.tolist():
            var = variables[number] = solver.NumVar(0, 1, "")
            objective.SetCoefficient(var, float(values[number]))
            for a in rows[number].tolist():
                if a < m:
                    constraints[a].SetCoefficient(var, 1)

    add(np.flatnonzero(in_master))
    best: int | None = None
    best_duals: np.ndarray | None = None
    solution: dict[int, float] = {}
    rounds = 0
    while time.perf_counter() < deadline:
        rounds += 1
        solver.Solve()
        solution = {number: var.solution_value() for number, var in variables.items()}
        duals = np.maximum(0.0, np.array([row.dual_value() for row in constraints]))
        reduced = values - np.append(duals, 0.0)[rows].sum(axis=1)
        per_first = np.zeros(m)
        np.maximum.at(per_first, first, reduced)
        bound = int(np.floor(duals.sum() + per_first.sum() + 1e-6))
        if best is None or bound < best:
            best, best_duals = bound, duals
        fresh = np.flatnonzero((reduced > 1e-6) & ~in_master)
        if len(fresh) == 0:
            break
        if len(fresh) > PRICE_POOL:  # only the best few thousand are sorted
            fresh = np.sort(fresh[np.argpartition(-reduced[fresh], PRICE_POOL - 1)[:PRICE_POOL]])
        order = fresh[np.argsort(-reduced[fresh], kind="stable")]
        # The best circles, and each member's best, so that every positive dual is challenged.
        members, position = np.unique(rows[order].ravel(), return_index=True)
        each = order[position[members < m] // MAX_SIZE]
        chosen = np.union1d(order[:PRICE_PER_ROUND], each)
        in_master[chosen] = True
        add(chosen)
    return best, best_duals, solution, rounds


def _integer(
    rows: np.ndarray, values: np.ndarray, m: int, keep: np.ndarray, start: list[int], deadline: float, seed: int
) -> tuple[list[int], int, int]:
    """The best grouping made of the circles `keep` (CP-SAT, started from `start`, whose circles are
    added if missing) among those that place at least as many members as `start` (any better grouping
    does, placing coming first): the circles, their value and CP-SAT's proven bound over them."""
    keep = np.union1d(keep, np.array(start, dtype=np.int64))
    placed = int((rows[start] < m).sum())
    model = cp_model.CpModel()
    chosen = [model.new_bool_var("") for _ in range(len(keep))]
    cover: list[list[cp_model.IntVar]] = [[] for _ in range(m)]
    started = set(start)
    for var, number in zip(chosen, keep.tolist(), strict=True):
        model.add_hint(var, number in started)
        for a in rows[number].tolist():
            if a < m:
                cover[a].append(var)
    if placed == m:  # everyone placed: a partition
        for members in cover:
            model.add_exactly_one(members)
    else:
        for members in cover:
            if len(members) > 1:
                model.add_at_most_one(members)
        sizes = (rows[keep] < m).sum(axis=1).tolist()
        model.add(sum(size * var for size, var in zip(sizes, chosen, strict=True)) >= placed)
    model.maximize(sum(int(values[number]) * var for var, number in zip(chosen, keep.tolist(), strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, deadline - time.perf_counter())
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.linearization_level = 2  # the set packing's LP relaxation is what closes it
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return list(start), int(values[start].sum()), int(values[keep].sum())
    picked = [number for var, number in zip(chosen, keep.tolist(), strict=True) if solver.value(var)]
    return picked, round(solver.objective_value), int(np.floor(solver.best_objective_bound + 1e-6))
