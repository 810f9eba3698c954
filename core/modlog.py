"""The mod-log: one formatter, one place. Every moderator action and automatic pause goes here."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import aiohttp
import discord

from core import answers, traces
from core.text import truncate

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

MENTION = re.compile(r"<@!?(\d+)>")  # a member mention; role mentions are <@&id>


def format_entry(title: str, detail: str, *, actor: discord.abc.User | None = None) -> discord.Embed:
    embed = discord.Embed(title=truncate(title, 256), description=truncate(detail, 4000), colour=0x8E7CC3)
    if actor is not None:
        embed.set_footer(text=f"by {actor.display_name} ({actor.id})")
    return embed


class ModLog:
    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot

    async def post(
        self,
        guild_id: int,
        title: str,
        detail: str,
        *,
        actor: discord.abc.User | None = None,
        about: Iterable[int] = (),
        view: discord.ui.View | None = None,
    ) -> bool:
        """Post to the guild's mod-log channel if one is set. Never raises: the mod-log must not
        break the action it reports. Returns whether it was posted.

        `about`: members the entry is about beyond those it mentions (`<@id>`, found in `detail` by itself),
        such as the member whose words it quotes; the entry is recorded for each, so that their erasure can
        edit it (core/traces.py). `view`: buttons under the entry (persistent ones, such as *Remove*).

        After an interaction's answer, the entry waits until the other interactions in flight are answered
        (core/answers.py): in a burst, members' first answers go before mod-log posts."""
        await answers.after_answers()
        channel_id = (await self.bot.db.guild_config(guild_id)).modlog_channel_id
        if channel_id is None:
            return False
        channel = self.bot.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("mod-log channel %s of guild %s is gone", channel_id, guild_id)
            return False
        try:
            message = await channel.send(
                embed=format_entry(title, detail, actor=actor),
                view=view or discord.utils.MISSING,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        # A 4xx/5xx, a dropped connection or a hung request: the entry is lost, the action it reports is not.
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning("could not post to the mod-log of guild %s: %s", guild_id, error)
            return False
        try:
            named = {*about, *(int(user_id) for user_id in MENTION.findall(detail))}
            await traces.record(self.bot, guild_id, named, message)
        except Exception:
            log.exception("could not record whom mod-log entry %s names (guild %s)", message.id, guild_id)
        return True
