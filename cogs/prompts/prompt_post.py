"""A prompt post, the part every poster shares: its embed, the outcome of one attempt, and the words for what
Discord answered (for `last_error`, the log and the mod-log).

The scheduled prompts (posting.py, post_threads.py) and the calendar's occasions (occasions.py) post with
these, under the same request timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
import discord

from core.permissions import discord_said
from core.text import truncate, unlink
from storage.models.prompts import Prompt

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
