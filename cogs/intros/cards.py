"""Intro cards on Discord: the embed, posting or editing it in place, removing it, the intro role.

Database work happens in short units of work; no session is held across a Discord call.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import discord
from sqlalchemy.exc import IntegrityError

from cogs.intros.rules import IntroDraft
from core import limits
from core.channels import configured_channel
from core.errors import NotAllowed
from core.roles import elevated_permissions
from core.text import NO_MENTIONS, join_words, truncate, unlink
from storage.guilds import get_settings
from storage.intros import CardRef, delete_intro, get_intro, save_intro
from storage.models.intros import Intro

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

CARD_COLOUR = 0xF4B942


class IntroText(Protocol):
    """What a card shows; read-only, so frozen drafts and stored intros both fit."""

    @property
    def name(self) -> str: ...
    @property
    def heritages(self) -> str: ...
    @property
    def languages(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def story(self) -> str: ...


def card_embed(member: discord.abc.User, intro: IntroText, when: datetime) -> discord.Embed:
    """The card: the member's own words, their avatar and name."""
    embed = discord.Embed(
        title=truncate(intro.name, 256), description=truncate(unlink(intro.story), 4000), colour=CARD_COLOUR
    )
    embed.set_author(name=member.display_name, icon_url=member.display_avatar.url)
    embed.set_thumbnail(url=member.display_avatar.url)
    embed.add_field(name="Heritages and cultures", value=truncate(unlink(intro.heritages), 1024), inline=False)
    if intro.languages:
        embed.add_field(name="Languages", value=truncate(unlink(intro.languages), 1024), inline=True)
    if intro.location:
        embed.add_field(name="Where", value=truncate(unlink(intro.location), 1024), inline=True)
    embed.set_footer(text="Introduce yourself with /intro write")
    embed.timestamp = when
    return embed


async def intro_channel(bot: LanternBot, guild: discord.Guild) -> discord.TextChannel:
    """The guild's intro channel, or FeatureNotConfigured."""
    async with bot.db.read() as session:
        return await configured_channel(session, guild, "intro_channel_id", feature="Introductions", option="intro")


async def load_intro(bot: LanternBot, guild_id: int, user_id: int) -> Intro | None:
    async with bot.db.read() as session:
        return await get_intro(session, guild_id, user_id)


@dataclass(frozen=True, slots=True)
class Saved:
    message: discord.Message
    created: bool
    discoverable: bool


async def save_card(bot: LanternBot, member: discord.Member, draft: IntroDraft) -> Saved:
    """Post the member's card (or edit it in place) and store the intro with its tags."""
    guild = member.guild
    async with bot.db.read() as session:
        channel = await configured_channel(session, guild, "intro_channel_id", feature="Introductions", option="intro")
        existing = await get_intro(session, guild.id, member.id)
        old = CardRef(existing.channel_id, existing.message_id) if existing else None
        settings = await get_settings(session, guild.id)
        role_id = settings.intro_role_id if settings else None

    now = bot.clock()
    try:
        message = await _post_or_edit(bot, channel, old, member, card_embed(member, draft, now))
    except discord.Forbidden:
        await bot.modlog.post(
            guild.id,
            "Intro card not posted",
            f"I couldn't post {member.mention}'s introduction in {channel.mention}: give me View Channel, "
            "Send Messages and Embed Links there.",
        )
        raise NotAllowed(
            f"I'm not allowed to post in {channel.mention}, so your introduction isn't saved yet. "
            "I've told the moderators; please try again once they've fixed it."
        ) from None
    try:
        async with bot.db.write() as session:
            intro, created = await save_intro(
                session,
                guild_id=guild.id,
                user_id=member.id,
                text=draft.text(),
                heritage_tags=draft.heritage_tags(),
                language_tags=draft.language_tags(),
                card=CardRef(message.channel.id, message.id),
                now=now,
            )
            discoverable = intro.discoverable
            await limits.record(session, limits.INTRO_WRITE, guild.id, member.id, now)
    except IntegrityError:
        # Another submission by the same member won the race: keep one card only.
        if old is None or old.message_id != message.id:
            await delete_card(bot, CardRef(message.channel.id, message.id))
        raise
    if created and role_id is not None:
        await grant_intro_role(bot, member, role_id)
    return Saved(message=message, created=created, discoverable=discoverable)


async def _post_or_edit(
    bot: LanternBot, channel: discord.TextChannel, old: CardRef | None, member: discord.Member, embed: discord.Embed
) -> discord.Message:
    if old is not None and old.message_id is not None:
        if old.channel_id == channel.id:
            try:
                return await channel.get_partial_message(old.message_id).edit(
                    content=member.mention, embed=embed, allowed_mentions=NO_MENTIONS
                )
            except discord.NotFound:
                log.info("intro card %s of member %s was deleted; posting a new one", old.message_id, member.id)
        else:  # the intro channel moved: the card moves with it
            await delete_card(bot, old)
    return await channel.send(content=member.mention, embed=embed, allowed_mentions=NO_MENTIONS)


async def delete_card(bot: LanternBot, card: CardRef) -> None:
    """Remove a card message if it is still there. Never raises."""
    if card.channel_id is None or card.message_id is None:
        return
    channel = bot.get_channel(card.channel_id)
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        return
    try:
        await channel.get_partial_message(card.message_id).delete()
    except discord.NotFound:
        pass
    except discord.HTTPException as error:
        log.warning("could not delete intro card %s in %s: %s", card.message_id, card.channel_id, error)


async def remove_intro(bot: LanternBot, guild_id: int, user_id: int) -> bool:
    """Delete a member's intro rows, then their card. Whether there was one."""
    async with bot.db.write() as session:
        card = await delete_intro(session, guild_id, user_id)
    if card is None:
        return False
    await delete_card(bot, card)
    return True


async def grant_intro_role(bot: LanternBot, member: discord.Member, role_id: int) -> None:
    """Give the configured role after a first intro; if I can't, the intro stands and the mod-log says why."""
    guild = member.guild
    role = guild.get_role(role_id)
    if role is None:
        await bot.modlog.post(
            guild.id,
            "Intro role is missing",
            f"The intro role (id {role_id}) no longer exists, so {member.mention} didn't get it after their "
            "first introduction. Choose another with `/setup options intro_role:`.",
        )
        return
    elevated = elevated_permissions(role.permissions)
    if elevated:  # it may have gained them since /setup options accepted it
        await bot.modlog.post(
            guild.id,
            "Intro role not given",
            f"I didn't give {role.mention} to {member.mention} after their first introduction: the role now "
            f"carries {join_words(elevated)}, and I never hand out moderator or admin permissions. Remove those "
            "permissions from the role, or choose another with `/setup options intro_role:`. Their introduction "
            "is posted.",
        )
        return
    try:
        await member.add_roles(role, reason="First introduction")
    except discord.Forbidden:
        await bot.modlog.post(
            guild.id,
            "Intro role not given",
            f"I couldn't give {role.mention} to {member.mention} after their first introduction: Discord says I "
            f"lack permission. Give me Manage Roles and move my role above {role.mention} in Server Settings → "
            "Roles. Their introduction is posted.",
        )
    except discord.HTTPException as error:
        log.warning("could not give intro role %s to %s: %s", role_id, member.id, error)
        await bot.modlog.post(
            guild.id,
            "Intro role not given",
            f"Discord refused to give {role.mention} to {member.mention} ({error.status}). Their introduction is "
            "posted; you can give the role by hand.",
        )
