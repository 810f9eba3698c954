"""Scores in blocks: many pairs at once, as int16 arrays, the same integers as `scoring.score_pair`. Pair by
pair with bitsets (`score_block`), or from group tables (`build_tables`: each score part depends on one
small mentee feature group, so a block of scores is a few row gathers and additions), by rows
(`block_scores`), by columns (`column_scores`) or for a subset (`subset_scores`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.matching.population import Population, Side, groups_of
from engine.matching.scoring import DAY_MINUTES

BLOCK_CELLS = 1 << 16  # pairs scored at once: temporaries stay in cache (measured 2x faster than 4M)
INELIGIBLE = -1
TABLE_CELLS = 1 << 25  # largest group table (rows x mentors int16, 64 MiB); beyond it, score bit by bit
SCAN_CELLS = 1 << 18  # pairs per block in the table passes (512 KiB of int16: stays in L2)
NEG = -16000  # a hard rule broken: two NEG parts and every other part still fit in int16 and stay < 0


TIE_STEP, TIE_LINE = 0x9E37, 0x6F4B  # odd: the order of tied positions within a row, and its shift from row to row
UNDO_STEP = pow(TIE_STEP, -1, 1 << 16)  # TIE_STEP's inverse mod 2**16


def top_positions(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest values in each row of a 2-D integer array, as (rows, k) in no order.

    One partition of 32-bit keys: the value above a scrambled position, (position x TIE_STEP + row x TIE_LINE)
    mod 2**16, a bijection on positions, so each position is read back. numpy 2.4 partitions 32-bit keys with
    SIMD and 16-bit values by an indirect sort: for the candidates' and pricing's blocks this is 4-7x faster than
    `np.argpartition` (crowded 50k: 0.42 s of argpartition). Which of several tied values are kept is the
    scramble's choice, another order in each row, the same on every machine: keeping the last positions in every
    row instead sent every mentee to the same tied mentors (crowded 50k 77 -> 170 phases, tie-heavy 6 -> 98).
    Rows wider than 2**16 or values wider than 16 bits go through argpartition."""
    width = values.shape[1]
    if values.dtype.itemsize > 2 or width > 1 << 16:
        return np.argpartition(values, width - k, axis=1)[:, width - k :]
    shift = (np.arange(values.shape[0], dtype=np.uint16) * np.uint16(TIE_LINE))[:, None]  # (uint16 wraps: mod 2**16)
    keys = values.astype(np.int32)
    keys <<= 16
    keys |= np.arange(width, dtype=np.uint16) * np.uint16(TIE_STEP) + shift
    keys.partition(width - k, axis=1)
    top = keys[:, width - k :].astype(np.uint16)  # (the low 16 bits)
    top -= shift
    top *= np.uint16(UNDO_STEP)
    return top.astype(np.intp)


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
        first, inverse = groups_of(keys)
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


def column_scores(
    pop: Population,
    tables: Tables,
    cols: np.ndarray,
    shift: int = 0,
    by_column: tuple[np.ndarray, np.ndarray] | None = None,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """Scores of every mentee (or of mentee `rows`, sorted) against mentor `cols` (sorted), as (rows, cols)
    int16, multiplied by 2**shift; negative where forbidden (`by_column`: `exclusions_by_column(pop)`, when
    the caller has it). Rows are gathered from column slices of the joint tables (`Tables.pairs`) and the
    block is left in that layout (a transpose of the whole block cost as much as the gathers)."""
    subs = []
    for joint, members in tables.pairs:
        (group, table), *rest = members
        present = None
        if rows is not None:  # only the joint groups of these rows (fewer sub-table rows to build)
            joint, present = _present(joint[rows], group.size)
        sub = np.take(_scaled(column_slice(table, cols), shift), group if present is None else group[present], axis=0)
        for group, table in rest:
            part = _scaled(column_slice(table, cols), shift)
            sub += np.take(part, group if present is None else group[present], axis=0)
        subs.append((joint, sub))
    (joint, sub), *others = subs
    score = np.take(sub, joint, axis=0)
    for joint, sub in others:
        score += np.take(sub, joint, axis=0)
    excluded_cols, excluded_rows = by_column if by_column is not None else exclusions_by_column(pop)
    starts, ends = np.searchsorted(excluded_cols, cols), np.searchsorted(excluded_cols, cols, side="right")
    lengths = ends - starts  # each column's exclusions (`cols` may be scattered over the mentors)
    at = np.repeat(np.arange(cols.size), lengths)
    excluded_rows = excluded_rows[
        np.arange(lengths.sum()) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    ]
    if rows is not None and rows.size:
        where = np.minimum(np.searchsorted(rows, excluded_rows), rows.size - 1)
        present = rows[where] == excluded_rows
        excluded_rows, at = where[present], at[present]
    score[excluded_rows, at] = NEG
    return score


def column_slice(table: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """table[:, cols]: a slice when `table` is stored by columns (`by_columns`), else `take` (about 2x faster
    than fancy indexing for scattered columns)."""
    return table[:, cols] if table.flags.f_contiguous else np.take(table, cols, axis=1)


TALL_TABLE = 1024  # groups from which `by_columns` stores a table by columns
COPY_ROWS = 512  # rows per step of `_fortran`'s copy


def by_columns(tables: Tables) -> Tables:
    """`tables` with each tall table (TALL_TABLE groups or more: the heritage table, 2.6k x 10k at 50k) stored
    column by column (Fortran order: a copy), for column blocks scattered over the mentors: by rows, its
    slices cost a cache line per row and column (0.27 s over the mentor-side pass at 50k, against 0.01)."""
    copies = {id(table): _fortran(table) for _, table in tables.parts if table.shape[0] >= TALL_TABLE}
    parts = [(group, copies.get(id(table), table)) for group, table in tables.parts]
    pairs = [
        (joint, [(group, copies.get(id(table), table)) for group, table in members]) for joint, members in tables.pairs
    ]
    return Tables(parts, pairs)


def _fortran(table: np.ndarray) -> np.ndarray:
    """A copy of `table` in Fortran order, COPY_ROWS rows at a time: each step reads whole rows and writes a
    short contiguous run into every column. `np.asfortranarray` walks the columns across every row instead: on
    the uniform shape's 5.7k x 10k int8 heritage table 0.47-0.53 s, against 0.063-0.068 s this way."""
    copy = np.empty(table.shape, dtype=table.dtype, order="F")
    for start in range(0, table.shape[0], COPY_ROWS):
        copy[start : start + COPY_ROWS] = table[start : start + COPY_ROWS]
    return copy


def _present(index: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(`index` renumbered over the values present in it, those values ascending), values in [0, size)."""
    seen = np.zeros(size, dtype=bool)
    seen[index] = True
    present = np.flatnonzero(seen)
    renumber = np.cumsum(seen) - 1
    return renumber[index], present


def exclusions_by_column(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """(mentor column, mentee row) of every forbidden pair, sorted by column (rows ascending within a column).
    Sorted as uint16 when the columns fit, which numpy sorts by radix: 1M exclusions 0.17-0.19 -> 0.03-0.07 s."""
    cols, rows = pop.excluded_keys % pop.m, pop.excluded_keys // pop.m
    order = np.argsort(cols.astype(np.uint16) if pop.m <= 1 << 16 else cols, kind="stable")
    return cols[order], rows[order]


def _scaled(table: np.ndarray, shift: int) -> np.ndarray:
    """A table slice as int16 with its points (not its NEG marks) multiplied by 2**shift."""
    table = table.astype(np.int16, copy=False)
    return table if shift == 0 else np.where(table < 0, table, table << shift)


def subset_scores(pop: Population, tables: Tables, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Scores of mentee `rows` against mentor `cols` (sorted), int16; negative where forbidden. Each part is
    gathered from the sub-table of the groups present and the columns asked for (found with `_present`, not a
    sort: pricing's 936 calls at crowded 50k 0.52-0.55 -> 0.44-0.51 s)."""
    score = np.zeros((rows.size, cols.size), dtype=np.int16)
    for group, table in tables.parts:  # (rows of the groups present, then the columns, then one per mentee)
        which, present = _present(group[rows], table.shape[0])
        if present.size == 1:
            score += table[present[0], cols]
        else:
            score += np.take(np.take(table, present, axis=0), cols, axis=1)[which]
    which, excluded = _exclusions_of(pop, rows)
    if excluded.size:
        at = np.minimum(np.searchsorted(cols, excluded), cols.size - 1)
        hit = cols[at] == excluded
        score[which[hit], at[hit]] = NEG
    return score
