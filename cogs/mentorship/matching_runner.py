"""Run a matching round off the event loop. No discord import.

MEASURED.md: `asyncio.to_thread` stalled the event loop 149 ms at 10k mentees and 2.5 s at 50k (the
matcher holds the GIL); a `ProcessPoolExecutor(max_workers=1)` kept stalls at 3-4 ms. The composition
root (bot.py) owns the executor (`matching_executor()`) and shuts it down on close; tests may pass None.

The pool pickles what it sends and receives on the parent's side, in one call each: at 50k x 10k that was
0.21 s for the profiles and 0.35 s for the 30k pairs coming back, and the event loop stalled 327 ms
(`bench/matching.py --stall`). So long lists go across as slices pickled (and the pairs unpickled) on the
event loop a slice at a time, yielding between slices: each slice costs a few milliseconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, TypeVar

from engine.matching import MatchResult, match

WORKER_NICENESS = 10
T = TypeVar("T")
SLICE = 500  # items pickled or unpickled at once on the event loop (about 2-5 ms at 50k x 10k)


@dataclasses.dataclass(frozen=True, slots=True)
class _Sliced:
    """A long list sent as pickled slices."""

    blobs: tuple[bytes, ...]


def matching_executor() -> ProcessPoolExecutor:
    """The one-worker process pool rounds run in, at a lower scheduling priority than the bot: on a busy
    machine the event loop's process should get the CPU first (a round is a batch job)."""
    return ProcessPoolExecutor(max_workers=1, initializer=_lower_priority)


def _lower_priority() -> None:
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)


async def match_off_loop(executor: Executor | None, *args: Any, **kwargs: Any) -> MatchResult:
    """`match(*args, **kwargs)` in `executor` (a process pool), or inline when `executor` is None."""
    if executor is None:
        return match(*args, **kwargs)
    head, pairs = await _in_worker(executor, _run, args, kwargs)
    result: MatchResult = pickle.loads(head)
    return dataclasses.replace(result, pairs=tuple(pairs))


async def list_off_loop(
    executor: Executor | None, function: Callable[..., list[T]], *args: Any, **kwargs: Any
) -> list[T]:
    """`function(*args, **kwargs)` (a module-level function returning a list) in `executor`, or inline when
    `executor` is None; long arguments and the list coming back cross in slices, as for a round."""
    if executor is None:
        return function(*args, **kwargs)
    _head, items = await _in_worker(executor, functools.partial(_run_list, function), args, kwargs)
    return items


async def _in_worker(
    executor: Executor, run: Callable[[list[Any], dict[str, Any]], tuple[bytes, list[bytes]]], args: Any, kwargs: Any
) -> tuple[bytes, list[Any]]:
    loop = asyncio.get_running_loop()
    packed_args = [await _pack(value) for value in args]
    packed_kwargs = {key: await _pack(value) for key, value in kwargs.items()}
    head, blobs = await loop.run_in_executor(executor, functools.partial(run, packed_args, packed_kwargs))
    items: list[Any] = []
    for blob in blobs:
        items.extend(pickle.loads(blob))
        await asyncio.sleep(0)
    return head, items


async def _pack(value: Any) -> Any:
    """A long list, tuple or set as pickled slices (yielding to the loop between them); anything else as is."""
    if not isinstance(value, list | tuple | set | frozenset) or len(value) <= SLICE:
        return value
    items = list(value)
    blobs = []
    for start in range(0, len(items), SLICE):
        blobs.append(pickle.dumps(items[start : start + SLICE], protocol=pickle.HIGHEST_PROTOCOL))
        await asyncio.sleep(0)
    return _Sliced(tuple(blobs))


def _unpack(value: Any) -> Any:
    if not isinstance(value, _Sliced):
        return value
    return [item for blob in value.blobs for item in pickle.loads(blob)]


def _run(args: list[Any], kwargs: dict[str, Any]) -> tuple[bytes, list[bytes]]:
    """In the worker: the round, returned as the result without its pairs and the pairs in pickled slices."""
    result = match(*(_unpack(value) for value in args), **{key: _unpack(value) for key, value in kwargs.items()})
    head = pickle.dumps(dataclasses.replace(result, pairs=()), protocol=pickle.HIGHEST_PROTOCOL)
    return head, _slices(result.pairs)


def _run_list(function: Callable[..., list[Any]], args: list[Any], kwargs: dict[str, Any]) -> tuple[bytes, list[bytes]]:
    """In the worker: `function`'s list in pickled slices."""
    items = function(*(_unpack(value) for value in args), **{key: _unpack(value) for key, value in kwargs.items()})
    return b"", _slices(items)


def _slices(items: Sequence[Any]) -> list[bytes]:
    return [
        pickle.dumps(list(items[start : start + SLICE]), protocol=pickle.HIGHEST_PROTOCOL)
        for start in range(0, len(items), SLICE)
    ]
