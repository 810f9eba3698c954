"""The event loop during a whole matching round of a large pool, as the bot runs it.

    python -m bench.round [--mentees 50000] [--mentors 10000] [--shape skewed] [--postgres URL]

`bench/matching.py --stall` measures the engine's trip through the worker process alone. A round in the bot
does more on its event loop: it loads the pool from the database, builds the engine's profiles, creates a
proposal per pair and owes each member left unmatched a note, all while members use the bot. This runs
Lantern's real `Rounds.run` in a SimCord guild whose database holds the pool (profiles from the matching
benchmark's generator, inserted in bulk; the shape's exclusions as blocks), with the heap frozen once the bot
is ready as in production, and a probe coroutine that sleeps 5 ms in a loop: a gap beyond the nap is a stall,
charged to the step of the round that was running when it ended. Sending the invitations and notes afterwards
is the due work's drain (`bench/due.py`, at Discord's pace, a batch at a time): it is left out here.

Prints the longest stall, the p99 of the probe's gaps, the longest stall of each step, and the full garbage
collections in the round (count and longest). On a shared machine a gap also holds time the process was simply
not scheduled, so each gap's CPU time of the loop's thread is reported too: that part is the process's own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import simcord
from simcord.env import Env
from sqlalchemy import insert, update

from bench.load import create_postgres, machine, percentile
from bench.matching import SHAPES, population
from bot import create_bot
from cogs.mentorship import rounds as rounds_module
from storage.mentorship import rounds as store_rounds
from storage.models.guild import GuildSettings
from storage.models.mentorship import MenteeProfile, MentorProfile, MentorshipBlock
from tools.world import make_settings

NAP = 0.005
SIZES = {"1k": (1000, 200), "10k": (10_000, 2000), "50k": (50_000, 10_000)}


def real_clock() -> datetime:
    return datetime.now(UTC)


class Probe:
    """Sleeps `NAP` in a loop; records every gap beyond the nap and the step that was running."""

    def __init__(self) -> None:
        self.step = "before"
        self.gaps: list[float] = []
        self.worst: dict[str, float] = {}
        self.busy: list[float] = []  # the loop thread's CPU time within each gap: the stall the process made itself
        self.worst_busy: dict[str, float] = {}
        self.collections: list[float] = []
        self._gc_started = 0.0
        self._running = True

    async def run(self) -> None:
        last, last_cpu = time.perf_counter(), time.thread_time()
        while self._running:
            await asyncio.sleep(NAP)
            now, cpu = time.perf_counter(), time.thread_time()
            gap, busy = (now - last - NAP) * 1000, (cpu - last_cpu) * 1000
            self.gaps.append(gap)
            self.busy.append(busy)
            self.worst[self.step] = max(self.worst.get(self.step, 0.0), gap)
            self.worst_busy[self.step] = max(self.worst_busy.get(self.step, 0.0), busy)
            last, last_cpu = now, cpu

    def stop(self) -> None:
        self._running = False

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.collections.append((time.perf_counter() - self._gc_started) * 1000)

    def labelled(self, label: str, target: Callable[..., Any]) -> Callable[..., Any]:
        """`target` (a coroutine function), charging what runs from its call on to `label`."""

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.step = label
            return await target(*args, **kwargs)

        return call

    @contextlib.contextmanager
    def steps(self) -> Iterator[None]:
        """Charge gaps to the round's steps by wrapping the module-level names `Rounds.run` calls."""
        originals: dict[str, Any] = {}

        def wrap(name: str, label: str) -> None:
            target = getattr(rounds_module, name)
            originals[name] = target

            def wrapped(*args: Any, **kwargs: Any) -> Any:
                self.step = label
                return target(*args, **kwargs)

            setattr(rounds_module, name, wrapped)

        wrap("in_slices", "build profiles, proposals")
        wrap("release", "release the round")
        wrap("match_off_loop", "engine (worker)")
        store = rounds_module.store
        store_originals = {name: getattr(store, name) for name in ("round_pool", "create_round_proposals")}

        store.round_pool = self.labelled("load the pool", store_originals["round_pool"])
        # Within the pool's load, its parts (module-level names in storage/mentorship/rounds.py).
        pool_parts = {"paged": "load the pool: profiles", "exclusions": "load the pool: exclusions"}
        pool_parts |= {"protected_pairs": "load the pool: protections"}
        pool_originals = {name: getattr(store_rounds, name) for name in pool_parts}
        for name, label in pool_parts.items():
            setattr(store_rounds, name, self.labelled(label, pool_originals[name]))
        store.create_round_proposals = self.labelled("create proposals", store_originals["create_round_proposals"])
        try:
            yield
        finally:
            for name, target in originals.items():
                setattr(rounds_module, name, target)
            for name, target in store_originals.items():
                setattr(store, name, target)
            for name, target in pool_originals.items():
                setattr(store_rounds, name, target)


def profile_rows(guild_id: int, mentees: list[Any], mentors: list[Any], now: datetime) -> tuple[list, list]:
    """The generator's engine profiles as database rows (keys and tags comma-separated, as members save them)."""
    common = {"guild_id": guild_id, "created_at": now, "updated_at": now, "paused": False}
    mentee_rows = [
        {
            **common,
            "user_id": m.id,
            "themes": ",".join(sorted(m.themes)),
            "heritages": ", ".join(sorted(m.heritages)),
            "languages": ", ".join(sorted(m.languages)),
            "timezone": m.timezone,
            "heritage_preference": m.heritage_preference,
            "max_timezone_gap_hours": m.max_timezone_gap_hours,
        }
        for m in mentees
    ]
    mentor_rows = [
        {
            **common,
            "user_id": m.id,
            "themes": ",".join(sorted(m.themes)),
            "not_covered": ",".join(sorted(m.not_covered)),
            "heritages": ", ".join(sorted(m.heritages)),
            "languages": ", ".join(sorted(m.languages)),
            "timezone": m.timezone,
            "capacity": m.capacity,
            "active_count": 0,
        }
        for m in mentors
    ]
    return mentee_rows, mentor_rows


async def seed(bot: Any, guild_id: int, channel_id: int, args: argparse.Namespace, now: datetime) -> int:
    mentee_count, mentor_count = SIZES[args.size]
    mentees, mentors, exclusions = population(mentee_count, mentor_count, shape=SHAPES[args.shape])
    mentee_rows, mentor_rows = profile_rows(guild_id, mentees, mentors, now)
    async with bot.db.write() as session:
        await session.execute(
            insert(GuildSettings),
            [{"guild_id": guild_id, "timezone": "UTC", "created_at": now, "updated_at": now}],
        )
        await session.execute(
            update(GuildSettings).where(GuildSettings.guild_id == guild_id).values(mentorship_channel_id=channel_id)
        )
        for rows, model in ((mentee_rows, MenteeProfile), (mentor_rows, MentorProfile)):
            for start in range(0, len(rows), 5000):
                await session.execute(insert(model), rows[start : start + 5000])
        blocks = [
            {"guild_id": guild_id, "user_id": first, "blocked_user_id": second, "created_at": now}
            for first, second in sorted(set(exclusions))  # a block is one row per pair
        ]
        for start in range(0, len(blocks), 5000):
            await session.execute(insert(MentorshipBlock), blocks[start : start + 5000])
    return len(mentees)


async def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    settings = make_settings(url).model_copy(update={"freeze_heap_on_ready": True})
    Env._settle_internal.__kwdefaults__["idle"] = 0.002
    bot = create_bot(settings, clock=real_clock)
    probe = Probe()
    try:
        async with simcord.run(bot, check_errors=False) as env:
            guild = env.create_guild("Big community")
            channel = guild.create_text_channel("mentorship")
            await env.settle()
            now = real_clock()
            began = time.perf_counter()
            await seed(bot, guild.id, channel.id, args, now - timedelta(minutes=1))
            print(f"seeded in {time.perf_counter() - began:.1f} s", file=sys.stderr)
            cog = bot.get_cog("Mentorship")
            assert cog is not None
            discord_guild = bot.get_guild(guild.id)

            async def skip(*_args: Any, **_kwargs: Any) -> int:
                return 0  # the sends are the due work's drain (bench/due.py), not the round

            cog.flow.send_owed = skip
            cog.followups.send_due = skip
            explain, owe = cog.followups.explain_unmatched, cog.followups.owe_unmatched
            cog.followups.explain_unmatched = probe.labelled("explain unmatched", explain)
            cog.followups.owe_unmatched = probe.labelled("owe unmatched notes", owe)
            gc.collect()
            probe_task = asyncio.ensure_future(probe.run())
            await asyncio.sleep(0.05)
            gc.callbacks.append(probe.on_gc)
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                with probe.steps():
                    probe.step = "round (other)"
                    outcome = await cog.rounds.run(discord_guild)
                probe.step = "after"
                await asyncio.sleep(0.05)
            finally:
                gc.callbacks.remove(probe.on_gc)
                probe.stop()
                await probe_task
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        await bot.close()
    gaps = probe.gaps
    return {
        "pairs": outcome.proposed,
        "created": len(outcome.created),
        "unmatched": outcome.unmatched,
        "wall": wall,
        "cpu": cpu,
        "longest": max(gaps),
        "p99": percentile(gaps, 0.99),
        "probes": len(gaps),
        "worst": probe.worst,
        "longest busy": max(probe.busy),
        "worst busy": probe.worst_busy,
        "collections": probe.collections,
    }


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.round", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="50k")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="skewed")
    parser.add_argument("--postgres", help="a PostgreSQL URL (a database is created and dropped)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        if args.postgres:
            url, drop = await create_postgres(args.postgres)
            backend = "PostgreSQL"
        else:
            url, drop = f"sqlite+aiosqlite:///{Path(directory) / 'round.db'}", None
            backend = "SQLite"
        try:
            result = await measure(url, args)
        finally:
            if drop is not None:
                await drop()
    load = os.getloadavg()[0]
    print(f"# {backend}, {args.shape} {args.size}; {machine()}; load average {load:.1f}")
    print(
        f"pairs {result['pairs']}, proposals created {result['created']}, unmatched {result['unmatched']}; "
        f"round {result['wall']:.1f} s wall, {result['cpu']:.1f} s CPU in this process"
    )
    collections = result["collections"]
    print(
        f"longest stall {result['longest']:.1f} ms, p99 {result['p99']:.1f} ms over {result['probes']} probes; "
        f"full collections {len(collections)}, longest {max(collections, default=0):.1f} ms"
    )
    print(
        f"longest stretch of the loop thread's own CPU between two probes {result['longest busy']:.1f} ms "
        "(a stall the process made; the rest of a gap is the machine not running it)"
    )
    for step, worst in sorted(result["worst"].items(), key=lambda item: -item[1]):
        print(f"  {step:<20} longest stall {worst:8.1f} ms, of it the loop's CPU {result['worst busy'][step]:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
