"""Posting prompts: the due-job handler, exactly once per (schedule, slot), whatever Discord does.

1. In short writes of CLAIM_BATCH schedules: for each due schedule, claim its latest due slot (a unique row;
   INSERT … ON CONFLICT DO NOTHING) and advance `next_run_at`. After downtime only the latest missed slot is
   claimed, and a new claim marks its schedule's older unposted claims "skipped": after any outage, of the bot
   or of Discord, a schedule makes at most one catch-up post. A schedule whose stored cadence can't be worked
   out is paused (the mod-log says so) rather than failing the step for everyone. (slots.py)
2. Lease, for this process (`bot.instance_id` in `lease_owner`, until `lease_until`), every posted claim
   whose thread is still pending, then the unposted claims that are free and not backing off, batch by batch:
   a batch is what the pace posts in a few seconds (the next leased as one runs out), so a backlog of thousands
   never outlives its leases and no lease statement holds the event loop for long.
   A lease is taken with a conditional update on its holder and its expiry, so a claim left by a process
   that died is taken over once its lease runs out, by exactly one process, and a live lease never is.
3. Outside any transaction, each claim on its own (a few in flight at once, every request at the pace of
   DUE_REQUESTS_PER_SECOND, under Discord's 50 a second): read the claim and renew its lease in one short write
   (skip the claim if another process took it over), post with the nonce `schedule:slot`, record the message
   id. Any error on one claim stays with that claim: a 5xx/429, a dropped connection or a timeout (or a bug)
   releases it with a backoff (the next run, then 1, 2, 4 … 30 minutes; `attempts`, `retry_at`, `last_error`)
   and the other claims still post.
   A request that hangs is given up after REQUEST_TIMEOUT, well inside the lease, so no other process takes
   the claim over while the post may still land (and Discord drops a repeat with the same nonce anyway).
   A missing channel or permission pauses the schedule and tells the mod-log. `/prompts post` goes through
   the same steps for one fresh claim and tells the moderator what happened.
4. The thread belongs to the posted message: it is opened after the post and, if that fails for a
   transient reason, retried on later runs with the same backoff, never by posting again. The mod-log hears
   only of a permission really missing (named, with the channel) or of retries running out (with what
   Discord answered). (post_threads.py)

Only schedules of guilds this process owns (`bot.owns_guild`) are claimed, leased or posted, so
processes running other shards leave them alone (and never pause them for a channel they can't see).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from cogs.care.lookup import add_support, prompt_support
from cogs.prompts.anonymous import prompt_view  # Answer anonymously, This one was good
from cogs.prompts.cadence import retry_delay
from cogs.prompts.post_threads import PostThreads
from cogs.prompts.prompt_post import (
    REQUEST_TIMEOUT,
    TRANSIENT,
    Outcome,
    PostedRecords,
    describe_error,
    prompt_embed,
    theme_labels,
    when,
)
from cogs.prompts.slots import SlotClaims
from core import heap
from core.jobs import guild_unavailable
from core.permissions import POST_EMBED, refusal
from storage import prompts as queries
from storage.models.prompts import PromptPost, PromptSchedule

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

# How far ahead a drain leases claims: batches this long at the pace (the next leased as one runs out) keep each
# lease statement short, and every claim is posted long before its lease (storage.prompts.LEASE) runs out.
LEASE_AHEAD = timedelta(seconds=5)
# How long a posted claim's record waits for others to share its write (PostedRecords): a few posts' worth at the
# pace, and short against a post's round trip, so the drain's pace is not slowed.
RECORD_LINGER = 0.05


class PromptPoster(SlotClaims, PostThreads):
    """The due-job driver: claims (slots.py), leases and posts, and the threads after (post_threads.py)."""

    def __init__(self, bot: LanternBot, *, owner: str | None = None) -> None:
        self.bot = bot
        self.owner = owner or bot.instance_id  # who holds the leases this poster takes
        rate = bot.settings.due_requests_per_second
        self.pace = bot.jobs.pace  # every request of a drain waits its turn there, shared with owed DMs (core.jobs)
        self.concurrency = bot.settings.due_concurrency
        self.records = PostedRecords(bot, RECORD_LINGER)
        # Claims leased at once: what the pace posts in LEASE_AHEAD (240 at 48 a second), well inside a lease.
        self.lease_batch = max(1, int(rate * LEASE_AHEAD.total_seconds()))

    def serves(self, guild_id: int) -> bool:
        """Whether this process does `guild_id`'s scheduled work now: it runs the guild's shard, and Discord
        hasn't got the guild in an outage (its channels would look deleted and the schedule be paused)."""
        return self.bot.owns_guild(guild_id) and not guild_unavailable(self.bot, guild_id)

    async def run_due(self, now: datetime) -> dict[str, int]:
        """The due-job handler registered as "prompts": claim, then drain the backlog batch by batch.

        A batch is what the pace posts in LEASE_AHEAD (`lease_batch`), so no claim's lease runs out while it
        waits its turn, however long the backlog (10,000 posts take over 200 s at Discord's 50 a second); the
        claims of later batches stay free meanwhile, for another process to share the drain. A slot that waited
        long is still posted: only a newer slot of the same schedule supersedes it.

        Posting starts as soon as the first claims are in: claiming 10,000 schedules takes seconds, which the
        drain would otherwise add to its 200.

        No full garbage collection runs while it drains (core.heap): each walked everything the drain had left
        alive and held the loop 200-300 ms, a few times a minute."""
        with heap.full_collections_paused():
            return await self._claim_and_drain(now)

    async def _claim_and_drain(self, now: datetime) -> dict[str, int]:
        claiming = asyncio.create_task(self.claim_due(now), name="prompts-claim")
        try:
            async with self.bot.db.write() as session:  # threads first: one failing in this run waits for the next
                await queries.skip_superseded(session, now)
                threads = await queries.lease_threads(session, now, self.owner, owns_guild=self.serves)
            for post_id in threads:
                await self.attempt_thread(post_id)
            posted = 0
            # First this run's own claims, while claiming goes on: they are the newest slots, which nothing in this
            # run can supersede. Older claims (left by earlier runs) only once claiming is done, because a new
            # claim may supersede them (at most one catch-up post).
            posted += await self.drain_claims(claimed_since=now, claiming=claiming)
            posted += await self.drain_claims(claimed_before=now)
            claimed = await claiming
        finally:
            if not claiming.done():
                claiming.cancel()
                await asyncio.gather(claiming, return_exceptions=True)
        return {"claimed": claimed, "posted": posted}

    async def drain_claims(
        self,
        *,
        claimed_since: datetime | None = None,
        claimed_before: datetime | None = None,
        claiming: asyncio.Task[int] | None = None,
    ) -> int:
        """Lease and post claims batch by batch (see `run_due`); with `claiming`, until it is done and every
        claim it made has been seen. How many were posted.

        `concurrency` workers take the leased claims one at a time, at most that many waiting for Discord at once
        (one request waits 50-150 ms: one at a time is 7-20 a second). The worker that finds a batch used up
        leases the next while the others go on posting, so batches follow each other without a pause and can be
        small: a batch's statements are a few milliseconds of the event loop, not a stall members' commands wait
        behind."""
        leased = self.leased(claimed_since=claimed_since, claimed_before=claimed_before, claiming=claiming)
        turn = asyncio.Lock()  # one worker at a time takes from the batches (and leases the next)
        posted = 0

        async def worker() -> None:
            nonlocal posted
            while True:
                async with turn:
                    post_id = await anext(leased, None)
                if post_id is None:
                    return
                outcome = await self.attempt(
                    post_id, grouped=True
                )  # awaited first: `posted += await …` would lose counts
                posted += outcome.posted

        # A lease that fails ends the batches: the other workers finish the claims they hold, then it is raised.
        done = await asyncio.gather(*(worker() for _ in range(self.concurrency)), return_exceptions=True)
        for result in done:
            if isinstance(result, BaseException):
                raise result
        return posted

    async def leased(
        self,
        *,
        claimed_since: datetime | None,
        claimed_before: datetime | None,
        claiming: asyncio.Task[int] | None,
    ) -> AsyncIterator[int]:
        """The claims this run posts, leased `lease_batch` at a time as they are needed; with `claiming`, waits for
        more claims until it is done."""
        after: tuple[datetime, int] | None = None
        while True:
            claims_all_in = claiming is None or claiming.done()  # read before the lease: later claims seen next time
            async with self.bot.db.write() as session:
                posts, stopped = await queries.lease_claim_batch(
                    session,
                    self.bot.clock(),
                    self.owner,
                    limit=self.lease_batch,
                    after=after,
                    owns_guild=self.serves,
                    claimed_since=claimed_since,
                    claimed_before=claimed_before,
                )
            for post_id in posts:
                yield post_id
            if stopped is not None:
                after = stopped
            elif claims_all_in:
                return
            else:  # nothing new yet: wait for the next claims (or the end of claiming)
                assert claiming is not None
                await asyncio.wait({claiming}, timeout=0.5)

    async def lease(self, now: datetime) -> tuple[list[int], list[int]]:
        """Step 2: skip superseded claims, then lease the unposted claims and the pending threads due now."""
        async with self.bot.db.write() as session:
            await queries.skip_superseded(session, now)
            posts = await queries.lease_claims(session, now, self.owner, owns_guild=self.serves)
            threads = await queries.lease_threads(session, now, self.owner, owns_guild=self.serves)
        return posts, threads

    async def attempt(self, post_id: int, *, grouped: bool = False) -> Outcome:
        """Post one leased claim; whatever goes wrong stays with this claim (its lease runs out, and a later run
        takes it again). `grouped`: its record shares a write with the drain's other posts (PostedRecords)."""
        try:
            return await self.post_claim(post_id, grouped=grouped)
        except Exception:
            log.exception("prompt claim %s could not be handled; it is retried once its lease runs out", post_id)
            return Outcome(False, "Something went wrong on my side; I'll try again in a few minutes.")

    async def attempt_thread(self, post_id: int) -> None:
        try:
            await self.retry_thread(post_id)
        except Exception:
            log.exception(
                "the thread of prompt claim %s could not be handled; retried once its lease runs out", post_id
            )

    async def post_now(self, schedule_id: int, now: datetime) -> Outcome:
        """`/prompts post`: claim a slot at `now` for the schedule and post it straight away."""
        async with self.bot.db.write() as session:
            schedule = await session.get(PromptSchedule, schedule_id)
            assert schedule is not None
            post_id = await queries.claim_slot(session, schedule, now, now)
            leased = await queries.lease_claims(session, now, self.owner, post_id=post_id) if post_id else []
        if post_id is None or post_id not in leased:
            return Outcome(False, "That slot was just posted by another run.")
        return await self.attempt(post_id)

    async def post_claim(self, post_id: int, *, grouped: bool = False) -> Outcome:
        async with self.bot.db.write() as session:  # the claim read and its lease renewed in one short write
            details = await queries.claim_details(session, post_id)
            if details is None:
                return Outcome(False, "That schedule was just removed.")
            post, schedule, prompt = details
            if post.status != "claimed":
                return Outcome(False, f"That slot is already {post.status}.")
            held = await queries.renew_lease(session, post_id, self.owner, self.bot.clock())
        if not held:
            log.info("prompt claim %s of schedule %s is no longer ours; another process posts it", post_id, schedule.id)
            return Outcome(False, "Another run is posting that slot.")
        if prompt is None:
            async with self.bot.db.write() as session:
                await queries.pause_schedule(session, schedule.id, "no prompt to post")
            detail = (
                "Its bank has no prompts in its themes, or its themes are turned off. Add some with `/prompts add` "
                "or turn them back on with `/setup themes`, then `/prompts resume`."
            )
            await self.tell_modlog(schedule.guild_id, f"Prompt schedule #{schedule.id} paused", detail)
            return Outcome(False, detail)
        channel = self.bot.get_channel(schedule.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return await self.pause(schedule, "the channel is gone")
        labels = await theme_labels(self.bot, schedule.guild_id)
        label = labels.get(prompt.theme, prompt.theme)
        # Emotional support and coping prompts carry a line pointing to support (cogs/care).
        support = await prompt_support(self.bot, schedule.guild_id, prompt.theme)
        embed = add_support(prompt_embed(prompt, label), support)
        nonce = f"{schedule.id}:{int(post.slot.timestamp())}"
        await self.pace.wait()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                message = await channel.send(
                    embed=embed,
                    nonce=nonce,
                    view=prompt_view(prompt.id),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
        except (discord.Forbidden, discord.NotFound) as error:
            reason = (
                "the channel is gone" if isinstance(error, discord.NotFound) else refusal(channel, error, *POST_EMBED)
            )
            return await self.pause(schedule, reason)
        except Exception as error:
            return await self.retry_later(post, schedule, error)
        if grouped:  # a drain's workers share writes; a single post (`/prompts post`) has no one to wait for
            await self.records.record(post_id, self.owner, message.id, self.bot.clock(), thread=schedule.thread)
        else:
            async with self.bot.db.write() as session:
                await queries.mark_posted(
                    session, post_id, self.owner, message.id, self.bot.clock(), thread=schedule.thread
                )
        detail = f"Posted prompt #{prompt.id} in {channel.mention}."
        thread = await self.open_thread(post, schedule, prompt, channel, message.id) if schedule.thread else None
        if thread == "pending":
            detail += " Its discussion thread isn't open yet; I'll try again shortly."
        elif thread == "failed":
            detail += " I couldn't open its discussion thread; the mod-log says why."
        return Outcome(True, detail, message)

    async def retry_later(self, post: PromptPost, schedule: PromptSchedule, error: Exception) -> Outcome:
        """Release a claim whose post failed, with its backoff; what to tell a moderator who asked for it."""
        attempts = post.attempts + 1
        delay = retry_delay(attempts)
        said = describe_error(error)
        args = (post.id, schedule.id, schedule.guild_id, attempts, said, when(delay.total_seconds()))
        if isinstance(error, TRANSIENT):
            log.warning("prompt claim %s of schedule %s (guild %s) failed, try %d: %s; retrying %s", *args)
        else:
            log.error(
                "prompt claim %s of schedule %s (guild %s) failed, try %d: %s; retrying %s", *args, exc_info=error
            )
        async with self.bot.db.write() as session:
            await queries.release_claim(
                session, post.id, self.owner, attempts=attempts, retry_at=self.bot.clock() + delay, error=said
            )
        again = f"I kept the slot and will try again {when(delay.total_seconds())}."
        if isinstance(error, discord.HTTPException):
            return Outcome(False, f"{said}. {again}")
        return Outcome(False, f"I couldn't reach Discord ({said}). {again}")

    async def tell_modlog(self, guild_id: int, title: str, detail: str) -> None:
        """The mod-log entry, never failing the claim it reports (not even on a dropped connection)."""
        try:
            await self.bot.modlog.post(guild_id, title, detail)
        except Exception:
            log.exception("could not tell the mod-log of guild %s: %s", guild_id, title)

    async def pause(self, schedule: PromptSchedule, reason: str) -> Outcome:
        async with self.bot.db.write() as session:
            changed = await queries.pause_schedule(session, schedule.id, reason)
        detail = (
            f"I couldn't post in <#{schedule.channel_id}>: {reason}. The schedule is paused. "
            f"Fix the channel, then run `/prompts resume schedule:{schedule.id}` "
            f"(or remove it with `/prompts unschedule schedule:{schedule.id}`)."
        )
        if changed:
            await self.tell_modlog(schedule.guild_id, f"Prompt schedule #{schedule.id} paused", detail)
        return Outcome(False, detail)
