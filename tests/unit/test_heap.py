"""No full collection during a large round (core/heap.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from core.heap import OUT_OF_REACH, YOUNG_THRESHOLD, freeze_startup_heap, full_collections_paused


@pytest.fixture(autouse=True)
def thresholds() -> Iterator[tuple[int, ...]]:
    saved = gc.get_threshold()
    yield saved
    gc.set_threshold(*saved)


def test_only_young_collections_run_inside_and_the_thresholds_return_after(thresholds: tuple[int, ...]) -> None:
    with full_collections_paused():
        assert gc.isenabled()
        assert gc.get_threshold() == (thresholds[0], thresholds[1], OUT_OF_REACH)
        before = gc.get_stats()
        kept = [[] for _ in range(50_000)]  # enough live objects for young collections to run
        after = gc.get_stats()
        del kept
        assert after[0]["collections"] > before[0]["collections"]
        assert after[2]["collections"] == before[2]["collections"]
    assert gc.get_threshold() == thresholds


def test_overlapping_pauses_end_with_the_last_one(thresholds: tuple[int, ...]) -> None:
    """Two guilds' rounds may overlap without nesting: the first ending must not end the pause for the second."""
    first, second = full_collections_paused(), full_collections_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[2] == OUT_OF_REACH
    second.__exit__(None, None, None)
    assert gc.get_threshold() == thresholds


def test_a_failing_round_still_ends_the_pause(thresholds: tuple[int, ...]) -> None:
    with pytest.raises(RuntimeError), full_collections_paused():
        raise RuntimeError("the round failed")
    assert gc.get_threshold() == thresholds


def test_the_startup_heap_is_frozen_and_young_collections_come_less_often() -> None:
    """After `freeze_startup_heap`, the objects alive are frozen and a young collection waits for YOUNG_THRESHOLD
    allocations; the older generations keep their thresholds."""
    middle, oldest = gc.get_threshold()[1:]
    try:
        frozen = freeze_startup_heap()
        assert frozen == gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, oldest)
    finally:
        gc.unfreeze()
