"""Members' first answers before the work that follows them.

Some handlers keep working after they answer: `/prompt suggest` and `/setup options` post to the mod-log (a
Discord request, the `MESSAGE_CREATE` it comes back as, and for the suggestion a write recording whom the entry
names). On one event loop that work runs between the other interactions' steps, and in a burst of 200 it delays
their first answers (docs/scale.md, "Bursts, third pass"). So work after an answer waits, briefly, until no
interaction that has started is still unanswered: members see their answers first, the mod-log a moment later.

`opened(interaction)` is called where every interaction enters Lantern (next to `logcontext.bind`, in the
interaction's own task); the interaction counts as open until it is answered or its task ends. `after_answers()`
returns at once unless it runs in the task of an interaction that has been answered while others are open; then it
waits until they are answered, at most `MAX_WAIT` seconds (a steady stream of interactions never holds the work
back for longer).

The registry is one per process (like discord.py's own stores it lives as long as the loop); entries leave it when
their task ends, so it holds only the interactions in flight.
"""

from __future__ import annotations

import asyncio

import discord

MAX_WAIT = 1.0  # seconds; the longest the work after an answer waits for other first answers
POLL = 0.005  # seconds between looks while something waits (one look for all waiters)

_open: dict[asyncio.Task[object], discord.Interaction] = {}
_quiet: asyncio.Event | None = None
_watcher: asyncio.Task[None] | None = None


def opened(interaction: discord.Interaction) -> None:
    """Count `interaction` as open until it is answered or the running task (its handler's) ends."""
    task = asyncio.current_task()
    if task is None or task in _open:
        return
    _open[task] = interaction
    task.add_done_callback(_closed)


def _closed(task: asyncio.Task[object]) -> None:
    _open.pop(task, None)


def unanswered() -> int:
    """How many open interactions of the running loop have no response yet (entries of another loop, left by a
    loop that closed with handlers still running, are dropped)."""
    loop = asyncio.get_running_loop()
    for task in [task for task in _open if task.get_loop() is not loop]:
        del _open[task]
    return sum(1 for interaction in _open.values() if not interaction.response.is_done())


async def after_answers() -> None:
    """In an answered interaction's task, wait until every open interaction is answered (at most MAX_WAIT)."""
    own = _open.get(asyncio.current_task())  # type: ignore[arg-type]
    if own is None or not own.response.is_done() or not unanswered():
        return
    global _quiet, _watcher
    loop = asyncio.get_running_loop()
    if _quiet is None or _quiet.is_set() or _watcher is None or _watcher.done() or _watcher.get_loop() is not loop:
        _quiet = asyncio.Event()
        _watcher = loop.create_task(_watch(_quiet), name="lantern-answers-first")
    await _quiet.wait()  # the watcher sets it by MAX_WAIT at the latest


async def _watch(quiet: asyncio.Event) -> None:
    """One look every POLL seconds for all the waiters, until nothing is unanswered (or MAX_WAIT has passed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAX_WAIT
    # Polling: discord.py signals no event when a response is sent, and one look costs a pass over the open few.
    while unanswered() and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(POLL)
    quiet.set()
