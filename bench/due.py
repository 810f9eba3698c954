"""Due work at scale: finding it each tick, and draining a backlog through Discord's rate limits.

    python -m bench.due [--guilds 1000] [--schedules 10000] [--pairings 20000] [--proposals 5000]
                        [--drain 10000] [--latency 0.06] [--load 20] [--postgres URL] [--sqlite-only]

The world: `--guilds` guilds (SimCord), `--schedules` daily prompt schedules spread over them (one channel
each) all due in the same minute, `--pairings` active pairings whose check-in is due today and `--proposals`
pending proposals expiring now (database rows; their members need not be in the gateway cache to be found).

1. **Finding due work**: the statements each tick runs to find what is due (prompt schedules, the first claim
   batch of them, check-in pairings and their guilds, proposals to expire), timed 20 times with everything due
   and 20 times with nothing due. Target: under 100 ms per tick.
2. **Draining**: `--drain` of the prompt schedules are claimed and posted by Lantern's real due-job handler
   (`PromptPoster.run_due`) against a fake Discord that enforces the global 50 requests a second and per-route
   buckets with 429s (bench/ratelimited.py), under discord.py's real HTTP client and rate limiter, with
   `--latency` seconds of round trip per request. Meanwhile members use the bot (`--load` interactions a
   second: /about, /setup show, /prompts list), timed inside the bot as in bench/load.py. The lower bound is
   requests ÷ 50 a second; every slot must be posted exactly once.
3. **Draining check-ins** (`--checkins N`): N members really in the servers, paired two by two, each owed a
   check-in DM the same morning, sent by Lantern's real check-in handler through the same fake Discord (each DM
   opens the member's DM channel and posts: two requests). The lower bound is again requests ÷ 50 a second; every
   member must get exactly one. `--as-before sequential-owed` sends them one at a time, as before 2026-12-03.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import simcord
from simcord.env import Env
from sqlalchemy import func, insert, select

from bench.inflight import fire_without_settle
from bench.load import Clocks, bookkeeping_off, create_postgres, instrument, lighten_simcord, machine, percentile
from bench.ratelimited import RateLimitedDiscord
from bot import create_bot
from cogs.prompts import bank
from storage import mentorship as mentorship_queries
from storage import prompts as prompt_queries
from storage.models.guild import GuildSettings
from storage.models.mentorship import (
    ACCEPTED,
    ACTIVE,
    PENDING,
    PENDING_MENTOR,
    MentorshipPairing,
    MentorshipProposal,
)
from storage.models.prompts import PromptPost, PromptSchedule
from tools.world import make_settings

CHANNELS_PER_GUILD = 10
REPEATS = 20
MEMBER_KINDS = ("about", "setup show", "prompts list")  # what members do during the drain, in turn


def real_clock() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- the collector


class Collections:
    """Each full (oldest-generation) garbage collection during a block: how many, and how long each held the
    loop. They are the longest stalls members' commands wait behind (docs/scale.md)."""

    def __init__(self) -> None:
        self.full_ms: list[float] = []
        self._began: float | None = None

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        elif self._began is not None:
            self.full_ms.append((time.perf_counter() - self._began) * 1000)
            self._began = None

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)


def rss_mb() -> float:
    """The process's resident memory now, MB (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def survivors(top: int = 12) -> str:
    """The unfrozen objects the collector tracks, by type: what a full collection walks."""
    kinds = Counter(type(o).__qualname__ for o in gc.get_objects())
    return f"{sum(kinds.values())} tracked: " + ", ".join(f"{name} {n}" for name, n in kinds.most_common(top))


def as_before(changes: list[str]) -> None:
    """Undo this session's changes for a paired run (`--as-before`): the pool pings on every checkout (SQLAlchemy's
    `pool_pre_ping`), or the drain leaves full collections to run as they fall due."""
    if "pre-ping" in changes:
        import storage.database

        create = storage.database.create_async_engine

        def pinging(url: str, **kwargs: Any) -> Any:
            return create(url, **kwargs, pool_pre_ping=not url.startswith("sqlite"))

        storage.database.create_async_engine = pinging  # type: ignore[assignment]
        storage.database._check_on_checkout = lambda engine: None
    if "full-collections" in changes:
        import contextlib

        import core.heap

        core.heap.full_collections_paused = contextlib.nullcontext  # type: ignore[assignment]
    if "claims-unrested" in changes:
        import cogs.prompts.slots

        cogs.prompts.slots.CLAIM_REST = 0.0


# --------------------------------------------------------------------------- the world


async def build_guilds(env: Env, guilds: int, channels: int) -> tuple[list[Any], list[list[Any]], Any, Any]:
    """`guilds` guilds of `channels` text channels; guild 0 has a moderator and a member who use the bot."""
    handles, channel_lists = [], []
    mod = member = None
    for index in range(guilds):
        guild = env.create_guild(f"Community {index}")
        handles.append(guild)
        channel_lists.append([guild.create_text_channel(f"prompts-{c}") for c in range(channels)])
        if index == 0:
            role = guild.create_role("Moderators", permissions=discord.Permissions(manage_guild=True))
            mod = guild.add_member(env.create_user("mod"), roles=[role])
            member = guild.add_member(env.create_user("member"))
        if index % 50 == 49:
            await env.settle(timeout=120)
    await env.settle(timeout=120)
    return handles, channel_lists, mod, member


async def seed(bot: Any, guilds: list[Any], channels: list[list[Any]], args: argparse.Namespace, now: datetime) -> None:
    """Banks, settings, schedules due at `now`, pairings with a check-in due and proposals expiring, in bulk."""
    rows = bank.seed_rows()
    async with bot.db.write() as session:
        for guild in guilds:
            await prompt_queries.ensure_bank(session, guild.id, now, rows)
        await session.execute(
            insert(GuildSettings),
            [{"guild_id": g.id, "timezone": "UTC", "created_at": now, "updated_at": now} for g in guilds],
        )
    schedule_rows = []
    for index in range(args.schedules):
        guild_index = index % len(guilds)
        channel = channels[guild_index][(index // len(guilds)) % CHANNELS_PER_GUILD]
        schedule_rows.append(
            {
                "guild_id": guilds[guild_index].id,
                "channel_id": channel.id,
                "cadence": "daily",
                "time": now.strftime("%H:%M"),
                "themes": "",
                "thread": False,
                "anchor": now.date().isoformat(),
                "next_run_at": now.replace(second=0, microsecond=0),
                "cycle": 1,
                "paused": False,
                "created_at": now,
            }
        )
    started = now - timedelta(days=14, minutes=1)
    async with bot.db.write() as session:
        for chunk in chunks(schedule_rows, 2000):
            await session.execute(insert(PromptSchedule), chunk)
        proposals = []
        for index in range(args.pairings + args.proposals):
            guild = guilds[index % len(guilds)].id
            pending = index >= args.pairings
            proposals.append(
                {
                    "guild_id": guild,
                    "mentor_id": 10**15 + 2 * index,
                    "mentee_id": 10**15 + 2 * index + 1,
                    "status": PENDING_MENTOR if pending else ACCEPTED,
                    "score": 50,
                    "reason": "",
                    "created_at": now - timedelta(days=3) if pending else started,
                    "expires_at": now - timedelta(seconds=30) if pending else None,
                }
            )
        for chunk in chunks(proposals, 2000):
            await session.execute(insert(MentorshipProposal), chunk)
    async with bot.db.write() as session:
        ids = (
            await session.execute(
                select(MentorshipProposal.id, MentorshipProposal.guild_id, MentorshipProposal.mentor_id)
                .where(MentorshipProposal.status == ACCEPTED)
                .order_by(MentorshipProposal.id)
            )
        ).all()
        pairings = [
            {
                "guild_id": guild_id,
                "proposal_id": proposal_id,
                "mentor_id": mentor_id,
                "mentee_id": mentor_id + 1,
                "status": ACTIVE,
                "started_at": started,
                "checkins_sent": 0,
                "next_checkin_at": started + timedelta(days=14),
            }
            for proposal_id, guild_id, mentor_id in ids
        ]
        for chunk in chunks(pairings, 2000):
            await session.execute(insert(MentorshipPairing), chunk)


def chunks(rows: list[Any], size: int) -> list[list[Any]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


# --------------------------------------------------------------------------- 1. finding due work


def finders(bot: Any) -> dict[str, Callable[[datetime], Awaitable[int]]]:
    """The statements a tick runs to find due work, each in its own read (as the handlers do)."""

    async def schedules_batch(now: datetime) -> int:
        async with bot.db.read() as session:
            return len(await prompt_queries.due_schedules(session, now, limit=200))

    async def claims_batch(now: datetime) -> int:
        async with bot.db.read() as session:
            query = (
                select(PromptPost.id)
                .where(PromptPost.status == "claimed", prompt_queries._lease_free(now))
                .order_by(PromptPost.slot, PromptPost.id)
                .limit(2880)
            )
            return len((await session.execute(query)).all())

    async def checkin_guilds(now: datetime) -> int:
        async with bot.db.read() as session:
            query = (
                select(MentorshipPairing.guild_id)
                .where(MentorshipPairing.status == ACTIVE, MentorshipPairing.next_checkin_at <= now)
                .distinct()
            )
            return len((await session.scalars(query)).all())

    guild_ids: list[int] = []  # the guilds with due pairings (the row above finds them): read once

    async def checkin_pairings(now: datetime) -> int:
        async with bot.db.read() as session:
            if not guild_ids:
                guild_ids.extend((await session.scalars(select(MentorshipPairing.guild_id).distinct())).all())
            query = (
                select(MentorshipPairing)
                .where(
                    MentorshipPairing.status == ACTIVE,
                    MentorshipPairing.next_checkin_at <= now,
                    MentorshipPairing.guild_id.in_(guild_ids),
                )
                .order_by(MentorshipPairing.id)
                .limit(mentorship_queries.CLAIM_BATCH)
            )
            return len((await session.scalars(query)).all())

    async def expiring(now: datetime) -> int:
        async with bot.db.read() as session:
            query = (
                select(MentorshipProposal)
                .where(MentorshipProposal.status.in_(PENDING), MentorshipProposal.expires_at <= now)
                .order_by(MentorshipProposal.id)
                .limit(mentorship_queries.EXPIRE_BATCH)
            )
            return len((await session.scalars(query)).all())

    return {
        "prompt schedules (first batch of 200)": schedules_batch,
        "prompt claims (first lease batch)": claims_batch,
        "check-ins: guilds with due pairings": checkin_guilds,
        "check-ins: due pairings (first batch of 500)": checkin_pairings,
        "proposals to expire (first batch of 500)": expiring,
    }


async def time_finders(bot: Any, now: datetime, label: str) -> list[str]:
    rows = []
    total: list[float] = [0.0] * REPEATS
    for name, find in finders(bot).items():
        found = await find(now)
        times = []
        for repeat in range(REPEATS):
            start = time.perf_counter()
            await find(now)
            times.append(time.perf_counter() - start)
            total[repeat] += times[-1]
        ms = [t * 1000 for t in times]
        rows.append(f"| {label} | {name} | {found} | {statistics.median(ms):.1f} | {max(ms):.1f} |")
    ms = [t * 1000 for t in total]
    rows.append(f"| {label} | **a whole tick** | | **{statistics.median(ms):.1f}** | **{max(ms):.1f}** |")
    return rows


# --------------------------------------------------------------------------- 2. draining


async def member_load(
    env: Env, mod: Any, member: Any, channel: Any, rate: float, stop: asyncio.Event, results: list[Any]
) -> None:
    """Members using the bot at `rate` interactions a second while the backlog drains."""
    plan = itertools.cycle(MEMBER_KINDS)
    start = time.perf_counter()
    for index in itertools.count():
        if stop.is_set():
            return
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        kind = next(plan)
        actor = member if kind == "about" else mod
        results.append(fire_without_settle(actor, channel, kind))


async def warm_up(mod: Any, member: Any, channel: Any, clocks: Clocks) -> None:
    """Each kind of interaction once before the drain, as a running bot has served them: the first use of a command
    in a process builds and caches what every later one reuses (SQL compiled, the command tree walked), 80-120 ms
    that would otherwise be counted against the drain's first second."""
    fired = [fire_without_settle(member if kind == "about" else mod, channel, kind) for kind in MEMBER_KINDS]
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and not all(r._interaction.id in clocks.answered for r in fired):  # noqa: ASYNC110
        await asyncio.sleep(0.01)


async def drain(
    bot: Any, env: Env, channels: list[list[Any]], mod: Any, member: Any, args: argparse.Namespace, clocks: Clocks
) -> dict[str, Any]:
    fake = RateLimitedDiscord(env.backend, global_rate=50, latency=args.latency)
    fake.install(bot)
    poster = bot.get_cog("PromptsCog").poster
    results: list[Any] = []
    stop = asyncio.Event()
    general = channels[0][0]
    full_collections = Collections()
    try:
        with bookkeeping_off(env):
            if not args.cold:
                await warm_up(mod, member, general, clocks)
            gc.collect()
            gc.freeze()
            full_collections.start()  # the drain's own, not the one just above
            load = asyncio.create_task(member_load(env, mod, member, general, args.load, stop, results))
            rss_before = rss_mb()
            start, cpu = time.perf_counter(), time.thread_time()
            original_claim = poster.claim_due
            claiming = 0.0

            async def timed_claim(now: datetime) -> int:  # claiming runs alongside the drain's first batches
                nonlocal claiming
                claimed = await original_claim(now)
                claiming = time.perf_counter() - start
                return claimed

            poster.claim_due = timed_claim
            outcome = await poster.run_due(bot.clock())
            seconds, cpu = time.perf_counter() - start, time.thread_time() - cpu
            full_collections.stop()
            rss_after = rss_mb()
            if args.survivors:
                print(f"left after the drain: {survivors()}", file=sys.stderr)
            stop.set()
            await load
            deadline = time.perf_counter() + 10
            while time.perf_counter() < deadline and not all(  # noqa: ASYNC110
                r._interaction.id in clocks.answered for r in results
            ):
                await asyncio.sleep(0.01)
            owed = time.perf_counter()
            gc.collect()  # the full collection the drain put off (or the next one, had it not): how long it takes
            owed = (time.perf_counter() - owed) * 1000
    finally:
        full_collections.stop()
        gc.unfreeze()
    timed = [
        (
            clocks.parsed[r._interaction.id],
            (clocks.answered[r._interaction.id] - clocks.parsed[r._interaction.id]) * 1000,
            MEMBER_KINDS[index % len(MEMBER_KINDS)],
        )
        for index, r in enumerate(results)
        if r._interaction.id in clocks.answered and r._interaction.id in clocks.parsed
    ]
    latencies = [ms for _, ms, _ in timed]
    worst = sorted(timed, key=lambda found: -found[1])[:8]
    slowest = ", ".join(f"{kind} at {at - start:.1f} s: {ms:.0f}" for at, ms, kind in worst)
    print(f"slowest interactions (ms): {slowest}", file=sys.stderr)
    claims_in = start + claiming  # interactions that arrived while claiming went on, and after
    while_claiming = [ms for at, ms, _ in timed if at < claims_in]
    after_claiming = [ms for at, ms, _ in timed if at >= claims_in]
    async with bot.db.read() as session:
        statuses = Counter(
            dict((await session.execute(select(PromptPost.status, func.count()).group_by(PromptPost.status))).all())
        )
        per_schedule = (
            await session.execute(
                select(PromptPost.schedule_id, func.count()).group_by(PromptPost.schedule_id).having(func.count() > 1)
            )
        ).all()
    posted_messages = 0
    repeated_channels = 0
    for guild_channels in channels:
        for channel in guild_channels:
            found = [
                m for m in channel.history() if m.embeds and (m.embeds[0].footer.text or "").startswith("Prompt #")
            ]
            posted_messages += len(found)
            repeated_channels += len(found) > 1
    requests = sum(count for route, count in fake.counts.requests.items() if not route.startswith("POST /interactions"))
    return {
        "outcome": outcome,
        "seconds": seconds,
        "claiming": claiming,
        "cpu": cpu,
        "requests": requests,
        "answered": fake.counts.answered,
        "global_429": fake.counts.global_429,
        "route_429": fake.counts.route_429,
        "deduplicated": fake.counts.deduplicated,
        "statuses": dict(statuses),
        "claims_per_schedule_over_one": len(per_schedule),
        "messages": posted_messages,
        "channels_with_two": repeated_channels,
        "interactions": len(results),
        "interactions_answered": len(latencies),
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies, default=float("nan")),
        "claiming_p99": percentile(while_claiming, 0.99),
        "claiming_n": len(while_claiming),
        "after_p99": percentile(after_claiming, 0.99),
        "full_collections": full_collections.full_ms,
        "owed_collection_ms": owed,
        "rss": (rss_before, rss_after, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


async def checkin_drain(bot: Any, env: Env, guilds: list[Any], args: argparse.Namespace) -> dict[str, Any]:
    """`--checkins` members added to the guilds (round robin), paired two by two, every pair's check-in due now;
    the other pairings' check-ins put off. Sent by the real handler through the rate-limited fake Discord."""
    members = []
    for index in range(args.checkins - args.checkins % 2):
        guild = guilds[index // 2 % len(guilds)]
        members.append(guild.add_member(env.create_user(f"paired{index}")))
        if index % 50 == 49:  # each join runs Lantern's member-join handlers
            await env.settle(timeout=120)
    await env.settle(timeout=120)
    now = real_clock()
    started = now - timedelta(days=14, minutes=1)
    async with bot.db.write() as session:
        from sqlalchemy import update

        await session.execute(update(MentorshipPairing).values(next_checkin_at=now + timedelta(days=1)))
        proposals = [
            {
                "guild_id": guilds[pair % len(guilds)].id,
                "mentor_id": members[2 * pair].id,
                "mentee_id": members[2 * pair + 1].id,
                "status": ACCEPTED,
                "score": 50,
                "reason": "",
                "created_at": started,
                "expires_at": None,
            }
            for pair in range(len(members) // 2)
        ]
        for chunk in chunks(proposals, 2000):
            await session.execute(insert(MentorshipProposal), chunk)
        ids = (
            await session.execute(
                select(
                    MentorshipProposal.id,
                    MentorshipProposal.guild_id,
                    MentorshipProposal.mentor_id,
                    MentorshipProposal.mentee_id,
                ).where(MentorshipProposal.mentor_id.in_([m.id for m in members[::2]]))
            )
        ).all()
        pairings = [
            {
                "guild_id": guild_id,
                "proposal_id": proposal_id,
                "mentor_id": mentor_id,
                "mentee_id": mentee_id,
                "status": ACTIVE,
                "started_at": started,
                "checkins_sent": 0,
                "next_checkin_at": now - timedelta(minutes=1),
            }
            for proposal_id, guild_id, mentor_id, mentee_id in ids
        ]
        for chunk in chunks(pairings, 2000):
            await session.execute(insert(MentorshipPairing), chunk)
    fake = RateLimitedDiscord(env.backend, global_rate=50, latency=args.latency)
    fake.install(bot)
    checkins = bot.get_cog("Mentorship").checkins
    if "sequential-owed" in args.as_before:  # one DM at a time, as before 2026-12-03
        bot.jobs.concurrency = 1
    with bookkeeping_off(env):
        gc.collect()
        start, cpu = time.perf_counter(), time.thread_time()
        sent = await checkins.send_due(real_clock())
        seconds, cpu = time.perf_counter() - start, time.thread_time() - cpu
    received = Counter()
    for member in members:
        received[sum("How is it going" in (m.content or "") for m in member.user.dm_channel.history())] += 1
    requests = sum(count for route, count in fake.counts.requests.items() if not route.startswith("POST /interactions"))
    return {
        "members": len(members),
        "sent": sent,
        "seconds": seconds,
        "cpu": cpu,
        "requests": requests,
        "global_429": fake.counts.global_429,
        "route_429": fake.counts.route_429,
        "received": dict(received),
        "concurrency": bot.jobs.concurrency,
    }


# --------------------------------------------------------------------------- per backend


async def bench_backend(backend: str, url: str, args: argparse.Namespace) -> tuple[list[str], dict[str, Any] | None]:
    update: dict[str, Any] = {"scheduler_enabled": False}
    if args.concurrency:
        update["due_concurrency"] = args.concurrency
    settings = make_settings(url).model_copy(update=update)
    Env._settle_internal.__kwdefaults__["idle"] = 0.002
    lighten_simcord()
    clocks = Clocks()
    undo = instrument(clocks)  # before the bot exists: its parsers are bound when it is built
    bot = create_bot(settings, clock=real_clock)
    rows: list[str] = []
    drained = checked = None
    try:
        async with simcord.run(bot, check_errors=False) as env:
            began = time.perf_counter()
            guilds, channels, mod, member = await build_guilds(env, args.guilds, CHANNELS_PER_GUILD)
            now = real_clock()
            await seed(bot, guilds, channels, args, now)
            print(f"{backend}: world built and seeded in {time.perf_counter() - began:.0f} s", file=sys.stderr)
            rows += await time_finders(bot, now + timedelta(minutes=1), f"{backend}, all due")
            rows += await time_finders(bot, now - timedelta(hours=1), f"{backend}, nothing due")
            if args.drain:
                if args.drain < args.schedules:  # only the first --drain schedules are due for the drain
                    async with bot.db.write() as session:
                        from sqlalchemy import update

                        await session.execute(
                            update(PromptSchedule)
                            .where(PromptSchedule.id > args.drain)
                            .values(next_run_at=now + timedelta(days=1))
                        )
                drained = await drain(bot, env, channels, mod, member, args, clocks)
            if args.checkins:
                checked = await checkin_drain(bot, env, guilds, args)
    finally:
        undo()
        await bot.close()
    if checked is not None:
        drained = {**(drained or {}), "checkins": checked}
    return rows, drained


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.due", description=__doc__.splitlines()[0])
    parser.add_argument("--guilds", type=int, default=1000)
    parser.add_argument("--schedules", type=int, default=10000)
    parser.add_argument("--pairings", type=int, default=20000)
    parser.add_argument("--proposals", type=int, default=5000)
    parser.add_argument("--drain", type=int, default=10000, help="how many of the schedules to drain (0: none)")
    parser.add_argument(
        "--checkins", type=int, default=0, help="members (paired two by two) owed a check-in DM, drained after"
    )
    parser.add_argument("--latency", type=float, default=0.06, help="network round trip per request, seconds")
    parser.add_argument("--load", type=float, default=20, help="member interactions a second during the drain")
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--concurrency", type=int, help="DUE_CONCURRENCY for the run (default: the setting's)")
    parser.add_argument(
        "--as-before",
        choices=("pre-ping", "full-collections", "claims-unrested", "sequential-owed"),
        action="append",
        default=[],
        help="for paired runs: the pool's pre-ping on every checkout, or full collections during the drain, as "
        "before 2026-12-03",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no interaction before the drain (as before 2026-12-03): the first of "
        "each kind is counted with its one-off costs",
    )
    parser.add_argument(
        "--survivors", action="store_true", help="after the drain, list the unfrozen objects by type (stderr)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    as_before(args.as_before)

    results: list[tuple[str, list[str], dict[str, Any] | None]] = []
    if not (args.postgres and args.postgres_only):
        with tempfile.TemporaryDirectory() as folder:
            rows, drained = await bench_backend("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'lantern.db'}", args)
            results.append(("SQLite", rows, drained))
    if args.postgres and not args.sqlite_only:
        url, drop = await create_postgres(args.postgres)
        try:
            rows, drained = await bench_backend("PostgreSQL", url, args)
            results.append(("PostgreSQL", rows, drained))
        finally:
            await drop()

    print(f"\n{machine()}; `python -m bench.due {' '.join(argv if argv is not None else sys.argv[1:])}`\n")
    print("Finding due work (ms; 20 runs each)\n")
    print("| backend | statement | rows | median ms | max ms |\n|---|---|---|---|---|")
    for _, rows, _ in results:
        for row in rows:
            print(row)
    if args.drain:
        print("\nDraining prompt posts through the rate-limited fake Discord\n")
        print(
            "| backend | posts | requests | seconds (claims all in at) | lower bound s | over the bound | "
            "429 global / route | "
            "posted | messages | repeats | interactions | p50 ms | p99 ms | max ms | loop CPU s |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        )
    for backend, _, d in results:
        if d is None or "outcome" not in d:
            continue
        bound = d["requests"] / 50
        print(
            f"| {backend} | {d['outcome']['posted']} | {d['requests']} | {d['seconds']:.1f} ({d['claiming']:.1f}) | "
            f"{bound:.1f} | "
            f"{(d['seconds'] / bound - 1) * 100:+.1f} % | {d['global_429']} / {d['route_429']} | "
            f"{d['statuses'].get('posted', 0)} | {d['messages']} | {d['channels_with_two']} | "
            f"{d['interactions_answered']}/{d['interactions']} | {d['p50']:.1f} | {d['p99']:.1f} | {d['max']:.1f} | "
            f"{d['cpu']:.1f} |"
        )
        print(
            f"\n{backend}: claim statuses {d['statuses']}; nonce repeats dropped {d['deduplicated']}; "
            f"interactions p99 while claiming {d['claiming_p99']:.1f} ms ({d['claiming_n']} of them), "
            f"after {d['after_p99']:.1f} ms",
            file=sys.stderr,
        )
        full = d["full_collections"]
        before, after, peak = d["rss"]
        print(
            f"\n{backend}: {len(full)} full collections during the drain, {sum(full):.0f} ms in all, longest "
            f"{max(full, default=0):.0f} ms; one after it {d['owed_collection_ms']:.0f} ms; "
            f"RSS {before:.0f} MB before the drain, {after:.0f} MB after, "
            f"peak {peak:.0f} MB"
        )
    checked = [(backend, d["checkins"]) for backend, _, d in results if d is not None and "checkins" in d]
    if checked:
        print("\nDraining check-in DMs through the rate-limited fake Discord\n")
        print(
            "| backend | members | at once | sent | requests | seconds | lower bound s | over the bound | "
            "429 global / route | check-ins each (members) | loop CPU s |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|"
        )
        for backend, c in checked:
            bound = c["requests"] / 50
            print(
                f"| {backend} | {c['members']} | {c['concurrency']} | {c['sent']} | {c['requests']} | "
                f"{c['seconds']:.1f} | {bound:.1f} | {(c['seconds'] / bound - 1) * 100:+.1f} % | "
                f"{c['global_429']} / {c['route_429']} | {c['received']} | {c['cpu']:.1f} |"
            )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(asyncio.run(main()))
