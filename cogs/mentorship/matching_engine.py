"""The vectorised half of the matching engine: scores in blocks, candidates, min-cost flow and the
optimality certificate. Pure: no discord, no database. `matching.py` is the public face; this module
works on integer arrays and never imports it (it is imported by it).

The problem is a maximum-weight bipartite b-matching: mentees (capacity 1) on one side, mentors
(their remaining capacity) on the other, an edge for every eligible pair. Its linear programme

    max  sum w_ij x_ij   s.t.  sum_j x_ij <= 1 (each mentee),  sum_i x_ij <= c_j (each mentor),  x >= 0

is totally unimodular, so an integral optimum exists and the dual

    min  sum u_i + sum c_j v_j   s.t.  u_i + v_j >= w_ij (every eligible pair),  u, v >= 0

certifies it: integral x and feasible (u, v) with equal objectives are both optimal (weak duality).
We solve on a sparse candidate graph, read (u, v) off the residual graph's shortest-path potentials,
check u_i + v_j >= w_ij over every eligible pair (pricing: a dense pass in blocks over group score tables,
skipping rows whose best score already proves it), add any violating pair and re-solve until none is left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

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
    values = [sum(1 << vocab[tag] for tag in tags if tag in vocab) for tags in sets]
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
    """Tags in common, every row against every column: (rows, cols) counts."""
    out = np.bitwise_count(rows_bits[0][:, None] & cols_bits[0][None, :])
    if rows_bits.shape[0] > 1:
        out = out.astype(np.uint16)
    for word in range(1, rows_bits.shape[0]):
        out += np.bitwise_count(rows_bits[word][:, None] & cols_bits[word][None, :])
    return out


def _shared_pairs(rows_bits: np.ndarray, cols_bits: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Tags in common for each (row, col) pair: 1-D counts."""
    out = np.bitwise_count(rows_bits[0][rows] & cols_bits[0][cols])
    if rows_bits.shape[0] > 1:
        out = out.astype(np.uint16)
    for word in range(1, rows_bits.shape[0]):
        out += np.bitwise_count(rows_bits[word][rows] & cols_bits[word][cols])
    return out


def score_pairs(pop: Population, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """`score_block` for a list of (mentee row, mentor column) pairs: 1-D int16, INELIGIBLE where forbidden."""
    side = pop.mentors
    shared_themes = _shared_pairs(pop.themes, side.themes, rows, cols)
    eligible = shared_themes > 0
    score = np.take(pop.theme_table, pop.theme_count[rows] * pop.theme_stride + shared_themes)
    distance = np.abs(pop.offsets[rows] - side.offsets[cols])
    gap = np.minimum(distance, np.abs(DAY_MINUTES - distance))
    eligible &= gap <= pop.window[rows]
    score += np.take(pop.timezone_table, gap)
    languages = _shared_pairs(pop.languages, side.languages, rows, cols)
    score += np.take(pop.language_table, pop.language_count[rows] * pop.language_stride + languages)
    heritages = _shared_pairs(pop.heritages, side.heritages, rows, cols)
    heritage = np.take(pop.heritage_table, pop.heritage_count[rows] * pop.heritage_stride + heritages)
    score += np.where(pop.similar[rows], heritage, np.int16(pop.heritage_any))
    eligible &= ~np.isin(rows.astype(np.int64) * pop.m + cols, pop.excluded_keys)
    score[~eligible] = INELIGIBLE
    return score


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
    starts, ends = pop.excluded_ptr[rows], pop.excluded_ptr[rows + 1]
    lengths = ends - starts
    if lengths.any():
        which = np.repeat(np.arange(rows.size), lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        cols = pop.excluded_cols[np.repeat(starts, lengths) + offsets]
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
    `parts` holds (group of each mentee row, table groups x mentors int16); NEG marks a broken hard rule."""

    parts: list[tuple[np.ndarray, np.ndarray]]


def _groups(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the first row of each distinct key, group of every row) for keys made of `columns`."""
    keys = np.stack([np.asarray(column).astype(np.int64) for column in columns], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
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
    table = np.take(pop.theme_table, (pop.theme_count[first] * pop.theme_stride)[:, None] + shared)
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
    parts.append(
        (group, np.take(pop.language_table, (pop.language_count[first] * pop.language_stride)[:, None] + shared))
    )

    similar = pop.similar
    first, group = _groups(similar, *(pop.heritages * similar), pop.heritage_count * similar)
    if first.size * m > TABLE_CELLS:
        return None
    shared = _shared(pop.heritages[:, first], side.heritages)
    table = np.take(pop.heritage_table, (pop.heritage_count[first] * pop.heritage_stride)[:, None] + shared)
    table[~similar[first]] = pop.heritage_any
    parts.append((group, table))
    return Tables(parts)


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


def column_scores(pop: Population, tables: Tables, cols: np.ndarray) -> np.ndarray:
    """Scores of every mentee against mentor `cols`, as (cols, n) int16; negative where forbidden."""
    (group, table), *rest = tables.parts
    score = np.take(table[:, cols], group, axis=0)
    for group, table in rest:
        score += np.take(table[:, cols], group, axis=0)
    score = np.ascontiguousarray(score.T)
    keys = pop.excluded_keys
    if keys.size:
        by_col = np.sort((keys % pop.m) * pop.n + keys // pop.m)
        lo, hi = np.searchsorted(by_col, [int(cols[0]) * pop.n, (int(cols[-1]) + 1) * pop.n])
        hit = by_col[lo:hi]
        score[hit // pop.n - cols[0], hit % pop.n] = NEG
    return score


def build_candidates(pop: Population, tables: Tables | None, per_mentee: int, per_mentor: int) -> Candidates:
    """Each mentee's top `per_mentee` eligible mentors and each mentor's top `per_mentor` eligible mentees
    (the latter only with group tables), scoring every pair once per direction, block by block."""
    n, m = pop.n, pop.m
    found_rows: list[np.ndarray] = []
    found_cols: list[np.ndarray] = []
    found_scores: list[np.ndarray] = []
    row_best = np.full(n, INELIGIBLE, dtype=np.int16)
    for rows in row_blocks(np.arange(n), m, SCAN_CELLS):
        score = block_scores(pop, tables, rows)
        row_best[rows] = np.maximum(score.max(axis=1), INELIGIBLE)
        top, top_scores = _top(score, per_mentee)
        keep = top_scores >= 0
        found_rows.append(np.broadcast_to(rows[:, None], top.shape)[keep])
        found_cols.append(top[keep])
        found_scores.append(top_scores[keep])
    if tables is not None and per_mentor > 0:
        for cols in row_blocks(np.arange(m), n, 16 * SCAN_CELLS):
            score = column_scores(pop, tables, cols)
            top, top_scores = _top(score, per_mentor)
            keep = top_scores >= 0
            found_rows.append(top[keep])
            found_cols.append(np.broadcast_to(cols[:, None], top.shape)[keep])
            found_scores.append(top_scores[keep])
    rows, cols, scores = np.concatenate(found_rows), np.concatenate(found_cols), np.concatenate(found_scores)
    keys, first = np.unique(rows.astype(np.int64) * m + cols, return_index=True)
    return Candidates(keys // m, keys % m, scores[first], row_best)


def _top(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of the k largest values of each row (all of them when there are k or fewer).

    Selection by chunks: the k chunks (of `size` columns) with the largest maxima hold a valid top k
    (every value above the k-th largest lies in them, and they hold k values at least the k-th chunk
    maximum), so only the chunk maxima and those k chunks are partitioned, not the whole row."""
    rows, width = values.shape
    if width <= k:
        index = np.broadcast_to(np.arange(width), values.shape)
        return index, values
    size = 1 << max(0, int(np.log2(max(1.0, np.sqrt(width / k)))))
    chunks = width // size
    if size < 4 or chunks <= k:
        index = np.argpartition(values, width - k, axis=1)[:, width - k :]
        return index, np.take_along_axis(values, index, axis=1)
    body = values[:, : chunks * size].reshape(rows, chunks, size)
    best = np.argpartition(body.max(axis=2), chunks - k, axis=1)[:, chunks - k :]
    pool = np.take_along_axis(body, best[:, :, None], axis=1).reshape(rows, -1)
    pool_cols = (best[:, :, None] * size + np.arange(size)).reshape(rows, -1)
    if chunks * size < width:  # the ragged tail is always in the pool
        pool = np.concatenate([pool, values[:, chunks * size :]], axis=1)
        pool_cols = np.concatenate(
            [pool_cols, np.broadcast_to(np.arange(chunks * size, width), (rows, width - chunks * size))], axis=1
        )
    pick = np.argpartition(pool, pool.shape[1] - k, axis=1)[:, pool.shape[1] - k :]
    return np.take_along_axis(pool_cols, pick, axis=1), np.take_along_axis(pool, pick, axis=1)


@dataclass(slots=True)
class Solution:
    matched: np.ndarray  # (E,) bool over the graph's edges
    u: np.ndarray  # (n,) int64 dual of each mentee
    v: np.ndarray  # (m,) int64 dual of each mentor
    dual_ok: bool  # potentials found and the primal and dual objectives are equal


def solve(n: int, capacity: np.ndarray, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> Solution:
    """Maximum-weight b-matching on the given edges, by min-cost flow, with LP duals from potentials."""
    m = capacity.size
    source, sink = 0, 1
    mentee_node = 2 + np.arange(n, dtype=np.int64)
    mentor_node = 2 + n + np.arange(m, dtype=np.int64)
    edges = rows.size
    tails = np.concatenate([np.zeros(n, np.int64), mentee_node[rows], mentor_node, [source]])
    heads = np.concatenate([mentee_node, mentor_node[cols], np.full(m, sink, np.int64), [sink]])
    caps = np.concatenate([np.ones(n + edges, np.int64), capacity.astype(np.int64), [n]])
    costs = np.concatenate([np.zeros(n, np.int64), -weights.astype(np.int64), np.zeros(m + 1, np.int64)])
    flow_solver = min_cost_flow.SimpleMinCostFlow()
    arcs = flow_solver.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32), caps, costs)
    flow_solver.set_nodes_supplies(np.array([source, sink], np.int32), np.array([n, -n], np.int64))
    status = flow_solver.solve()
    if status != flow_solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow returned status {status}")
    flows = np.asarray(flow_solver.flows(np.asarray(arcs, dtype=np.int32)), dtype=np.int64)
    matched = flows[n : n + edges] > 0

    # Residual graph: an arc forward where capacity is left, backward where flow runs.
    forward = flows < caps
    backward = flows > 0
    r_tails = np.concatenate([tails[forward], heads[backward]])
    r_heads = np.concatenate([heads[forward], tails[backward]])
    r_costs = np.concatenate([costs[forward], -costs[backward]])
    potential = _potentials(2 + n + m, r_tails, r_heads, r_costs)
    if potential is None:
        return Solution(matched, np.zeros(n, np.int64), np.zeros(m, np.int64), False)
    # Mentor duals from the potentials; each mentee's dual is then the best it can get given them, so
    # every graph edge is dual-feasible by construction. Complementary slackness makes the objectives
    # equal when the flow is optimal; we check that equality rather than trust it.
    weights = weights.astype(np.int64)
    v = np.maximum(0, potential[sink] - potential[mentor_node])
    u = np.zeros(n, dtype=np.int64)
    np.maximum.at(u, rows, weights - v[cols])
    primal = int(weights[matched].sum())
    dual = int(u.sum()) + int((capacity.astype(np.int64) * v).sum())
    return Solution(matched, u, v, primal == dual)


def _potentials(nodes: int, tails: np.ndarray, heads: np.ndarray, costs: np.ndarray) -> np.ndarray | None:
    """Shortest distances from a virtual root joined to every node at cost 0 (Bellman-Ford, vectorised);
    None if they do not settle (a negative cycle: the flow would not be optimal)."""
    order = np.argsort(heads, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    targets, starts = np.unique(heads, return_index=True)
    distance = np.zeros(nodes, dtype=np.int64)
    for _ in range(nodes + 1):
        best = np.minimum.reduceat(distance[tails] + costs, starts) if tails.size else np.zeros(0, np.int64)
        improved = best < distance[targets]
        if not improved.any():
            return distance
        distance[targets[improved]] = best[improved]
    return None


@dataclass(slots=True)
class Outcome:
    rows: np.ndarray  # matched mentee rows
    cols: np.ndarray  # their mentor columns
    scores: np.ndarray
    certified: bool
    stats: dict[str, float] = field(default_factory=dict)


NEAR_SLACK = 0  # with violators, also add pairs within this much of tight (0: violators only; 3 took 2 rounds at 10k
# but at 50k added 1.2M edges and cost more than the rounds it saved, so it is off) ...
NEAR_PER_ROW = 5  # ... at most this many per mentee, the most violated first


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
        "candidates_s": time.perf_counter() - started,
        "candidates_cpu_s": time.process_time() - started_cpu,
    }
    clocks = {"solve_s": 0.0, "solve_cpu_s": 0.0, "certify_s": 0.0, "certify_cpu_s": 0.0}
    checked = added = 0
    certified = False
    solution = None
    for round_number in range(1, max_rounds + 1):
        tick, tick_cpu = time.perf_counter(), time.process_time()
        solution = solve(n, pop.capacity, rows, cols, weigh(scores))
        tock, tock_cpu = time.perf_counter(), time.process_time()
        clocks["solve_s"] += tock - tick
        clocks["solve_cpu_s"] += tock_cpu - tick_cpu
        stats["rounds"] = round_number
        if not solution.dual_ok:
            break
        keys = rows * m + cols
        new_rows, new_cols, new_scores, scanned = _price(pop, tables, candidates, solution, bonus, np.sort(keys))
        clocks["certify_s"] += time.perf_counter() - tock
        clocks["certify_cpu_s"] += time.process_time() - tock_cpu
        checked += scanned
        if new_rows.size == 0:
            certified = True
            break
        added += new_rows.size
        rows = np.concatenate([rows, new_rows])
        cols = np.concatenate([cols, new_cols])
        scores = np.concatenate([scores, new_scores])
    stats.update(clocks, pairs_priced=checked, edges_added=added, final_edges=rows.size)
    assert solution is not None
    chosen = solution.matched
    return Outcome(rows[chosen], cols[chosen], scores[chosen], certified, stats)


def _price(
    pop: Population,
    tables: Tables | None,
    candidates: Candidates,
    solution: Solution,
    bonus: int,
    graph_keys: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The pairs to add before the next solve: none when every eligible pair meets its dual constraint
    u_i + v_j >= w_ij (then the assignment is certified optimal); otherwise every violating pair and, to
    save rounds, every other eligible pair not yet in the graph whose reduced cost u_i + v_j - w_ij is
    below NEAR_SLACK (the duals move a little when violators enter, and these are the pairs that then
    become violated), at most NEAR_PER_ROW per mentee, the most violated first. One dense pass over all
    pairs in blocks; a pair scores at most its mentee's best score, so rows with
    best + bonus - min(v) <= u_i - NEAR_SLACK are skipped without scoring. `graph_keys`: sorted row * m + col
    of the graph's edges."""
    u, v = solution.u, solution.v
    m = pop.m
    # gain = w_ij - u_i - v_j = s_ij - v_j - (u_i - bonus). Best total (bonus 0, u and v >= 0 and small): in
    # place on the int16 scores, and a forbidden pair (score <= 2 NEG + 100) keeps a gain far below any floor
    # without masking. Otherwise int32, with forbidden pairs masked.
    column, limit = v, u - bonus
    small = tables is not None and bonus == 0 and int(column.max(initial=0)) + int(limit.max(initial=0)) < 500
    dtype = np.int16 if small else np.int32
    column, limit = column.astype(dtype), limit.astype(dtype)
    masked = np.iinfo(dtype).min // 2
    floor = 1 - NEAR_SLACK  # gain >= floor: reduced cost below NEAR_SLACK
    open_rows = np.flatnonzero(candidates.row_best.astype(np.int64) - int(column.min(initial=0)) >= limit + floor)

    def gains(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        score = block_scores(pop, tables, rows)
        gain = score.copy() if small else score.astype(dtype)
        gain -= column
        gain -= limit[rows][:, None]
        if not small:
            np.putmask(gain, score < 0, masked)
        return score, gain

    # Pass 1: is any pair violated? (the last round, which certifies, does only this)
    scanned = 0
    near: list[np.ndarray] = []
    violated = False
    for rows in row_blocks(open_rows, m, SCAN_CELLS):
        score, gain = gains(rows)
        scanned += score.size
        best = gain.max(axis=1)
        near.append(rows[best >= floor])
        violated = violated or bool(best.max(initial=masked) > 0)
    empty = np.zeros(0, np.int64)
    if not violated:
        return empty, empty, np.zeros(0, np.int16), scanned
    # Pass 2: collect the violated and near-tight pairs of the rows that have any.
    found: list[tuple[np.ndarray, ...]] = []
    for rows in row_blocks(np.concatenate(near), m, SCAN_CELLS):
        score, gain = gains(rows)
        scanned += score.size
        r, c = np.nonzero(gain >= floor)
        found.append((rows[r].astype(np.int64), c.astype(np.int64), gain[r, c], score[r, c]))
    rows, cols, pair_gains, scores = (np.concatenate(part) for part in zip(*found, strict=True))
    keys = rows * m + cols
    position = np.searchsorted(graph_keys, keys)
    fresh = (
        graph_keys[np.minimum(position, graph_keys.size - 1)] != keys if graph_keys.size else np.ones(keys.size, bool)
    )
    rows, cols, pair_gains, scores = rows[fresh], cols[fresh], pair_gains[fresh], scores[fresh]
    order = np.lexsort((cols, -pair_gains, rows))  # by mentee, most violated first (ties: lower column)
    rows, cols, scores = rows[order], cols[order], scores[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
    keep = rank < NEAR_PER_ROW
    return rows[keep], cols[keep], scores[keep], scanned
