"""The vectorised half of the matching engine: scores in blocks, candidates, min-cost flow and the
optimality certificate. Pure: no discord, no database. `matching.py` is the public face; this module
works on integer arrays and never imports it (it is imported by it).

The problem is a maximum-weight bipartite b-matching: mentees (capacity 1) on one side, mentors
(their remaining capacity) on the other, an edge for every eligible pair. Its linear programme

    max  sum w_ij x_ij   s.t.  sum_j x_ij <= 1 (each mentee),  sum_i x_ij <= c_j (each mentor),  x >= 0

is totally unimodular, so an integral optimum exists and the dual

    min  sum u_i + sum c_j v_j   s.t.  u_i + v_j >= w_ij (every eligible pair),  u, v >= 0

certifies it: integral x and feasible (u, v) with equal objectives are both optimal (weak duality).
We solve on a sparse candidate graph as a min-cost flow by a primal-dual method (`settle`: OR-tools max
flow on the arcs of reduced cost 0, then a dual step on the minimum cut), read (u, v) off its node
potentials, check u_i + v_j >= w_ij over every eligible pair (pricing: the first round scores every pair,
by theme group where a bound rules whole columns out; later rounds only the rows and columns whose duals
went down), add any violating pair and repair the flow from where it was, until none is left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import max_flow

DAY_MINUTES = 1440
HALF_DAY_MINUTES = 720
BLOCK_CELLS = 1 << 16  # pairs scored at once: temporaries stay in cache (measured 2x faster than 4M)
INELIGIBLE = -1


def fraction_points(weight: int, shared: int, total: int) -> int:
    """`weight` scaled by shared/total, rounded half up, in integers (0 when total is 0)."""
    if total <= 0:
        return 0
    return (2 * weight * shared + total) // (2 * total)


def timezone_points(weight: int, gap_minutes: int) -> int:
    """Full `weight` at 0 minutes apart, falling linearly to 0 at 12 hours, rounded half up."""
    closeness = max(0, HALF_DAY_MINUTES - gap_minutes)
    return (2 * weight * closeness + HALF_DAY_MINUTES) // (2 * HALF_DAY_MINUTES)


def circular_gap(a_minutes: int, b_minutes: int) -> int:
    """Minutes between two UTC offsets on the 24-hour clock (at most 12 hours)."""
    gap = abs(a_minutes - b_minutes) % DAY_MINUTES
    return min(gap, DAY_MINUTES - gap)


def bitsets(sets: list[frozenset[str]], vocab: dict[str, int]) -> np.ndarray:
    """Rows of tag sets as bit words, shape (words, rows); tags outside `vocab` are dropped. One word of
    the smallest unsigned type that holds the vocabulary (less memory traffic), else 64-bit words."""
    known: dict[frozenset[str], int] = {}  # profiles repeat the same few hundred sets: encode each once
    for tags in sets:
        if tags not in known:
            known[tags] = sum(1 << vocab[tag] for tag in tags if tag in vocab)
    values = [known[tags] for tags in sets]
    for dtype in (np.uint8, np.uint16, np.uint32):
        if len(vocab) <= 8 * np.dtype(dtype).itemsize:
            return np.array(values, dtype=dtype).reshape(1, -1)
    words = (len(vocab) + 63) // 64
    out = np.zeros((words, len(sets)), dtype=np.uint64)
    mask = (1 << 64) - 1
    for word in range(words):
        out[word] = np.array([(value >> (64 * word)) & mask for value in values], dtype=np.uint64)
    return out


def fraction_table(weight: int, largest: int) -> tuple[np.ndarray, int]:
    """Flat lookup of fraction_points(weight, shared, total), indexed total * stride + shared."""
    stride = largest + 1
    table = np.array(
        [fraction_points(weight, shared, total) for total in range(stride) for shared in range(stride)],
        dtype=np.int16,
    )
    return table, stride


@dataclass(slots=True)
class Side:
    """One side's columns for block scoring (mentors, or a gathered subset of them)."""

    themes: np.ndarray  # (words, m) uint64: offered and covered
    heritages: np.ndarray
    languages: np.ndarray
    offsets: np.ndarray  # (m,) int16 minutes
    position: np.ndarray | None = None  # mentor index -> column here (-1 absent); None: identity

    @property
    def size(self) -> int:
        return int(self.offsets.shape[0])

    def gather(self, columns: np.ndarray) -> Side:
        position = np.full(self.size, -1, dtype=np.int64)
        position[columns] = np.arange(columns.size)
        return Side(
            self.themes[:, columns],
            self.heritages[:, columns],
            self.languages[:, columns],
            self.offsets[columns],
            position,
        )


@dataclass(slots=True)
class Population:
    """Everything block scoring needs, as arrays. Mentees are rows, mentors columns (both sorted by id)."""

    themes: np.ndarray  # (words, n) uint64: wanted
    theme_count: np.ndarray  # (n,) int32
    heritages: np.ndarray
    heritage_count: np.ndarray
    similar: np.ndarray  # (n,) bool: prefers similar heritage and listed at least one
    languages: np.ndarray
    language_count: np.ndarray
    offsets: np.ndarray  # (n,) int16 minutes
    window: np.ndarray  # (n,) int16 minutes (DAY_MINUTES when any gap is fine)
    mentors: Side
    capacity: np.ndarray  # (m,) int64, all > 0
    excluded_ptr: np.ndarray  # CSR by mentee row: forbidden mentor columns (exclusions and self)
    excluded_cols: np.ndarray
    theme_table: np.ndarray
    theme_stride: int
    heritage_table: np.ndarray
    heritage_stride: int
    language_table: np.ndarray
    language_stride: int
    timezone_table: np.ndarray  # (721,) int16
    heritage_any: int  # points when the mentee's preference is "any"
    excluded_keys: np.ndarray  # sorted row * m + col of the forbidden pairs

    @property
    def n(self) -> int:
        return int(self.offsets.shape[0])

    @property
    def m(self) -> int:
        return self.mentors.size


def _shared(rows_bits: np.ndarray, cols_bits: np.ndarray) -> np.ndarray:
    """Tags in common, every row against every column: (rows, cols) counts. By blocks of rows, so the
    word-sized AND temporaries stay in cache (whole, the 2.6k x 10k heritage one was 200 MB and 3x slower)."""
    words, count = rows_bits.shape
    out = np.empty((count, cols_bits.shape[1]), dtype=np.uint8 if words == 1 else np.uint16)
    for block in row_blocks(np.arange(count), cols_bits.shape[1], SCAN_CELLS):
        rows = slice(int(block[0]), int(block[-1]) + 1)
        out[rows] = np.bitwise_count(rows_bits[0][rows, None] & cols_bits[0][None, :])
        for word in range(1, words):
            out[rows] += np.bitwise_count(rows_bits[word][rows, None] & cols_bits[word][None, :])
    return out


def _exclusions_of(pop: Population, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The exclusions of mentee `rows`, flattened: for each, its index in `rows` and the excluded mentor column."""
    starts, ends = pop.excluded_ptr[rows], pop.excluded_ptr[rows + 1]
    lengths = ends - starts
    which = np.repeat(np.arange(rows.size), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return which, pop.excluded_cols[np.repeat(starts, lengths) + offsets]


def score_block(pop: Population, rows: np.ndarray, side: Side) -> np.ndarray:
    """Scores of mentee `rows` against every column of `side`, int16, INELIGIBLE (-1) where a hard rule
    (no shared covered theme, timezone window, exclusion, self) forbids the pair."""
    themes = pop.themes[:, rows]
    shared_themes = _shared(themes, side.themes)
    eligible = shared_themes > 0
    score = np.take(pop.theme_table, (pop.theme_count[rows] * pop.theme_stride)[:, None] + shared_themes)

    distance = np.abs(pop.offsets[rows][:, None] - side.offsets[None, :])
    gap = np.minimum(distance, np.abs(DAY_MINUTES - distance))
    eligible &= gap <= pop.window[rows][:, None]
    score += np.take(pop.timezone_table, gap)

    languages = _shared(pop.languages[:, rows], side.languages)
    score += np.take(pop.language_table, (pop.language_count[rows] * pop.language_stride)[:, None] + languages)

    similar = pop.similar[rows]
    if similar.any():
        heritages = _shared(pop.heritages[:, rows], side.heritages)
        heritage = np.take(pop.heritage_table, (pop.heritage_count[rows] * pop.heritage_stride)[:, None] + heritages)
        heritage[~similar] = pop.heritage_any
        score += heritage
    else:
        score += np.int16(pop.heritage_any)

    score[~eligible] = INELIGIBLE
    which, cols = _exclusions_of(pop, rows)
    if cols.size:
        if side.position is not None:
            cols = side.position[cols]
            keep = cols >= 0
            which, cols = which[keep], cols[keep]
        score[which, cols] = INELIGIBLE
    return score


def row_blocks(rows: np.ndarray, columns: int, cells: int = BLOCK_CELLS) -> list[np.ndarray]:
    size = max(1, cells // max(1, columns))
    return [rows[start : start + size] for start in range(0, rows.size, size)]


TABLE_CELLS = 1 << 25  # largest group table (rows x mentors int16, 64 MiB); beyond it, score bit by bit
SCAN_CELLS = 1 << 18  # pairs per block in the table passes (512 KiB of int16: stays in L2)
NEG = -16000  # a hard rule broken: two NEG parts and every other part still fit in int16 and stay < 0


@dataclass(slots=True)
class Tables:
    """The score split into parts that each depend on one small mentee feature group: a row of any part is
    shared by every mentee of the group, so a block of scores is a few row gathers and int16 additions.
    `parts` holds (group of each mentee row, table groups x mentors int16); NEG marks a broken hard rule.

    `pairs` joins the parts two by two (timezone + language, theme + heritage) for column blocks: each joint
    group is a combination present among the mentees (8k and 14k at 50k x 10k), so a block of a few
    mentors is two small sub-table sums and two gathers of mentee rows instead of four (0.94 s instead of
    1.5 s for every mentor at 50k). Each entry: (joint group of each mentee, [(part group of each joint
    group, part table), ...])."""

    parts: list[tuple[np.ndarray, np.ndarray]]
    pairs: list[tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]]


def _groups(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the first row of each distinct key, group of every row) for keys made of `columns`
    (non-negative integers). Packed into one int64 key when they fit (a 1-D unique is several times
    faster than a unique over rows), else compared row by row."""
    columns = tuple(np.asarray(column).astype(np.int64) for column in columns)
    bits = [int(column.max(initial=0)).bit_length() for column in columns]
    if sum(bits) <= 62 and all(int(column.min(initial=0)) >= 0 for column in columns):
        keys = np.zeros(columns[0].shape, dtype=np.int64)
        for column, width in zip(columns, bits, strict=True):
            keys = (keys << width) | column
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(np.stack(columns, axis=1), axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1).astype(np.intp)


def build_tables(pop: Population) -> Tables | None:
    """The group tables for `pop`, or None when one would be larger than TABLE_CELLS (then `block_scores`
    scores pair by pair with bitsets, the same integers)."""
    side, m = pop.mentors, pop.m
    parts = []
    first, group = _groups(*pop.themes, pop.theme_count)
    if first.size * m > TABLE_CELLS:
        return None
    shared = _shared(pop.themes[:, first], side.themes)
    table = _fractions(pop.theme_table, pop.theme_stride, shared, pop.theme_count[first])
    table[shared == 0] = NEG
    parts.append((group, table))

    first, group = _groups(pop.offsets, pop.window)
    distance = np.abs(pop.offsets[first][:, None].astype(np.int32) - side.offsets[None, :])
    gap = np.minimum(distance, np.abs(DAY_MINUTES - distance))
    table = np.take(pop.timezone_table, gap)
    table[gap > pop.window[first][:, None]] = NEG
    parts.append((group, table))

    first, group = _groups(*pop.languages, pop.language_count)
    if first.size * m > TABLE_CELLS:
        return None
    shared = _shared(pop.languages[:, first], side.languages)
    parts.append((group, _fractions(pop.language_table, pop.language_stride, shared, pop.language_count[first])))

    # Heritage: one group per distinct heritage set of the "similar" mentees, so a population where heritages
    # are spread evenly has thousands (5.7k at 50k x 10k uniform: 57M cells, over TABLE_CELLS, and everything
    # fell back to bitsets: 75 s instead of ~5). Its points (0..weight, no NEG mark) fit in int8 when the weight
    # does, which halves the table; it is built by blocks of groups so no int16 copy of it exists.
    similar = pop.similar
    first, group = _groups(similar, *(pop.heritages * similar), pop.heritage_count * similar)
    narrow = max(int(pop.heritage_table.max(initial=0)), pop.heritage_any) <= np.iinfo(np.int8).max
    if first.size * m > (2 * TABLE_CELLS if narrow else TABLE_CELLS):
        return None
    table = np.empty((first.size, m), dtype=np.int8 if narrow else np.int16)
    for block in row_blocks(np.arange(first.size), m, 16 * SCAN_CELLS):
        these = first[block]
        shared = _shared(pop.heritages[:, these], side.heritages)
        points = _fractions(pop.heritage_table, pop.heritage_stride, shared, pop.heritage_count[these])
        points[~similar[these]] = pop.heritage_any
        table[block] = points
    parts.append((group, table))
    pairs = []
    for a, b in ((1, 2), (0, 3)):
        (group_a, table_a), (group_b, table_b) = parts[a], parts[b]
        first, joint = _groups(group_a, group_b)
        pairs.append((joint, [(group_a[first], table_a), (group_b[first], table_b)]))
    return Tables(parts, pairs)


def _fractions(table: np.ndarray, stride: int, shared: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """`table` (a `fraction_table`) at (totals[:, None], shared) as int16: by the formula of
    `fraction_points` in place (the table's weight is fraction_points(weight, 1, 1)), about 10x faster than
    gathering from the table with a full-size index array; the gather when int16 could overflow."""
    weight = int(table[stride + 1]) if stride > 1 else 0
    if 2 * weight * int(shared.max(initial=0)) + int(totals.max(initial=0)) >= np.iinfo(np.int16).max:
        return np.take(table, (totals * stride)[:, None] + shared).astype(np.int16)
    points = shared.astype(np.int16)
    points *= 2 * weight
    points += totals.astype(np.int16)[:, None]
    points //= np.maximum(2 * totals, 1).astype(np.int16)[:, None]
    return points


def block_scores(pop: Population, tables: Tables | None, rows: np.ndarray) -> np.ndarray:
    """Scores of mentee `rows` against every mentor, int16; negative where a hard rule forbids the pair."""
    if tables is None:
        return score_block(pop, rows, pop.mentors)
    (group, table), *rest = tables.parts
    score = np.take(table, group[rows], axis=0)
    for group, table in rest:
        score += np.take(table, group[rows], axis=0)
    starts, ends = pop.excluded_ptr[rows], pop.excluded_ptr[rows + 1]
    lengths = ends - starts
    if lengths.any():
        which = np.repeat(np.arange(rows.size), lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        score[which, pop.excluded_cols[np.repeat(starts, lengths) + offsets]] = NEG
    return score


@dataclass(slots=True)
class Candidates:
    rows: np.ndarray  # (E,) int64, sorted by (row, col), unique
    cols: np.ndarray
    scores: np.ndarray
    row_best: np.ndarray  # (n,) each mentee's best eligible score (-1: none)


def column_scores(
    pop: Population,
    tables: Tables,
    cols: np.ndarray,
    shift: int = 0,
    by_column: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Scores of every mentee against mentor `cols` (sorted), as (n, cols) int16, multiplied by 2**shift;
    negative where forbidden (`by_column`: `exclusions_by_column(pop)`, when the caller has it). Rows are
    gathered from column slices of the joint tables (`Tables.pairs`) and the block is left in that layout
    (a transpose of the whole block cost as much as the gathers)."""
    subs = []
    for joint, members in tables.pairs:
        (group, table), *rest = members
        sub = np.take(_scaled(table[:, cols], shift), group, axis=0)
        for group, table in rest:
            sub += np.take(_scaled(table[:, cols], shift), group, axis=0)
        subs.append((joint, sub))
    (joint, sub), *others = subs
    score = np.take(sub, joint, axis=0)
    for joint, sub in others:
        score += np.take(sub, joint, axis=0)
    excluded_cols, excluded_rows = by_column if by_column is not None else exclusions_by_column(pop)
    low, high = np.searchsorted(excluded_cols, [cols[0], cols[-1] + 1])
    excluded_cols, excluded_rows = excluded_cols[low:high], excluded_rows[low:high]
    at = np.minimum(np.searchsorted(cols, excluded_cols), cols.size - 1)
    hit = cols[at] == excluded_cols
    score[excluded_rows[hit], at[hit]] = NEG
    return score


def exclusions_by_column(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """(mentor column, mentee row) of every forbidden pair, sorted by column."""
    cols, rows = pop.excluded_keys % pop.m, pop.excluded_keys // pop.m
    order = np.argsort(cols, kind="stable")
    return cols[order], rows[order]


def _scaled(table: np.ndarray, shift: int) -> np.ndarray:
    """A table slice as int16 with its points (not its NEG marks) multiplied by 2**shift."""
    table = table.astype(np.int16, copy=False)
    return table if shift == 0 else np.where(table < 0, table, table << shift)


def build_candidates(pop: Population, tables: Tables | None, per_mentee: int, per_mentor: int) -> Candidates:
    """Each mentee's top `per_mentee` eligible mentors and each mentor's top `per_mentor` eligible mentees
    (the latter only with group tables), scoring every pair once per direction, block by block.

    Scores tie a lot (at 50k x 10k a typical mentor has hundreds of mentees at its best score), so which tied
    mentees a mentor keeps matters: it keeps those with the fewest mentors at their own best score first (the
    ones hardest to place elsewhere). Measured at 50k: 1,370 pairs added by pricing over 3 rounds, against
    56,607 over 6 rounds with an arbitrary choice among ties. Below that preference (5 bits), SPREAD_BITS of a
    hash of i + j make mentors with the same profile keep *different* tied mentees: with tie-heavy weights at
    50k, 29,410 pairs added over 5 rounds (8.6 s) became 0 in 1 round (3.4-3.7 s)."""
    n, m = pop.n, pop.m
    found_rows: list[np.ndarray] = []
    found_cols: list[np.ndarray] = []
    found_scores: list[np.ndarray] = []
    row_best = np.full(n, INELIGIBLE, dtype=np.int16)
    options = np.zeros(n, dtype=np.int64)  # mentors at the mentee's best score (see `_top`)
    for rows in row_blocks(np.arange(n), m, 4 * SCAN_CELLS):  # larger blocks: fewer calls, as fast per pair
        top, top_scores, best, options[rows] = _top(block_scores(pop, tables, rows), per_mentee)
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
        passes = [(np.flatnonzero(~lonely), per_mentor), (np.flatnonzero(lonely), DEEP_FACTOR * per_mentor)]
        blocks = [(cols, depth) for columns, depth in passes for cols in row_blocks(columns, n, 8 * SCAN_CELLS)]
        for cols, depth in blocks:  # (a block of columns need not be contiguous; the spread stays a fixed hash)
            keyed = column_scores(pop, tables, cols, shift, by_column)
            keyed += preference[:, None]
            if spread:  # mentor j's tie-break for mentee i is spreads[i + j]: neighbours choose differently
                step = spreads.itemsize
                keyed += np.lib.stride_tricks.as_strided(
                    spreads[int(cols[0]) :], shape=keyed.shape, strides=(step, step), writeable=False
                )
            top, top_keys, _, _ = _top(keyed, depth, axis=0)
            keep = top_keys >= 0
            found_rows.append(top[keep])
            found_cols.append(np.broadcast_to(cols[:, None], top.shape)[keep])
            found_scores.append(top_keys[keep] >> shift)
    rows, cols, scores = np.concatenate(found_rows), np.concatenate(found_cols), np.concatenate(found_scores)
    keys, first = np.unique(rows.astype(np.int64) * m + cols, return_index=True)
    return Candidates(keys // m, keys % m, scores[first], row_best)


DEEP_FACTOR = 2  # times more candidates kept by a mentor few mentees list (see `build_candidates`)
LONELY_RATIO = 1.0  # ... fewer than this many per place
TIE_BITS = 7  # low bits of the mentor-side key: the fewest-options preference, then SPREAD_BITS (`build_candidates`)
SPREAD_BITS = 2


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
        index = np.argpartition(lines, width - k, axis=1)[:, width - k :]
        return index, np.take_along_axis(lines, index, axis=1), best, ties
    if axis == 0:  # position d * groups + g of column c is at (d * groups + g) * count + c
        maxima = np.ascontiguousarray(values[: depth * groups].reshape(depth, groups, count).max(axis=0).T)
        line_step, position_step = 1, count
    else:
        maxima = values[:, : depth * groups].reshape(count, depth, groups).max(axis=1)
        line_step, position_step = width, 1
    chosen = np.argpartition(maxima, groups - k, axis=1)[:, groups - k :]  # (lines, k) groups
    pool_index = (np.arange(depth)[None, :, None] * groups + chosen[:, None, :]).reshape(count, depth * k)
    if depth * groups < width:  # the ragged tail is always in the pool
        tail = np.broadcast_to(np.arange(depth * groups, width), (count, width - depth * groups))
        pool_index = np.concatenate([pool_index, tail], axis=1)
    pool = values.reshape(-1)[np.arange(count)[:, None] * line_step + pool_index * position_step]
    pick = np.argpartition(pool, pool.shape[1] - k, axis=1)[:, pool.shape[1] - k :]
    largest = np.maximum(maxima.max(axis=1), pool.max(axis=1))  # the pool holds the tail
    ties = np.count_nonzero(maxima == largest[:, None], axis=1)
    if depth * groups < width:
        ties += np.count_nonzero(lines[:, depth * groups :] == largest[:, None], axis=1)
    return np.take_along_axis(pool_index, pick, axis=1), np.take_along_axis(pool, pick, axis=1), largest, ties


SOURCE, SINK = 0, 1  # node ids; mentee row i is node 2 + i, mentor column j is node 2 + n + j
TATONNEMENT_ROUNDS = 10  # price adjustments before the first solve (see `_starting_prices`)
PHASE_LIMIT = 100_000  # primal-dual phases before giving up (each one lowers some potentials by at least 1)


@dataclass(slots=True)
class Network:
    """The b-matching as a min-cost flow, with a flow and node potentials that are kept from one pricing
    round to the next (a warm start: only the region the new edges disturb has to move).

    Arcs: source -> mentee (capacity 1), mentor -> sink (capacity c_j), source -> sink (capacity n: the
    mentees left unmatched), then one mentee -> mentor arc per graph edge (capacity 1, cost -w_ij), in the
    order the edges were added. The reduced cost of an arc is cost + potential[tail] - potential[head];
    `excess` is each node's inflow minus outflow (plus its supply), zero everywhere once settled."""

    n: int
    m: int
    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    costs: np.ndarray
    flows: np.ndarray
    potential: np.ndarray
    excess: np.ndarray

    @property
    def fixed(self) -> int:
        """Arcs before the first edge arc."""
        return self.n + self.m + 1

    def reduced_costs(self) -> np.ndarray:
        return self.costs + self.potential[self.tails] - self.potential[self.heads]


def network(n: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> Network:
    """The network of the graph's edges (sorted by mentee) with the empty matching (everyone through
    source -> sink) and potentials from starting prices (`_starting_prices`), every arc made optimal
    (`_saturate`)."""
    m = capacity.size
    mentee_node = 2 + np.arange(n, dtype=np.int64)
    mentor_node = 2 + n + np.arange(m, dtype=np.int64)
    tails = np.concatenate([np.full(n, SOURCE), mentor_node, [SOURCE], mentee_node[rows]]).astype(np.int64)
    heads = np.concatenate([mentee_node, np.full(m, SINK), [SINK], mentor_node[cols]]).astype(np.int64)
    caps = np.concatenate([np.ones(n, np.int64), capacity.astype(np.int64), [n], np.ones(rows.size, np.int64)])
    costs = np.concatenate([np.zeros(n + m + 1, np.int64), -weights])
    flows = np.zeros(tails.size, np.int64)
    flows[n + m] = n
    price = _starting_prices(capacity, rows, cols, weights)
    best = np.zeros(n, np.int64)
    np.maximum.at(best, rows, weights - price[cols])
    potential = np.concatenate([[0, 0], best, -price]).astype(np.int64)
    net = Network(n, m, tails, heads, caps, costs, flows, potential, np.zeros(potential.size, np.int64))
    _saturate(net, np.arange(tails.size))
    return net


def _starting_prices(capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each mentor's price guess, from the graph's edges (sorted by mentee). First the weight of its c_j-th
    best edge (0 with fewer edges than places): in the optimum a full mentor's price is about the weight of
    the last mentee it takes. Then a few rounds of tatonnement: every mentee asks for its best mentor at those
    prices, and each price moves one point towards where that demand meets capacity. The closer the start,
    the fewer primal-dual phases: from 0, 45 phases at 10k x 2k (40 at 50k x 10k); from the c_j-th best,
    11 (12); after the rounds, 8 at 10k and 9 instead of 18 at 1k x 200 (12 still at 50k, a little faster)."""
    m = capacity.size
    top = int(weights.max(initial=0))
    order = np.argsort(cols * (top + 1) + (top - weights))  # by mentor, best edge first (one int64 key)
    first = np.searchsorted(cols[order], np.arange(m))
    count = np.bincount(cols, minlength=m)
    full = count >= capacity
    price = np.zeros(m, np.int64)
    price[full] = weights[order][first[full] + capacity[full] - 1]
    if rows.size == 0:
        return price
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    lengths = np.diff(np.r_[starts, rows.size])
    for _ in range(TATONNEMENT_ROUNDS):
        value = weights - price[cols]
        wants = np.flatnonzero((value == np.repeat(np.maximum.reduceat(value, starts), lengths)) & (value > 0))
        if wants.size:
            wants = wants[np.r_[True, rows[wants][1:] != rows[wants][:-1]]]  # each mentee's first best mentor
        demand = np.bincount(cols[wants], minlength=m)
        price += (demand > capacity).astype(np.int64) - ((demand < capacity) & (price > 0))
    return price


def add_edges(net: Network, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> None:
    """Append graph edges (no flow yet) and make them optimal: a new edge with a negative reduced cost is
    saturated, which leaves an excess at its mentor and a deficit at its mentee for `settle` to repair."""
    start = net.tails.size
    net.tails = np.concatenate([net.tails, 2 + rows.astype(np.int64)])
    net.heads = np.concatenate([net.heads, 2 + net.n + cols.astype(np.int64)])
    net.caps = np.concatenate([net.caps, np.ones(rows.size, np.int64)])
    net.costs = np.concatenate([net.costs, -weights.astype(np.int64)])
    net.flows = np.concatenate([net.flows, np.zeros(rows.size, np.int64)])
    _saturate(net, np.arange(start, net.tails.size))


def _saturate(net: Network, arcs: np.ndarray) -> None:
    """Push each of `arcs` to the bound its reduced cost asks for (full below 0, empty above 0), keeping
    the excesses up to date, so that every residual arc has a reduced cost >= 0."""
    reduced = net.costs[arcs] + net.potential[net.tails[arcs]] - net.potential[net.heads[arcs]]
    flows = net.flows[arcs]
    push = np.where(reduced < 0, net.caps[arcs] - flows, 0) - np.where(reduced > 0, flows, 0)
    moved = np.flatnonzero(push)
    arcs, push = arcs[moved], push[moved]
    net.flows[arcs] += push
    np.subtract.at(net.excess, net.tails[arcs], push)
    np.add.at(net.excess, net.heads[arcs], push)


def settle_adaptive(net: Network) -> int:
    """`settle`, switching to cost scaling when it is slow (a price war). Primal-dual phases move potentials by
    the smallest reduced cost leaving the cut, often 1 point, so a market where prices must climb far (the
    crowded shape: 149 phases at 10k x 2k, 244 at 50k x 10k, ~50 ms each there) needs about as many phases as
    points. After QUICK_PHASES, for each factor of SCALES the network with every cost divided by the factor
    (and the potentials too) is settled, where the climb takes ~1/factor of the phases; then the exact costs
    and the potentials times the factor come back, every arc is made optimal again (`_saturate`) and the rest
    is repaired. Any state `settle` leaves is a valid start (every residual arc has reduced cost >= 0 after
    `_saturate`), so the result is the same optimum. Returns the number of phases.

    Measured at 10k x 2k crowded: 149 phases -> 106 (SCALES (4,)); (8,), (16, 4) and (8, 2) took 143-159, and
    scaling every settle from the start (not only slow ones) 123: it spoils the warm start of later rounds."""
    phases = settle(net, QUICK_PHASES)
    if not net.excess.any():
        return phases
    exact = net.costs
    for factor in SCALES:
        net.costs = exact // factor
        net.potential //= factor
        _saturate(net, np.arange(net.tails.size))
        phases += settle(net)
        net.costs = exact
        net.potential *= factor
        _saturate(net, np.arange(net.tails.size))
    return phases + settle(net)


def settle(net: Network, limit: int = 0) -> int:
    """Route every excess to a deficit at least cost (primal-dual: successive shortest paths, many at once),
    keeping every residual arc's reduced cost >= 0. Each phase sends a maximum flow from the excesses to the
    deficits over the arcs of reduced cost 0 (OR-tools max flow); whatever cannot get through stays on the
    source side of its minimum cut, whose potentials then drop by the smallest reduced cost leaving it, so at
    least one more arc gets reduced cost 0. Returns the number of phases.

    Why not OR-tools' min-cost flow: it has no warm start (a re-solve after adding a few edges, even given as
    a residual problem with reduced costs, cost as much as the first solve: 2.5-3.3 s at 50k), while here a
    pricing round that adds a few hundred edges takes a few phases. With `limit`, stops after that many phases
    (excesses may be left)."""
    nodes = net.potential.size
    for phase in range(limit or PHASE_LIMIT):
        supply = np.flatnonzero(net.excess > 0)
        if supply.size == 0:
            return phase
        demand = np.flatnonzero(net.excess < 0)
        reduced = net.reduced_costs()
        zero = reduced == 0
        forward = np.flatnonzero(zero & (net.flows < net.caps))
        backward = np.flatnonzero(zero & (net.flows > 0))
        top, bottom = nodes, nodes + 1
        solver = max_flow.SimpleMaxFlow()
        arcs = solver.add_arcs_with_capacity(
            np.concatenate([net.tails[forward], net.heads[backward], np.full(supply.size, top), demand]).astype(
                np.int32
            ),
            np.concatenate([net.heads[forward], net.tails[backward], supply, np.full(demand.size, bottom)]).astype(
                np.int32
            ),
            np.concatenate(
                [net.caps[forward] - net.flows[forward], net.flows[backward], net.excess[supply], -net.excess[demand]]
            ),
        )
        status = solver.solve(top, bottom)
        if status != solver.OPTIMAL:
            raise RuntimeError(f"max flow returned status {status}")
        sent = np.asarray(solver.flows(np.asarray(arcs, dtype=np.int32)), dtype=np.int64)
        a, b, c = forward.size, backward.size, supply.size
        net.flows[forward] += sent[:a]
        net.flows[backward] -= sent[a : a + b]
        net.excess[supply] -= sent[a + b : a + b + c]
        net.excess[demand] += sent[a + b + c :]
        if not net.excess.any():
            return phase + 1
        if phase + 1 == limit:
            return limit
        side = np.zeros(nodes + 2, dtype=bool)
        side[np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)] = True
        side = side[:nodes]
        tail_side, head_side = side[net.tails], side[net.heads]
        crossing = tail_side != head_side  # arcs with exactly one end on the source side
        arcs = np.flatnonzero(crossing)
        out = tail_side[arcs]  # leaving forward (tail inside) or backward (head inside)
        flows, caps, costs = net.flows[arcs], net.caps[arcs], reduced[arcs]
        leaving = np.concatenate([costs[out & (flows < caps)], -costs[~out & (flows > 0)]])
        if leaving.size == 0:
            raise RuntimeError("min-cost flow is infeasible")  # cannot happen: the empty matching is feasible
        net.potential[side] -= int(leaving.min())
    raise RuntimeError(f"min-cost flow did not settle in {PHASE_LIMIT} phases")


@dataclass(slots=True)
class Solution:
    matched: np.ndarray  # (E,) bool over the graph's edges
    u: np.ndarray  # (n,) int64 dual of each mentee
    v: np.ndarray  # (m,) int64 dual of each mentor
    dual_ok: bool  # the primal and dual objectives are equal


def solution(net: Network, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> Solution:
    """The matching of a settled network and LP duals read off its potentials. Mentor duals come from the
    potentials; each mentee's dual is then the best it can get given them, so every graph edge is
    dual-feasible by construction. Complementary slackness makes the objectives equal when the flow is
    optimal; we check that equality in integers rather than trust it."""
    n = net.n
    matched = net.flows[net.fixed :] > 0
    v = np.maximum(0, net.potential[SINK] - net.potential[2 + n :])
    u = np.zeros(n, dtype=np.int64)
    np.maximum.at(u, rows, weights - v[cols])
    primal = int(weights[matched].sum())
    dual = int(u.sum()) + int((capacity.astype(np.int64) * v).sum())
    optimal = not net.excess.any() and primal == dual
    return Solution(matched, u, v, optimal)


@dataclass(slots=True)
class Outcome:
    rows: np.ndarray  # matched mentee rows
    cols: np.ndarray  # their mentor columns
    scores: np.ndarray
    certified: bool
    stats: dict[str, float] = field(default_factory=dict)
    u: np.ndarray | None = None  # the LP duals of the last round (mentees, mentors), for tests
    v: np.ndarray | None = None


GROUPED_CELLS = 1 << 26  # pricing passes at least this large go by theme group (see `_row_violations`)
ADDED_PER_MENTEE = 5  # violating pairs added per mentee and round, the most violated first
ADDED_PER_SLOT = 2  # and per mentor, at most this many per place plus ADDED_PER_MENTOR (see `_price`)
ADDED_PER_MENTOR = 4
KEPT_PER_ROW = ADDED_PER_MENTEE + 1
SCALES = (4,)  # cost scaling when settling is slow (see `settle_adaptive`)
QUICK_PHASES = 16  # phases before `settle_adaptive` switches to cost scaling


def optimise(pop: Population, *, most_matched: bool, per_mentee: int, per_mentor: int, max_rounds: int = 50) -> Outcome:
    """The certified optimal assignment for `pop` (see the module docstring)."""
    n, m = pop.n, pop.m
    largest = int(pop.theme_table.max(initial=0)) + max(int(pop.heritage_table.max(initial=0)), pop.heritage_any)
    largest += int(pop.language_table.max(initial=0)) + int(pop.timezone_table.max(initial=0))
    most = min(n, int(pop.capacity.sum()))
    # Integer edge weights. Best total: the score itself. Most matched: score + a bonus larger than any
    # total score difference, so one more pair always wins and the total decides among equal counts.
    bonus = largest * most + 1 if most_matched else 0

    def weigh(score: np.ndarray) -> np.ndarray:
        return score.astype(np.int64) + bonus

    started, started_cpu = time.perf_counter(), time.process_time()
    tables = build_tables(pop)
    candidates = build_candidates(pop, tables, per_mentee, per_mentor)
    rows, cols, scores = candidates.rows, candidates.cols, candidates.scores
    stats: dict[str, float] = {
        "mentees": n,
        "mentors": m,
        "slots": float(pop.capacity.sum()),
        "candidate_edges": rows.size,
        "bonus": bonus,
        "candidates_s": time.perf_counter() - started,
        "candidates_cpu_s": time.process_time() - started_cpu,
    }
    clocks = {"solve_s": 0.0, "solve_cpu_s": 0.0, "certify_s": 0.0, "certify_cpu_s": 0.0}
    checked = added = phases = 0
    certified = False
    checked_duals: tuple[np.ndarray, np.ndarray] | None = None
    recheck = np.zeros(0, np.int64)
    tick, tick_cpu = time.perf_counter(), time.process_time()
    net = network(n, pop.capacity, rows, cols, weigh(scores))  # timed with the first solve
    for round_number in range(1, max_rounds + 1):
        phases += settle_adaptive(net)
        result = solution(net, pop.capacity, rows, cols, weigh(scores))
        tock, tock_cpu = time.perf_counter(), time.process_time()
        clocks["solve_s"] += tock - tick
        clocks["solve_cpu_s"] += tock_cpu - tick_cpu
        stats["rounds"] = round_number
        if not result.dual_ok:
            break
        violations, scanned, recheck = _price(pop, tables, candidates.row_best, result, bonus, checked_duals, recheck)
        checked_duals = (result.u, result.v)
        new_rows, new_cols, new_scores = violations
        clocks["certify_s"] += time.perf_counter() - tock
        clocks["certify_cpu_s"] += time.process_time() - tock_cpu
        checked += scanned
        if new_rows.size == 0:
            certified = True
            break
        added += new_rows.size
        tick, tick_cpu = time.perf_counter(), time.process_time()
        add_edges(net, new_rows, new_cols, weigh(new_scores))
        rows = np.concatenate([rows, new_rows])
        cols = np.concatenate([cols, new_cols])
        scores = np.concatenate([scores, new_scores])
    stats.update(clocks, pairs_priced=checked, edges_added=added, final_edges=rows.size, phases=phases)
    chosen = result.matched
    return Outcome(rows[chosen], cols[chosen], scores[chosen], certified, stats, result.u, result.v)


Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]  # mentee rows, mentor columns, scores
Found = list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]  # chunks of (rows, cols, gains, scores)


def _price(
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
    `recheck`): every other pair met its constraint then, and still does, with duals no smaller."""
    u, v = result.u, result.v
    limit = u - bonus
    small = tables is not None and bonus == 0 and int(v.max(initial=0)) + int(limit.max(initial=0)) < 500
    dtype = np.int16 if small else np.int32
    if checked is None:
        rows = np.flatnonzero(row_best.astype(np.int64) - int(v.min(initial=0)) >= limit + 1)
        cols = np.zeros(0, np.int64)
    else:
        rows = _distinct(np.concatenate([np.flatnonzero(u < checked[0]), recheck]))
        cols = np.flatnonzero(v < checked[1])
    found, scanned = _row_violations(pop, tables, rows, v.astype(dtype), limit.astype(dtype))
    if cols.size:
        more, count = _column_violations(pop, tables, cols, v.astype(dtype), limit.astype(dtype))
        found += more
        scanned += count
    if not found:
        empty = np.zeros(0, np.int64)
        return (empty, empty, np.zeros(0, np.int16)), scanned, empty
    rows, cols, gains, scores = (np.concatenate(part) for part in zip(*found, strict=True))
    keys, first = np.unique(rows * pop.m + cols, return_index=True)
    rows, cols, gains, scores = keys // pop.m, keys % pop.m, gains[first], scores[first]
    order = np.lexsort((cols, -gains.astype(np.int64), rows))  # by mentee, most violated first (ties: lower column)
    rows, cols, gains, scores = rows[order], cols[order], gains[order], scores[order]
    keep = _ranks(rows) < ADDED_PER_MENTEE
    if ADDED_PER_SLOT:  # then at most a few per mentor place, the most violated first (ties: lower row)
        kept = np.flatnonzero(keep)
        by_mentor = kept[np.lexsort((rows[kept], -gains[kept].astype(np.int64), cols[kept]))]
        allowed = ADDED_PER_SLOT * pop.capacity[cols[by_mentor]] + ADDED_PER_MENTOR
        keep[by_mentor[_ranks(cols[by_mentor]) >= allowed]] = False
    return (rows[keep], cols[keep], scores[keep]), scanned, _distinct(rows[~keep])


def _ranks(keys: np.ndarray) -> np.ndarray:
    """Each element's position within its run of equal `keys` (sorted into runs)."""
    if keys.size == 0:
        return np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return np.arange(keys.size) - np.repeat(starts, np.diff(np.r_[starts, keys.size]))


def _distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values (as np.unique, which without return_index first imports numpy.ma: 35 ms
    in a fresh process, most of the 1k x 200 budget)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if values.size else values


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
    of millions violating): only ADDED_PER_MENTEE are added per mentee, and one more tells `_price` that the
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
        width = gain.shape[1]
        pick = np.argpartition(gain[crowded], width - KEPT_PER_ROW, axis=1)[:, width - KEPT_PER_ROW :]
        r, c = np.repeat(crowded, KEPT_PER_ROW), pick.reshape(-1)
        found.append((rows[r].astype(np.int64), cols[c].astype(np.int64), gain[r, c], score[r, c]))
    return found


def subset_scores(pop: Population, tables: Tables, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Scores of mentee `rows` against mentor `cols` (sorted), int16; negative where forbidden. Each part is
    gathered from the sub-table of the groups present and the columns asked for."""
    score = np.zeros((rows.size, cols.size), dtype=np.int16)
    for group, table in tables.parts:  # (rows of the groups present, then the columns, then one per mentee)
        present, which = np.unique(group[rows], return_inverse=True)
        if present.size == 1:
            score += table[present[0], cols]
        else:
            score += np.take(np.take(table, present, axis=0), cols, axis=1)[which.reshape(-1)]
    which, excluded = _exclusions_of(pop, rows)
    if excluded.size:
        at = np.minimum(np.searchsorted(cols, excluded), cols.size - 1)
        hit = cols[at] == excluded
        score[which[hit], at[hit]] = NEG
    return score


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
    pop: Population, tables: Tables | None, cols: np.ndarray, column: np.ndarray, limit: np.ndarray
) -> tuple[Found, int]:
    """Violating pairs of every mentee against mentor `cols`: (rows, cols, gains, scores) chunks, pairs scored."""
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
    everyone = np.arange(pop.n)
    for block in row_blocks(cols, pop.n, 16 * SCAN_CELLS):
        score = column_scores(pop, tables, block, by_column=by_column)
        gain = _gains(score, column[block][None, :], limit[:, None])
        scanned += score.size
        found += _hits(gain, score, everyone, block)
    return found, scanned
