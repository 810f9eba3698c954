"""Certification by pricing: check the LP duals u_i + v_j >= w_ij over every eligible pair, not only the
graph's edges, and return the pairs that violate it (the most violated first, capped per mentee and per
mentor place) for the next round. None left: the assignment is certified optimal."""

from __future__ import annotations

import numpy as np

from engine.matching.block_scoring import (
    SCAN_CELLS,
    TALL_TABLE,
    Tables,
    block_scores,
    column_scores,
    column_slice,
    exclusions_by_column,
    row_blocks,
    score_block,
    subset_scores,
    top_positions,
)
from engine.matching.flow import Solution
from engine.matching.population import Population, distinct, first_of_each

GROUPED_CELLS = 1 << 26  # pricing passes at least this large go by theme group (see `_row_violations`)
COLUMN_SHARE = 0.5  # a later round where more than this share of the mentors' duals went down prices every row
ADDED_PER_MENTEE = 5  # violating pairs added per mentee and round, the most violated first
ADDED_PER_SLOT = 2  # and per mentor, at most this many per place plus ADDED_PER_MENTOR (see `price`)
ADDED_PER_MENTOR = 4
KEPT_PER_ROW = ADDED_PER_MENTEE + 1

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]  # mentee rows, mentor columns, scores
Found = list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]  # chunks of (rows, cols, gains, scores)


def price(
    pop: Population,
    tables: Tables | None,
    row_best: np.ndarray,
    result: Solution,
    bonus: int,
    checked: tuple[np.ndarray, np.ndarray] | None,
    recheck: np.ndarray,
) -> tuple[Pairs, int, np.ndarray]:
    """The violating pairs to add before the next round (none: the duals are feasible for every eligible pair
    and the assignment is certified optimal), the number of pairs scored, and the mentees to re-check next
    time whatever their duals do (those with more violating pairs than were added).

    A pair violates when w_ij > u_i + v_j, i.e. its gain s_ij - v_j - (u_i - bonus) is >= 1. The first round
    scores every pair, densely in blocks (rows whose best score cannot beat u_i + min v are skipped). Later
    rounds only score the rows whose u_i and the columns whose v_j went down since the previous round (plus
    `recheck`): every other pair met its constraint then, and still does, with duals no smaller. When more than
    COLUMN_SHARE of the mentors changed, every row is priced as in the first round instead (its theme-group
    bounds skip most pairs): after a price war's coarse rounds (`flow.refine`) most mentor duals drop a few
    points, and the column pass over 9.7k of 10k mentors scored 488M pairs in 1.2 s, against 43M in 0.36 s (at
    10k x 2k it also held a 30 MB block)."""
    u, v = result.u, result.v
    limit = u - bonus
    small = tables is not None and bonus == 0 and int(v.max(initial=0)) + int(limit.max(initial=0)) < 500
    dtype = np.int16 if small else np.int32
    if checked is None or np.count_nonzero(v < checked[1]) > COLUMN_SHARE * pop.m:
        rows = np.flatnonzero(row_best.astype(np.int64) - int(v.min(initial=0)) >= limit + 1)
        cols = np.zeros(0, np.int64)
    else:
        rows = distinct(np.concatenate([np.flatnonzero(u < checked[0]), recheck]))
        cols = np.flatnonzero(v < checked[1])
    found, scanned = _row_violations(pop, tables, rows, v.astype(dtype), limit.astype(dtype))
    if cols.size:
        more, count = _column_violations(pop, tables, cols, v.astype(dtype), limit.astype(dtype), row_best)
        found += more
        scanned += count
    if not found:
        empty = np.zeros(0, np.int64)
        return (empty, empty, np.zeros(0, np.int16)), scanned, empty
    rows, cols, gains, scores = (np.concatenate(part) for part in zip(*found, strict=True))
    keys, first = first_of_each(rows * pop.m + cols)
    rows, cols, gains, scores = keys // pop.m, keys % pop.m, gains[first], scores[first]
    order = np.lexsort((cols, -gains.astype(np.int64), rows))  # by mentee, most violated first (ties: lower column)
    rows, cols, gains, scores = rows[order], cols[order], gains[order], scores[order]
    keep = _ranks(rows) < ADDED_PER_MENTEE
    if ADDED_PER_SLOT:  # then at most a few per mentor place, the most violated first (ties: lower row)
        kept = np.flatnonzero(keep)
        by_mentor = kept[np.lexsort((rows[kept], -gains[kept].astype(np.int64), cols[kept]))]
        allowed = ADDED_PER_SLOT * pop.capacity[cols[by_mentor]] + ADDED_PER_MENTOR
        keep[by_mentor[_ranks(cols[by_mentor]) >= allowed]] = False
    return (rows[keep], cols[keep], scores[keep]), scanned, distinct(rows[~keep])


def _ranks(keys: np.ndarray) -> np.ndarray:
    """Each element's position within its run of equal `keys` (sorted into runs)."""
    if keys.size == 0:
        return np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return np.arange(keys.size) - np.repeat(starts, np.diff(np.r_[starts, keys.size]))


def _gains(score: np.ndarray, column: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """s_ij - column - limit for a block of scores (limit broadcast the other way), in `column`'s dtype;
    forbidden pairs (score < 0) are pushed far below 1. In int16 (best total, small duals) the subtraction
    is done on a copy without masking: a forbidden score (<= 2 NEG + 100) stays far below any floor."""
    gain = score.astype(column.dtype)
    gain -= column
    gain -= limit
    if column.dtype != np.int16:
        np.putmask(gain, score < 0, np.iinfo(column.dtype).min // 2)
    return gain


def _row_violations(
    pop: Population, tables: Tables | None, rows: np.ndarray, column: np.ndarray, limit: np.ndarray
) -> tuple[Found, int]:
    """Violating pairs of mentee `rows` against every mentor: (rows, cols, gains, scores) chunks, pairs scored.

    With group tables the rows go one theme group at a time, each scored only against the mentors that
    could give one of them a violation: s_ij is at most T[g, j] plus the largest entries of the other parts
    in column j, so mentor j is skipped for the whole group g when that bound minus v_j is below every
    member's u_i - bonus + 1. (At 50k x 10k prices are 85-100, so a mentor must cover nearly all of a
    group's themes: an eighth of the pairs are scored, in 0.56 s instead of 0.8.) Below GROUPED_CELLS pairs
    the per-group calls cost more than they save, and every pair is scored."""
    if tables is None or rows.size * pop.m < GROUPED_CELLS:
        return _dense_row_violations(pop, tables, rows, column, limit)
    (theme_group, theme_table), *rest = tables.parts
    others = np.zeros(pop.m, dtype=np.int32)
    for _, table in rest:
        others += table.max(axis=0)
    others -= column
    order = rows[np.argsort(theme_group[rows], kind="stable")]
    groups = theme_group[order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    found: Found = []
    scanned = 0
    for start, end in zip(starts.tolist(), [*starts[1:].tolist(), order.size], strict=True):
        members = order[start:end]
        cols = np.flatnonzero(theme_table[groups[start]] + others >= int(limit[members].min()) + 1)
        for block in row_blocks(members, cols.size, 4 * SCAN_CELLS) if cols.size else []:
            score = subset_scores(pop, tables, block, cols)
            gain = _gains(score, column[cols], limit[block][:, None])
            scanned += score.size
            found += _hits(gain, score, block, cols)
    return found, scanned


def _hits(gain: np.ndarray, score: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> Found:
    """The pairs of a block with gain >= 1, at most KEPT_PER_ROW per row, the most violated (rows with none
    are dropped by their maximum first: cheaper than a nonzero over the whole block). The cap bounds time and
    memory when a round finds many violations (185k pairs added at 50k x 10k on the crowded shape, from tens
    of millions violating): only ADDED_PER_MENTEE are added per mentee, and one more tells `price` that the
    mentee has more and must be re-checked."""
    hit = np.flatnonzero(gain.max(axis=1) >= 1)
    if hit.size == 0:
        return []
    block = gain[hit]
    many = np.count_nonzero(block >= 1, axis=1) > KEPT_PER_ROW
    found: Found = []
    if (~many).any():
        few = hit[~many]
        r, c = np.nonzero(gain[few] >= 1)
        r = few[r]
        found.append((rows[r].astype(np.int64), cols[c].astype(np.int64), gain[r, c], score[r, c]))
    if many.any():
        crowded = hit[many]
        pick = top_positions(gain[crowded], KEPT_PER_ROW)
        r, c = np.repeat(crowded, KEPT_PER_ROW), pick.reshape(-1)
        found.append((rows[r].astype(np.int64), cols[c].astype(np.int64), gain[r, c], score[r, c]))
    return found


def _dense_row_violations(
    pop: Population, tables: Tables | None, rows: np.ndarray, column: np.ndarray, limit: np.ndarray
) -> tuple[Found, int]:
    """`_row_violations` pair by pair: every pair of `rows`, block by block."""
    found: Found = []
    scanned = 0
    for block in row_blocks(rows, pop.m, SCAN_CELLS):
        score = block_scores(pop, tables, block)
        gain = _gains(score, column, limit[block][:, None])
        scanned += score.size
        found += _hits(gain, score, block, np.arange(pop.m))
    return found, scanned


def _column_violations(
    pop: Population,
    tables: Tables | None,
    cols: np.ndarray,
    column: np.ndarray,
    limit: np.ndarray,
    row_best: np.ndarray,
) -> tuple[Found, int]:
    """Violating pairs of every mentee against mentor `cols`: (rows, cols, gains, scores) chunks, pairs scored.

    With group tables, the columns go by increasing dual in blocks, and a block scores only the mentees whose
    best score could beat its smallest dual (a violation needs s_ij >= u_i - bonus + 1 + v_j, and s_ij is at
    most the mentee's best): clustered 50k's column passes after round 1 keep 43-53 % of the rows. Then, part by
    part, only the rows whose group could reach a violation in some column of the block: s_ij is at most the part's
    entry plus the column's largest other parts (as in `_row_violations`), so a row whose group's best bound over
    the block, minus v_j, stays under u_i - bonus + 1 has none there."""
    found: Found = []
    scanned = 0
    if tables is None:
        side = pop.mentors.gather(cols)
        for block in row_blocks(np.arange(pop.n), cols.size, SCAN_CELLS):
            score = score_block(pop, block, side).T
            gain = _gains(score, column[cols][:, None], limit[block][None, :])
            scanned += score.size
            c, r = np.nonzero(gain >= 1)
            found.append((block[r].astype(np.int64), cols[c].astype(np.int64), gain[c, r], score[c, r]))
        return found, scanned
    by_column = exclusions_by_column(pop)
    headroom = row_best.astype(np.int64) - limit - 1  # the largest dual each mentee could still beat
    need = limit.astype(np.int64) + 1  # a violation: s_ij - v_j >= need_i
    maxima = [table.max(axis=0).astype(np.int64) for _, table in tables.parts]
    others = [sum(maxima) - largest for largest in maxima]  # each column's largest other parts
    by_dual = cols[np.argsort(column[cols], kind="stable")]
    for block in row_blocks(by_dual, pop.n, 16 * SCAN_CELLS):
        block = np.sort(block)
        rows = np.flatnonzero(headroom >= int(column[block].min()))
        for (group, table), other in zip(tables.parts, others, strict=True):  # part by part, narrowing the rows
            if rows.size == 0 or table.shape[0] >= TALL_TABLE:  # (a tall table's column slice costs more than it saves)
                break
            bound = column_slice(table, block).astype(np.int64) + (other[block] - column[block])
            rows = rows[bound.max(axis=1).take(group.take(rows)) >= need.take(rows)]
        if rows.size == 0:
            continue
        score = column_scores(pop, tables, block, by_column=by_column, rows=rows)
        gain = _gains(score, column[block][None, :], limit[rows][:, None])
        scanned += score.size
        found += _hits(gain, score, rows, block)
    return found, scanned
