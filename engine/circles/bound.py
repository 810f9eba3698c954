"""A tight bound for a small component: the linear relaxation of "choose circles, each member in at
most one", over every feasible circle, by column generation (docs/circles.md).

Master LP (GLOP): max Σ v_S x_S, Σ_{S∋a} x_S <= 1, x >= 0, v_S = P |S| + points(S), over the circles
generated so far. Pricing: the circle of largest reduced cost v_S - Σ_{a∈S} u_a, first by a greedy from
every member (cheap, many columns a round), then exactly by CP-SAT when the greedy finds none. For any
duals u >= 0 and r* >= the largest reduced cost, every grouping is worth at most
Σ u_a + max(0, r*) x (most circles), whatever the master's columns: that is the bound returned, computed
with the duals rounded down to 1/1000 so that CP-SAT prices in integers. The final master's columns
also give a grouping (CP-SAT over the columns), often better than the local search's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from engine.circles.model import MIN_SIZE
from engine.circles.prepare import Prepared

GREEDY_FIRST = 3  # first partners tried per member by the greedy pricing
MASTER_EXTRA_S = 0.2  # the integer master (CP-SAT over the columns) may run until this long past the bound's deadline


@dataclass(frozen=True, slots=True)
class LpBound:
    bound: int | None  # on P x placed + points over the members, valid for every grouping (None: not proven)
    groups: list[list[int]]  # the best grouping found over the generated circles (may be empty)
    objective: int  # its value
    rounds: int


def circle_bound(
    prep: Prepared, idx: np.ndarray, place_points: int, seeds: list[list[int]], deadline: float, prove: bool = True
) -> LpBound | None:
    """The bound (when `prove`; otherwise only the greedy pricing runs and no bound is returned) and the
    best grouping found from the generated circles. None when no bound could be proven in time."""
    idx = np.sort(idx)
    m = len(idx)
    compat = prep.compat[np.ix_(idx, idx)]
    weight = prep.weight[np.ix_(idx, idx)].astype(np.int64)
    cap = prep.cap[idx]
    local = {int(member): position for position, member in enumerate(idx.tolist())}
    columns: dict[tuple[int, ...], int] = {}

    def add(circle: list[int] | tuple[int, ...]) -> None:
        key = tuple(sorted(circle))
        if key not in columns:
            index = np.array(key)
            columns[key] = place_points * len(key) + int(weight[np.ix_(index, index)].sum()) // 2

    hint = {tuple(sorted(local[member] for member in group)) for group in seeds}
    for circle in hint:
        add(circle)
    best_bound: int | None = None
    rounds = 0
    duals = np.zeros(m)
    solution: dict[tuple[int, ...], float] = {}
    while time.perf_counter() < deadline:
        rounds += 1
        duals, solution = _master(columns, m)
        found = _greedy_pricing(compat, weight, cap, place_points, duals)
        greedy_fresh = [found_circle for found_circle in found if tuple(found_circle) not in columns]
        if greedy_fresh:
            for found_circle in greedy_fresh:
                add(found_circle)
            continue
        if not prove:
            break
        priced, complete = _exact_pricing(compat, weight, cap, place_points, duals, deadline)
        if complete:
            # Each circle is charged to its smallest member, who is in at most one: the bound adds each
            # member's best positive reduced cost to the duals.
            bound = int(np.floor(duals.sum() + sum(value for value, _ in priced) + 1e-6))
            best_bound = bound if best_bound is None else min(best_bound, bound)
        elif not priced:
            break
        exact_fresh = [best for _, best in priced if best and tuple(best) not in columns]
        if not exact_fresh:
            break
        for best in exact_fresh:
            add(best)
    if best_bound is None and prove:
        return None
    rounded = _rounded(columns, solution)
    if sum(columns[circle] for circle in rounded) > sum(columns[circle] for circle in hint):
        hint = rounded
    groups, objective = _integer_master(columns, m, hint, deadline + MASTER_EXTRA_S)
    if objective < sum(columns[circle] for circle in hint):
        groups, objective = [list(circle) for circle in hint], sum(columns[circle] for circle in hint)
    return LpBound(best_bound, [[int(idx[a]) for a in group] for group in groups], objective, rounds)


def _master(columns: dict[tuple[int, ...], int], m: int) -> tuple[np.ndarray, dict[tuple[int, ...], float]]:
    """The master LP's duals (clipped at 0) and its solution."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    rows = [solver.Constraint(0, 1) for _ in range(m)]
    objective = solver.Objective()
    variables = {}
    for circle, value in columns.items():
        var = solver.NumVar(0, 1, "")
        variables[circle] = var
        objective.SetCoefficient(var, value)
        for a in circle:
            rows[a].SetCoefficient(var, 1)
    objective.SetMaximization()
    solver.Solve()
    duals = np.maximum(0.0, np.array([row.dual_value() for row in rows]))
    return duals, {circle: var.solution_value() for circle, var in variables.items()}


def _rounded(columns: dict[tuple[int, ...], int], solution: dict[tuple[int, ...], float]) -> set[tuple[int, ...]]:
    """Circles by LP value, then points, skipping any that overlaps one already taken (the LP's
    near-integral solution, filled up with other generated circles)."""
    taken: set[tuple[int, ...]] = set()
    used: set[int] = set()
    for circle in sorted(columns, key=lambda c: (-solution.get(c, 0.0), -columns[c], c)):
        if not used.intersection(circle):
            taken.add(circle)
            used.update(circle)
    return taken


def _greedy_pricing(
    compat: np.ndarray, weight: np.ndarray, cap: np.ndarray, place_points: int, duals: np.ndarray
) -> list[list[int]]:
    """From every member and each of its GREEDY_FIRST best partners, grow the circle of best reduced
    cost greedily; keep those that price out."""
    found = []
    gain0 = place_points - duals
    for seed in range(len(cap)):
        near = np.flatnonzero(compat[seed])
        if len(near) < MIN_SIZE - 1:
            continue
        firsts = near[np.argsort(-(gain0[near] + weight[seed, near]), kind="stable")[:GREEDY_FIRST]]
        for first in firsts.tolist():
            circle, limit = [seed, first], min(int(cap[seed]), int(cap[first]))
            mask = compat[seed] & compat[first]
            gain = gain0 + weight[seed] + weight[first]
            value = gain0[seed] + gain0[first] + weight[seed, first]
            best, best_value = None, 1e-6
            while len(circle) < limit:
                candidates = np.flatnonzero(mask & (cap > len(circle)))
                if len(candidates) == 0:
                    break
                pick = int(candidates[np.argmax(gain[candidates])])
                circle.append(pick)
                value += gain[pick]
                limit = min(limit, int(cap[pick]))
                mask &= compat[pick]
                gain = gain + weight[pick]
                if value > best_value:
                    best, best_value = sorted(circle), value
            if best is not None:
                found.append(best)
    return found


def _exact_pricing(
    compat: np.ndarray, weight: np.ndarray, cap: np.ndarray, place_points: int, duals: np.ndarray, deadline: float
) -> tuple[list[tuple[float, list[int]]], bool]:
    """For each member a, the circle of largest reduced cost whose smallest member is a ((~0, []) when
    none is positive), by branch and bound, and whether every member was priced (the deadline may stop
    the pass: then no bound, only the columns found)."""
    gain0 = place_points - duals
    result: list[tuple[float, list[int]]] = []
    for anchor in range(len(cap)):
        if time.perf_counter() > deadline:
            return [entry for entry in result if entry[1]], False
        cand = np.flatnonzero(compat[anchor])
        cand = cand[cand > anchor]
        best: list[tuple[float, list[int]]] = [(1e-7, [])]
        start = weight[anchor].astype(np.float64)
        _branch(compat, weight, cap, gain0, [anchor], float(gain0[anchor]), cand, int(cap[anchor]), start, best)
        result.append(best[0])
    return result, True


def _branch(
    compat: np.ndarray,
    weight: np.ndarray,
    cap: np.ndarray,
    gain0: np.ndarray,
    circle: list[int],
    value: float,
    cand: np.ndarray,
    limit: int,
    acc: np.ndarray,
    best: list[tuple[float, list[int]]],
) -> None:
    """Depth-first over circles extending `circle` with members of `cand`. Bound: each candidate adds
    its own gain, its pairs with the circle and at most half its best pairs with the other candidates
    that could join; the best `limit - len(circle)` positive such amounts cap what is left."""
    if len(circle) >= MIN_SIZE and value > best[0][0]:
        best[0] = (value, list(circle))
    room = limit - len(circle)
    cand = cand[cap[cand] > len(circle)]
    if room <= 0 or len(cand) == 0:
        return
    marginal = gain0[cand] + acc[cand]
    if room > 1 and len(cand) > 1:
        among = weight[np.ix_(cand, cand)]
        k = min(room - 1, len(cand) - 1)
        pairs = -np.partition(-among, k - 1, axis=1)[:, :k].sum(axis=1) if k > 0 else 0
        upper = marginal + pairs / 2
    else:
        upper = marginal
    positive = np.sort(upper[upper > 0])[::-1][:room]
    if value + positive.sum() <= best[0][0]:
        return
    order = np.argsort(-upper, kind="stable")
    for position, pick in enumerate(order.tolist()):
        # A circle whose first pick here is `pick` gains at most upper[pick] plus the positive uppers of
        # later picks, which are no larger: once upper[pick] <= 0 that is at most value + upper[pick],
        # for this pick and every later one. (While the circle is under three, a pick with a negative
        # upper can still lead to the best circle, so it is not skipped for being negative alone.)
        if upper[pick] <= 0 and value + upper[pick] <= best[0][0]:
            break
        member = int(cand[pick])
        rest = cand[order[position + 1 :]]
        rest = rest[compat[member, rest]]
        new_limit = min(limit, int(cap[member]))
        circle.append(member)
        _branch(
            compat,
            weight,
            cap,
            gain0,
            circle,
            value + float(marginal[pick]),
            rest,
            new_limit,
            acc + weight[member],
            best,
        )
        circle.pop()


def _integer_master(
    columns: dict[tuple[int, ...], int], m: int, hint: set[tuple[int, ...]], deadline: float
) -> tuple[list[list[int]], int]:
    """The best grouping made of the generated circles (CP-SAT, started from the seed grouping)."""
    model = cp_model.CpModel()
    chosen = {circle: model.new_bool_var("") for circle in columns}
    for circle, var in chosen.items():
        model.add_hint(var, circle in hint)
    for a in range(m):
        model.add_at_most_one(var for circle, var in chosen.items() if a in circle)
    model.maximize(sum(value * chosen[circle] for circle, value in columns.items()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, deadline - time.perf_counter())
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [], -1
    groups = [list(circle) for circle, var in chosen.items() if solver.value(var)]
    return groups, round(solver.objective_value)
