"""The matching engine: hard rules, scores, reasons, exact optimality and determinism."""

from __future__ import annotations

import dataclasses
import gc
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from cogs.mentorship.matching_runner import match_off_loop
from engine.matching import (
    MatchResult,
    MenteeProfile,
    MentorProfile,
    Objective,
    Weights,
    match,
    score_pair,
)
from engine.matching.population import encode

AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
THEMES = ["career", "identity", "culture", "support"]
HERITAGES = ["filipino", "japanese", "irish"]
LANGUAGES = ["english", "tagalog", "japanese"]
TIMEZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Auckland",
    "Pacific/Honolulu",
    "Asia/Manila",
]
DEFAULT_WEIGHTS = Weights()
SMALL = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ids = st.integers(1, 10)


def tags(pool: list[str], min_size: int = 0) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(pool), min_size=min_size)


mentee_profiles = st.builds(
    MenteeProfile,
    id=ids,
    themes=tags(THEMES, 1),
    heritages=tags(HERITAGES),
    languages=tags(LANGUAGES),
    timezone=st.sampled_from(TIMEZONES),
    heritage_preference=st.sampled_from(["similar", "any"]),
    max_timezone_gap_hours=st.sampled_from([None, 0, 2, 5, 12]),
)
mentor_profiles = st.builds(
    MentorProfile,
    id=ids,
    themes=tags(THEMES),
    not_covered=tags(THEMES),
    heritages=tags(HERITAGES),
    languages=tags(LANGUAGES),
    timezone=st.sampled_from(TIMEZONES),
    capacity=st.integers(0, 3),
)
instances = st.tuples(
    st.lists(mentee_profiles, max_size=7, unique_by=lambda p: p.id),
    st.lists(mentor_profiles, max_size=5, unique_by=lambda p: p.id),
    st.lists(st.tuples(ids, ids), max_size=6),
)


def forbidden(exclusions: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """(mentor_id, mentee_id) pairs an exclusion list rules out: it is about two members, either role."""
    return set(exclusions) | {(b, a) for a, b in exclusions}


def dense_optimum(
    mentees, mentors, exclusions, objective: Objective, weights: Weights = DEFAULT_WEIGHTS
) -> tuple[int, int]:
    """(total score, pairs) of the exact optimum: linear_sum_assignment with one column per mentor
    slot plus one "unmatched" column per mentee."""
    if not mentees:
        return 0, 0
    slots = [mentor for mentor in mentors for _ in range(max(0, mentor.capacity))]
    blocked = forbidden(exclusions)
    bonus = 100 * len(mentees) + 1 if objective is Objective.MOST_MATCHED else 0
    cost = np.zeros((len(mentees), len(slots) + len(mentees)))
    for row, mentee in enumerate(mentees):
        for col, mentor in enumerate(slots):
            pair = score_pair(mentee, mentor, at=AT, weights=weights)
            allowed = pair is not None and (mentor.id, mentee.id) not in blocked
            cost[row, col] = -(pair.score + bonus) if allowed else 1e9
    rows, cols = linear_sum_assignment(cost)
    chosen = [(r, c) for r, c in zip(rows, cols, strict=True) if c < len(slots)]
    assert all(cost[r, c] < 1e9 for r, c in chosen)
    return int(sum(-cost[r, c] - bonus for r, c in chosen)), len(chosen)


@dataclass(frozen=True)
class Shape:
    """The sizes and ranges a random instance is drawn from."""

    mentees: int
    mentors: int
    first_mentor_id: int
    themes: tuple[str, ...]
    windows: tuple[int | None, ...]  # a mentee's timezone window, in hours
    mentor_themes: int  # the most themes a mentor offers (at least one)
    not_covered: int  # the most themes a mentor doesn't cover
    mentor_languages: tuple[int, int]  # how few and how many languages a mentor speaks
    capacity: int  # the most mentees a mentor takes (at least none)
    exclusions: int


SMALL_SHAPE = Shape(40, 12, 100, tuple(THEMES), (None, 3, 6), 4, 1, (1, 2), 3, 20)
MID_SHAPE = Shape(
    300, 80, 250, (*THEMES, "money", "health", "family", "school"), (None, 2, 5, 12), 5, 2, (0, 2), 4, 150
)


def random_instance(
    rng: random.Random, shape: Shape
) -> tuple[list[MenteeProfile], list[MentorProfile], list[tuple[int, int]]]:
    """Mentees with ids 1..n, mentors with ids from `shape.first_mentor_id`, and exclusions between them."""
    mentees = [
        MenteeProfile(
            i,
            frozenset(rng.sample(shape.themes, rng.randint(1, 3))),
            frozenset(rng.sample(HERITAGES, rng.randint(0, 2))),
            frozenset(rng.sample(LANGUAGES, rng.randint(0, 2))),
            rng.choice(TIMEZONES),
            rng.choice(["similar", "any"]),
            rng.choice(shape.windows),
        )
        for i in range(1, shape.mentees + 1)
    ]
    mentors = [
        MentorProfile(
            shape.first_mentor_id + j,
            frozenset(rng.sample(shape.themes, rng.randint(1, shape.mentor_themes))),
            frozenset(rng.sample(shape.themes, rng.randint(0, shape.not_covered))),
            frozenset(rng.sample(HERITAGES, rng.randint(0, 2))),
            frozenset(rng.sample(LANGUAGES, rng.randint(*shape.mentor_languages))),
            rng.choice(TIMEZONES),
            rng.randint(0, shape.capacity),
        )
        for j in range(shape.mentors)
    ]
    last_mentor_id = shape.first_mentor_id + shape.mentors - 1
    exclusions = [
        (rng.randint(shape.first_mentor_id, last_mentor_id), rng.randint(1, shape.mentees))
        for _ in range(shape.exclusions)
    ]
    return mentees, mentors, exclusions


def assert_dense_optimum(
    mentees, mentors, exclusions, objective: Objective, weights: Weights = DEFAULT_WEIGHTS, **limits: int
) -> MatchResult:
    """match() keeps every rule and reaches the dense exact solver's total (and, for most-matched, its
    number of pairs), certified."""
    result = match(mentees, mentors, at=AT, exclusions=exclusions, objective=objective, weights=weights, **limits)
    total, pairs = dense_optimum(mentees, mentors, exclusions, objective, weights)
    check_rules(result, mentees, mentors, exclusions, weights)
    assert result.certified_optimal
    assert result.total_score == total
    if objective is Objective.MOST_MATCHED:
        assert len(result.pairs) == pairs
    return result


def check_rules(result: MatchResult, mentees, mentors, exclusions, weights: Weights = DEFAULT_WEIGHTS) -> None:
    by_mentee = {p.id: p for p in mentees}
    by_mentor = {p.id: p for p in mentors}
    blocked = forbidden(exclusions)
    assert list(result.pairs) == sorted(result.pairs, key=lambda p: (p.mentor_id, p.mentee_id))
    seen = [pair.mentee_id for pair in result.pairs]
    assert len(seen) == len(set(seen)), "a mentee is matched twice"
    for mentor in mentors:
        assert sum(pair.mentor_id == mentor.id for pair in result.pairs) <= max(0, mentor.capacity)
    for pair in result.pairs:
        mentee, mentor = by_mentee[pair.mentee_id], by_mentor[pair.mentor_id]
        assert (pair.mentor_id, pair.mentee_id) not in blocked
        assert pair.mentor_id != pair.mentee_id
        assert mentee.themes & (mentor.themes - mentor.not_covered), "no covered theme in common"
        if mentee.max_timezone_gap_hours is not None:
            assert pair.timezone_gap_hours <= mentee.max_timezone_gap_hours
        assert 0 <= pair.score <= 100
        assert pair.score == pair.parts.total
        assert pair == score_pair(mentee, mentor, at=AT, weights=weights)
    assert result.total_score == sum(pair.score for pair in result.pairs)
    assert result.unmatched_mentees == tuple(sorted(set(by_mentee) - set(seen)))


@SMALL
@given(instances, st.sampled_from(list(Objective)))
def test_no_hard_rule_is_ever_broken(instance, objective) -> None:
    """Exclusions (either role), self, capacity, timezone window and covered themes always hold."""
    mentees, mentors, exclusions = instance
    result = match(mentees, mentors, at=AT, exclusions=exclusions, objective=objective)
    check_rules(result, mentees, mentors, exclusions)
    assert result.certified_optimal


@SMALL
@given(instances, st.sampled_from(list(Objective)), st.randoms(use_true_random=False))
def test_output_is_deterministic_and_independent_of_input_order(instance, objective, rng) -> None:
    """The same profiles give the same pairs, run twice or with every input list shuffled."""
    mentees, mentors, exclusions = instance
    first = match(mentees, mentors, at=AT, exclusions=exclusions, objective=objective)
    again = match(mentees, mentors, at=AT, exclusions=exclusions, objective=objective)
    shuffled = [list(x) for x in instance]
    for items in shuffled:
        rng.shuffle(items)
    other = match(*shuffled[:2], at=AT, exclusions=shuffled[2], objective=objective)
    assert first.pairs == again.pairs == other.pairs
    assert first.unmatched_mentees == other.unmatched_mentees


@SMALL
@given(instances, st.sampled_from(list(Objective)), st.sampled_from([None, 1]))
def test_assignment_is_exactly_optimal(instance, objective, candidates) -> None:
    """The total (and for most-matched, the pair count) equals a dense exact solver's. With one candidate
    per mentee and mentor the sparse graph misses pairs, so this also exercises the dual check."""
    mentees, mentors, exclusions = instance
    limits = {} if candidates is None else {"candidates_per_mentee": 1, "candidates_per_mentor": 1}
    assert_dense_optimum(mentees, mentors, exclusions, objective, **limits)


def test_optimal_on_larger_random_instances_both_objectives() -> None:
    """40 mentees x 12 mentors, 30 seeded instances, sparse candidates: still the dense optimum."""
    rng = random.Random(4)
    for _ in range(30):
        mentees, mentors, exclusions = random_instance(rng, SMALL_SHAPE)
        for objective in Objective:
            assert_dense_optimum(
                mentees, mentors, exclusions, objective, candidates_per_mentee=2, candidates_per_mentor=2
            )


def test_greedy_by_best_score_is_beaten() -> None:
    """Greedy gives the best pair (Ana with Mika) first and strands Ben; the optimum pairs both."""
    ana = MenteeProfile(1, frozenset({"career", "identity"}), languages=frozenset({"tagalog"}))
    ben = MenteeProfile(2, frozenset({"career"}))
    mika = MentorProfile(10, frozenset({"career", "identity"}), languages=frozenset({"tagalog"}))
    noor = MentorProfile(11, frozenset({"identity"}))
    mentees, mentors = [ana, ben], [mika, noor]
    scored = [(p.score, p.mentee_id, p.mentor_id) for a in mentees for b in mentors if (p := score_pair(a, b, at=AT))]
    taken: set[int] = set()
    greedy = 0
    for score, mentee_id, mentor_id in sorted(scored, reverse=True):
        if mentee_id not in taken and mentor_id not in taken:
            taken |= {mentee_id, mentor_id}
            greedy += score
    result = match(mentees, mentors, at=AT)
    assert [(p.mentor_id, p.mentee_id) for p in result.pairs] == [(10, 2), (11, 1)]
    assert greedy == 100 and result.total_score == 85 + 60
    assert result.total_score > greedy


def test_most_matched_trades_score_for_another_pair() -> None:
    """Best total keeps the one great pair; most matched pairs two people at a lower total."""
    ana = MenteeProfile(1, frozenset({"career"}), languages=frozenset({"tagalog"}), timezone="Asia/Manila")
    ben = MenteeProfile(2, frozenset({"career", "identity", "culture", "support"}), timezone="America/New_York")
    mika = MentorProfile(10, frozenset({"career"}), languages=frozenset({"tagalog"}), timezone="Asia/Manila")
    best = match([ana, ben], [mika], at=AT)
    assert [p.mentee_id for p in best.pairs] == [1]
    noor = MentorProfile(11, frozenset({"career"}), timezone="Asia/Manila")
    both = match([ana, ben], [mika, noor], at=AT, objective=Objective.MOST_MATCHED)
    assert len(both.pairs) == 2


@pytest.mark.parametrize(
    ("when", "gap"),
    [
        (datetime(2026, 1, 15, 12, tzinfo=UTC), 5.0),  # both on standard time
        (datetime(2026, 3, 20, 12, tzinfo=UTC), 4.0),  # New York on DST since 8 March, London not until 29 March
        (datetime(2026, 4, 15, 12, tzinfo=UTC), 5.0),  # both on summer time
    ],
)
def test_timezone_gap_follows_daylight_saving_at_the_round_time(when: datetime, gap: float) -> None:
    """London and New York are 5 hours apart, except for the weeks when only the US has moved its clocks."""
    mentee = MenteeProfile(1, frozenset({"career"}), timezone="Europe/London", max_timezone_gap_hours=4)
    mentor = MentorProfile(2, frozenset({"career"}), timezone="America/New_York")
    pair = score_pair(mentee, mentor, at=when)
    if gap > 4:
        assert pair is None
        assert match([mentee], [mentor], at=when).pairs == ()
    else:
        assert pair is not None and pair.timezone_gap_hours == gap
        assert match([mentee], [mentor], at=when).pairs == (pair,)
    relaxed = MenteeProfile(1, frozenset({"career"}), timezone="Europe/London")
    assert score_pair(relaxed, mentor, at=when).timezone_gap_hours == gap


def test_timezone_gap_goes_round_the_clock() -> None:
    """Auckland (UTC+13 in March) and Honolulu (UTC-10) are 1 hour apart in time of day, not 23."""
    mentee = MenteeProfile(1, frozenset({"career"}), timezone="Pacific/Auckland", max_timezone_gap_hours=1)
    mentor = MentorProfile(2, frozenset({"career"}), timezone="Pacific/Honolulu")
    assert score_pair(mentee, mentor, at=AT).timezone_gap_hours == 1.0


def test_reason_and_parts_for_a_known_pair() -> None:
    """The reason names shared themes (by label, lower case), heritages and languages (title case) and the gap."""
    mentee = MenteeProfile(
        1,
        frozenset({"career", "identity"}),
        heritages=frozenset({"filipino", "irish"}),
        languages=frozenset({"tagalog", "english"}),
        timezone="Asia/Manila",
        heritage_preference="similar",
    )
    mentor = MentorProfile(
        2,
        frozenset({"career", "networking"}),
        heritages=frozenset({"filipino"}),
        languages=frozenset({"tagalog"}),
        timezone="Asia/Tokyo",
    )
    pair = score_pair(mentee, mentor, at=AT, theme_labels={"career": "Career Guidance"})
    assert pair.reason == "You both listed career guidance, share Filipino heritage and speak Tagalog; 1 hour apart"
    assert (pair.parts.theme, pair.parts.heritage, pair.parts.language, pair.parts.timezone) == (25, 10, 8, 14)
    assert pair.score == 57
    assert pair.shared_themes == ("career",) and pair.shared_languages == ("tagalog",)
    plain = score_pair(
        MenteeProfile(1, frozenset({"career"}), languages=frozenset({"tagalog"})),
        MentorProfile(2, frozenset({"career"}), languages=frozenset({"tagalog"}), timezone="Europe/London"),
        at=datetime(2026, 7, 1, tzinfo=UTC),
    )
    assert plain.reason == "You both listed career guidance and speak Tagalog; 1 hour apart"
    same = score_pair(MenteeProfile(1, frozenset({"identity"})), MentorProfile(2, frozenset({"identity"})), at=AT)
    assert same.reason == "You both listed identity exploration; no time difference"
    assert same.score == 100 - 15  # "any" heritage: full heritage points; no language listed: none


def test_heritage_preference_any_gives_every_mentor_the_full_component() -> None:
    """With "any", the heritage part is the same for every mentor, so it never changes who is chosen."""
    mentee = MenteeProfile(1, frozenset({"career"}), heritages=frozenset({"japanese"}), heritage_preference="any")
    for heritages in (frozenset(), frozenset({"japanese"}), frozenset({"irish"})):
        mentor = MentorProfile(2, frozenset({"career"}), heritages=heritages)
        assert score_pair(mentee, mentor, at=AT).parts.heritage == Weights().heritage
    similar = MenteeProfile(1, frozenset({"career"}), heritages=frozenset({"japanese"}), heritage_preference="similar")
    assert (
        score_pair(
            similar, MentorProfile(2, frozenset({"career"}), heritages=frozenset({"irish"})), at=AT
        ).parts.heritage
        == 0
    )


def test_themes_not_covered_and_no_shared_theme_are_never_proposed() -> None:
    """A mentor covering none of the wanted themes (offered but listed as not covered, or not offered) is ruled out."""
    mentee = MenteeProfile(1, frozenset({"career", "identity"}))
    uncovered = MentorProfile(2, frozenset({"career", "identity"}), not_covered=frozenset({"career", "identity"}))
    unrelated = MentorProfile(3, frozenset({"culture"}))
    partly = MentorProfile(4, frozenset({"career", "identity"}), not_covered=frozenset({"identity"}))
    assert score_pair(mentee, uncovered, at=AT) is None
    assert score_pair(mentee, unrelated, at=AT) is None
    assert score_pair(mentee, partly, at=AT).shared_themes == ("career",)
    assert [p.mentor_id for p in match([mentee], [uncovered, unrelated, partly], at=AT).pairs] == [4]


def test_exclusions_self_and_capacity() -> None:
    """An exclusion forbids the two members in either role; nobody mentors themself; capacity 0 takes nobody."""
    mentee = MenteeProfile(1, frozenset({"career"}))
    assert match([mentee], [MentorProfile(2, frozenset({"career"}))], at=AT, exclusions=[(2, 1)]).pairs == ()
    assert match([mentee], [MentorProfile(2, frozenset({"career"}))], at=AT, exclusions=[(1, 2)]).pairs == ()
    assert match([mentee], [MentorProfile(1, frozenset({"career"}))], at=AT).pairs == ()
    assert match([mentee], [MentorProfile(2, frozenset({"career"}), capacity=0)], at=AT).unmatched_mentees == (1,)


@given(
    st.sets(st.integers(1, 12), min_size=1),
    st.sets(st.integers(1, 12), min_size=1),
    st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14)), max_size=40),
)
@SMALL
def test_encoded_exclusions_are_every_forbidden_pair_once(
    mentee_ids: set[int], mentor_ids: set[int], exclusions: list[tuple[int, int]]
) -> None:
    """The encoded forbidden pairs are those of a plain reading: an exclusion in either order forbids the two
    members in either role, a member on both sides never meets themself, ids of nobody here are ignored, and
    each pair is listed once."""
    mentees = [MenteeProfile(i, frozenset({"career"})) for i in sorted(mentee_ids)]
    mentors = [MentorProfile(j, frozenset({"career"})) for j in sorted(mentor_ids)]
    pop = encode(mentees, mentors, {"UTC": 0}, exclusions, DEFAULT_WEIGHTS)
    row = {p.id: r for r, p in enumerate(mentees)}
    col = {p.id: c for c, p in enumerate(mentors)}
    forbidden = {(a, b) for a, b in exclusions} | {(b, a) for a, b in exclusions} | {(i, i) for i in mentee_ids}
    expected = sorted(row[a] * len(mentors) + col[b] for a, b in forbidden if a in row and b in col)
    assert pop.excluded_keys.tolist() == expected
    assert pop.excluded_ptr.tolist() == [
        sum(1 for key in expected if key // len(mentors) < r) for r in range(len(mentees) + 1)
    ]


def test_bad_input_is_refused() -> None:
    """A naive round time, repeated ids, an unknown timezone or negative weights raise ValueError."""
    mentee = MenteeProfile(1, frozenset({"career"}))
    mentor = MentorProfile(2, frozenset({"career"}))
    with pytest.raises(ValueError, match="timezone-aware"):
        match([mentee], [mentor], at=datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="more than once"):
        match([mentee, mentee], [mentor], at=AT)
    with pytest.raises(ValueError, match="unknown timezone"):
        match([MenteeProfile(1, frozenset({"career"}), timezone="Mars/Olympus")], [mentor], at=AT)
    with pytest.raises(ValueError, match="negative"):
        score_pair(mentee, mentor, at=AT, weights=Weights(theme=-1))


async def test_match_runs_in_a_process_pool_or_inline() -> None:
    """match_off_loop gives the same result in a one-worker process pool as inline."""
    mentees = [MenteeProfile(i, frozenset({"career"})) for i in range(1, 4)]
    mentors = [MentorProfile(10, frozenset({"career"}), capacity=2)]
    inline = await match_off_loop(None, mentees, mentors, at=AT, objective=Objective.MOST_MATCHED)
    with ProcessPoolExecutor(max_workers=1) as pool:
        pooled = await match_off_loop(pool, mentees, mentors, at=AT, objective=Objective.MOST_MATCHED)
    assert inline.pairs == pooled.pairs and len(inline.pairs) == 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_optimised_path_matches_the_dense_reference_on_mid_size_instances(seed: int) -> None:
    """300 mentees x 80 mentors (capacity 1-4), seeded: the table-scored, chunk-selected, densely priced
    path gives the dense exact solver's total (both objectives), certified, with every rule kept."""
    mentees, mentors, exclusions = random_instance(random.Random(seed), MID_SHAPE)
    for objective in Objective:
        for limits in ({}, {"candidates_per_mentee": 1, "candidates_per_mentor": 1}):
            assert_dense_optimum(mentees, mentors, exclusions, objective, **limits)


@pytest.mark.parametrize("seed", [4, 5])
def test_warm_started_rounds_reach_the_dense_optimum(seed: int) -> None:
    """With one candidate per mentee and per mentor, pricing adds edges over several rounds and the flow is
    repaired from the previous round's flow and potentials each time: still the dense optimum, certified."""
    mentees, mentors, exclusions = random_instance(random.Random(seed), MID_SHAPE)
    for objective in Objective:
        result = assert_dense_optimum(
            mentees, mentors, exclusions, objective, candidates_per_mentee=1, candidates_per_mentor=1
        )
        assert result.stats["rounds"] >= 3 and result.stats["edges_added"] > 0


@pytest.mark.parametrize("objective", list(Objective))
def test_certificate_duals_are_feasible_for_every_eligible_pair(objective: Objective, monkeypatch) -> None:
    """The duals the engine certifies with meet u_i + v_j >= w_ij for every eligible pair (checked here
    densely with score_pair, exclusions applied) and their objective equals the assignment's weight; the
    pricing is forced through the theme-group path, and later rounds only re-price what went down."""
    from engine.matching import certify
    from engine.matching import solve as engine
    from engine.matching.population import encode as _encode
    from engine.matching.scoring import offset_minutes as _offset_minutes

    monkeypatch.setattr(certify, "GROUPED_CELLS", 0)
    mentees, mentors, exclusions = random_instance(random.Random(6), MID_SHAPE)
    mentees = sorted(mentees, key=lambda p: p.id)
    open_mentors = sorted((p for p in mentors if p.capacity > 0), key=lambda p: p.id)
    offsets = {p.timezone: _offset_minutes(p.timezone, AT) for p in (*mentees, *open_mentors)}
    population = _encode(mentees, open_mentors, offsets, exclusions, Weights())
    outcome = engine.optimise(population, most_matched=objective is Objective.MOST_MATCHED, per_mentee=1, per_mentor=1)
    assert outcome.certified and outcome.stats["rounds"] >= 3
    assert outcome.u is not None and outcome.v is not None
    bonus = int(outcome.stats["bonus"])  # most matched: score + a bonus larger than any total difference
    blocked = forbidden(exclusions)
    for row, mentee in enumerate(mentees):
        for col, mentor in enumerate(open_mentors):
            pair = score_pair(mentee, mentor, at=AT)
            if pair is not None and (mentor.id, mentee.id) not in blocked:
                assert outcome.u[row] + outcome.v[col] >= pair.score + bonus
    weight = int(outcome.scores.sum()) + bonus * outcome.rows.size
    capacity = np.array([p.capacity for p in open_mentors])
    assert weight == int(outcome.u.sum()) + int((capacity * outcome.v).sum())
    assert (outcome.u >= 0).all() and (outcome.v >= 0).all()


def test_bitset_scoring_path_gives_the_same_optimum(monkeypatch) -> None:
    """Without group tables (a population whose tables would be too large), scoring goes pair by pair
    with bitsets, and pricing re-scores changed mentor columns that way too: same certified optimum."""
    from engine.matching import block_scoring as engine

    monkeypatch.setattr(engine, "TABLE_CELLS", 0)
    mentees, mentors, exclusions = random_instance(random.Random(7), MID_SHAPE)
    for objective in Objective:
        result = assert_dense_optimum(
            mentees, mentors, exclusions, objective, candidates_per_mentee=1, candidates_per_mentor=1
        )
        assert result.stats["rounds"] >= 2


@pytest.mark.parametrize("seed", [3, 8])
def test_pruned_mentor_pass_keeps_each_mentors_best_scores(seed: int, monkeypatch) -> None:
    """With the mentor-side pass skipping mentees out of reach (forced on a small population), every mentor
    still has its best `per_mentor` eligible scores among its candidates, and the optimum is the dense one."""
    from engine.matching import candidates
    from engine.matching.block_scoring import block_scores, build_tables
    from engine.matching.population import encode as _encode
    from engine.matching.scoring import offset_minutes as _offset_minutes

    monkeypatch.setattr(candidates, "PRUNE_MENTEES", 0)
    monkeypatch.setattr(candidates, "SCAN_CELLS", 256)  # blocks of a few mentors: their floors matter
    mentees, mentors, exclusions = random_instance(random.Random(seed), MID_SHAPE)
    mentees = sorted(mentees, key=lambda p: p.id)
    open_mentors = sorted((p for p in mentors if p.capacity > 0), key=lambda p: p.id)
    offsets = {p.timezone: _offset_minutes(p.timezone, AT) for p in (*mentees, *open_mentors)}
    population = _encode(mentees, open_mentors, offsets, exclusions, Weights())
    tables = build_tables(population)
    assert tables is not None
    per_mentor = 3
    found = candidates.build_candidates(population, tables, 1, per_mentor)
    scores = block_scores(population, tables, np.arange(population.n))
    for col in range(population.m):
        eligible = np.sort(scores[:, col][scores[:, col] >= 0])[::-1][:per_mentor]
        kept = np.sort(found.scores[found.cols == col])[::-1][: eligible.size]
        assert np.array_equal(kept, eligible)
    for objective in Objective:
        assert_dense_optimum(mentees, mentors, exclusions, objective, candidates_per_mentee=1, candidates_per_mentor=3)


def test_tables_by_columns_hold_the_same_scores_column_major(monkeypatch) -> None:
    """`by_columns` copies each tall table into Fortran order a few rows at a time (a ragged last step
    included): the same values, column-contiguous, and the joint tables share the copies."""
    from engine.matching import block_scoring
    from engine.matching.population import encode as _encode
    from engine.matching.scoring import offset_minutes as _offset_minutes

    monkeypatch.setattr(block_scoring, "TALL_TABLE", 0)
    monkeypatch.setattr(block_scoring, "COPY_ROWS", 3)
    mentees, mentors, exclusions = random_instance(random.Random(5), MID_SHAPE)
    open_mentors = [p for p in mentors if p.capacity > 0]
    offsets = {p.timezone: _offset_minutes(p.timezone, AT) for p in (*mentees, *open_mentors)}
    tables = block_scoring.build_tables(_encode(mentees, open_mentors, offsets, exclusions, Weights()))
    assert tables is not None
    copied = block_scoring.by_columns(tables)
    for (group, table), (same, copy) in zip(tables.parts, copied.parts, strict=True):
        assert same is group and copy.flags.f_contiguous and np.array_equal(copy, table)
    copies = {id(copy) for _, copy in copied.parts}
    assert all(id(table) in copies for _, members in copied.pairs for _, table in members)


def test_subset_scores_equal_the_row_scores_at_those_pairs() -> None:
    """Scores of a subset of mentees (unsorted, repeated) against sorted mentor columns, gathered from the
    sub-tables of the groups present, are the row pass's scores at those pairs, exclusions included."""
    from engine.matching.block_scoring import block_scores, build_tables, subset_scores
    from engine.matching.population import encode as _encode
    from engine.matching.scoring import offset_minutes as _offset_minutes

    rng = random.Random(11)
    mentees, mentors, exclusions = random_instance(rng, MID_SHAPE)
    open_mentors = [p for p in mentors if p.capacity > 0]
    offsets = {p.timezone: _offset_minutes(p.timezone, AT) for p in (*mentees, *open_mentors)}
    population = _encode(mentees, open_mentors, offsets, exclusions, Weights())
    tables = build_tables(population)
    assert tables is not None
    every = block_scores(population, tables, np.arange(population.n))
    for size in (1, 3, population.n):
        rows = np.array([rng.randrange(population.n) for _ in range(size)])
        cols = np.array(sorted(rng.sample(range(population.m), max(1, population.m // 2))))
        assert np.array_equal(subset_scores(population, tables, rows, cols), every[np.ix_(rows, cols)])


def test_chunked_top_k_selects_the_k_largest_values_of_every_row() -> None:
    """The group pre-selection keeps a valid top k: the same multiset of values as a full sort, along rows
    and along columns, ragged widths and heavy ties included; the line maximum is exact and its tie count a
    lower bound."""
    from engine.matching.candidates import _top

    rng = np.random.default_rng(5)
    for width, k in [(10, 3), (1000, 25), (2003, 5), (4097, 40), (300, 300), (50, 60)]:
        values = rng.integers(-3, 8, size=(17, width)).astype(np.int16)
        for axis, lines in ((1, values), (0, np.ascontiguousarray(values.T))):
            index, top, best, ties = _top(lines, k, axis=axis)
            assert np.array_equal(np.take_along_axis(values, index, axis=1), top)
            assert all(len(set(row)) == len(row) for row in index.tolist())
            expected = np.sort(values, axis=1)[:, ::-1][:, :k]
            assert np.array_equal(np.sort(top, axis=1)[:, ::-1], expected)
            assert np.array_equal(best, values.max(axis=1))
            exact = np.count_nonzero(values == best[:, None], axis=1)
            assert ((ties >= 1) & (ties <= exact)).all()


POPULATION_SHAPES = ["crowded", "clustered", "exclusions", "ties"]
TIE_WEIGHTS = Weights(theme=80, heritage=0, language=20, timezone=0)


def shaped_instance(
    rng: random.Random, shape: str, mentees: int, mentors: int
) -> tuple[list[MenteeProfile], list[MentorProfile], list[tuple[int, int]], Weights]:
    """A small population of one of the benchmark's hard shapes (bench/matching.py), for comparisons with the
    dense solver: crowded (most mentees want two themes and live in two timezones, capacity mostly 1, some
    exclude mentors they would want), clustered (three timezones, narrow windows), exclusions (each mentee
    excludes mentors they would want), ties (coarse weights, one or two themes: few distinct scores)."""
    themes = [*THEMES, "money", "health", "family", "school"]
    hot, zones = themes[:2], ["UTC", "Asia/Manila"]
    crowded, clustered = shape == "crowded", shape == "clustered"

    def wanted() -> frozenset[str]:
        if crowded and rng.random() < 0.8:
            return frozenset(rng.sample(hot, rng.randint(1, 2)))
        return frozenset(rng.sample(themes, rng.randint(1, 2 if shape == "ties" else 3)))

    def zone(share: float) -> str:
        if (crowded or clustered) and rng.random() < share:
            return rng.choice(zones if crowded else ["America/New_York", "Europe/London", "Asia/Kolkata"])
        return rng.choice(TIMEZONES)

    mentee_list = [
        MenteeProfile(
            i,
            wanted(),
            frozenset(rng.sample(HERITAGES, rng.randint(0, 2))),
            frozenset(rng.sample(LANGUAGES, rng.randint(0, 2))),
            zone(0.7),
            rng.choice(["similar", "any"]),
            rng.choice([2, 3, 4]) if clustered and rng.random() < 0.8 else rng.choice([None, 6, 12]),
        )
        for i in range(1, mentees + 1)
    ]
    mentor_list = [
        MentorProfile(
            100 + j,
            frozenset(rng.sample(themes, rng.randint(1, 4))),
            frozenset(rng.sample(themes, rng.randint(0, 1))),
            frozenset(rng.sample(HERITAGES, rng.randint(0, 2))),
            frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
            zone(0.4),
            rng.choice([1, 1, 1, 1, 2, 3]) if crowded else rng.randint(0, 4),
        )
        for j in range(mentors)
    ]
    exclusions = [(rng.randint(100, 99 + mentors), rng.randint(1, mentees)) for _ in range(mentees // 4)]
    share, per = {"crowded": (0.1, 3), "exclusions": (1.0, 3)}.get(shape, (0.0, 0))
    for mentee in mentee_list:  # mentors they would otherwise want: a covered theme in common
        if per and rng.random() < share:
            wanted_by = [m.id for m in mentor_list if mentee.themes & (m.themes - m.not_covered)]
            exclusions += [(mentor_id, mentee.id) for mentor_id in rng.sample(wanted_by, min(per, len(wanted_by)))]
    return mentee_list, mentor_list, exclusions, TIE_WEIGHTS if shape == "ties" else Weights()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(POPULATION_SHAPES),
    st.integers(0, 2**32 - 1),
    st.sampled_from(list(Objective)),
    st.sampled_from([None, 1]),
)
def test_hard_population_shapes_reach_the_dense_optimum(shape: str, seed: int, objective, candidates) -> None:
    """On small populations of every hard benchmark shape (crowded, clustered timezones, heavy exclusions,
    tie-heavy weights), the engine's certified total equals the dense exact solver's, with the default
    candidate sets and with one candidate per side (so pricing and the warm-started repairs do the work)."""
    rng = random.Random(seed)
    mentees, mentors, exclusions, weights = shaped_instance(rng, shape, rng.randint(20, 120), rng.randint(5, 30))
    limits = {} if candidates is None else {"candidates_per_mentee": 1, "candidates_per_mentor": 1}
    assert_dense_optimum(mentees, mentors, exclusions, objective, weights, **limits)


@pytest.fixture
def solves(monkeypatch) -> list[dict]:
    """Each solve `match` starts, as it starts: the depth each mentor brings and whether the collector is on."""
    from engine.matching import assign

    seen: list[dict] = []
    optimise = assign.optimise

    def spy(population, **kwargs):
        seen.append({"per_mentor": kwargs["per_mentor"], "collecting": gc.isenabled()})
        return optimise(population, **kwargs)

    monkeypatch.setattr(assign, "optimise", spy)
    return seen


@pytest.mark.parametrize("enabled", [True, False])
def test_a_round_pauses_the_garbage_collector_and_restores_it(enabled: bool, solves: list[dict], monkeypatch) -> None:
    """The cyclic collector is off while a round solves (a full collection would walk every object the process
    holds for nothing) and afterwards exactly as the caller had it, also when the round fails."""
    from engine.matching import assign

    mentees, mentors, exclusions = random_instance(random.Random(2), MID_SHAPE)
    (gc.enable if enabled else gc.disable)()
    try:
        assert_dense_optimum(mentees, mentors, exclusions, Objective.BEST_TOTAL)
        assert [solve["collecting"] for solve in solves] == [False] and gc.isenabled() is enabled

        def broken(population, **kwargs):
            raise RuntimeError("solver failed")

        monkeypatch.setattr(assign, "optimise", broken)
        with pytest.raises(RuntimeError, match="solver failed"):
            match(mentees, mentors, at=AT, exclusions=exclusions)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("shape", "mentees", "mentors", "depth"), [("crowded", 240, 30, 30), ("clustered", 120, 30, 40)]
)
def test_mentor_depth_is_shallower_only_where_places_are_scarce(
    shape: str, mentees: int, mentors: int, depth: int, solves: list[dict]
) -> None:
    """Each mentor brings its top 30 mentees to the first graph when mentees outnumber places three to one (a
    crowded population of 240 mentees for ~45 places), its top 40 otherwise; either way, and with a capacity
    large enough to ask for more (8 x 6 = 48), the rounds end on the dense optimum, certified."""
    from engine.matching import assign

    rng = random.Random(3)
    people, helpers, exclusions, weights = shaped_instance(rng, shape, mentees, mentors)
    places = sum(helper.capacity for helper in helpers)
    assert (mentees >= assign.SCARCE_RATIO * places) is (depth == assign.SCARCE_DEPTH)
    for objective in Objective:
        assert_dense_optimum(people, helpers, exclusions, objective, weights)
    roomy = [*helpers[:-1], dataclasses.replace(helpers[-1], capacity=6)]
    assert_dense_optimum(people, roomy, exclusions, Objective.BEST_TOTAL, weights)
    assert [solve["per_mentor"] for solve in solves] == [depth, depth, 48]


@pytest.mark.parametrize("shape", POPULATION_SHAPES)
def test_cost_scaling_and_capped_pricing_reach_the_dense_optimum(shape: str, monkeypatch) -> None:
    """With cost scaling forced on every settle (after one phase, by 8 then 2) and pricing capped hard (one
    violating pair kept per mentee and block, one added per mentee and per mentor place), the rounds still
    end on the dense optimum, certified: the caps only move work to later rounds (the mentees cut are
    re-checked), and scaling only changes where the repair starts."""
    from engine.matching import certify, flow

    monkeypatch.setattr(flow, "QUICK_PHASES", 1)
    monkeypatch.setattr(flow, "SCALES", (8, 2))
    monkeypatch.setattr(certify, "ADDED_PER_MENTEE", 1)
    monkeypatch.setattr(certify, "KEPT_PER_ROW", 2)
    monkeypatch.setattr(certify, "ADDED_PER_SLOT", 1)
    monkeypatch.setattr(certify, "ADDED_PER_MENTOR", 0)
    rng = random.Random(11)
    for _ in range(3):
        mentees, mentors, exclusions, weights = shaped_instance(rng, shape, 150, 30)
        for objective in Objective:
            result = assert_dense_optimum(
                mentees, mentors, exclusions, objective, weights, candidates_per_mentee=1, candidates_per_mentor=1
            )
            assert result.stats["rounds"] >= 2


@pytest.mark.parametrize("ratio", [0.0, 1e9])
@pytest.mark.parametrize("shape", POPULATION_SHAPES)
def test_price_war_start_reaches_the_dense_optimum(shape: str, ratio: float, monkeypatch) -> None:
    """Whether the first settle scales costs at once (`price_war` forced true with a ratio of 0) or only after
    the quick phases (never a war), the rounds end on the dense optimum, certified: skipping the quick
    phases only changes where the scaled settle starts."""
    from engine.matching import flow

    monkeypatch.setattr(flow, "WAR_RATIO", ratio)
    rng = random.Random(23)
    for _ in range(3):
        mentees, mentors, exclusions, weights = shaped_instance(rng, shape, 150, 30)
        for objective in Objective:
            assert_dense_optimum(mentees, mentors, exclusions, objective, weights)
            assert_dense_optimum(
                mentees, mentors, exclusions, objective, weights, candidates_per_mentee=1, candidates_per_mentor=1
            )


async def test_long_lists_cross_to_the_pool_in_slices(monkeypatch) -> None:
    """Profiles and exclusions longer than a slice are pickled a slice at a time (here 2 items, so the event
    loop is never held by one long pickle call) and the pool's result is the same as inline, exclusions given
    as a set included."""
    from cogs.mentorship import matching_runner

    monkeypatch.setattr(matching_runner, "SLICE", 2)
    mentees, mentors, exclusions = random_instance(random.Random(8), SMALL_SHAPE)
    inline = match(mentees, mentors, at=AT, exclusions=exclusions)
    with matching_runner.matching_executor() as pool:
        pooled = await match_off_loop(pool, mentees, mentors, at=AT, exclusions=set(exclusions))
    assert pooled.pairs == inline.pairs and len(pooled.pairs) > 2
    assert (pooled.total_score, pooled.unmatched_mentees) == (inline.total_score, inline.unmatched_mentees)
    assert pooled.certified_optimal


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(POPULATION_SHAPES),
    st.integers(0, 2**32 - 1),
    st.sampled_from(list(Objective)),
    st.sampled_from([2, 4, 16]),
    st.sampled_from([0.0, 0.1, 1e9]),
    st.sampled_from([0.0, 0.5, 2.0]),
    st.sampled_from([0.0, 0.02, 0.5]),
)
def test_coarse_rounds_reach_the_dense_optimum(
    shape: str, seed: int, objective, scale, stop, column_share, leave
) -> None:
    """A price war's coarse rounds (`flow.coarsen`: costs divided by 2, 4 or 16, forced on here by a war ratio
    of 0), ended after one round, when few pairs are added, or only by COARSE_ROUNDS, their later settles leaving
    none, a little or half the places' worth of excess (`flow.coarse_leave`), then `flow.refine` back to exact
    costs, with later pricing by changed columns or always by every row: the certified total is the dense exact
    solver's, with one candidate per side so that the coarse pricing does the work."""
    from engine.matching import certify, flow, solve

    rng = random.Random(seed)
    mentees, mentors, exclusions, weights = shaped_instance(rng, shape, rng.randint(20, 150), rng.randint(5, 30))
    with pytest.MonkeyPatch.context() as patch:  # (hypothesis: no function-scoped fixture)
        patch.setattr(flow, "WAR_RATIO", 0.0)
        patch.setattr(flow, "COARSE_SCALE", scale)
        patch.setattr(solve, "COARSE_STOP", stop)
        patch.setattr(certify, "COLUMN_SHARE", column_share)
        patch.setattr(flow, "COARSE_LEAVE", leave)
        result = assert_dense_optimum(
            mentees, mentors, exclusions, objective, weights, candidates_per_mentee=1, candidates_per_mentor=1
        )
    assert result.stats.get("coarse_rounds", 0) >= 1 or not result.pairs


@pytest.mark.parametrize("leave", [0.0, 0.3])
@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_flooded_coarse_round_scales_at_once_and_still_reaches_the_dense_optimum(
    seed: int, leave: float, monkeypatch
) -> None:
    """In a price war's coarse rounds (forced here: war ratio 0, coarse until COARSE_ROUNDS), a round whose pricing
    edges flood the network (any excess, with a flood ratio of 0) settles by cost scaling at once, in coarse units,
    as an exact round would; the rounds still end on the dense optimum, certified, with one candidate per side so
    that pricing does the work. With 30 % of the places' worth of excess left by the later coarse settles
    (`flow.coarse_leave`), some settle does leave excess, and the end is the same."""
    from engine.matching import flow, solve

    monkeypatch.setattr(flow, "COARSE_LEAVE", leave)
    left: list[int] = []
    settle = flow.settle

    def leaving(net: flow.Network, limit: int = 0, leave: int = 0) -> int:
        phases = settle(net, limit, leave)
        if leave:
            left.append(int(net.excess[net.excess > 0].sum()))
        return phases

    monkeypatch.setattr(flow, "settle", leaving)
    monkeypatch.setattr(solve, "settle", leaving)
    monkeypatch.setattr(flow, "WAR_RATIO", 0.0)
    monkeypatch.setattr(flow, "FLOOD_RATIO", 0.0)
    monkeypatch.setattr(solve, "COARSE_STOP", 0.0)
    settles: list[tuple[int, bool]] = []

    def spy(net: flow.Network, war: bool = False) -> int:
        settles.append((net.scale, war))
        return flow.settle_adaptive(net, war)

    monkeypatch.setattr(solve, "settle_adaptive", spy)
    mentees, mentors, exclusions, weights = shaped_instance(random.Random(seed), "crowded", 150, 30)
    for objective in Objective:
        result = assert_dense_optimum(
            mentees, mentors, exclusions, objective, weights, candidates_per_mentee=1, candidates_per_mentor=1
        )
        assert result.stats["coarse_rounds"] >= 2
    assert (flow.COARSE_SCALE, True) in settles
    assert any(left) == (leave > 0)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 300),
    st.integers(1, 8),
    st.sampled_from([np.int8, np.int16, np.int32]),
    st.integers(0, 2**32 - 1),
)
def test_top_positions_are_the_largest_values(rows: int, width: int, k: int, dtype, seed: int) -> None:
    """`top_positions` gives each row k distinct positions holding its k largest values (ties and negative
    values included), whatever the integer width (32-bit values go through argpartition)."""
    from engine.matching.block_scoring import top_positions

    k = min(k, width)
    values = np.random.default_rng(seed).integers(-3, 4, size=(rows, width)).astype(dtype)
    positions = top_positions(values, k).astype(np.int64)
    assert positions.shape == (rows, k)
    assert all(len(set(row)) == k for row in positions.tolist())
    expected = np.sort(values, axis=1)[:, width - k :]
    assert np.array_equal(np.sort(np.take_along_axis(values, positions, axis=1), axis=1), expected)


def test_top_positions_break_ties_differently_from_row_to_row() -> None:
    """Rows whose values all tie keep different positions from one another (each row has its own order of
    positions): a rule that kept, say, the last positions in every row sent every mentee to the same tied
    mentors and made a price war twice as long (crowded 50k: 77 -> 170 phases)."""
    from engine.matching.block_scoring import top_positions

    chosen = {tuple(sorted(row)) for row in top_positions(np.zeros((64, 256), np.int16), 5).tolist()}
    assert len(chosen) >= 16  # (33 with today's scramble; 1 if every row kept the same positions)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**62), max_size=200), st.integers(1, 2**40))
def test_first_of_each_and_groups_of_are_numpys_unique(values: list[int], modulus: int) -> None:
    """`first_of_each`, `groups_of` and `distinct` give np.unique's distinct keys, first positions and groups, for
    keys that fit beside their positions (a small modulus makes repeats) and for keys too large to (then np.unique)."""
    from engine.matching.population import distinct, first_of_each, groups_of

    for keys in (np.array(values, dtype=np.int64) % modulus, np.array(values, dtype=np.int64)):
        found, first = first_of_each(keys)
        expected_distinct, expected_first, expected_group = np.unique(keys, return_index=True, return_inverse=True)
        assert np.array_equal(found, expected_distinct) and np.array_equal(first, expected_first)
        assert np.array_equal(distinct(keys), expected_distinct)
        first, group = groups_of(keys)
        assert np.array_equal(first, expected_first) and np.array_equal(group, expected_group.reshape(-1))


@pytest.mark.parametrize("shape", POPULATION_SHAPES)
def test_max_flows_without_idle_mentees_arcs_reach_the_dense_optimum(shape: str, monkeypatch) -> None:
    """The max flows that leave out idle mentees' tight arcs (`flow._idle_arcs`, forced on for every settle here and
    keeping at most one such arc per mentor, so that phases must be repeated on every arc) and the source arcs that
    then lead nowhere (their mentees put on the source's side of the cut afterwards) end on the dense optimum,
    certified: leaving arcs out changes how a phase is computed, never its cut."""
    from engine.matching import flow

    monkeypatch.setattr(flow, "IDLE_FROM", 0)
    monkeypatch.setattr(flow, "IDLE_SHARE", 0.0)
    monkeypatch.setattr(flow, "IDLE_PER_PLACE", 0)
    monkeypatch.setattr(flow, "IDLE_EXTRA", 1)
    left_out = [0, 0]
    idle_arcs = flow._idle_arcs

    def spy(
        net: flow.Network, forward: np.ndarray, tails: np.ndarray, heads: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        drop, dead = idle_arcs(net, forward, tails, heads)
        left_out[0] += drop.size
        left_out[1] += dead.size
        return drop, dead

    monkeypatch.setattr(flow, "_idle_arcs", spy)
    rng = random.Random(31)
    for _ in range(3):
        mentees, mentors, exclusions, weights = shaped_instance(rng, shape, 150, 30)
        for objective in Objective:
            assert_dense_optimum(
                mentees, mentors, exclusions, objective, weights, candidates_per_mentee=3, candidates_per_mentor=6
            )
    assert left_out[0] > 0 and left_out[1] > 0
