"""The sparse graph solved first: each mentee's top mentors and each mentor's top mentees, every pair
scored once by rows and (when it can matter) once by columns, block by block. It changes speed, never the
result (pricing adds whatever the optimum needs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.matching.block_scoring import (
    INELIGIBLE,
    NEG,
    SCAN_CELLS,
    Tables,
    block_scores,
    by_columns,
    column_scores,
    column_slice,
    exclusions_by_column,
    row_blocks,
    top_positions,
)
from engine.matching.population import Population, first_of_each

DEEP_FACTOR = 2  # times more candidates kept by a mentor few mentees list (see `build_candidates`)
LONELY_RATIO = 1.0  # ... fewer than this many per place
TIE_BITS = 7  # low bits of the mentor-side key: the fewest-options preference, then SPREAD_BITS (`build_candidates`)
SPREAD_BITS = 2
PRUNE_MENTEES = 20_000  # from this many mentees, the mentor-side pass skips mentees out of reach (`_floors`)
SEGMENTS_PER_PLACE = 4  # runs of mentees per kept candidate whose best scores bound a column's floor (`_floors`)


@dataclass(slots=True)
class Candidates:
    rows: np.ndarray  # (E,) int64, sorted by (row, col), unique
    cols: np.ndarray
    scores: np.ndarray
    row_best: np.ndarray  # (n,) each mentee's best eligible score (-1: none)


def build_candidates(pop: Population, tables: Tables | None, per_mentee: int, per_mentor: int) -> Candidates:
    """Each mentee's top `per_mentee` eligible mentors and each mentor's top `per_mentor` eligible mentees
    (the latter only with group tables), scoring every pair once per direction, block by block.

    Scores tie a lot (at 50k x 10k a typical mentor has hundreds of mentees at its best score), so which tied
    mentees a mentor keeps matters: it keeps those with the fewest mentors at their own best score first (the
    ones hardest to place elsewhere). Measured at 50k: 1,370 pairs added by pricing over 3 rounds, against
    56,607 over 6 rounds with an arbitrary choice among ties. Below that preference (5 bits), SPREAD_BITS of a
    hash of i + j make mentors with the same profile keep *different* tied mentees: with tie-heavy weights at
    50k, 29,410 pairs added over 5 rounds (8.6 s) became 0 in 1 round (3.4-3.7 s).

    From PRUNE_MENTEES mentees, the mentor-side pass skips the mentees that cannot be in a mentor's top: the row
    pass records each column's best score over runs of mentees, whose depth-th largest is a floor under the
    column's depth-th best score (`_floors`; at 50k most floors are 100); a mentee whose part p, plus the
    largest other parts of the column, stays under every floor of a block is out of reach. Columns go into
    blocks by theme set and offset, so a block's columns reach the same groups: 23-27 % of the 500M pairs are
    scored instead of all (candidates at 50k 2.4-3.1 -> 2.0-2.8 s CPU, paired). Which tied mentee a mentor keeps
    may change (the spread hash is by position in the block), never a total."""
    n, m = pop.n, pop.m
    found_rows: list[np.ndarray] = []
    found_cols: list[np.ndarray] = []
    found_scores: list[np.ndarray] = []
    row_best = np.full(n, INELIGIBLE, dtype=np.int16)
    options = np.zeros(n, dtype=np.int64)  # mentors at the mentee's best score (see `_top`)
    # Each column's best score over runs of `run` mentees (disjoint runs: distinct mentees), for `_floors`.
    prune = tables is not None and per_mentor > 0 and n >= PRUNE_MENTEES
    run = 1 << max(0, int(np.log2(max(1, n // (SEGMENTS_PER_PLACE * DEEP_FACTOR * max(per_mentor, 1))))))
    blocks = row_blocks(np.arange(n), m, 4 * SCAN_CELLS)  # larger blocks: fewer calls, as fast per pair
    run_best = np.empty((m, sum(-(-rows.size // run) for rows in blocks) if prune else 0), dtype=np.int16)
    filled = 0
    for rows in blocks:
        score = block_scores(pop, tables, rows)
        if prune:
            here = _run_maxima(score, run)
            run_best[:, filled : filled + here.shape[0]] = here.T
            filled += here.shape[0]
        top, top_scores, best, options[rows] = _top(score, per_mentee)
        row_best[rows] = np.maximum(best, INELIGIBLE)
        keep = top_scores >= 0
        found_rows.append(np.broadcast_to(rows[:, None], top.shape)[keep])
        found_cols.append(top[keep])
        found_scores.append(top_scores[keep])
    if tables is not None and per_mentor > 0:
        # Tie-break in the low bits: score * 2**shift + preference, within int16 next to a NEG mark.
        largest = sum(int(table.max(initial=0)) for _, table in tables.parts)
        shift = min(TIE_BITS, max(0, int(np.log2(-NEG / (largest + 1)))))
        spread = min(SPREAD_BITS, shift // 2)
        level = 1 << (shift - spread)
        preference = ((level - np.minimum(options, level)) << spread).astype(np.int16)
        spreads = _spread(n + m, spread)
        by_column = exclusions_by_column(pop)
        # A mentor that fewer mentees list among their top K than it has places keeps DEEP_FACTOR x more: its top
        # 40 are often all placed elsewhere, and pricing then finds it under-priced against every mentee left
        # over (clustered 50k: 9.6 -> 5.9 s, 93 -> 36 phases; crowded 10k: 0.81 -> 0.53 s, 105 -> 51 phases).
        listed = np.bincount(np.concatenate(found_cols), minlength=m)
        lonely = listed < LONELY_RATIO * pop.capacity
        depths = np.where(lonely, DEEP_FACTOR * per_mentor, per_mentor)
        if prune:  # columns of a block share theme sets and offsets (their groups in reach mostly coincide)
            floors = _floors(run_best, depths)
            del run_best
            order = np.lexsort((floors, pop.mentors.offsets, *pop.mentors.themes[::-1], lonely))
            scanned = by_columns(tables)  # (the columns of a block are scattered over the mentors)
            maxima = [table.max(axis=0).astype(np.int64) for _, table in tables.parts]
            reaches = [floors - (sum(maxima) - largest) for largest in maxima]  # what each part must reach
        else:
            order, scanned = np.arange(m), tables
        parts = (order[~lonely[order]], order[lonely[order]])  # one depth per block
        blocks = [np.sort(cols) for part in parts for cols in row_blocks(part, n, 8 * SCAN_CELLS)]
        for cols in blocks:
            subset = None
            if prune:  # only mentees each of whose parts can reach some column's floor: no other can be in its top
                within = np.ones(n, dtype=bool)
                for (group, table), reach in zip(scanned.parts, reaches, strict=True):
                    within &= (column_slice(table, cols) >= reach[cols]).any(axis=1)[group]
                subset = np.flatnonzero(within)
                if subset.size == 0:
                    continue
            keyed = column_scores(pop, scanned, cols, shift, by_column, subset)
            keyed += (preference if subset is None else preference[subset])[:, None]
            if spread:  # the tie-break of the block's c-th mentor for mentee i: spreads[i + cols[0] + c]
                step = spreads.itemsize
                window = np.lib.stride_tricks.as_strided(
                    spreads[int(cols[0]) :], shape=(n, cols.size), strides=(step, step), writeable=False
                )
                keyed += window if subset is None else window[subset]
            top, top_keys, _, _ = _top(keyed, int(depths[cols[0]]), axis=0)
            keep = top_keys >= 0
            found_rows.append((top if subset is None else subset[top])[keep])
            found_cols.append(np.broadcast_to(cols[:, None], top.shape)[keep])
            found_scores.append(top_keys[keep] >> shift)
        del scanned, by_column  # (memory: the heritage table's column-major copy and the exclusions by column)
    keys = np.concatenate(found_rows) * m
    keys += np.concatenate(found_cols)
    del found_rows, found_cols
    keys, first = first_of_each(keys)
    return Candidates(keys // m, keys % m, np.concatenate(found_scores)[first], row_best)


def _run_maxima(score: np.ndarray, run: int) -> np.ndarray:
    """The largest value of each column over each run of `run` rows (the last run may be shorter)."""
    whole = score.shape[0] // run * run
    maxima = [score[:whole].reshape(-1, run, score.shape[1]).max(axis=1)] if whole else []
    if whole < score.shape[0]:
        maxima.append(score[whole:].max(axis=0, keepdims=True))
    return np.concatenate(maxima)


def _floors(run_best: np.ndarray, depths: np.ndarray) -> np.ndarray:
    """A lower bound on each column's depths[j]-th best score (at least 0): the depths[j]-th largest of its
    best scores over disjoint runs of mentees (`run_best`, columns x runs, partitioned in place), each held by
    a different mentee."""
    runs = run_best.shape[1]
    kinds = np.unique(depths[depths <= runs])
    if kinds.size == 0:
        return np.zeros(depths.size, dtype=np.int64)
    run_best.partition(runs - kinds, axis=1)
    at = np.minimum(runs - depths, runs - 1)  # (a depth beyond the runs gives no bound: 0 below)
    floors = np.take_along_axis(run_best, at[:, None], axis=1)[:, 0].astype(np.int64)
    return np.where(depths <= runs, np.maximum(floors, 0), 0)


def _spread(length: int, bits: int) -> np.ndarray:
    """Deterministic pseudo-random values in [0, 2**bits), int16 (a multiplicative hash of the position)."""
    x = np.arange(length, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return ((x >> np.uint64(40)) & np.uint64((1 << bits) - 1)).astype(np.int16)


def _top(values: np.ndarray, k: int, axis: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the k largest values of each line along `axis` (all of them when there are k or fewer)
    and those values, both as (lines, k): rows of a (rows, width) array, or columns of a (width, cols) one;
    then each line's largest value and how many of its positions hold it (counted by group, see below: a
    lower bound, exact unless two of them share a group).

    Selection by groups: split the positions of a line into groups; the k groups with the largest maxima
    hold a valid top k (any value outside them is at most the maximum of each of those k groups), so only
    the group maxima and those k groups are partitioned, not the whole line. A group is every `groups`-th
    position, so its maximum is an elementwise maximum over contiguous slices, and the chosen groups are
    read with one flat gather (in both layouts)."""
    values = np.ascontiguousarray(values)
    lines = values.T if axis == 0 else values
    count, width = lines.shape
    depth = 1 << max(0, int(np.log2(max(1.0, np.sqrt(width / max(k, 1))))))  # positions per group
    groups = width // depth
    if width <= k or depth < 4 or groups <= k:
        best = lines.max(axis=1, initial=np.iinfo(lines.dtype).min)
        ties = np.count_nonzero(lines == best[:, None], axis=1)
        if width <= k:
            return np.broadcast_to(np.arange(width), lines.shape), lines, best, ties
        index = top_positions(lines, k)
        return index, np.take_along_axis(lines, index, axis=1), best, ties
    if axis == 0:  # position d * groups + g of column c is at (d * groups + g) * count + c
        maxima = np.ascontiguousarray(values[: depth * groups].reshape(depth, groups, count).max(axis=0).T)
        line_step, position_step = 1, count
    else:
        maxima = values[:, : depth * groups].reshape(count, depth, groups).max(axis=1)
        line_step, position_step = width, 1
    chosen = top_positions(maxima, k)  # (lines, k) groups
    pool_index = (np.arange(depth)[None, :, None] * groups + chosen[:, None, :]).reshape(count, depth * k)
    if depth * groups < width:  # the ragged tail is always in the pool
        tail = np.broadcast_to(np.arange(depth * groups, width), (count, width - depth * groups))
        pool_index = np.concatenate([pool_index, tail], axis=1)
    pool = values.reshape(-1)[np.arange(count)[:, None] * line_step + pool_index * position_step]
    pick = top_positions(pool, k)
    largest = np.maximum(maxima.max(axis=1), pool.max(axis=1))  # the pool holds the tail
    ties = np.count_nonzero(maxima == largest[:, None], axis=1)
    if depth * groups < width:
        ties += np.count_nonzero(lines[:, depth * groups :] == largest[:, None], axis=1)
    return np.take_along_axis(pool_index, pick, axis=1), np.take_along_axis(pool, pick, axis=1), largest, ties
