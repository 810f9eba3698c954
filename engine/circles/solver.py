"""`form_circles`: the peer-circle solver (docs/circles.md). Synchronous and pure; the cog runs it off
the event loop (a one-worker process pool, as the pair matcher does).

Pipeline: dense compatibility and pair points (`prepare`); a greedy that seeds the hardest-to-place
members first and fills each circle with the best-fitting compatible members; a repair that places
leftovers (into a circle with room, or a new trio with members spared by circles of four or more);
then, per connected component of the compatibility graph, the exact CP-SAT model (`exact`, when the
component is small enough), or every feasible circle with the LP bound and CP-SAT over the circles
reduced-cost fixing leaves (`columns`, up to LP_MEMBERS), or the column-generation bound (`bound`, when
the circles are too many to list); then, unless proven optimal, a large-neighbourhood search that
re-solves a few circles and the nearby unplaced members exactly at a time. Larger components are
re-formed in clusters and bounded by the "best circle-mates" bound (`prepare._star`).
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np

from engine.circles import exact
from engine.circles.bound import circle_bound
from engine.circles.columns import solve_enumerated
from engine.circles.model import (
    MAX_SIZE,
    MIN_SIZE,
    Circle,
    CircleInstance,
    CircleResult,
    LeftOut,
    LeftOutReason,
)
from engine.circles.prepare import Prepared, prepare

EXACT_MEMBERS = 16  # a component this small is solved by the CP-SAT edge model as a whole (~0.1 s)
EXACT_PATHS = 2_000  # and within this many transitivity constraints
LP_MEMBERS = 200  # a component this small gets its circles listed (`columns`) or the column-generation bound
CLUSTER = 100  # members re-formed at once by the column generation in a large component
CLUSTER_SHARE = 0.8  # of the time left, for that; the local search has the rest
LP_SHARE = 0.75  # of the component's share of the time limit
NEIGHBOURHOOD = 12  # members re-solved at once: CP-SAT proves such a neighbourhood in ~20 ms
SUB_LIMIT_S = 0.1  # time limit of one neighbourhood solve


def form_circles(instance: CircleInstance, time_limit_s: float = 10.0, workers: int = 1) -> CircleResult:
    """Circles of 3..6 that place as many members as possible, then maximise shared points; every
    rule holds in every circle. Deterministic for a seed when no time limit cuts a solve short."""
    started, started_cpu = time.perf_counter(), time.process_time()
    deadline = started + time_limit_s
    prep = prepare(instance)
    n = len(prep.ids)
    place_points = int(prep.star.sum()) // 2 + 1  # more than any grouping's points: placing comes first
    stats: dict[str, float] = {"members": n, "prepare_s": time.perf_counter() - started}

    groups = _greedy(prep)
    groups = _repair(prep, groups)
    stats["greedy_s"] = time.perf_counter() - started - stats["prepare_s"]

    placeable = np.ones(n, dtype=bool)
    placeable[list(prep.reasons)] = False
    components = _components(prep, placeable)
    total_bound = 0
    solved_members = 0
    by_component: dict[int, list[list[int]]] = {}
    component_of = np.full(n, -1, dtype=np.int64)
    for number, members in enumerate(components):
        component_of[members] = number
    for group in groups:
        by_component.setdefault(int(component_of[group[0]]), []).append(group)
    large: list[int] = []
    lp_rounds = 0
    circles_enumerated = 0
    for number, members in enumerate(components):
        star_bound = place_points * len(members) + int(prep.star[members].sum()) // 2
        current = by_component.get(number, [])
        share = max(0.05, (deadline - time.perf_counter()) * len(members) / max(1, n - solved_members))
        solved_members += len(members)
        if len(members) <= EXACT_MEMBERS and exact.paths(prep, members) <= EXACT_PATHS:
            solution = exact.solve(prep, members, place_points, current, share, instance.seed, workers)
            if solution.objective >= _objective(prep, current, place_points):
                by_component[number] = solution.groups
            total_bound += min(star_bound, solution.bound) if solution.bound >= 0 else star_bound
            if not solution.optimal:
                large.append(number)
            continue
        if len(members) <= LP_MEMBERS:
            enumerated = solve_enumerated(
                prep,
                members,
                place_points,
                current,
                partial(_repair, prep, pool=members),
                time.perf_counter() + share,
                instance.seed,
            )
            if enumerated is not None:
                circles_enumerated += enumerated.circles
                lp_rounds += enumerated.rounds
                if enumerated.objective > _objective(prep, current, place_points):
                    by_component[number] = enumerated.groups
                total_bound += min(star_bound, enumerated.bound)
                if not enumerated.optimal:
                    large.append(number)
                continue
        large.append(number)
        if len(members) <= LP_MEMBERS:
            lp = circle_bound(prep, members, place_points, current, time.perf_counter() + LP_SHARE * share)
            if lp is not None and lp.bound is not None:
                star_bound = min(star_bound, lp.bound)
                lp_rounds += lp.rounds
                repaired = _repair(prep, lp.groups, members)
                if _objective(prep, repaired, place_points) > _objective(prep, current, place_points):
                    by_component[number] = repaired
        total_bound += star_bound
    stats["lp_rounds"] = lp_rounds
    stats["circles_enumerated"] = circles_enumerated
    stats["exact_s"] = time.perf_counter() - started - stats["prepare_s"] - stats["greedy_s"]
    rounds = 0
    for number in large:
        if len(components[number]) > LP_MEMBERS:
            by_component[number] = _cluster_search(prep, by_component.get(number, []), place_points, deadline)
    stats["cluster_s"] = time.perf_counter() - started - stats["prepare_s"] - stats["greedy_s"] - stats["exact_s"]
    for number in large:
        improved, count = _local_search(prep, by_component.get(number, []), place_points, deadline, instance.seed)
        by_component[number] = improved
        rounds += count
    stats["neighbourhoods"] = rounds
    groups = sorted(
        (sorted(group) for part in by_component.values() for group in part), key=lambda group: int(prep.ids[group[0]])
    )
    return _result(prep, groups, place_points, total_bound, stats, started, started_cpu)


def _objective(prep: Prepared, groups: list[list[int]], place_points: int) -> int:
    return sum(place_points * len(group) + _points(prep, group) for group in groups)


def _points(prep: Prepared, group: list[int]) -> int:
    index = np.array(group)
    return int(prep.weight[np.ix_(index, index)].astype(np.int64).sum()) // 2


def _greedy(prep: Prepared) -> list[list[int]]:
    """Seeds by largest cap first (a circle of six has fifteen pairs, five threes have fifteen too but
    need fifteen members), then fewest compatible members (the hardest to place); each circle grows by
    the compatible free member with the most points towards it among those that keep its size limit,
    and only when none is left, by one that lowers it."""
    n = len(prep.ids)
    free = np.ones(n, dtype=bool)
    free[list(prep.reasons)] = False
    degree = prep.compat.sum(axis=1)
    groups: list[list[int]] = []
    for seed in np.lexsort((prep.ids, degree, -prep.cap)).tolist():
        if not free[seed]:
            continue
        group, limit = [seed], int(prep.cap[seed])
        mask = prep.compat[seed] & free
        score = prep.weight[seed].astype(np.int64)
        while len(group) < limit:
            candidates = np.flatnonzero(mask & (prep.cap >= limit))
            if len(candidates) == 0:
                candidates = np.flatnonzero(mask & (prep.cap > len(group)))
            if len(candidates) == 0:
                break
            # Most points towards the circle; among equals, the member with the fewest options.
            best = candidates[np.lexsort((degree[candidates], -score[candidates]))[0]]
            group.append(int(best))
            limit = min(limit, int(prep.cap[best]))
            mask &= prep.compat[best]
            score += prep.weight[best]
        if len(group) >= MIN_SIZE:
            groups.append(group)
            free[group] = False
    return groups


def _repair(prep: Prepared, groups: list[list[int]], pool: np.ndarray | None = None) -> list[list[int]]:
    """Places leftovers of `pool` (default: everyone): into a circle with room that accepts them, else in
    a new trio with free members or members spared by circles of four or more (those stay at three or
    more). Only members of `pool` move or join."""
    n = len(prep.ids)
    allowed = np.ones(n, dtype=bool)
    if pool is not None:
        allowed[:] = False
        allowed[pool] = True
    group_of = np.full(n, -1, dtype=np.int64)
    for number, group in enumerate(groups):
        group_of[group] = number
    degree = prep.compat.sum(axis=1)
    leftovers = [
        m for m in np.lexsort((prep.ids, degree)).tolist() if group_of[m] < 0 and allowed[m] and m not in prep.reasons
    ]
    for member in leftovers:
        if group_of[member] >= 0:
            continue
        near = np.flatnonzero(prep.compat[member] & allowed)
        best = _room_for(prep, groups, group_of, member, near)
        if best >= 0:
            groups[best].append(member)
            group_of[member] = best
            continue
        trio = _best_trio(prep, groups, group_of, member, near)
        if trio is not None:
            for other in trio:
                if group_of[other] >= 0:
                    groups[group_of[other]].remove(other)
            groups.append([member, *trio])
            group_of[[member, *trio]] = len(groups) - 1
    return [group for group in groups if group]


def _room_for(prep: Prepared, groups: list[list[int]], group_of: np.ndarray, member: int, near: np.ndarray) -> int:
    """The circle (with a member in `near`) that `member` may join, with the most points towards it
    (the lowest number among equals); -1 when none has room for them."""
    count = len(groups)
    if count == 0:
        return -1
    placed = np.flatnonzero(group_of >= 0)
    numbers = group_of[placed]
    sizes = np.bincount(numbers, minlength=count)
    compatible = np.bincount(numbers, weights=prep.compat[member, placed], minlength=count)
    gain = np.bincount(numbers, weights=prep.weight[member, placed].astype(np.float64), minlength=count)
    smallest_cap = np.full(count, MAX_SIZE + 1, dtype=np.int64)
    np.minimum.at(smallest_cap, numbers, prep.cap[placed])
    touched = np.zeros(count, dtype=bool)
    touched[group_of[near][group_of[near] >= 0]] = True
    fits = touched & (compatible == sizes) & (sizes < np.minimum(smallest_cap, int(prep.cap[member])))
    if not fits.any():
        return -1
    return int(np.argmax(np.where(fits, gain, -1.0)))


def _best_trio(
    prep: Prepared, groups: list[list[int]], group_of: np.ndarray, member: int, near: np.ndarray
) -> tuple[int, int] | None:
    """Two compatible members of `near`, free or spared by a circle of four or more (a circle of four
    spares one), for a new trio with `member`: the most points for the trio less what their circles
    lose (the first such pair in order among equals); None when there is none."""
    sizes = np.array([len(group) for group in groups] + [0], dtype=np.int64)  # index -1: free
    spare = near[(group_of[near] < 0) | (sizes[group_of[near]] > MIN_SIZE)]
    if len(spare):
        spare = spare[np.array([m not in prep.reasons for m in spare.tolist()], dtype=bool)]
    if len(spare) < 2:
        return None
    own = group_of[spare]
    loss = np.array(
        [_loss(prep, groups, int(number), a) for a, number in zip(spare.tolist(), own.tolist(), strict=True)],
        dtype=np.int64,
    )
    valid = np.triu(prep.compat[np.ix_(spare, spare)], 1)
    valid &= ~((own[:, None] == own[None, :]) & (own[:, None] >= 0) & (sizes[own][:, None] < MIN_SIZE + 2))
    if not valid.any():
        return None
    towards = prep.weight[member, spare].astype(np.int64)
    gain = towards[:, None] + towards[None, :] + prep.weight[np.ix_(spare, spare)].astype(np.int64)
    gain -= loss[:, None] + loss[None, :]
    i, j = np.unravel_index(int(np.argmax(np.where(valid, gain, np.iinfo(np.int64).min))), valid.shape)
    return int(spare[i]), int(spare[j])


def _loss(prep: Prepared, groups: list[list[int]], number: int, member: int) -> int:
    """Points a circle loses when `member` leaves it (0 for a free member)."""
    if number < 0:
        return 0
    return int(prep.weight[member, groups[number]].astype(np.int64).sum())


def _components(prep: Prepared, placeable: np.ndarray) -> list[np.ndarray]:
    """Connected components of the compatibility graph among placeable members (no circle spans two)."""
    n = len(prep.ids)
    label = np.full(n, -1, dtype=np.int64)
    components: list[np.ndarray] = []
    for start in np.flatnonzero(placeable).tolist():
        if label[start] >= 0:
            continue
        label[start] = len(components)
        frontier = np.array([start])
        members = [frontier]
        while len(frontier):
            reached = prep.compat[frontier].any(axis=0) & placeable & (label < 0)
            frontier = np.flatnonzero(reached)
            label[frontier] = len(components)
            members.append(frontier)
        components.append(np.sort(np.concatenate(members)))
    return components


def _local_search(
    prep: Prepared, groups: list[list[int]], place_points: int, deadline: float, seed: int
) -> tuple[list[list[int]], int]:
    """Large-neighbourhood search: around each anchor (unplaced placeable members first, then circles
    in a seeded order) re-solve exactly the anchor's circle and the circles (or free places) of its
    best compatible members, NEIGHBOURHOOD members in all; keep the result when it is better. Passes
    until one improves nothing, or the deadline."""
    rng = np.random.default_rng(seed)
    n = len(prep.ids)
    placeable = np.ones(n, dtype=bool)
    placeable[list(prep.reasons)] = False
    count = 0
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        group_of = _group_of(n, groups)
        in_part = group_of >= 0
        near_part = prep.compat[in_part].any(axis=0) if in_part.any() else in_part
        free = np.flatnonzero(~in_part & near_part & placeable).tolist()
        anchors = [*free, *(groups[number][0] for number in rng.permutation(len(groups)).tolist())]
        for anchor in anchors:
            if time.perf_counter() >= deadline:
                break
            subset, taken = _neighbourhood(prep, groups, group_of, anchor, placeable)
            old = [groups[number] for number in taken]
            before = _objective(prep, old, place_points)
            limit = min(SUB_LIMIT_S, deadline - time.perf_counter())
            solution = exact.solve(prep, subset, place_points, old, limit, seed)
            count += 1
            if solution.objective > before:
                improved = True
                groups = [group for number, group in enumerate(groups) if number not in taken] + solution.groups
                group_of = _group_of(n, groups)
    return groups, count


def _cluster_search(prep: Prepared, groups: list[list[int]], place_points: int, deadline: float) -> list[list[int]]:
    """Re-forms the circles of a large component CLUSTER members at a time (consecutive circles in
    order of UTC offset, then dominant theme): column generation with the greedy pricing only, its
    circles rounded and repaired; kept when better. Uses at most CLUSTER_SHARE of the time left."""
    order = sorted(
        range(len(groups)),
        key=lambda g: (
            int(np.median(prep.offsets[groups[g]])),
            int(np.argmax(prep.themes[groups[g]].sum(axis=0))) if prep.themes.shape[1] else 0,
            int(prep.ids[min(groups[g])]),
        ),
    )
    chunks: list[list[int]] = [[]]
    for number in order:
        if sum(len(groups[g]) for g in chunks[-1]) >= CLUSTER:
            chunks.append([])
        chunks[-1].append(number)
    stop = time.perf_counter() + CLUSTER_SHARE * max(0.0, deadline - time.perf_counter())
    result: list[list[int]] = []
    for position, chunk in enumerate(chunks):
        old = [groups[g] for g in chunk]
        now = time.perf_counter()
        if now >= stop:
            result.extend(old)
            continue
        members = np.array(sorted(m for group in old for m in group), dtype=np.int64)
        until = now + (stop - now) / (len(chunks) - position)
        lp = circle_bound(prep, members, place_points, old, until, prove=False)
        if lp is not None:
            repaired = _repair(prep, lp.groups, members)
            if _objective(prep, repaired, place_points) > _objective(prep, old, place_points):
                old = repaired
        result.extend(old)
    return result


def _group_of(n: int, groups: list[list[int]]) -> np.ndarray:
    group_of = np.full(n, -1, dtype=np.int64)
    for number, group in enumerate(groups):
        group_of[group] = number
    return group_of


def _neighbourhood(
    prep: Prepared, groups: list[list[int]], group_of: np.ndarray, anchor: int, placeable: np.ndarray
) -> tuple[np.ndarray, list[int]]:
    """The members to re-solve around `anchor` (whole circles, or free members) and the circles taken."""
    chosen: set[int] = set()
    taken: list[int] = []
    near = np.flatnonzero(prep.compat[anchor] & placeable)
    order = near[np.argsort(-prep.weight[anchor, near], kind="stable")].tolist()
    for member in [anchor, *order]:
        if len(chosen) >= NEIGHBOURHOOD:
            break
        number = int(group_of[member])
        if number < 0:
            chosen.add(member)
        elif number not in taken:
            taken.append(number)
            chosen.update(groups[number])
    return np.array(sorted(chosen), dtype=np.int64), sorted(taken)


def _result(
    prep: Prepared,
    groups: list[list[int]],
    place_points: int,
    total_bound: int,
    stats: dict[str, float],
    started: float,
    started_cpu: float,
) -> CircleResult:
    n = len(prep.ids)
    placed = sum(len(group) for group in groups)
    points = sum(_points(prep, group) for group in groups)
    placed_bound = min(n - len(prep.reasons), total_bound // place_points) if place_points else 0
    bound = max(points, total_bound - place_points * placed)
    circles = tuple(_circle(prep, group) for group in groups)
    in_circle = np.zeros(n, dtype=bool)
    for group in groups:
        in_circle[group] = True
    left_out = tuple(
        LeftOut(int(prep.ids[m]), prep.reasons.get(m, LeftOutReason.CIRCLES_FULL))
        for m in np.flatnonzero(~in_circle).tolist()
    )
    stats["total_s"] = time.perf_counter() - started
    stats["total_cpu_s"] = time.process_time() - started_cpu
    return CircleResult(
        circles=circles,
        left_out=left_out,
        placed=placed,
        placed_bound=int(placed_bound),
        points=points,
        bound=int(bound),
        proven_optimal=placed == placed_bound and points == bound,
        stats=stats,
    )


def _circle(prep: Prepared, group: list[int]) -> Circle:
    index = np.array(sorted(group, key=lambda m: int(prep.ids[m])))

    def tags(matrix: np.ndarray, keys: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        counts = matrix[index].sum(axis=0) if len(keys) else np.zeros(0, dtype=np.int64)
        shared = tuple(keys[k] for k in np.flatnonzero(counts == len(index)).tolist())
        common = np.flatnonzero(counts >= 2)
        starters = tuple(keys[k] for k in common[np.lexsort((common, -counts[common]))].tolist())
        return shared, starters

    shared_themes, starter_themes = tags(prep.themes, prep.theme_keys)
    shared_heritages, starter_heritages = tags(prep.heritages, prep.heritage_keys)
    return Circle(
        members=tuple(int(prep.ids[m]) for m in index),
        points=_points(prep, list(index)),
        shared_themes=shared_themes,
        shared_heritages=shared_heritages,
        starter_themes=starter_themes,
        starter_heritages=starter_heritages,
    )
