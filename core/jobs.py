"""The registry of things that fall due: prompt posts, expiries, check-ins, rounds, retention.

Each feature registers an async handler `handler(now)`. The handler finds what is due in the
database and claims it there (conditional updates, unique slots, leases), so running it twice for
the same moment does nothing the second time. APScheduler only decides *when* to call `run_due()`.

One fault never holds back the rest:
- handlers run side by side, each on its own; one that raises is retried on its own backoff
  (1, 2, 4 … minutes, capped), not every tick, and the others run as usual;
- a failure streak is logged once: the first failure at ERROR with its traceback, repeats at DEBUG,
  the recovery at INFO;
- handlers that talk to Discord wait until the gateway has delivered the servers (`gateway_ready`):
  before READY every channel looks deleted and every member looks gone.

Inside a handler, each unit (one check-in, one notice) is isolated the same way: `is_retryable`
says whether a failure is worth another try, `backoff` says when.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import aiohttp
import discord
from discord.http import HTTPClient

from core import logcontext

log = logging.getLogger(__name__)

DueHandler = Callable[[datetime], Awaitable[object]]
T = TypeVar("T")

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(minutes=30)


def backoff(failures: int) -> timedelta:
    """How long to wait after `failures` failures in a row: 1, 2, 4 … minutes, at most BACKOFF_CAP."""
    if failures <= 0:
        return timedelta(0)
    return min(BACKOFF_FIRST * (2 ** min(failures - 1, 16)), BACKOFF_CAP)


def is_retryable(error: BaseException) -> bool:
    """A failure that another try may not repeat: Discord's 5xx and 429, a dropped or timed-out connection.

    A 4xx (DMs closed, a deleted message or channel, missing permission) is Discord's answer, not a fault:
    trying again gets the same answer, so the unit is settled instead.
    """
    if isinstance(error, discord.HTTPException):
        return error.status >= 500 or error.status == 429
    return isinstance(error, (aiohttp.ClientError, OSError, asyncio.TimeoutError, discord.GatewayNotFound))


def gateway_ready(bot: Any) -> bool:
    """Whether Discord has delivered this process's servers: READY on every shard it runs, none reconnecting.

    Before that, `get_channel` and `get_member` return None for things that exist."""
    if not bot.is_ready():
        return False
    shards = getattr(bot, "shards", None) or {}
    return not any(shard.is_closed() for shard in shards.values())


def guild_unavailable(bot: Any, guild_id: int) -> bool:
    """A guild Discord has in an outage (`guild.unavailable`): its channels and members are missing from the
    cache but not gone. Its due work waits; it must never be read as "the channel was deleted"."""
    guild = bot.get_guild(guild_id)
    return guild is not None and bool(guild.unavailable)


class Pace:
    """At most `rate` requests in any `per` seconds from the due work that shares it, spread evenly: Discord's own
    rule, kept even where Discord's clock and ours disagree.

    Discord allows a bot 50 requests a second in all (interaction answers aside) and answers more with 429s;
    discord.py waits those out, but each one is a wasted request (ten thousand invalid requests in ten
    minutes get the bot's IP banned for an hour). A drain that paces itself a little under the limit goes as
    fast as Discord lets it and leaves room for what members do meanwhile.

    A backlog goes out one request every `per / rate` seconds, not `rate` at once then a pause: requests let go
    together reach Discord a little apart (the loop's other work, the network), and a second's worth let go at
    the start of each second lands partly in Discord's previous second, which answers the excess with 429s
    (measured: 92 in a 2,000-request drain on PostgreSQL). A request may go up to `burst` - 1 intervals before its
    place, so a small run (a member's few owed DMs) never waits, and a request the loop resumed late does not
    push back the ones after it. Times come from the event loop's clock (SimCord's virtual clock in tests)."""

    def __init__(self, rate: int, per: float = 1.0, burst: int = 4) -> None:
        if rate < 1 or per <= 0 or not 1 <= burst <= rate:
            raise ValueError("a pace needs a rate of at least 1, a positive period and a burst from 1 to the rate")
        self.rate, self.per, self.burst = rate, per, burst
        self.interval = per / rate
        self._given: deque[float] = deque(maxlen=rate)  # the times given to the last `rate` requests
        self._starts: deque[float] = deque(maxlen=rate)  # when the last `rate` requests really started
        self._next = -math.inf  # when the next request is due if requests keep coming one interval apart
        self._last = -math.inf  # the clock when last asked

    def turn(self, now: float) -> float:
        """The time given to a request asking at `now`: at most `rate` in any `per` seconds, and no earlier than
        one interval after the previous request's time, less the `burst` allowance. Each asker gets the next
        free time at once, so waiters go in the order they asked and each sleeps once."""
        if now < self._last:  # the clock went back (a test's virtual clock): start afresh
            self._given.clear()
            self._starts.clear()
            self._next = -math.inf
        self._last = now
        given = self._given
        at = max(now, self._next - (self.burst - 1) * self.interval)
        if len(given) == self.rate:
            at = max(at, given[0] + self.per)
        given.append(at)
        self._next = max(self._next, at) + self.interval
        return at

    async def wait(self) -> None:
        """Wait for this request's time (`turn`), then, should timers have woken requests late and bunched, until
        the last `rate` real starts allow it."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        at = self.turn(now)
        starts = self._starts
        while True:
            if len(starts) == self.rate and 0 <= now - starts[0] < self.per:
                at = max(at, starts[0] + self.per)
            if at <= now:
                break
            await asyncio.sleep(at - now)
            now = loop.time()
        starts.append(now)


async def in_batches(
    lease: Callable[[datetime], Awaitable[Sequence[T]]],
    handle: Callable[[T, datetime], Awaitable[bool]],
    *,
    size: int,
    now: datetime,
    clock: Callable[[], datetime],
    concurrency: int = 1,
    pace: Pace | None = None,
    whom: Callable[[T], Iterable[Hashable]] | None = None,
) -> int:
    """Owed work a batch at a time: `lease(at)` takes the lease on up to `size` due rows, `handle(row, at)` does
    one (True: it counts as done), and the next batch is leased as soon as every row of this one has started,
    until a batch comes back short. A backlog of thousands is never leased at once, so each batch goes out well
    within its lease, and the drain never idles between batches (leasing after the last row of a batch was done
    left the pace unused for a DM's round trip and a write, 0.15-0.3 s, every batch). Each batch is leased at the
    later of `now` and the clock, so a long drain's leases and backoffs count from their own batch. Returns how
    many were done.

    Up to `concurrency` rows are handled at once: a DM is two requests of 50-150 ms each (open the channel,
    post), so one at a time a drain sends about 8 a second where Discord allows 25. Rows for the same recipient
    (`whom(row)`: the members or threads a row writes to) still go one after the other, in the order leased, in
    this batch and across batches, so a member's messages arrive in the order they were owed. With `pace`, every
    Discord request a handler makes waits its turn there (`paced_requests`), so the drain, and whatever other due
    work shares the pace, stays under Discord's global limit. A handler that raises ends the drain once the rows
    already started are done (none is cut off between its request and its record), and its error is raised; rows
    of a batch leased meanwhile and not started wait out their lease, as a dead process's would."""
    token = _PACE.set(pace) if pace is not None else None
    waiting: deque[tuple[list[T], datetime]] = deque()  # lanes leased and not started, with their batch's time
    holders: dict[Hashable, asyncio.Future[None]] = {}  # recipient -> the last lane started for them
    workers: set[asyncio.Task[None]] = set()
    all_started = asyncio.Event()
    failed: list[BaseException] = []
    done = 0

    async def worker() -> None:
        nonlocal done
        while waiting and not failed:
            lane, at = waiting.popleft()
            if not waiting:
                all_started.set()
            keys = {key for row in lane for key in whom(row)} if whom is not None else set()
            before = {holders[key] for key in keys if key in holders}
            finished = asyncio.get_running_loop().create_future()
            holders.update(dict.fromkeys(keys, finished))
            try:
                for earlier in before:  # the same recipient's lane of an earlier batch, still going
                    await asyncio.shield(earlier)
                for row in lane:
                    if failed:
                        return
                    outcome = await handle(row, at)  # awaited first: `done += await …` would lose counts
                    done += outcome
            except Exception as error:
                failed.append(error)
                all_started.set()
                return
            finally:
                finished.set_result(None)
                for key in keys:
                    if holders.get(key) is finished:
                        del holders[key]

    try:
        while not failed:
            at = max(now, clock())
            batch = await lease(at)
            all_started.clear()
            waiting.extend((lane, at) for lane in _lanes(batch, whom))
            workers = {task for task in workers if not task.done()}
            for _ in range(min(concurrency - len(workers), len(waiting))):
                workers.add(asyncio.create_task(worker()))
            if len(batch) < size:
                break
            if waiting:
                await all_started.wait()
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()  # only when the drain itself was cancelled: otherwise every worker is done
        await asyncio.gather(*workers, return_exceptions=True)
        if token is not None:
            _PACE.reset(token)
    if failed:
        raise failed[0]
    return done


def _lanes(batch: Sequence[T], whom: Callable[[T], Iterable[Hashable]] | None) -> list[list[T]]:
    """The batch split into lanes handled one row after another: rows that share a recipient share a lane (two
    lanes that meet in a row merge), each lane in the batch's order, the lanes by their first row."""
    if whom is None:
        return [[row] for row in batch]
    lane_of: dict[Hashable, int] = {}  # recipient -> the lane it is in
    lanes: dict[int, list[int]] = {}  # lane -> positions in the batch
    for position, row in enumerate(batch):
        keys = list(whom(row))
        met = sorted({lane_of[key] for key in keys if key in lane_of})
        lane = met[0] if met else position
        lanes[lane] = sorted([position, *(p for other in met for p in lanes.pop(other))])
        if len(met) > 1:  # the lanes this row joins become one: their recipients move with them
            lane_of.update([(key, lane) for key, value in lane_of.items() if value in met])
        lane_of.update((key, lane) for key in keys)
    return [[batch[p] for p in positions] for _, positions in sorted(lanes.items())]


_PACE: ContextVar[Pace | None] = ContextVar("lantern_due_pace", default=None)


def paced_requests(http: HTTPClient) -> None:
    """Make every request of `http` made inside a paced drain (`in_batches` with a pace) wait its turn on that pace
    first: the DMs, member lookups and posts owed work sends, however many each unit needs. Requests made elsewhere
    (interaction answers go through webhooks anyway, members' commands, the prompt drain, which waits on the same
    pace itself) are untouched."""
    request = http.request

    async def paced_request(*args: Any, **kwargs: Any) -> Any:
        pace = _PACE.get()
        if pace is not None:
            await pace.wait()
        return await request(*args, **kwargs)

    http.request = paced_request  # type: ignore[method-assign]


@dataclass
class HandlerState:
    """How one due handler is doing: failures in a row, and when it may run again."""

    failures: int = 0
    retry_at: datetime | None = None
    running: bool = False
    last_error: str | None = None


@dataclass
class _Registered:
    handler: DueHandler
    needs_gateway: bool
    state: HandlerState = field(default_factory=HandlerState)


@dataclass
class DueJobs:
    """The registered handlers, and how their owed work drains: `drain` paces every Discord request on `pace`
    (shared with the prompt drain, so all due work together stays under Discord's limit) and handles up to
    `concurrency` units at once."""

    clock: Callable[[], datetime] = discord.utils.utcnow
    pace: Pace = field(default_factory=lambda: Pace(48))
    concurrency: int = 1
    _registered: dict[str, _Registered] = field(default_factory=dict)

    async def drain(
        self,
        lease: Callable[[datetime], Awaitable[Sequence[T]]],
        handle: Callable[[T, datetime], Awaitable[bool]],
        *,
        size: int,
        now: datetime,
        whom: Callable[[T], Iterable[Hashable]] | None = None,
    ) -> int:
        """`in_batches` at this registry's clock, pace and concurrency; how many were done."""
        return await in_batches(
            lease,
            handle,
            size=size,
            now=now,
            clock=self.clock,
            concurrency=self.concurrency,
            pace=self.pace,
            whom=whom,
        )

    @property
    def handlers(self) -> dict[str, DueHandler]:
        return {name: entry.handler for name, entry in self._registered.items()}

    def register(self, name: str, handler: DueHandler, *, needs_gateway: bool = True) -> None:
        """Add a handler. `needs_gateway=False` for work that never looks at Discord's cache (a backup)."""
        if name in self._registered:
            raise ValueError(f"a due job called {name!r} is already registered")
        self._registered[name] = _Registered(handler, needs_gateway)

    def unregister(self, name: str) -> None:
        self._registered.pop(name, None)

    def state(self, name: str) -> HandlerState:
        return self._registered[name].state

    def failing(self) -> dict[str, HandlerState]:
        """The handlers in a failure streak (for status pages and tests)."""
        return {name: entry.state for name, entry in self._registered.items() if entry.state.failures}

    async def run_due(self, now: datetime, *, gateway_ready: bool = True) -> dict[str, object]:
        """Run every handler that may run at `now`, side by side; returns the results of those that finished.

        A handler is left out while it is still running from an earlier call, while it waits out its
        backoff, or (if it needs the gateway) while the gateway isn't ready. A failure is recorded on the
        handler and never raised: the others' results are returned as usual.
        """
        names = [name for name, entry in self._registered.items() if self._may_run(name, entry, now, gateway_ready)]
        if not gateway_ready and any(entry.needs_gateway for entry in self._registered.values()):
            log.debug("due work that needs Discord waits: the gateway hasn't delivered every server yet")
        entries = [self._registered[name] for name in names]
        for entry in entries:  # marked before the first await, so an overlapping call never starts them twice
            entry.state.running = True
        try:
            runs = [self._run_one(name, entry, now) for name, entry in zip(names, entries, strict=True)]
            outcomes = await asyncio.gather(*runs)
        except BaseException:  # cancelled (shutdown): none of them is running any more
            for entry in entries:
                entry.state.running = False
            raise
        return {name: result for name, (ok, result) in zip(names, outcomes, strict=True) if ok}

    def _may_run(self, name: str, entry: _Registered, now: datetime, gateway_ready: bool) -> bool:
        state = entry.state
        if state.running:
            log.debug("due job %s is still running from an earlier tick", name)
            return False
        if entry.needs_gateway and not gateway_ready:
            return False
        return state.retry_at is None or now >= state.retry_at

    async def _run_one(self, name: str, entry: _Registered, now: datetime) -> tuple[bool, object]:
        state = entry.state
        logcontext.bind_text(f"job={name}")
        try:
            result = await entry.handler(now)
        except Exception as error:
            self._failed(name, state, now, error)
            return False, None
        finally:
            state.running = False
        if state.failures:
            log.info("due job %s works again after %d failed runs", name, state.failures)
        state.failures, state.retry_at, state.last_error = 0, None, None
        return True, result

    @staticmethod
    def _failed(name: str, state: HandlerState, now: datetime, error: Exception) -> None:
        state.failures += 1
        state.retry_at = now + backoff(state.failures)
        state.last_error = f"{type(error).__name__}: {error}"
        if state.failures == 1:
            log.error(
                "due job %s failed at %s; the others go on, and it is tried again at %s",
                name,
                now.isoformat(),
                state.retry_at.isoformat(),
                exc_info=error,
            )
        else:
            log.debug(
                "due job %s failed again (%d in a row: %s); next try at %s",
                name,
                state.failures,
                state.last_error,
                state.retry_at.isoformat(),
            )
