"""The garbage collector's pause around work that builds a large short-lived heap (a matching round of 50k).

A round builds tens of thousands of profiles, exclusions and pairs on the event loop's process. More than a
quarter of the heap is then new, so CPython owes a full collection, and the round's own allocations set it off
partway through: one collection walking every object the process holds, 100-140 ms at 50k x 10k with the event
loop stopped (docs/matching.md, "the loop stall is a garbage collection"). Pausing the collector for the round
and resuming it once the round's objects are gone (freed by their reference counts, as nearly all are) means
that collection never has them to walk: the first collection after the pause sees only what outlived the round.

`gc.freeze()` would do the same for the walk but keeps whatever cyclic garbage it freezes for good; a pause only
delays such garbage to the next collection after the round.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_depth = 0  # pauses in progress (rounds of two guilds may overlap); the collector resumes when the last ends
_resume = False  # whether the collector was on when the first of them began


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic garbage collection inside the block (nested and overlapping blocks allowed); on leaving the
    last one, the collector is on again if it was on when the first began."""
    global _depth, _resume
    if _depth == 0:
        _resume = gc.isenabled()
        gc.disable()
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _resume:
            gc.enable()
