"""The peer-circle solver (engine/circles): every rule holds in every circle, nobody twice, sizes
respected, left-out reasons are true, small instances are solved to the brute-force optimum, the bound
is a bound, and the same pool gives the same circles."""

from __future__ import annotations

import random
from itertools import combinations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.circles import (
    CircleInstance,
    CircleMember,
    CircleResult,
    LeftOutReason,
    Weights,
    bound,
    columns,
    form_circles,
    solver,
)
from engine.circles.prepare import circular_gap, prepare

THEMES = ["career", "identity", "culture", "support"]
HERITAGES = ["filipino", "japanese", "irish", "korean"]
OFFSETS = [-480, -300, 0, 60, 330, 480, 540, 765]  # minutes, including half and three-quarter hours
SMALL = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw: st.DrawFn, max_members: int = 12) -> CircleInstance:
    count = draw(st.integers(0, max_members))
    members = tuple(
        CircleMember(
            id=member_id,
            themes=draw(st.frozensets(st.sampled_from(THEMES), min_size=1)),
            heritages=draw(st.frozensets(st.sampled_from(HERITAGES))),
            size=draw(st.integers(3, 6)),
            utc_offset_minutes=draw(st.sampled_from(OFFSETS)),
            window_hours=draw(st.sampled_from([None, 0, 1, 3, 6, 12])),
        )
        for member_id in range(1, count + 1)
    )
    ids = st.integers(1, max(1, count))
    blocks = tuple(draw(st.lists(st.tuples(ids, ids), max_size=count)))
    past = tuple(draw(st.lists(st.frozensets(ids, min_size=min(2, count), max_size=4), max_size=2)))
    return CircleInstance(members, blocks, past, max_size=draw(st.integers(3, 6)), seed=draw(st.integers(0, 3)))


def may_meet(instance: CircleInstance, a: CircleMember, b: CircleMember) -> bool:
    """The rule, written out independently of the solver."""
    gap = int(circular_gap(a.utc_offset_minutes, b.utc_offset_minutes))  # type: ignore[arg-type]
    windows = [12 * 60 if m.window_hours is None else m.window_hours * 60 for m in (a, b)]
    if gap > min(windows) or a.id == b.id:
        return False
    if (a.id, b.id) in instance.blocks or (b.id, a.id) in instance.blocks:
        return False
    return not any(a.id in past and b.id in past for past in instance.past_circles)


def in_window(a: CircleMember, b: CircleMember) -> bool:
    gap = int(circular_gap(a.utc_offset_minutes, b.utc_offset_minutes))  # type: ignore[arg-type]
    return all(m.window_hours is None or gap <= m.window_hours * 60 for m in (a, b))


def points(instance: CircleInstance, circle: tuple[int, ...]) -> int:
    by_id = {m.id: m for m in instance.members}
    w = instance.weights
    return sum(
        w.together
        + w.theme * len(by_id[a].themes & by_id[b].themes)
        + w.heritage * len(by_id[a].heritages & by_id[b].heritages)
        for a, b in combinations(circle, 2)
    )


def check_rules(instance: CircleInstance, result: CircleResult) -> None:
    by_id = {m.id: m for m in instance.members}
    seen: list[int] = []
    for circle in result.circles:
        members = [by_id[member] for member in circle.members]
        assert 3 <= len(members) <= min(instance.max_size, *(m.size for m in members))
        for a, b in combinations(members, 2):
            assert may_meet(instance, a, b), (a.id, b.id)
        assert circle.points == points(instance, circle.members)
        assert list(circle.members) == sorted(circle.members)
        seen.extend(circle.members)
    left = [entry.member_id for entry in result.left_out]
    assert len(seen) == len(set(seen)), "nobody is in two circles"
    assert sorted(seen + left) == sorted(by_id), "everyone is either in a circle or told why not"
    assert result.placed == len(seen) <= result.placed_bound
    assert result.points == sum(circle.points for circle in result.circles)
    assert 0 <= result.points <= result.bound
    assert result.gap >= 0


@SMALL
@given(instances())
def test_every_rule_holds_in_every_circle(instance: CircleInstance) -> None:
    """Sizes 3..min(own sizes, moderator's bound), both windows, no block, no past circle-mate, nobody
    twice, everyone accounted for; the points are the pairs' points and never above the bound."""
    check_rules(instance, form_circles(instance, time_limit_s=5))


@SMALL
@given(instances())
def test_left_out_reasons_are_true(instance: CircleInstance) -> None:
    """Each left-out member's reason is a fact about the pool, and the words name nobody."""
    result = form_circles(instance, time_limit_s=5)
    by_id = {m.id: m for m in instance.members}
    for entry in result.left_out:
        member = by_id[entry.member_id]
        others = [m for m in instance.members if m.id != member.id]
        near = [m for m in others if in_window(member, m)]
        meetable = [m for m in others if may_meet(instance, member, m)]
        trio = any(may_meet(instance, a, b) for a, b in combinations(meetable, 2))
        if entry.reason is LeftOutReason.NO_ONE_IN_WINDOW:
            assert not near
        elif entry.reason is LeftOutReason.NO_THREE_TOGETHER:
            assert near and not any(in_window(a, b) for a, b in combinations(meetable, 2))
        elif entry.reason is LeftOutReason.TOO_FEW_TO_GROUP:
            assert near and not trio
        else:
            assert trio, "'circles full' only for a member who could have been in some circle"
        assert str(entry.member_id) not in entry.text


def brute_force(instance: CircleInstance) -> tuple[int, int]:
    """(most members placed, then most points) over every grouping, by exhaustive search."""
    members = sorted(instance.members, key=lambda m: m.id)
    circles = [
        combo
        for size in range(3, instance.max_size + 1)
        for combo in combinations(members, size)
        if all(size <= m.size for m in combo) and all(may_meet(instance, a, b) for a, b in combinations(combo, 2))
    ]
    best = (0, 0)

    def search(start: int, used: frozenset[int], placed: int, total: int) -> None:
        nonlocal best
        best = max(best, (placed, total))
        for index in range(start, len(circles)):
            ids = frozenset(m.id for m in circles[index])
            if not ids & used:
                search(index + 1, used | ids, placed + len(ids), total + points(instance, tuple(sorted(ids))))

    search(0, frozenset(), 0, 0)
    return best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_members=9))
def test_small_pools_reach_the_brute_force_optimum(instance: CircleInstance) -> None:
    """Up to nine members: as many placed as possible, then the most points, proven optimal."""
    result = form_circles(instance, time_limit_s=10)
    assert (result.placed, result.points) == brute_force(instance)
    assert result.proven_optimal and result.gap == 0 and result.bound == result.points


@SMALL
@given(instances(), st.randoms(use_true_random=False))
def test_the_same_pool_gives_the_same_circles(instance: CircleInstance, rng: random.Random) -> None:
    """Input order does not matter and a second run gives the same result (a seed, no clock)."""
    first = form_circles(instance, time_limit_s=10)
    shuffled = list(instance.members)
    rng.shuffle(shuffled)
    again = form_circles(
        CircleInstance(tuple(shuffled), instance.blocks, instance.past_circles, instance.max_size, seed=instance.seed),
        time_limit_s=10,
    )
    assert first.circles == again.circles and first.left_out == again.left_out
    assert (first.points, first.bound) == (again.points, again.bound)


def member(member_id: int, offset: int = 0, window: int | None = None, **kw: object) -> CircleMember:
    return CircleMember(member_id, frozenset({"career"}), utc_offset_minutes=offset, window_hours=window, **kw)  # type: ignore[arg-type]


def test_a_member_with_nobody_in_their_window_is_told_so() -> None:
    """Auckland with a 2-hour window among Londoners: left out, "nobody within your timezone window"."""
    pool = (*(member(k) for k in range(1, 5)), member(9, offset=780, window=2))
    result = form_circles(CircleInstance(pool), time_limit_s=5)
    assert [(entry.member_id, entry.reason) for entry in result.left_out] == [(9, LeftOutReason.NO_ONE_IN_WINDOW)]
    assert "timezone window" in result.left_out[0].text
    assert [circle.members for circle in result.circles] == [(1, 2, 3, 4)]


def test_blocks_and_past_circles_keep_members_apart() -> None:
    """Six members who all fit one circle: a block and a past circle split them into two trios."""
    pool = tuple(member(k) for k in range(1, 7))
    instance = CircleInstance(pool, blocks=((1, 2),), past_circles=(frozenset({3, 4}), frozenset({5, 6})))
    result = form_circles(instance, time_limit_s=5)
    check_rules(instance, result)
    assert result.placed == 6 and len(result.circles) == 2


def test_sizes_follow_the_smallest_wish_and_placing_comes_first() -> None:
    """Seven compatible members, one wanting at most three: nobody is left out for a bigger circle."""
    pool = (member(1, size=3), *(member(k) for k in range(2, 8)))
    result = form_circles(CircleInstance(pool), time_limit_s=5)
    assert result.placed == 7 and sorted(len(c.members) for c in result.circles) == [3, 4]
    assert all(len(c.members) == 3 for c in result.circles if 1 in c.members)


def test_circles_carry_their_shared_themes_and_heritages() -> None:
    """The starters: what everyone listed, and what at least two listed, most common first."""
    pool = (
        CircleMember(1, frozenset({"career", "identity"}), frozenset({"filipino"})),
        CircleMember(2, frozenset({"career", "identity"}), frozenset({"filipino", "irish"})),
        CircleMember(3, frozenset({"career", "culture"}), frozenset({"irish"})),
    )
    (circle,) = form_circles(CircleInstance(pool), time_limit_s=5).circles
    assert circle.shared_themes == ("career",) and circle.shared_heritages == ()
    assert circle.starter_themes == ("career", "identity")
    assert circle.starter_heritages == ("filipino", "irish")
    w = Weights()
    assert circle.points == 3 * w.together + w.theme * (2 + 1 + 1) + w.heritage * (1 + 0 + 1)


def test_bad_input_is_refused() -> None:
    """Repeated ids and an out-of-range size bound are errors, not silent fixes."""
    with pytest.raises(ValueError, match="more than once"):
        form_circles(CircleInstance((member(1), member(1))))
    with pytest.raises(ValueError, match="max_size"):
        form_circles(CircleInstance((member(1),), max_size=7))


def bound_checked_without_the_exact_model(instance: CircleInstance) -> tuple[CircleResult, int, int]:
    """Form circles with the exact edge model switched off; every rule holds and the bound is never below the
    brute-force optimum. The result and the optimum (members placed, points)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(solver, "EXACT_MEMBERS", 0)
        result = form_circles(instance, time_limit_s=10)
    check_rules(instance, result)
    placed, best = brute_force(instance)
    assert result.placed_bound >= placed
    if result.placed == placed:
        assert result.bound >= best
    return result, placed, best


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_members=9))
def test_the_column_generation_bound_is_a_bound(instance: CircleInstance) -> None:
    """With the exact model switched off, the linear-relaxation bound (column generation) and the local
    search still keep every rule, and the bound is never below the brute-force optimum."""
    bound_checked_without_the_exact_model(instance)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_members=9), st.lists(st.integers(-30, 30), min_size=9, max_size=9))
def test_the_branch_and_bound_pricing_finds_the_best_circle_of_each_member(
    instance: CircleInstance, shifts: list[int]
) -> None:
    """For any duals, the exact pricing's best reduced cost per smallest member equals exhaustive search
    (the bound's validity rests on it)."""
    prep = prepare(instance)
    n = len(prep.ids)
    weight = prep.weight.astype(np.int64)
    duals = np.array([100 + shifts[a] for a in range(n)], dtype=np.float64)
    priced, complete = bound._exact_pricing(prep.compat, weight, prep.cap, 100, duals, deadline=float("inf"))
    assert complete
    for anchor in range(n):
        best = 0.0
        for size in range(3, 7):
            for rest in combinations(range(anchor + 1, n), size - 1):
                circle = (anchor, *rest)
                if size > min(prep.cap[list(circle)]):
                    continue
                if not all(prep.compat[a, b] for a, b in combinations(circle, 2)):
                    continue
                value = sum(100 - duals[a] for a in circle) + sum(weight[a, b] for a, b in combinations(circle, 2))
                best = max(best, float(value))
        assert priced[anchor][0] == pytest.approx(max(best, 1e-7), abs=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_members=9))
def test_the_enumeration_lists_every_feasible_circle_once(instance: CircleInstance) -> None:
    """The enumerated circles are exactly the cliques of 3..6 whose size every member accepts."""
    prep = prepare(instance)
    n = len(prep.ids)
    rows = columns.enumerate_circles(prep.compat, prep.cap, deadline=float("inf"))
    assert rows is not None
    found = sorted(tuple(row[row < n].tolist()) for row in rows)
    expected = sorted(
        circle
        for size in range(3, 7)
        for circle in combinations(range(n), size)
        if size <= min(prep.cap[list(circle)]) and all(prep.compat[a, b] for a, b in combinations(circle, 2))
    )
    assert found == expected
    assert all(list(circle) == sorted(circle) for circle in found)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_members=10))
def test_the_enumerated_bound_is_a_bound_and_a_proven_optimum_is_the_optimum(instance: CircleInstance) -> None:
    """With the exact edge model switched off, the set-partitioning path (every feasible circle, the LP
    bound, reduced-cost fixing) keeps every rule; its bound is never below the brute-force optimum, and
    when it says optimal it is."""
    result, placed, best = bound_checked_without_the_exact_model(instance)
    if result.proven_optimal:
        assert (result.placed, result.points) == (placed, best)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_members=10), st.integers(0, 3))
def test_reduced_cost_fixing_keeps_the_bound_valid_from_any_start(instance: CircleInstance, greedy: int) -> None:
    """From a poor start (no circles, or only the greedy's first few), the enumerated path's bound still
    holds against brute force, its grouping is made of feasible circles with nobody twice, and a proven
    optimum equals brute force."""
    prep = prepare(instance)
    n = len(prep.ids)
    place_points = int(prep.star.sum()) // 2 + 1
    members = np.array([m for m in range(n) if m not in prep.reasons], dtype=np.int64)
    start = solver._greedy(prep)[:greedy]
    outcome = columns.solve_enumerated(
        prep, members, place_points, start, lambda groups: groups, deadline=float("inf"), seed=0
    )
    placed, best = brute_force(instance)
    if outcome is None:  # no feasible circle at all
        assert placed == 0
        return
    assert outcome.bound >= place_points * placed + best
    used = [m for group in outcome.groups for m in group]
    assert len(used) == len(set(used))
    for group in outcome.groups:
        assert 3 <= len(group) <= min(prep.cap[group])
        assert all(prep.compat[a, b] for a, b in combinations(group, 2))
    assert outcome.objective == sum(
        place_points * len(group) + int(prep.weight[np.ix_(group, group)].astype(np.int64).sum()) // 2
        for group in outcome.groups
    )
    if outcome.optimal:
        assert outcome.objective == place_points * placed + best


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_members=9))
def test_without_enumeration_the_column_generation_still_bounds(instance: CircleInstance) -> None:
    """When a component has too many circles to enumerate, the column generation (with its branch and
    bound pricing) takes over, and its bound still holds."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(columns, "ENUMERATE_LIMIT", 0)
        bound_checked_without_the_exact_model(instance)
