"""Run a matching round off the event loop. No discord import.

MEASURED.md: `asyncio.to_thread` stalled the event loop 149 ms at 10k mentees and 2.5 s at 50k (the
matcher holds the GIL); a `ProcessPoolExecutor(max_workers=1)` kept stalls at 3-4 ms. The composition
root (bot.py) owns the executor (`matching_executor()`) and shuts it down on close; tests may pass None.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from cogs.mentorship.matching import MatchResult, match


def matching_executor() -> ProcessPoolExecutor:
    """The one-worker process pool rounds run in."""
    return ProcessPoolExecutor(max_workers=1)


async def match_off_loop(executor: Executor | None, *args: Any, **kwargs: Any) -> MatchResult:
    """`match(*args, **kwargs)` in `executor` (a process pool), or inline when `executor` is None."""
    if executor is None:
        return match(*args, **kwargs)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, functools.partial(match, *args, **kwargs))
