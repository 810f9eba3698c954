"""A round's chosen pairs (`engine.matching.pairs`): built from the encoded bit words, they are exactly what the
plain reading of each pair (`scored_pair`, on the profiles' tag sets) gives."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.matching import MenteeProfile, MentorProfile, Weights, match
from engine.matching.pairs import chosen_pairs
from engine.matching.population import encode
from engine.matching.scoring import offset_minutes, scored_pair

AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
THEMES = ["career", "identity", "culture", "support", "made-up-theme"]  # a key with no default label too
NARROW = ["filipino", "japanese", "irish"]
WIDE = [f"tag {number:02d}" for number in range(70)]  # more than 64 tags: bit words of two 64-bit words
TIMEZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Auckland"]
CHECKS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def profiles(pool: list[str]) -> st.SearchStrategy[tuple[list[MenteeProfile], list[MentorProfile]]]:
    tags = st.frozensets(st.sampled_from(pool), max_size=len(pool))
    mentees = st.builds(
        MenteeProfile,
        id=st.integers(1, 12),
        themes=st.frozensets(st.sampled_from(THEMES), min_size=1),
        heritages=tags,
        languages=tags,
        timezone=st.sampled_from(TIMEZONES),
        heritage_preference=st.sampled_from(["similar", "any"]),
        max_timezone_gap_hours=st.sampled_from([None, 0, 3, 6, 12]),
    )
    mentors = st.builds(
        MentorProfile,
        id=st.integers(1, 12),
        themes=st.frozensets(st.sampled_from(THEMES)),
        not_covered=st.frozensets(st.sampled_from(THEMES), max_size=2),
        heritages=tags,
        languages=tags,
        timezone=st.sampled_from(TIMEZONES),
        capacity=st.just(1),
    )
    return st.tuples(
        st.lists(mentees, min_size=1, max_size=8, unique_by=lambda p: p.id),
        st.lists(mentors, min_size=1, max_size=6, unique_by=lambda p: p.id),
    )


weights = st.builds(
    Weights,
    theme=st.integers(0, 80),
    heritage=st.integers(0, 40),
    language=st.integers(0, 40),
    timezone=st.integers(0, 40),
)
labels = st.one_of(st.none(), st.just({"career": "Career Guidance", "culture": "Culture & Food"}))


def encoded(mentees: list[MenteeProfile], mentors: list[MentorProfile], weights: Weights):  # type: ignore[no-untyped-def]
    mentees = sorted(mentees, key=lambda p: p.id)
    mentors = sorted(mentors, key=lambda p: p.id)
    offsets = {name: offset_minutes(name, AT) for name in TIMEZONES}
    return mentees, mentors, offsets, encode(mentees, mentors, offsets, [], weights)


@given(st.one_of(profiles(NARROW), profiles(WIDE)), weights, labels)
@CHECKS
def test_every_eligible_pair_is_what_scored_pair_gives(population, weights: Weights, theme_labels) -> None:
    """For every eligible pair of a random population (rows and columns repeated, in any order), the pairs built
    from the bit words equal `scored_pair`'s: score, parts, shared themes, heritages and languages, gap and reason,
    sorted by mentor id then mentee id. Heritages shared by a mentee who is open to any are shown too."""
    mentees, mentors, offsets, pop = encoded(*population, weights)
    expected, rows, cols = [], [], []
    for row, mentee in enumerate(mentees):
        for col, mentor in enumerate(mentors):
            pair = scored_pair(
                mentee, mentor, offsets[mentee.timezone], offsets[mentor.timezone], weights, theme_labels
            )
            if pair is not None:
                expected.append(pair)
                rows.append(row)
                cols.append(col)
    order = np.random.default_rng(len(rows)).permutation(len(rows))
    rows_array, cols_array = np.array(rows, dtype=np.int64)[order], np.array(cols, dtype=np.int64)[order]
    scores = np.array([expected[index].score for index in order], dtype=np.int64)
    built = chosen_pairs(mentees, mentors, pop, rows_array, cols_array, scores, weights, theme_labels)
    assert built == sorted(expected, key=lambda pair: (pair.mentor_id, pair.mentee_id))


@given(profiles(NARROW), weights)
@CHECKS
def test_a_forbidden_pair_or_a_wrong_score_is_refused(population, weights: Weights) -> None:
    """A pair that breaks a hard rule (no covered theme in common, outside the window, the same member), or whose
    score is not what the solver said, raises instead of being proposed."""
    mentees, mentors, offsets, pop = encoded(*population, weights)
    for row, mentee in enumerate(mentees):
        for col, mentor in enumerate(mentors):
            pair = scored_pair(mentee, mentor, offsets[mentee.timezone], offsets[mentor.timezone], weights, None)
            given_score = pair.score + 1 if pair is not None else 0
            with pytest.raises(RuntimeError, match="score mismatch"):
                chosen_pairs(
                    mentees, mentors, pop, np.array([row]), np.array([col]), np.array([given_score]), weights, None
                )


def test_a_round_shares_equal_parts_and_reasons() -> None:
    """Pairs with equal parts share one ScoreParts and equal reasons one string (smaller results to send across)."""
    mentees = [MenteeProfile(i, frozenset({"career"}), languages=frozenset({"tagalog"})) for i in range(1, 5)]
    mentors = [MentorProfile(10 + i, frozenset({"career"}), languages=frozenset({"tagalog"})) for i in range(4)]
    result = match(mentees, mentors, at=AT)
    assert len(result.pairs) == 4
    assert len({id(pair.parts) for pair in result.pairs}) == 1
    assert len({id(pair.reason) for pair in result.pairs}) == 1
    assert result.pairs[0].reason == "You both listed career guidance and speak Tagalog; no time difference"
