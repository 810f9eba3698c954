"""The profiles as the integer arrays the vectorised engine works on (`Population`): tag sets as bit
words, counts, offsets and windows, the point lookup tables and the forbidden pairs. Only tags present
on both sides get a bit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

import numpy as np

from engine.matching.model import MenteeProfile, MentorProfile, Weights
from engine.matching.scoring import DAY_MINUTES, HALF_DAY_MINUTES, fraction_points, wants_similar, window_minutes


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
    theme_tags: tuple[str, ...] = ()  # what each bit of `themes` stands for (bit k: the k-th, sorted)
    language_tags: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return int(self.offsets.shape[0])

    @property
    def m(self) -> int:
        return self.mentors.size


EXCLUSION_CHUNK = 1 << 17  # exclusions looked up at once (`_forbidden_keys`)


def _forbidden_keys(
    exclusions: Iterable[tuple[int, int]], members: np.ndarray, row_of: np.ndarray, col_of: np.ndarray, m: int
) -> list[np.ndarray]:
    """The row * m + col keys of the pairs the (mentor id, mentee id) `exclusions` forbid, either way round (an
    exclusion is about the two members, whichever role each takes), in chunks of EXCLUSION_CHUNK: each chunk is
    flattened through `np.fromiter` (1M pairs: 0.10-0.14 s against 0.3-0.4 s for `np.array` of the list of
    tuples), and each id looked up once among every member's ids (`members`, sorted), which gives both its mentee
    row and its mentor column (`row_of`, `col_of`: -1 if none, and the last entry answers for ids of nobody
    here). By chunks, the lookups' temporaries stay small: whole, heavy exclusions (1M) peaked at 140 MB."""
    given = exclusions if isinstance(exclusions, list) else list(exclusions)
    keys = []
    for start in range(0, len(given), EXCLUSION_CHUNK):
        chunk = given[start : start + EXCLUSION_CHUNK]
        ids = np.fromiter(chain.from_iterable(chunk), dtype=np.int64, count=2 * len(chunk)).reshape(-1, 2)
        at = np.searchsorted(members, ids)
        at[(at == members.size) | (members[np.minimum(at, members.size - 1)] != ids)] = members.size
        for mentee, mentor in ((1, 0), (0, 1)):  # the mentee id as mentee, then the other way round
            rows, cols = row_of[at[:, mentee]], col_of[at[:, mentor]]
            known = (rows >= 0) & (cols >= 0)
            keys.append(rows[known] * m + cols[known])
    return keys


def first_of_each(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values of non-negative int64 `keys` and where each first occurs, as np.unique(keys,
    return_index=True) gives them: by one sort of keys that carry their position in the low bits (numpy sorts
    int64 with SIMD; np.unique argsorts: 650k candidate keys 86 -> 13 ms), or by np.unique where they would not fit."""
    tagged = _tagged_sort(keys)
    if tagged is None:
        distinct, first = np.unique(keys, return_index=True)
        return distinct, first
    values, positions, head = tagged
    return values[head], positions[head]


def groups_of(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each distinct value of non-negative int64 `keys` first occurs (in the values' order) and the group
    of every key, as np.unique(keys, return_index=True, return_inverse=True) gives them (see `first_of_each`)."""
    tagged = _tagged_sort(keys)
    if tagged is None:
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        return first, inverse.reshape(-1)
    _, positions, head = tagged
    group = np.empty(keys.size, dtype=np.int64)
    group[positions] = np.cumsum(head) - 1
    return positions[head], group


def _tagged_sort(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """`keys` sorted, each carrying its position in the low bits: (values, their positions, where each distinct
    value starts); None (nothing to sort, or a key too large or negative to carry one) when np.unique must do it."""
    bits = max(1, int(keys.size).bit_length())
    if keys.size == 0 or int(keys.max()) >= 1 << (63 - bits) or int(keys.min()) < 0:
        return None
    tagged = keys.astype(np.int64) << bits
    tagged |= np.arange(keys.size, dtype=np.int64)
    tagged.sort()
    values = tagged >> bits
    return values, tagged & ((1 << bits) - 1), np.r_[True, values[1:] != values[:-1]]


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values, as np.unique gives them without its first-call import of numpy.ma (35 ms in a
    fresh process, most of the 1k x 200 budget)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if values.size else values


def encode(
    mentees: list[MenteeProfile],
    mentors: list[MentorProfile],
    offsets: dict[str, int],
    exclusions: Iterable[tuple[int, int]],
    weights: Weights,
) -> Population:
    """The arrays the vectorised engine scores with. Only tags present on both sides get a bit."""
    covered = [mentor.themes - mentor.not_covered for mentor in mentors]

    def vocab(left: Iterable[frozenset[str]], right: Iterable[frozenset[str]]) -> dict[str, int]:
        common = set().union(*left) & set().union(*right)
        return {tag: bit for bit, tag in enumerate(sorted(common))}

    theme_vocab = vocab((p.themes for p in mentees), covered)
    heritage_vocab = vocab((p.heritages for p in mentees if wants_similar(p)), (p.heritages for p in mentors))
    language_vocab = vocab((p.languages for p in mentees), (p.languages for p in mentors))

    # Forbidden (row, col) pairs, vectorised (a set of tuples took ~2 s and ~150 MB for 1M exclusions): an
    # exclusion is about the two members, whichever role each takes; nobody mentors themself. Each id is looked
    # up once among every member's ids, which says both its mentee row and its mentor column (-1 if none).
    mentee_ids = np.array([profile.id for profile in mentees], dtype=np.int64)  # sorted
    mentor_ids = np.array([profile.id for profile in mentors], dtype=np.int64)
    members = distinct(np.concatenate([mentee_ids, mentor_ids]))
    row_of = np.full(members.size + 1, -1, dtype=np.int64)  # the last entry answers for ids of nobody here
    col_of = row_of.copy()
    row_of[np.searchsorted(members, mentee_ids)] = np.arange(len(mentees))
    col_of[np.searchsorted(members, mentor_ids)] = np.arange(len(mentors))
    chunks = _forbidden_keys(exclusions, members, row_of, col_of, len(mentors))
    both = np.flatnonzero((row_of[:-1] >= 0) & (col_of[:-1] >= 0))  # members on both sides: not with themself
    keys = distinct(np.concatenate([*chunks, row_of[both] * len(mentors) + col_of[both]]))
    del chunks
    excluded_ptr = np.concatenate([[0], np.cumsum(np.bincount(keys // len(mentors), minlength=len(mentees)))])

    def counts(sets: Iterable[frozenset[str]]) -> np.ndarray:
        return np.array([len(tags) for tags in sets], dtype=np.int32)

    theme_count = counts(p.themes for p in mentees)
    heritage_count = counts(p.heritages for p in mentees)
    language_count = counts(p.languages for p in mentees)
    theme_table, theme_stride = fraction_table(weights.theme, int(theme_count.max()))
    heritage_table, heritage_stride = fraction_table(weights.heritage, int(heritage_count.max()))
    language_table, language_stride = fraction_table(weights.language, int(language_count.max()))
    closeness = HALF_DAY_MINUTES - np.arange(HALF_DAY_MINUTES + 1, dtype=np.int64)  # timezone_points
    timezone_table = ((2 * weights.timezone * closeness + HALF_DAY_MINUTES) // DAY_MINUTES).astype(np.int16)
    return Population(
        themes=bitsets([p.themes for p in mentees], theme_vocab),
        theme_count=theme_count,
        heritages=bitsets([p.heritages for p in mentees], heritage_vocab),
        heritage_count=heritage_count,
        similar=np.array([wants_similar(p) for p in mentees], dtype=bool),
        languages=bitsets([p.languages for p in mentees], language_vocab),
        language_count=language_count,
        offsets=np.array([offsets[p.timezone] for p in mentees], dtype=np.int16),
        window=np.array([window_minutes(p) for p in mentees], dtype=np.int16),
        mentors=Side(
            themes=bitsets(covered, theme_vocab),
            heritages=bitsets([p.heritages for p in mentors], heritage_vocab),
            languages=bitsets([p.languages for p in mentors], language_vocab),
            offsets=np.array([offsets[p.timezone] for p in mentors], dtype=np.int16),
        ),
        capacity=np.array([p.capacity for p in mentors], dtype=np.int64),
        excluded_ptr=excluded_ptr.astype(np.int64),
        excluded_cols=keys % len(mentors),
        theme_table=theme_table,
        theme_stride=theme_stride,
        heritage_table=heritage_table,
        heritage_stride=heritage_stride,
        language_table=language_table,
        language_stride=language_stride,
        timezone_table=timezone_table,
        heritage_any=weights.heritage,
        excluded_keys=keys,
        theme_tags=tuple(theme_vocab),
        language_tags=tuple(language_vocab),
    )
