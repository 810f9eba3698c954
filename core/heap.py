"""No full garbage collection while a matching round of a large pool holds its heap (50k x 10k), or while a
backlog of prompt posts drains.

A round builds tens of thousands of profiles, exclusions and pairs on the event loop's process. More than a
quarter of the heap is then new, so CPython owes a full collection, and the round's own allocations set it off
partway through: one collection walking every object the process holds, 100-140 ms at 50k x 10k with the event
loop stopped (docs/matching.md, "the loop stall is a garbage collection").

Inside `full_collections_paused()` the oldest generation's threshold is out of reach, so only young collections
run (a few thousand objects each, as always: cyclic garbage still goes). The round frees its objects by their
reference counts before the block ends (cogs/mentorship/rounds.release), so the full collection that follows has
only what outlived the round to walk.

A drain of thousands of prompt posts (cogs/prompts/posting.run_due) runs for minutes at Discord's 50 requests a
second, and what it leaves alive (discord.py's rate-limit buckets, its message cache, the records of what was
sent) set off a full collection every few seconds, each walking all of it: 8-11 in a 2,000-post drain, 200-300 ms
each, the longest stalls members' commands waited behind. Paused for the drain, they run once after it, and the
resident memory at its end was the same (bench/due.py, docs/scale.md "Due work at scale", 2026-12-03).

Two things measured and not kept (bench/round.py): `gc.disable()` for the round left every object allocated
during it, garbage cycles included, to the first young collection afterwards (129 ms of the loop at 50k on
PostgreSQL); `gc.freeze()` would keep whatever cyclic garbage it froze for good.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

OUT_OF_REACH = 1 << 30  # young collections between two full ones: never, within a round

_depth = 0  # pauses in progress (rounds of two guilds may overlap); the threshold returns when the last ends
_saved: tuple[int, ...] = ()  # the thresholds when the first of them began


@contextlib.contextmanager
def full_collections_paused() -> Iterator[None]:
    """No full (oldest-generation) garbage collection inside the block; young ones run as usual. Nested and
    overlapping blocks are allowed: the thresholds come back when the last one ends."""
    global _depth, _saved
    if _depth == 0:
        _saved = gc.get_threshold()
        young, middle = _saved[0], _saved[1] if len(_saved) > 1 else 10
        gc.set_threshold(young, middle, OUT_OF_REACH)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            gc.set_threshold(*_saved)


# Young collections once the heap is frozen: one every YOUNG_THRESHOLD allocations net of frees (CPython's default
# is 700). A burst of 200 interactions keeps thousands of young objects alive at once (each interaction's payload,
# models and coroutine frames), and every young collection walks them all again: 35-40 young collections a burst.
# Measured in bench/load.py's bursts on SQLite (5 x 200, two pairs, load 2.8): 26.0 and 27.2 ms of the loop's CPU
# a burst in collections at 700, 19.4 and 14.0 ms at 7,000 (5.4-6.1 % of the burst's loop CPU -> 3.4 %). Full
# collections keep their own rule (a quarter of the long-lived heap new), so their pace hardly moves.
YOUNG_THRESHOLD = 7000


def freeze_startup_heap() -> int:
    """Once the bot is ready (FREEZE_HEAP_ON_READY): collect, move everything alive (Discord's caches, loaded at
    startup and kept) out of the collector's way with `gc.freeze()`, and make young collections rarer
    (YOUNG_THRESHOLD). Returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *threshold[1:])
    return gc.get_freeze_count()
