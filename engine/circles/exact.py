"""The exact part of the circle solver: a clique-partitioning model in OR-tools CP-SAT.

Variables: z_ab = 1 when members a and b share a circle (only for pairs that may), p_a = 1 when a is
placed. Transitivity makes "shares a circle" an equivalence: for every path a-c-b of compatible pairs,
z_ac + z_cb - z_ab <= 1, or z_ac + z_cb <= 1 when a and b may not meet. A member's degree is its
circle's size minus one, so 2 p_a <= Σ_b z_ab <= (cap_a - 1) p_a gives every circle 3..min(cap)
members. The model has no group labels, hence no symmetry between circles, and its LP relaxation with
the triangle inequalities is tight on these instances. Objective: P x placed + Σ w_ab z_ab, with P larger
than any total of points, so placing a member always comes first (docs/circles.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from engine.circles.prepare import Prepared


@dataclass(frozen=True, slots=True)
class SubSolution:
    groups: list[list[int]]  # member indices (global)
    objective: int  # P x placed + points, over the subset
    bound: int  # CP-SAT's proven upper bound on that objective over the subset
    optimal: bool


def paths(prep: Prepared, idx: np.ndarray) -> int:
    """The number of transitivity constraints the model of `idx` needs (its size)."""
    degree = prep.compat[np.ix_(idx, idx)].sum(axis=1).astype(np.int64)
    return int((degree * (degree - 1) // 2).sum())


def solve(
    prep: Prepared,
    idx: np.ndarray,
    place_points: int,
    hint: list[list[int]],
    time_limit_s: float,
    seed: int,
    workers: int = 1,
) -> SubSolution:
    """The best partition of the members `idx` (global indices) into circles, within the time limit."""
    idx = np.sort(idx)
    m = len(idx)
    compat = prep.compat[np.ix_(idx, idx)]
    weight = prep.weight[np.ix_(idx, idx)].astype(np.int64)
    cap = prep.cap[idx]
    model = cp_model.CpModel()
    z: dict[tuple[int, int], cp_model.IntVar] = {}
    for a, b in np.argwhere(np.triu(compat, 1)).tolist():
        z[a, b] = model.new_bool_var(f"z{a}_{b}")

    def pair(a: int, b: int) -> cp_model.IntVar:
        return z[(a, b) if a < b else (b, a)]

    neighbours = [np.flatnonzero(compat[a]).tolist() for a in range(m)]
    for centre in range(m):
        near = neighbours[centre]
        for i, a in enumerate(near):
            za = pair(a, centre)
            for b in near[i + 1 :]:
                if compat[a, b]:
                    model.add(za + pair(centre, b) - pair(a, b) <= 1)
                else:
                    model.add_bool_or([za.Not(), pair(centre, b).Not()])
    placed = [model.new_bool_var(f"p{a}") for a in range(m)]
    for a in range(m):
        degree = sum(pair(a, b) for b in neighbours[a])
        model.add(degree >= 2 * placed[a])
        model.add(degree <= (int(cap[a]) - 1) * placed[a])
    model.maximize(
        place_points * sum(placed) + sum(int(weight[a, b]) * var for (a, b), var in z.items() if weight[a, b])
    )

    local = {int(member): position for position, member in enumerate(idx.tolist())}
    hinted: set[tuple[int, int]] = set()
    hinted_placed: set[int] = set()
    for group in hint:
        members = sorted(local[member] for member in group if member in local)
        hinted_placed.update(members)
        hinted.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    for key, var in z.items():
        model.add_hint(var, key in hinted)
    for a in range(m):
        model.add_hint(placed[a], a in hinted_placed)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit_s)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # no solution in time: keep the hint
        return SubSolution([list(group) for group in hint], -1, -1, False)
    parent = list(range(m))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for (a, b), var in z.items():
        if solver.value(var):
            parent[root(a)] = root(b)
    circles: dict[int, list[int]] = {}
    for a in range(m):
        if solver.value(placed[a]):
            circles.setdefault(root(a), []).append(int(idx[a]))
    groups = sorted((sorted(group) for group in circles.values()), key=lambda group: group[0])
    return SubSolution(
        groups,
        round(solver.objective_value),
        int(np.floor(solver.best_objective_bound + 1e-6)),
        status == cp_model.OPTIMAL,
    )
