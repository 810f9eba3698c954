"""A prompt post, the part every poster shares: its embed, the outcome of one attempt, and the words for what
Discord answered (for `last_error`, the log and the mod-log).

The scheduled prompts (posting.py, post_threads.py) and the calendar's occasions (occasions.py) post with
these, under the same request timeout.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import aiohttp
import discord

from core.permissions import discord_said
from core.text import truncate, unlink
from storage.models.prompts import Prompt
from storage.prompts.leases import mark_posted_many

if TYPE_CHECKING:
    from bot import LanternBot

COLOUR = 0xE8A33D
# A request that hangs gives up well inside its claim's lease (storage.prompts.LEASE, 2 minutes), so no other
# process takes the claim over while it may still land, and one hung request holds back the run at most this long.
REQUEST_TIMEOUT = 45.0
TRANSIENT = (discord.HTTPException, aiohttp.ClientError, OSError)  # OSError covers timeouts and resets


def prompt_embed(prompt: Prompt, theme_label: str) -> discord.Embed:
    embed = discord.Embed(title=truncate(theme_label, 256), description=unlink(prompt.text), colour=COLOUR)
    if prompt.suggested_by_id is not None:
        embed.add_field(name="Suggested by", value=f"<@{prompt.suggested_by_id}>")
    embed.set_footer(text=f"Prompt #{prompt.id} · answer at whatever depth feels right")
    return embed


async def theme_labels(bot: LanternBot, guild_id: int) -> dict[str, str]:
    """The guild's enabled themes, key → label, from the per-process copy (storage/guild_cache.py)."""
    return (await bot.db.guild_config(guild_id)).theme_labels


def describe_error(error: BaseException) -> str:
    """What went wrong with a request to Discord, briefly, for `last_error`, the log and the mod-log."""
    if isinstance(error, discord.HTTPException):
        return discord_said(error)
    if isinstance(error, TimeoutError):
        return "Discord didn't answer in time"
    if isinstance(error, aiohttp.ClientError | OSError):
        return truncate(f"the connection to Discord dropped ({error or type(error).__name__})", 300)
    return f"an unexpected error ({type(error).__name__})"


def when(delay_seconds: float) -> str:
    if delay_seconds <= 0:
        return "on the next run"
    minutes = round(delay_seconds / 60)
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"


@dataclass
class Outcome:
    posted: bool
    detail: str
    message: discord.Message | None = None


class PostedRecords:
    """Posted claims recorded together (a group commit): each post waits until its record is committed, as with a
    write of its own, but the posts that come back from Discord within `linger` of each other share one short
    write. A drain's workers finish a post every 20 ms or so at 48 a second, so a write records a few, and the
    drain spends fewer writes (three statements and a pool checkout each) on what it does for every post."""

    def __init__(self, bot: LanternBot, linger: float) -> None:
        self.bot, self.linger = bot, linger
        self._waiting: list[tuple[tuple[int, str, int, datetime, bool], asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def record(self, post_id: int, owner: str, message_id: int, now: datetime, *, thread: bool) -> None:
        """Record the posted message (`storage.prompts.mark_posted`); returns once it is committed, raises if the
        write failed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(((post_id, owner, message_id, now, thread), future))
        if self._writing is None:
            self._writing = asyncio.create_task(self._write(), name="prompts-posted")
        await future

    async def _write(self) -> None:
        await asyncio.sleep(self.linger)
        batch, self._waiting, self._writing = self._waiting, [], None  # later posts start the next write
        try:
            async with self.bot.db.write() as session:
                await mark_posted_many(session, [row for row, _ in batch])
        except BaseException as error:
            for _, future in batch:
                if not future.done():  # a waiter cancelled meanwhile has nothing to hear
                    future.set_exception(error if isinstance(error, Exception) else asyncio.CancelledError())
            if not isinstance(error, Exception):
                raise
        else:
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
