"""Private words to a member, in Discord: a DM, or held for `/mentor status` when DMs are closed.

`Delivery` is the part of the mentorship `Flow` (flow.py) that reaches members: finding them, sending them a
DM (`deliver` for words said once, `send_private` for owed work that retries), holding what can't be sent
(core/held.py; never posted in a thread or channel), and replacing the buttons of an old message with a line
of text. Peer circles and the follow-ups deliver through it too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from core import held
from core.channels import configured_channel
from core.errors import FeatureNotConfigured
from core.jobs import guild_unavailable, is_retryable
from core.text import NO_MENTIONS

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

FEATURE = "Mentor pairing"


class Delivery:
    """Reaching members privately, and editing the messages Lantern sent them."""

    bot: LanternBot

    async def member(self, guild: discord.Guild, user_id: int) -> discord.Member | None:
        member = guild.get_member(user_id)
        if member is not None:
            return member
        try:
            return await guild.fetch_member(user_id)
        except discord.HTTPException:
            return None

    async def user(self, user_id: int) -> discord.User | None:
        """Someone who may no longer be in the server (their public name only)."""
        user = self.bot.get_user(user_id)
        if user is not None:
            return user
        try:
            return await self.bot.fetch_user(user_id)
        except discord.HTTPException:
            return None

    async def mentorship_channel(self, guild: discord.Guild) -> discord.TextChannel | None:
        async with self.bot.db.read() as session:
            try:
                return await configured_channel(
                    session, guild, "mentorship_channel_id", feature=FEATURE, option="mentorship"
                )
            except FeatureNotConfigured:
                return None

    def reachable(self, guild_id: int) -> bool:
        """Whether this process may do a guild's due work now: it runs the guild's shard, and Discord
        hasn't got the guild in an outage (its members and channels would look gone)."""
        return self.bot.owns_guild(guild_id) and not guild_unavailable(self.bot, guild_id)

    async def deliver(
        self, guild: discord.Guild, user_id: int, content: str, *, view: discord.ui.View | None = None
    ) -> discord.Message | None:
        """Send privately: a DM; when DMs are closed (or Discord fails), held for `/mentor status`
        (core/held.py), and None."""
        try:
            _, message = await self.send_private(guild, user_id, content, view=view)
        except discord.HTTPException as error:
            log.info("DM to %s in guild %s failed (%s); holding it for /mentor status", user_id, guild.id, error)
            member = await self.member(guild, user_id)
            if member is not None:
                await self.hold(guild, member, content, view)
            return None
        return message

    async def send_private(
        self,
        guild: discord.Guild,
        user_id: int,
        content: str,
        *,
        view: discord.ui.View | None = None,
        nonce: str | None = None,
    ) -> tuple[str, discord.Message | None]:
        """A DM, for due work that retries: ("sent", message); ("held", None) when Discord refuses it (DMs
        closed: held for `/mentor status`, and that is final); ("gone", None) when the member left. A failure
        worth another try (5xx, 429, a dropped connection) is raised (core.jobs.is_retryable)."""
        member = guild.get_member(user_id)
        if member is None:
            try:
                member = await guild.fetch_member(user_id)
            except (discord.NotFound, discord.Forbidden):
                return "gone", None
        # A nonce makes Discord drop the same DM sent again within minutes (a takeover after a crash).
        extra: dict[str, Any] = {"nonce": nonce} if nonce is not None else {}
        try:
            if view is not None:
                return "sent", await member.send(content, view=view, allowed_mentions=NO_MENTIONS, **extra)
            return "sent", await member.send(content, allowed_mentions=NO_MENTIONS, **extra)
        except discord.HTTPException as error:
            if is_retryable(error):
                raise
            log.info("DM to %s in guild %s refused (%s); holding it for /mentor status", user_id, guild.id, error)
        await self.hold(guild, member, content, view)
        return "held", None

    async def hold(
        self, guild: discord.Guild, member: discord.Member, content: str, view: discord.ui.View | None
    ) -> None:
        # Never a thread or a channel message (moderators could read it): held until the member reads it.
        channel = await self.mentorship_channel(guild)
        if not await held.hold(self.bot, member, content, view, channel):
            await self.bot.modlog.post(
                guild.id,
                "Mentor pairing: couldn't reach a member",
                f"{member.mention}'s DMs are closed and no mentorship channel is set (`/setup channels mentorship:`), "
                "so I can't let them know I have a message for them. It waits for them in `/mentor status`.",
            )

    async def edit_old(self, channel_id: int | None, message_id: int | None, content: str) -> None:
        """Replace an old proposal message's buttons with a line of text (best effort)."""
        if channel_id is None or message_id is None:
            return
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.edit(content=content, view=None)
        except discord.HTTPException:
            log.info("could not edit old proposal message %s", message_id)

    async def edit_owed(self, channel_id: int | None, message_id: int | None, content: str) -> None:
        """Replace an old proposal message's buttons, for due work that retries: a message Discord says is
        gone (4xx) is left alone; a failure worth another try is raised."""
        if channel_id is None or message_id is None:
            return
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.edit(content=content, view=None)
        except discord.HTTPException as error:
            if is_retryable(error):
                raise
            log.info("old proposal message %s can't be edited (%s); leaving it", message_id, error)
