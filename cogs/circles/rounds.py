"""Forming circles: the pool from the database, the solver off the event loop, the circles stored.

The solver (engine/circles) is pure and synchronous. A small pool runs in a thread (milliseconds); a large
one in a one-worker process pool (MEASURED.md: a thread would stall the event loop while it holds the GIL).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from cogs.circles.flow import EXPIRY, CircleFlow
from cogs.intros.tags import normalise_tags
from cogs.mentorship import rules
from core import timezones
from engine.circles import CircleInstance, CircleMember, CircleResult, LeftOutReason, form_circles
from storage import circles as store

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

INLINE_LIMIT = 30  # members solved in a thread (milliseconds); more go to the worker process
TIME_LIMIT_S = 8.0  # the solver's wall-clock budget, so that /circles form answers within Discord's 15 minutes


def offset_minutes(timezone: str, at: datetime) -> int:
    """The UTC offset of `timezone` at `at`, in minutes (DST-aware); 0 for a name no longer known."""
    try:
        offset = at.astimezone(timezones.zone(timezone)).utcoffset()
    except ValueError:
        return 0
    return int(offset.total_seconds() // 60) if offset is not None else 0


@dataclass(frozen=True)
class Outcome:
    result: CircleResult
    pool: int  # members who could be grouped this round
    created: list[int]  # circle ids (empty on a dry run)


class Rounds:
    def __init__(self, bot: LanternBot, flow: CircleFlow) -> None:
        self.bot = bot
        self.flow = flow
        self._executor: Executor | None = None

    def executor(self) -> Executor:
        if self._executor is None:
            # forkserver: never fork a process that has database and event-loop threads running
            self._executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver"))
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def instance(self, guild: discord.Guild, at: datetime) -> CircleInstance:
        async with self.bot.db.read() as session:
            pool = await store.round_pool(session, guild.id, self.bot.protection.pair)
        members = tuple(
            CircleMember(
                id=profile.user_id,
                themes=frozenset(rules.split_keys(profile.themes)),
                heritages=normalise_tags(profile.heritages),
                size=profile.size,
                utc_offset_minutes=offset_minutes(profile.timezone, at),
                window_hours=profile.window_hours,
            )
            for profile in pool.profiles
            if guild.get_member(profile.user_id) is not None  # still in the server
        )
        return CircleInstance(members=members, blocks=tuple(sorted(pool.blocks)), past_circles=tuple(pool.past))

    async def solve(self, instance: CircleInstance) -> CircleResult:
        run = functools.partial(form_circles, instance, TIME_LIMIT_S)
        if len(instance.members) <= INLINE_LIMIT:
            return await asyncio.to_thread(run)
        return await asyncio.get_running_loop().run_in_executor(self.executor(), run)

    async def run(self, guild: discord.Guild, *, dry_run: bool) -> Outcome:
        now = self.bot.clock()
        instance = await self.instance(guild, now)
        result = await self.solve(instance)
        if dry_run or not (result.circles or result.left_out):
            return Outcome(result, len(instance.members), [])
        proposed = [
            store.Proposed(
                members=circle.members,
                points=circle.points,
                starter_themes=rules.join_keys(circle.starter_themes),
                starter_heritages=",".join(circle.starter_heritages),
            )
            for circle in result.circles
        ]
        async with self.bot.db.write() as session:
            # Someone may have joined a circle or left meanwhile: the pool is read again in this transaction.
            fresh = await store.round_pool(session, guild.id, self.bot.protection.pair)
            still = {profile.user_id for profile in fresh.profiles}
            proposed = [item for item in proposed if set(item.members) <= still]
            created = await store.create_circles(session, guild.id, proposed, now, EXPIRY) if proposed else []
            # Each member left out (and still in the pool) is owed one private message saying why.
            await store.owe_left_out(
                session,
                guild.id,
                [(item.member_id, item.reason.value) for item in result.left_out if item.member_id in still],
                now,
            )
        if created:
            await self.flow.send_invites(now, created)
        return Outcome(result, len(instance.members), created)


async def run_scheduled(rounds: Rounds, now: datetime) -> int:
    """Run every due scheduled round (leased: one process runs each); a failing guild never stops the others:
    its lease runs out and the round is tried again. Returns the rounds run."""
    bot = rounds.bot
    async with bot.db.write() as session:
        claimed = [
            (s.guild_id, s.every_days, s.next_round_at)
            for s in await store.claim_due_rounds(session, now, rounds.flow.reachable)
        ]
    done = 0
    for guild_id, every_days, scheduled in claimed:
        guild = bot.get_guild(guild_id)
        try:
            if guild is not None:
                outcome = await rounds.run(guild, dry_run=False)
                await bot.modlog.post(
                    guild_id,
                    "Peer circles (scheduled)",
                    f"{len(outcome.created)} circles proposed from {outcome.pool} members in the pool; each member is "
                    "invited privately.",
                )
        except Exception:
            log.exception("the scheduled circle round of guild %s failed; it is tried again after its lease", guild_id)
            continue
        async with bot.db.write() as session:
            await store.complete_round(session, guild_id, scheduled, rules.next_round_at(scheduled, every_days, now))
        done += 1
    return done


def left_out_counts(result: CircleResult) -> Counter[LeftOutReason]:
    return Counter(item.reason for item in result.left_out)
