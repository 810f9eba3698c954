"""Load benchmark: Lantern's real handlers under many interactions at once, through SimCord.

    python -m bench.load [--rate 200] [--seconds 10] [--burst 200] [--bursts 5] [--postgres URL] [--sqlite-only]
                         [--runs N]

Two shapes, each on SQLite (a fresh file) and, with --postgres URL (a server where a scratch database
may be created and dropped), on PostgreSQL:

* sustained: `--rate` interactions per second for `--seconds`, paced in real time;
* burst: `--burst` interactions emitted at once, `--bursts` times half a second apart; the row pools them and
  also shows the worst single burst's p99.

The mix (by weight) is read-heavy with real writes: /setup show, /about, /prompts list, /prompt random,
/resource search, /resource browse, /intro find, /setup options timezone:… (a write plus a mod-log post)
and /prompt suggest submitted through its modal (a write plus a mod-log post). Interactions are emitted
with the in-flight helpers in bench/inflight.py (SimCord refuses overlapping actor calls).

Latency is measured inside the bot: from the moment discord.py parses INTERACTION_CREATE to the moment
the initial response (message, modal or deferral) has been sent. "emit" adds the time from the benchmark
emitting the event. Targets (issue 9): sustained p99 < 20 ms, burst p99 < 400 ms, every interaction
answered within 3 s, on SQLite; issue 21: burst p99 without the harness < 300 ms on SQLite and PostgreSQL. The
machine is shared and noisy: `--runs N` runs everything N times and ends with each shape's median and range and
how many runs were under that line. The header gives the machine's speed (a 10-million-step Python loop) and load.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import cProfile
import gc
import itertools
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import simcord
from simcord.env import Env

from bench import harness_cpu
from bench.inflight import fire_modal_without_settle, fire_without_settle
from bench.scratch import create_postgres
from bot import create_bot
from core import callbacks, heap
from tools.world import make_settings

DEFAULT_GC_THRESHOLD = gc.get_threshold()
TIMEZONES = ("UTC", "Asia/Manila", "Europe/London", "America/Toronto", "Asia/Tokyo", "Australia/Sydney")
# (name, weight)
MIX: tuple[tuple[str, int], ...] = (
    ("setup show", 14),
    ("about", 14),
    ("prompts list", 12),
    ("prompt random", 10),
    ("resource search", 10),
    ("resource browse", 8),
    ("intro find", 8),
    ("setup options", 12),
    ("prompt suggest", 12),
)


# --------------------------------------------------------------------------- measuring inside the bot


@dataclass
class Clocks:
    emitted: dict[int, float] = field(default_factory=dict)
    parsed: dict[int, float] = field(default_factory=dict)
    answered: dict[int, float] = field(default_factory=dict)
    # The harness's CPU so far (bench/harness_cpu.py) at the same two moments.
    meter: harness_cpu.Meter = field(default_factory=harness_cpu.Meter)
    parsed_harness: dict[int, float] = field(default_factory=dict)
    answered_harness: dict[int, float] = field(default_factory=dict)
    # The loop thread's CPU clock at the same two moments: a latency that neither the machine's other processes
    # nor the loop's idle waits lengthen (what the loop ran for this interaction and everything in between).
    parsed_cpu: dict[int, float] = field(default_factory=dict)
    answered_cpu: dict[int, float] = field(default_factory=dict)


def instrument(clocks: Clocks) -> Callable[[], None]:
    """Record when each interaction is parsed and when its first response has been sent; returns an undo."""
    state = discord.state.ConnectionState
    parse = state.parse_interaction_create

    def parse_interaction_create(self: Any, data: Any) -> None:
        interaction_id = int(data["id"])
        if interaction_id not in clocks.parsed:
            clocks.parsed[interaction_id] = time.perf_counter()
            clocks.parsed_harness[interaction_id] = clocks.meter.total()
            clocks.parsed_cpu[interaction_id] = time.thread_time()
        return parse(self, data)

    originals: dict[str, Any] = {}

    def timed(name: str) -> Any:
        original = getattr(discord.InteractionResponse, name)
        originals[name] = original

        async def wrapper(self: discord.InteractionResponse, *args: Any, **kwargs: Any) -> Any:
            result = await original(self, *args, **kwargs)
            if self._parent.id not in clocks.answered:
                clocks.answered[self._parent.id] = time.perf_counter()
                clocks.answered_harness[self._parent.id] = clocks.meter.total()
                clocks.answered_cpu[self._parent.id] = time.thread_time()
            return result

        return wrapper

    state.parse_interaction_create = parse_interaction_create  # type: ignore[method-assign]
    for name in ("send_message", "send_modal", "defer", "edit_message", "autocomplete"):
        setattr(discord.InteractionResponse, name, timed(name))
    undo_meter = harness_cpu.install(clocks.meter)

    def undo() -> None:
        undo_meter()
        state.parse_interaction_create = parse  # type: ignore[method-assign]
        for name, original in originals.items():
            setattr(discord.InteractionResponse, name, original)

    return undo


def lighten_simcord() -> None:
    """Harness-only fix for a SimCord 3.2.1 cost that production doesn't have (private API).

    SimCord keeps every bot-owned loop callback in a list and removes each one when it runs, comparing
    records with the dataclass `__eq__` (which compares their TimerHandles field by field). With a few
    hundred view-timeout timers alive, that scan dominated the profile (3.5 M comparisons in a 1 s run)
    and the loop managed ~30 interactions/s. Records are only ever meant to match themselves, so compare
    by identity.
    """
    from simcord._runtime import _CallbackRecord

    _CallbackRecord.__eq__ = object.__eq__  # type: ignore[method-assign,assignment]

    # SimCord asks, for every waiting task it inspects, whether the task waits on a stored view's
    # "stopped" future, and answers by rescanning every item of every live view (O(views × items) per
    # question; 27 % of the CPU in a profiled run). Keep a weak set of those futures instead.
    import weakref

    from discord.ui import view as dpy_view
    from simcord import _dpy_internals

    stopped_futures: weakref.WeakSet[asyncio.Future[bool]] = weakref.WeakSet()
    original_init = dpy_view.BaseView.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        future = getattr(self, "_BaseView__stopped", None)
        if isinstance(future, asyncio.Future):
            stopped_futures.add(future)

    def is_view_wait_future(client: Any, waiter: Any) -> bool:
        return isinstance(waiter, asyncio.Future) and not waiter.done() and waiter in stopped_futures

    dpy_view.BaseView.__init__ = init  # type: ignore[method-assign]
    _dpy_internals.is_view_wait_future = is_view_wait_future

    # And for every live view's expiry task it scans every tracked timer (O(views × timers) per pass).
    # Index the timers by the objects they would resume, rebuilt only when the timer list changes.
    from simcord import _settlement

    original_waking = _settlement._timer_records_waking
    cache: dict[int, tuple[tuple[int, int, int], dict[int, list[Any]]]] = {}

    def index_of(state: Any) -> dict[int, list[Any]]:
        records = state.work.callbacks
        signature = (id(records), len(records), id(records[-1]) if records else 0)
        cached = cache.get(id(state))
        if cached is not None and cached[0] == signature:
            return cached[1]
        index: dict[int, list[Any]] = defaultdict(list)
        for record in records:
            handle = record.handle
            if record.when is None or handle is None:
                continue
            callback = _dpy_internals._original_callback(getattr(handle, "_callback", None))
            keys = {id(arg) for arg in getattr(handle, "_args", ())}
            owner = getattr(callback, "__self__", None)
            if owner is not None:
                keys.add(id(owner))
                task = getattr(owner, "_task", None)
                if task is not None:
                    keys.add(id(task))
            for key in keys:
                index[key].append(record)
        cache[id(state)] = (signature, index)
        return index

    def timer_records_waking(state: Any, task: asyncio.Task[Any], waiter: Any) -> list[Any]:
        index = index_of(state)
        candidates = {id(r): r for key in (id(waiter), id(task)) for r in index.get(key, ())}
        found = []
        for record in candidates.values():
            handle = record.handle
            if handle is None or handle.cancelled() or record.when <= state.virtual_time:
                continue
            callback = _dpy_internals._original_callback(getattr(handle, "_callback", None))
            if _dpy_internals.is_wakeup_callback(callback, getattr(handle, "_args", ()), waiter, task):
                found.append(record)
        return found

    timer_records_waking.__wrapped__ = original_waking  # type: ignore[attr-defined]
    _settlement._timer_records_waking = timer_records_waking

    # SimCord copies every gateway payload it feeds the bot, every HTTP body it logs and every message's
    # components it validates, with `copy.deepcopy` (pure Python: about a fifth of the loop's CPU in a
    # burst). A real bot gets each event as JSON text and decodes it (C), and Discord's HTTP log and
    # validation are not the bot's work at all. Copy by a JSON round trip instead, which is what the bot
    # would pay for a fresh payload.
    from simcord import components as simcord_components
    from simcord import gateway as simcord_gateway
    from simcord.http import router as simcord_router

    simcord_gateway.copy = simcord_router.copy = JsonCopy  # type: ignore[assignment]
    simcord_components.deepcopy = JsonCopy.deepcopy


class JsonCopy:
    """Stands in for the `copy` module in SimCord's gateway and HTTP router (see `lighten_simcord`)."""

    @staticmethod
    def deepcopy(value: Any) -> Any:
        try:
            copied = json.loads(json.dumps(value))
        except (TypeError, ValueError):  # not JSON (never seen in the benchmark's payloads): copy the slow way
            return copy.deepcopy(value)
        if CHECK_COPIES:
            assert copied == copy.deepcopy(value), value
        return copied


CHECK_COPIES = os.environ.get("LANTERN_BENCH_CHECK_COPIES") == "1"


LOOP_HOOKS = ("create_task", "call_soon", "call_later", "call_at", "call_soon_threadsafe", "run_in_executor")


@contextmanager
def bookkeeping_off(env: Env) -> Iterator[None]:
    """Measure the bot, not the harness: for the measured window, put the event loop's own methods back.

    Under `simcord.run`, every callback the bot schedules passes through SimCord's work tracking (the
    record list, virtual timers with real fall-backs, park-reason analysis), which exists so that
    `settle()` knows when the bot is idle; production has none of it. The benchmark never settles during
    a measured run (it polls for answers in real time), so the tracking is switched off for the window:
    the loop's native methods come back and the clocks run in real time. SimCord's gateway and HTTP
    fakes stay in place, so every interaction still goes through discord.py's parsing, Lantern's handlers,
    SQLAlchemy and the fake Discord API. Private API (SimCord 3.2.1); `--full-simcord` keeps the tracking on.
    """
    from simcord import _dpy_internals

    loop = env._loop
    runtime = env._runtime
    assert loop is not None and runtime is not None
    hooked = {name: getattr(loop, name) for name in LOOP_HOOKS}
    for name in LOOP_HOOKS:
        setattr(loop, name, getattr(runtime, name))
    _dpy_internals.release_clocks(env)
    try:
        yield
    finally:
        _dpy_internals.acquire_clocks(env)
        for name, hook in hooked.items():
            setattr(loop, name, hook)


# Where a function's code lives decides whose CPU its own time is (--cpu-split). The harness is SimCord's fake
# Discord and this benchmark; Lantern is its own code and the libraries it runs on in production.
SPLIT = (
    ("harness: SimCord", ("/simcord/",)),
    ("harness: bench", ("/bench/",)),
    ("Lantern's code", ("/cogs/", "/core/", "/storage/", "/engine/", "/config/", "/bot.py")),
    ("discord.py", ("/discord/",)),
    ("database (SQLAlchemy, drivers)", ("/sqlalchemy/", "/aiosqlite/", "/asyncpg/", "sqlite3")),
    ("pydantic", ("/pydantic",)),
    ("the event loop (asyncio)", ("/asyncio/",)),
)


def _group(key: tuple[str, int, str]) -> str | None:
    filename, _line, name = key
    where = filename if filename != "~" else name
    return next((label for label, marks in SPLIT if any(mark in where for mark in marks)), None)


def cpu_split(stats: dict[Any, Any]) -> list[tuple[str, float]]:
    """Seconds of own time by SPLIT group (cProfile stats). Time in Python's standard library and builtins
    (asyncio's loop, json, copy, which both sides use) is charged to whoever called it: split among its
    callers by the time spent under each, climbing through standard-library callers (a few levels); what
    is left uncharged after that stays "stdlib, builtins"."""
    totals: dict[str, float] = defaultdict(float)
    pending: dict[Any, float] = defaultdict(float)
    for key, (_calls, _primitive, own, _cumulative, _callers) in stats.items():
        group = _group(key)
        if group is not None:
            totals[group] += own
        else:
            pending[key] += own
    for _level in range(8):
        climbed: dict[Any, float] = defaultdict(float)
        for key, seconds in pending.items():
            callers = stats[key][4] if key in stats else {}
            weights = {caller: timing[3] for caller, timing in callers.items()}
            whole = sum(weights.values())
            if not whole:
                totals["stdlib, builtins (uncharged)"] += seconds
                continue
            for caller, weight in weights.items():
                share = seconds * weight / whole
                group = _group(caller)
                if group is not None:
                    totals[group] += share
                else:
                    climbed[caller] += share
        pending = climbed
    totals["stdlib, builtins (uncharged)"] += sum(pending.values())
    return sorted(totals.items(), key=lambda item: -item[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    env: Env
    general: Any
    rooms: list[Any]
    mods: list[Any]
    members: list[Any]
    modals: list[tuple[Any, Any]]  # (member, shown modal) waiting to be submitted
    meter: harness_cpu.Meter
    counter: itertools.count = field(default_factory=itertools.count)


async def build(env: Env, *, members: int, modals: int, meter: harness_cpu.Meter) -> World:
    guild = env.create_guild("Lantern Community")
    mod_role = guild.create_role("Moderators", permissions=discord.Permissions(manage_guild=True))
    channels = {name: guild.create_text_channel(name) for name in ("general", "introductions", "prompts", "mod-log")}
    channels["resources"] = guild.create_text_channel("resources")
    channels["mentorship"] = guild.create_text_channel("mentorship")
    rooms = [guild.create_text_channel(f"room-{i}") for i in range(40)]
    mods = [guild.add_member(env.create_user(f"mod{i}"), roles=[mod_role]) for i in range(20)]
    await env.settle(timeout=60)
    people = []
    for i in range(members):  # in small batches: SimCord settles a few dozen joins at a time quickly
        people.append(guild.add_member(env.create_user(f"member{i}")))
        if i % 20 == 19:
            await env.settle(timeout=60)
    await env.settle(timeout=60)
    await mods[0].slash(
        channels["general"],
        "setup channels",
        intro=channels["introductions"],
        welcome=channels["general"],
        prompts=channels["prompts"],
        resources=channels["resources"],
        mentorship=channels["mentorship"],
        modlog=channels["mod-log"],
    )
    await mods[0].slash(channels["general"], "prompts list")  # seeds the bank once
    shown = []
    for i in range(modals):
        member = people[i % len(people)]
        shown.append((member, await member.slash(channels["general"], "prompt suggest")))
    return World(env, channels["general"], rooms, mods, people, shown, meter)


def fire(world: World, kind: str) -> Any:
    """Emit one interaction of `kind` without settling."""
    n = next(world.counter)
    with world.meter.inside():  # building and emitting the event is Discord's work (the bot's parse is handed back)
        return fire_kind(world, kind, n)


def fire_kind(world: World, kind: str, n: int) -> Any:
    member = world.members[n % len(world.members)]
    mod = world.mods[n % len(world.mods)]
    general = world.general
    if kind == "setup show":
        return fire_without_settle(mod, general, "setup show")
    if kind == "about":
        return fire_without_settle(member, general, "about")
    if kind == "prompts list":
        return fire_without_settle(mod, general, "prompts list")
    if kind == "prompt random":  # after the first in a room, the 10-minute cooldown answers (an error reply)
        return fire_without_settle(member, world.rooms[n % len(world.rooms)], "prompt random")
    if kind == "resource search":
        return fire_without_settle(member, general, "resource search", query=random.choice(["identity", "career"]))
    if kind == "resource browse":
        return fire_without_settle(member, general, "resource browse")
    if kind == "intro find":
        return fire_without_settle(member, general, "intro find", heritage="Filipino")
    if kind == "setup options":
        return fire_without_settle(mod, general, "setup options", timezone=TIMEZONES[n % len(TIMEZONES)])
    if kind == "prompt suggest":
        if not world.modals:
            return fire_without_settle(member, general, "about")
        owner, shown = world.modals.pop()
        text = f"What is one small family tradition you would like to keep alive? (variant {n})"
        return fire_modal_without_settle(owner, shown, {"text": text, "theme": "identity"})
    raise ValueError(kind)


def kinds(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    names = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]
    return rng.choices(names, weights=weights, k=count)


# --------------------------------------------------------------------------- the two shapes


@dataclass
class Report:
    shape: str
    backend: str
    sent: int
    answered: int
    in_bot: list[float]
    from_emit: list[float]
    seconds: float
    errors: Counter[str]
    by_kind: dict[str, list[float]]
    loop_cpu: float  # CPU seconds of the event loop's thread over the run (the harness included)
    harness_cpu: float  # of it, the harness's (bench/harness_cpu.py)
    without_harness: list[float]  # each in_bot latency less the harness CPU that fell inside it
    cpu_without_harness: list[float]  # the loop's CPU from parse to answer, less the harness's
    worst_p99: float | None = None  # for pooled bursts: the highest p99 of a single burst, in ms
    run: int = 1  # which of `--runs` it came from

    @classmethod
    def pooled(cls, shape: str, runs: list[Report]) -> Report:
        """Several runs of one shape as one report (percentiles over every interaction of every run)."""
        by_kind: dict[str, list[float]] = defaultdict(list)
        for run in runs:
            for kind, values in run.by_kind.items():
                by_kind[kind] += values
        return cls(
            shape,
            runs[0].backend,
            sum(run.sent for run in runs),
            sum(run.answered for run in runs),
            [value for run in runs for value in run.in_bot],
            [value for run in runs for value in run.from_emit],
            sum(run.seconds for run in runs),
            sum((run.errors for run in runs), Counter()),
            by_kind,
            sum(run.loop_cpu for run in runs),
            sum(run.harness_cpu for run in runs),
            [value for run in runs for value in run.without_harness],
            [value for run in runs for value in run.cpu_without_harness],
            max(percentile([v * 1000 for v in run.in_bot], 0.99) for run in runs),
        )

    def row(self) -> str:
        ms = [v * 1000 for v in self.in_bot]
        late = sum(1 for v in self.from_emit if v > 3.0)
        worst = "–" if self.worst_p99 is None else f"{self.worst_p99:.1f}"
        return (
            f"| {self.shape} | {self.backend} | {self.sent} | {self.answered} | {late} | "
            f"{percentile(ms, 0.50):.1f} | {percentile(ms, 0.95):.1f} | {percentile(ms, 0.99):.1f} | {worst} | "
            f"{max(ms, default=float('nan')):.1f} | {percentile([v * 1000 for v in self.from_emit], 0.99):.1f} | "
            f"{self.sent / self.seconds:.0f} | {self.loop_cpu * 1000 / self.sent:.2f} | "
            f"{self.harness_cpu * 1000 / self.sent:.2f} | "
            f"{percentile([v * 1000 for v in self.without_harness], 0.99):.1f} | "
            f"{percentile([v * 1000 for v in self.cpu_without_harness], 0.99):.1f} |"
        )


HEADER = (
    "| shape | backend | sent | answered | over 3 s | p50 ms | p95 ms | p99 ms | worst burst's p99 ms | max ms "
    "| p99 from emit ms | per s | loop CPU ms each | of it the harness's | p99 without the harness ms "
    "| p99 loop CPU without the harness ms |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


async def wait_answered(clocks: Clocks, results: list[Any], *, within: float) -> None:
    """Let the bot run (in real time) until every interaction has its first response, or `within` seconds pass.

    Not `env.settle()`: settling also drives SimCord's virtual timers (view timeouts and the like), which
    is not what is measured here.
    """
    deadline = time.perf_counter() + within
    ids = [result._interaction.id for result in results]
    while time.perf_counter() < deadline and not all(i in clocks.answered for i in ids):  # noqa: ASYNC110
        await asyncio.sleep(0.01)  # polling keeps the instrumentation free of extra machinery
    await asyncio.sleep(0.2)  # the follow-up work (mod-log posts) finishes too


async def run_shape(
    world: World,
    clocks: Clocks,
    shape: str,
    backend: str,
    plan: list[str],
    rate: float | None,
    *,
    full_simcord: bool = False,
) -> Report:
    results: list[tuple[str, Any, float]] = []
    errors_before = len(world.env.errors)
    with nullcontext() if full_simcord else bookkeeping_off(world.env):
        start, start_cpu, start_harness = time.perf_counter(), time.thread_time(), clocks.meter.total()
        for index, kind in enumerate(plan):
            if rate:
                delay = start + index / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            emitted = time.perf_counter()
            result = fire(world, kind)
            results.append((kind, result, emitted))
        await wait_answered(clocks, [result for _, result, _ in results], within=60)
        seconds, loop_cpu = time.perf_counter() - start, time.thread_time() - start_cpu
        harness = clocks.meter.total() - start_harness
    in_bot, from_emit, without_harness, cpu_without_harness = [], [], [], []
    by_kind: dict[str, list[float]] = defaultdict(list)
    answered = 0
    for kind, result, emitted in results:
        interaction_id = result._interaction.id
        done = clocks.answered.get(interaction_id)
        if done is None or not result.acknowledged:
            continue
        answered += 1
        parsed = clocks.parsed.get(interaction_id, emitted)
        in_bot.append(done - parsed)
        from_emit.append(done - emitted)
        harness_at_parse = clocks.parsed_harness.get(interaction_id, clocks.answered_harness[interaction_id])
        harness_inside = clocks.answered_harness[interaction_id] - harness_at_parse
        without_harness.append(done - parsed - harness_inside)
        if interaction_id in clocks.parsed_cpu:
            cpu_without_harness.append(
                clocks.answered_cpu[interaction_id] - clocks.parsed_cpu[interaction_id] - harness_inside
            )
        by_kind[kind].append(done - parsed)
    errors = Counter(
        f"{type(e).__name__}({type(getattr(e, 'original', e)).__name__}: {getattr(e, 'original', e)})"[:160]
        for e in world.env.errors[errors_before:]
    )
    return Report(
        shape,
        backend,
        len(plan),
        answered,
        in_bot,
        from_emit,
        seconds,
        errors,
        by_kind,
        loop_cpu,
        harness,
        without_harness,
        cpu_without_harness,
    )


async def bench_backend(backend: str, url: str, args: argparse.Namespace) -> list[Report]:
    settings = make_settings(url)
    Env._settle_internal.__kwdefaults__["idle"] = 0.002  # SimCord's quiet poll; see tests/conftest.py
    if not args.plain_simcord:
        lighten_simcord()
    clocks = Clocks()
    undo = instrument(clocks)  # before the bot exists: its connection state binds its parsers when it is made
    bot = create_bot(settings)
    reports = []
    sustained_count = int(args.rate * args.seconds)
    try:
        async with simcord.run(bot, check_errors=False) as env:
            emitted = sustained_count + args.burst * args.bursts
            modals = emitted * dict(MIX)["prompt suggest"] // sum(w for _, w in MIX) + 20
            # --serial submits that many twice (timed, then counted): with too few, it fell back to /about
            modals += 2 * args.serial
            world = await build(env, members=args.members, modals=modals, meter=clocks.meter)
            full = args.full_simcord
            await run_shape(world, clocks, "warm-up", backend, kinds(200, 1), rate=200, full_simcord=full)
            if not args.no_freeze:
                # What the bot does on READY (FREEZE_HEAP_ON_READY): here the world is built after READY,
                # so the freeze comes once it exists, as a production bot's caches exist at READY.
                heap.freeze_startup_heap()
            reports.append(
                await run_shape(
                    world,
                    clocks,
                    f"sustained {args.rate}/s × {args.seconds}s",
                    backend,
                    kinds(sustained_count, 2),
                    rate=args.rate,
                    full_simcord=full,
                )
            )
            bursts = []
            for index in range(args.bursts):  # a burst is short, so one alone is at the mercy of the machine
                burst = kinds(args.burst, 3 + index)
                bursts.append(await run_shape(world, clocks, "burst", backend, burst, None, full_simcord=full))
                await asyncio.sleep(0.5)
            reports.append(Report.pooled(f"burst {args.burst} (× {args.bursts})", bursts))
            if args.serial:  # one kind at a time, 50 a second: the loop CPU each kind costs, with no queueing
                # Function calls are counted too (cProfile, a second pass): unlike CPU time, a count does not move
                # with what else the machine is doing, so it compares two versions on a busy machine.
                print(f"\nper interaction on {backend}, one kind at a time ({args.serial} each, 50/s):")
                for name, _weight in MIX:
                    alone = await run_shape(world, clocks, name, backend, [name] * args.serial, 50, full_simcord=full)
                    counter = cProfile.Profile(time.thread_time)
                    counter.enable()
                    await run_shape(world, clocks, name, backend, [name] * args.serial, 50, full_simcord=full)
                    counter.disable()
                    counter.create_stats()
                    if args.profile_out:
                        counter.dump_stats(f"{args.profile_out}.{backend}.{name.replace(' ', '-')}")
                    calls = sum(entry[1] for entry in counter.stats.values())  # type: ignore[attr-defined]
                    print(
                        f"  {name:16} {alone.loop_cpu * 1000 / alone.sent:5.2f} ms loop CPU"
                        f"  {calls / args.serial:8.0f} function calls"
                    )
            if args.cpu_split:  # the same bursts again under the profiler (which slows them: shares only)
                profiler = cProfile.Profile(time.thread_time)
                profiler.enable()
                for index in range(args.bursts):
                    burst = kinds(args.burst, 3 + index)
                    await run_shape(world, clocks, "burst", backend, burst, None, full_simcord=full)
                profiler.disable()
                profiler.create_stats()
                if args.profile_out:
                    profiler.dump_stats(f"{args.profile_out}.{backend}")
                split = cpu_split(profiler.stats)  # type: ignore[attr-defined]  # create_stats sets it
                total = sum(seconds for _, seconds in split)
                print(f"\nburst CPU of the event loop's thread on {backend}, by where the code lives (cProfile):")
                for label, seconds in split:
                    print(f"  {label:32} {100 * seconds / total:5.1f} %")
    finally:
        undo()
        await bot.close()
        gc.unfreeze()  # the next backend starts from a plain heap
        gc.set_threshold(*DEFAULT_GC_THRESHOLD)
    return reports


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def loop_speed() -> float:
    """Seconds for a 10-million-step pure-Python loop: how fast this machine is today (the project's machines
    have measured 0.27 to 1.55 s), printed beside the figures so runs on different days can be told apart."""
    started = time.process_time()
    step = 0
    while step < 10_000_000:
        step += 1
    return time.process_time() - started


def load_average() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


BURST_TARGET_MS = 300.0  # issue 21: a burst's p99 without the harness, on SQLite and PostgreSQL


def summary(reports: list[Report]) -> list[str]:
    """Per backend and shape over `--runs`: the median and range of the p99 without the harness, and how many
    runs were under the burst target (only bursts have one)."""
    lines = [
        "| shape | backend | runs | p99 without the harness ms: median (range) | runs under 300 ms "
        "| loop CPU ms each: median |",
        "|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str], list[Report]] = defaultdict(list)
    for report in reports:
        groups[(report.shape, report.backend)].append(report)
    for (shape, backend), runs in groups.items():
        p99s = [percentile([v * 1000 for v in run.without_harness], 0.99) for run in runs]
        under = f"{sum(p < BURST_TARGET_MS for p in p99s)} of {len(p99s)}" if shape.startswith("burst") else "–"
        cpu = statistics.median(run.loop_cpu * 1000 / run.sent for run in runs)
        lines.append(
            f"| {shape} | {backend} | {len(runs)} | {statistics.median(p99s):.1f} ({min(p99s):.1f}–{max(p99s):.1f}) "
            f"| {under} | {cpu:.2f} |"
        )
    return lines


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200, help="interactions per second in the sustained shape")
    parser.add_argument("--seconds", type=float, default=10, help="how long the sustained shape lasts")
    parser.add_argument("--burst", type=int, default=200, help="interactions emitted at once in the burst shape")
    parser.add_argument("--bursts", type=int, default=5, help="how many bursts (half a second apart) to pool")
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL (a scratch database is made there)")
    parser.add_argument("--sqlite-only", action="store_true", help="ignore --postgres")
    parser.add_argument("--plain-simcord", action="store_true", help="measure without the harness fix to SimCord")
    parser.add_argument(
        "--full-simcord", action="store_true", help="keep SimCord's settlement bookkeeping on while measuring"
    )
    parser.add_argument("--no-freeze", action="store_true", help="leave the heap unfrozen (FREEZE_HEAP_ON_READY=false)")
    parser.add_argument("--by-kind", action="store_true", help="also print p50/p99 per command")
    parser.add_argument(
        "--cpu-split", action="store_true", help="also profile the bursts: the loop CPU by harness, Lantern, libraries"
    )
    parser.add_argument("--serial", type=int, default=0, metavar="N", help="also run N of each kind alone")
    parser.add_argument("--profile-out", metavar="FILE", help="save profiles as FILE.<backend>[.<kind>]")
    parser.add_argument(
        "--runs", type=int, default=1, metavar="N", help="run everything N times; a summary says how many were under"
    )
    args = parser.parse_args(argv)

    import logging

    logging.basicConfig(level=logging.ERROR)
    speed, load_before = loop_speed(), load_average()
    reports: list[Report] = []
    for run in range(1, args.runs + 1):
        got: list[Report] = []
        with tempfile.TemporaryDirectory() as folder:
            got += await bench_backend("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'lantern.db'}", args)
        if args.postgres and not args.sqlite_only:
            url, drop = await create_postgres(args.postgres)
            try:
                got += await bench_backend("PostgreSQL", url, args)
            finally:
                await drop()
        for report in got:
            report.run = run
        reports += got

    print(f"\n{machine()}; `python -m bench.load {' '.join(argv if argv is not None else sys.argv[1:])}`")
    print(f"a 10-million-step Python loop: {speed:.2f} s; load average {load_before} before, {load_average()} after\n")
    print("latency: from discord.py parsing INTERACTION_CREATE to the initial response sent")
    # The bot installs it at start (core/callbacks.py) unless the running discord.py is not the one it was written for.
    built = "when read (core/callbacks.py)" if callbacks.installed() else "by discord.py for every answer"
    print(f"the message each answer creates is built {built}\n")
    print(HEADER)
    for report in reports:
        print(report.row())
    if args.runs > 1:
        print("\n" + "\n".join(summary(reports)))
    for report in reports:
        which = f"{report.shape} on {report.backend}" + (f" (run {report.run})" if args.runs > 1 else "")
        if report.errors:
            print(f"\n{which}: errors answered by the funnel: {dict(report.errors)}")
        if args.by_kind:
            print(f"\n{which}, by command (in bot, ms):")
            for kind, values in sorted(report.by_kind.items()):
                ms = [v * 1000 for v in values]
                print(f"  {kind:16} n={len(ms):5} p50={statistics.median(ms):7.2f} p99={percentile(ms, 0.99):7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
