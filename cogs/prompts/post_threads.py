"""The discussion thread of a posted prompt (step 4 of posting.py).

It is opened after the post and, if that fails for a transient reason, retried on later runs with the same
backoff, never by posting again. The mod-log hears only of a permission really missing (named, with the
channel) or of retries running out (with what Discord answered). `PostThreads` is that part of `PromptPoster`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from cogs.prompts.cadence import retry_delay
from cogs.prompts.prompt_post import REQUEST_TIMEOUT, TRANSIENT, describe_error, when
from core.jobs import Pace
from core.permissions import describe, fix, missing_for_me
from core.text import truncate
from storage import prompts as queries
from storage.models.prompts import Prompt, PromptPost, PromptSchedule

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

THREAD_TRIES = 6  # the next run, then 1, 2, 4 and 8 minutes later: about a quarter of an hour
# What starting a thread on a message needs from Lantern in the channel.
THREAD_NEEDS = ("view_channel", "read_message_history", "create_public_threads")
THREAD_EXISTS = 160004  # Discord: "A thread has already been created for this message"


class PostThreads:
    """Opening, retrying and recording a posted prompt's thread: the part of `PromptPoster` (posting.py) after
    the post."""

    bot: LanternBot
    owner: str
    pace: Pace

    async def tell_modlog(self, guild_id: int, title: str, detail: str) -> None:  # pragma: no cover - PromptPoster's
        raise NotImplementedError

    async def retry_thread(self, post_id: int) -> None:
        async with self.bot.db.read() as session:
            details = await queries.claim_details(session, post_id)
        if details is None:
            return
        post, schedule, prompt = details
        if post.status != "posted" or post.thread_state != "pending" or post.message_id is None:
            return
        channel = self.bot.get_channel(schedule.channel_id)
        if not isinstance(channel, discord.TextChannel):
            async with self.bot.db.write() as session:
                await queries.record_thread(session, post_id, self.owner, "gone", error="the channel is gone")
            return
        await self.open_thread(post, schedule, prompt, channel, post.message_id)

    async def open_thread(
        self,
        post: PromptPost,
        schedule: PromptSchedule,
        prompt: Prompt | None,
        channel: discord.TextChannel,
        message_id: int,
    ) -> str:
        """Open the discussion thread on the posted prompt and record what became of it: open, pending (tried
        again later), failed (the mod-log was told) or gone (the prompt was deleted meanwhile)."""
        # A thread name can't carry allowed_mentions: keep member-written mention syntax inert in it.
        name = truncate(discord.utils.escape_mentions(prompt.text), 100) if prompt else "Discussion"
        await self.pace.wait()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                thread = await channel.get_partial_message(message_id).create_thread(
                    name=name, auto_archive_duration=1440
                )
        except discord.NotFound:  # a moderator deleted the prompt (or the channel) meanwhile: nothing to open
            await self.record_thread(post.id, "gone", error="the prompt's message is gone")
            return "gone"
        except Exception as error:
            if isinstance(error, discord.HTTPException) and error.code == THREAD_EXISTS:
                await self.record_thread(post.id, "open", thread_id=message_id)  # opened by an earlier, lost answer
                return "open"
            return await self.thread_failed(post, schedule, channel, error)
        await self.record_thread(post.id, "open", thread_id=thread.id)
        return "open"

    async def record_thread(
        self,
        post_id: int,
        state: str,
        *,
        thread_id: int | None = None,
        attempts: int | None = None,
        retry_at: datetime | None = None,
        error: str | None = None,
    ) -> None:
        async with self.bot.db.write() as session:
            await queries.record_thread(
                session,
                post_id,
                self.owner,
                state,
                thread_id=thread_id,
                attempts=attempts,
                retry_at=retry_at,
                error=error,
            )

    async def thread_failed(
        self, post: PromptPost, schedule: PromptSchedule, channel: discord.TextChannel, error: Exception
    ) -> str:
        """A thread that didn't open: tell the mod-log at once of a permission `permissions_for` shows missing;
        otherwise wait and try again, and tell the mod-log what Discord answered once every try has failed."""
        attempts = (post.attempts if post.thread_state == "pending" else 0) + 1
        said = describe_error(error)
        context = (post.id, schedule.id, schedule.guild_id, attempts, said)
        lacking = missing_for_me(channel, *THREAD_NEEDS) if isinstance(error, discord.Forbidden) else []
        if lacking:
            log.info("no thread for prompt claim %s of schedule %s (guild %s), try %d: %s", *context)
            reason = f"{describe(channel, lacking)}. To fix it: {fix(channel, lacking)}"
        elif attempts >= THREAD_TRIES:
            log.warning("no thread for prompt claim %s of schedule %s (guild %s) after try %d: %s; giving up", *context)
            reason = f"I tried {attempts} times; {said}"
        else:
            delay = retry_delay(attempts)
            transient = isinstance(error, TRANSIENT)
            (log.warning if transient else log.error)(
                "no thread yet for prompt claim %s of schedule %s (guild %s), try %d: %s; retrying %s",
                *context,
                when(delay.total_seconds()),
                exc_info=None if transient else error,
            )
            retry_at = self.bot.clock() + delay
            await self.record_thread(post.id, "pending", attempts=attempts, retry_at=retry_at, error=said)
            return "pending"
        await self.record_thread(post.id, "failed", attempts=attempts, error=said)
        detail = f"I posted the prompt in {channel.mention} but couldn't open its discussion thread: {reason}."
        await self.tell_modlog(schedule.guild_id, f"Prompt schedule #{schedule.id}: no thread", detail)
        return "failed"
