"""Dense arrays for the circle solver: who may sit with whom, each pair's points, and the bounds that
need no search. Pure numpy; O(n²) memory in int16 + bool (75 MB at 5,000 members)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.circles.model import MAX_SIZE, MIN_SIZE, CircleInstance, LeftOutReason

DAY_MINUTES = 1440
HALF_DAY_MINUTES = 720
ROW_BLOCK = 512
TRIANGLE_CHECK_DEGREE = 96  # above this a member is assumed to be in a trio (only loosens the bound)


@dataclass(slots=True)
class Prepared:
    ids: np.ndarray  # (n,) int64, sorted
    cap: np.ndarray  # (n,) int64: the largest circle each member may be in
    offsets: np.ndarray  # (n,) int64 minutes
    compat: np.ndarray  # (n, n) bool: may share a circle (both windows, no block, no past circle)
    weight: np.ndarray  # (n, n) int16 (int32 when large): points of the pair
    themes: np.ndarray  # (n, t) bool
    heritages: np.ndarray  # (n, h) bool
    theme_keys: list[str]
    heritage_keys: list[str]
    star: np.ndarray  # (n,) int64: twice the most points the member can bring (its best circle-mates)
    reasons: dict[int, LeftOutReason]  # members nobody can place, and why


def circular_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Minutes between UTC offsets on the 24-hour clock (at most 12 hours), the pair matcher's rule."""
    gap = np.abs(a - b) % DAY_MINUTES
    return np.minimum(gap, DAY_MINUTES - gap)


def prepare(instance: CircleInstance) -> Prepared:
    members = sorted(instance.members, key=lambda member: member.id)
    ids = np.array([member.id for member in members], dtype=np.int64)
    if len(ids) > 1 and bool(np.any(ids[1:] == ids[:-1])):
        raise ValueError("member ids appear more than once")
    if not MIN_SIZE <= instance.max_size <= MAX_SIZE:
        raise ValueError(f"max_size must be {MIN_SIZE}-{MAX_SIZE}, not {instance.max_size}")
    weights = instance.weights
    if min(weights.theme, weights.heritage, weights.together) < 0:
        raise ValueError(f"weights must not be negative: {weights}")
    n = len(members)
    row = {int(member_id): index for index, member_id in enumerate(ids)}
    cap = np.array([min(max(m.size, MIN_SIZE), MAX_SIZE, instance.max_size) for m in members], dtype=np.int64)
    offsets = np.array([m.utc_offset_minutes for m in members], dtype=np.int64)
    window = np.array(
        [HALF_DAY_MINUTES if m.window_hours is None else max(0, m.window_hours * 60) for m in members],
        dtype=np.int64,
    )

    theme_keys = sorted(set().union(*(m.themes for m in members))) if members else []
    heritage_keys = sorted(set().union(*(m.heritages for m in members))) if members else []
    themes = _onehot([m.themes for m in members], theme_keys)
    heritages = _onehot([m.heritages for m in members], heritage_keys)

    in_window = np.zeros((n, n), dtype=bool)
    compat = np.zeros((n, n), dtype=bool)
    largest = weights.together + weights.theme * themes.sum(axis=1).max(initial=0)
    largest += weights.heritage * heritages.sum(axis=1).max(initial=0)
    weight = np.zeros((n, n), dtype=np.int16 if largest < 32_000 else np.int32)
    forbidden = _forbidden(instance, row)
    theme_f, heritage_f = themes.astype(np.float32), heritages.astype(np.float32)
    for start in range(0, n, ROW_BLOCK):  # row blocks keep the temporaries small (25M cells at 5,000)
        rows = slice(start, min(n, start + ROW_BLOCK))
        gap = circular_gap(offsets[rows, None], offsets[None, :])
        block = gap <= np.minimum(window[rows, None], window[None, :])
        block[np.arange(rows.stop - start), np.arange(start, rows.stop)] = False
        in_window[rows] = block
        # Shared counts by float32 matrix products (BLAS), exact for counts this small.
        shared = weights.theme * (theme_f[rows] @ theme_f.T) + weights.heritage * (heritage_f[rows] @ heritage_f.T)
        weight[rows] = (shared + weights.together).astype(weight.dtype)
    compat[:] = in_window
    if len(forbidden):
        compat[forbidden[:, 0], forbidden[:, 1]] = False
        compat[forbidden[:, 1], forbidden[:, 0]] = False
    weight[~compat] = 0

    star = _star(weight, compat, cap)
    reasons = _unplaceable(in_window, compat)
    star[list(reasons)] = 0
    return Prepared(ids, cap, offsets, compat, weight, themes, heritages, theme_keys, heritage_keys, star, reasons)


def _onehot(sets: list[frozenset[str]], keys: list[str]) -> np.ndarray:
    column = {key: index for index, key in enumerate(keys)}
    matrix = np.zeros((len(sets), len(keys)), dtype=bool)
    for index, tags in enumerate(sets):
        matrix[index, [column[tag] for tag in tags]] = True
    return matrix


def _forbidden(instance: CircleInstance, row: dict[int, int]) -> np.ndarray:
    """Index pairs that may never share a circle: blocks (either way) and past circle-mates."""
    pairs: list[tuple[int, int]] = []
    for a, b in instance.blocks:
        if a in row and b in row and a != b:
            pairs.append((row[a], row[b]))
    for past in instance.past_circles:
        present = sorted(row[member] for member in past if member in row)
        pairs.extend((a, b) for i, a in enumerate(present) for b in present[i + 1 :])
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _star(weight: np.ndarray, compat: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Twice the most points each member can bring: in a circle of size s (3..cap) its pairs are with
    s - 1 compatible members whose own cap is at least s, so they are worth at most its s - 1 best such
    pairs. Half of each pair's points belong to each member, so the sum over members of half of this is
    an upper bound on any grouping's points."""
    n = len(cap)
    best = np.zeros(n, dtype=np.int64)
    for size in range(MIN_SIZE, MAX_SIZE + 1):
        allowed = cap >= size
        rows = np.flatnonzero(allowed)
        if len(rows) == 0 or len(rows) < size - 1:
            continue
        for start in range(0, len(rows), ROW_BLOCK):
            block = rows[start : start + ROW_BLOCK]
            values = np.where(compat[block] & allowed[None, :], weight[block], 0)
            top = -np.partition(-values, size - 2, axis=1)[:, : size - 1]
            best[block] = np.maximum(best[block], top.sum(axis=1, dtype=np.int64))
    return best


def _unplaceable(in_window: np.ndarray, compat: np.ndarray) -> dict[int, LeftOutReason]:
    """Members who cannot be in any circle, with the plain reason (checked, so the words are true)."""
    reasons: dict[int, LeftOutReason] = {}
    window_degree = in_window.sum(axis=1)
    degree = compat.sum(axis=1)
    for member in np.flatnonzero(degree < 2).tolist():
        none_near = window_degree[member] == 0
        reasons[member] = LeftOutReason.NO_ONE_IN_WINDOW if none_near else LeftOutReason.TOO_FEW_TO_GROUP
    for member in np.flatnonzero((degree >= 2) & (degree <= TRIANGLE_CHECK_DEGREE)).tolist():
        near = np.flatnonzero(compat[member])
        if not compat[np.ix_(near, near)].any():
            # In-window members exist but no two of them may sit together. When it is their mutual
            # timezone windows that part them, say so; otherwise (blocks, past circles) stay general.
            apart = not in_window[np.ix_(near, near)].any()
            reasons[member] = LeftOutReason.NO_THREE_TOGETHER if apart else LeftOutReason.TOO_FEW_TO_GROUP
    return reasons
