"""A round's chosen pairs as `Pair`s (parts, shared tags, gap, reason), from the solver's rows and columns.

What a pair shares is read off the encoded bit words at once for every pair (themes and languages from the
`Population`; heritages from bit words of the matched pairs' own, since the population's only cover mentees who
want similar heritage), and everything a pair shows is computed once per distinct combination of what it shares
and the mentee's counts (about half the pairs at 50k x 10k share one) with the formulas of `scoring`. The
result is what `scoring.scored_pair` gives each pair, which a property test checks; pairs with equal parts share
one `ScoreParts`. At 50k x 10k this takes ~0.1 s where a `scored_pair` call per pair took ~0.35 s."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.matching.model import MenteeProfile, MentorProfile, Pair, ScoreParts, Weights
from engine.matching.population import Population, bitsets, groups_of
from engine.matching.reasons import reason_text
from engine.matching.scoring import DAY_MINUTES, score_parts


def chosen_pairs(
    mentees: Sequence[MenteeProfile],
    mentors: Sequence[MentorProfile],
    pop: Population,
    rows: np.ndarray,
    cols: np.ndarray,
    scores: np.ndarray,
    weights: Weights,
    theme_labels: dict[str, str] | None,
) -> list[Pair]:
    """The pairs (mentee row, mentor column) of `pop` (encoded from `mentees` and `mentors`, sorted by id), sorted
    by mentor id then mentee id. Raises RuntimeError if a pair breaks a hard rule or its score is not `scores`."""
    if rows.size == 0:
        return []
    order = np.lexsort((rows, cols))  # columns and rows are in id order
    rows, cols, scores = rows[order], cols[order], scores[order]
    mentee_ids = [mentees[row].id for row in rows.tolist()]
    mentor_ids = [mentors[col].id for col in cols.tolist()]
    heritage_tags, heritages = _shared_heritages(mentees, mentors, rows, cols)
    themes = pop.themes[:, rows] & pop.mentors.themes[:, cols]
    languages = pop.languages[:, rows] & pop.mentors.languages[:, cols]
    gap = np.abs(pop.offsets[rows].astype(np.int64) - pop.mentors.offsets[cols]) % DAY_MINUTES
    gap = np.minimum(gap, DAY_MINUTES - gap)
    broken = ~themes.any(axis=0) | (gap > pop.window[rows]) | (np.array(mentee_ids) == np.array(mentor_ids))
    theme_sets, theme_of = _distinct_tags(themes, pop.theme_tags)
    heritage_sets, heritage_of = _distinct_tags(heritages, heritage_tags)
    language_sets, language_of = _distinct_tags(languages, pop.language_tags)

    # The parts, once per distinct (themes, heritages, languages shared; gap; the mentee's three counts).
    listed = np.where(pop.similar[rows], pop.heritage_count[rows], -1)  # -1: every mentor gets the full weight
    shared = ((theme_sets, theme_of), (heritage_sets, heritage_of), (language_sets, language_of))
    sizes = [np.array([len(tags) for tags in sets], dtype=np.int64)[of] for sets, of in shared]
    part_keys, part_of = _distinct_rows(*sizes, gap, pop.theme_count[rows], listed, pop.language_count[rows])
    parts_seen: dict[ScoreParts, ScoreParts] = {}  # pairs with equal parts share one ScoreParts
    parts_list, totals = [], np.empty(len(part_keys), dtype=np.int64)
    for index, (themes_n, heritages_n, languages_n, pair_gap, wanted, listed_n, spoken) in enumerate(part_keys):
        counts = (wanted, None if listed_n < 0 else listed_n, spoken)
        parts = score_parts(themes_n, heritages_n, languages_n, pair_gap, counts, weights)
        parts_list.append(parts_seen.setdefault(parts, parts))
        totals[index] = parts.theme + parts.heritage + parts.language + parts.timezone
    wrong = broken | (totals[part_of] != scores)
    if wrong.any():  # the vectorised scores and these must agree
        first = int(np.flatnonzero(wrong)[0])
        raise RuntimeError(f"score mismatch for mentor {mentor_ids[first]} and mentee {mentee_ids[first]}")

    # The reason, once per distinct (themes, heritages, languages shared; gap).
    reason_keys, reason_of = _distinct_rows(theme_of, heritage_of, language_of, gap)
    reasons = [
        reason_text(theme_sets[t], heritage_sets[h], language_sets[lang], minutes / 60, theme_labels)
        for t, h, lang, minutes in reason_keys
    ]
    return [
        Pair(
            mentor_id,
            mentee_id,
            score,
            parts_list[p],
            theme_sets[t],
            language_sets[lang],
            heritage_sets[h],
            hours,
            reasons[r],
        )
        for mentor_id, mentee_id, score, p, t, lang, h, hours, r in zip(
            mentor_ids,
            mentee_ids,
            scores.tolist(),
            part_of.tolist(),
            theme_of.tolist(),
            language_of.tolist(),
            heritage_of.tolist(),
            (gap / 60).tolist(),
            reason_of.tolist(),
            strict=True,
        )
    ]


def _shared_heritages(
    mentees: Sequence[MenteeProfile], mentors: Sequence[MentorProfile], rows: np.ndarray, cols: np.ndarray
) -> tuple[tuple[str, ...], np.ndarray]:
    """The heritage tags both sides of some pair list (sorted: bit k is the k-th) and each pair's shared ones as
    bit words, shape (words, pairs)."""
    mentee_sets = [mentees[row].heritages for row in rows.tolist()]
    mentor_sets = [mentors[col].heritages for col in cols.tolist()]
    tags = tuple(sorted(set().union(*mentee_sets) & set().union(*mentor_sets)))
    vocab = {tag: bit for bit, tag in enumerate(tags)}
    return tags, bitsets(mentee_sets, vocab) & bitsets(mentor_sets, vocab)


def _distinct_tags(words: np.ndarray, tags: Sequence[str]) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """The distinct tag sets of bit words (words, pairs) as sorted tuples (bit k stands for tags[k], and `tags` is
    sorted), and each pair's index among them."""
    if words.shape[0] == 1:
        distinct, inverse = np.unique(words[0], return_inverse=True)
        columns = [[word] for word in distinct.tolist()]
    else:
        distinct, inverse = np.unique(words, axis=1, return_inverse=True)
        columns = distinct.T.tolist()
    sets = []
    for column in columns:
        bits = sum(int(word) << (64 * k) for k, word in enumerate(column))
        sets.append(tuple(tag for bit, tag in enumerate(tags) if bits >> bit & 1))
    return sets, inverse.reshape(-1)


def _distinct_rows(*columns: np.ndarray) -> tuple[list[list[int]], np.ndarray]:
    """The distinct rows of integer columns (as lists of ints) and each row's index among them: one int64 key a
    row (mixed radix) when the columns' ranges fit, which sorts far faster than rows (`np.unique(axis=0)`)."""
    keys = np.zeros(columns[0].size, dtype=np.int64)
    span = 1
    for column in columns:
        low, size = int(column.min()), int(column.max()) - int(column.min()) + 1
        if span * size >= 1 << 62:
            distinct, inverse = np.unique(np.vstack(columns).T, axis=0, return_inverse=True)
            return distinct.tolist(), inverse.reshape(-1)
        keys += (column.astype(np.int64) - low) * span
        span *= size
    first, inverse = groups_of(keys)
    return np.vstack(columns)[:, first].T.tolist(), inverse
