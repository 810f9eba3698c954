"""Intro cards on Discord: the embed, posting or editing it in place, removing it, the intro role.

Database work happens in short units of work; no session is held across a Discord call.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import discord
from sqlalchemy.exc import IntegrityError

from cogs.intros.rules import KEPT_ANSWERS, IntroDraft, clean_draft
from core import limits, permissions
from core.channels import configured_channel
from core.errors import InvalidInput, NotAllowed
from core.roles import elevated_permissions
from core.text import NO_MENTIONS, join_words, truncate, unlink
from storage.guilds import get_settings
from storage.intro_drafts import expire_drafts, get_draft, keep_draft
from storage.intros import (
    CardRef,
    Claim,
    claim_intro,
    delete_intro,
    get_intro,
    lock_intro,
    record_card,
    release_claim,
    save_intro,
)
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
    """What became of a submission. `message` is None when another submission of the same member, a
    moment earlier, is posting the card: the answers are stored and that one shows them."""

    message: discord.Message | discord.PartialMessage | None
    created: bool
    discoverable: bool
    channel: discord.TextChannel

    @property
    def headline(self) -> str:
        if self.message is None:
            return (
                f"Your introduction is saved. Your other submission from a moment ago is posting its card in "
                f"{self.channel.mention}, and it will show these answers. If it isn't there in a minute, send the "
                "form again and I'll post it."
            )
        return f"Your introduction is {'posted' if self.created else 'updated'}: {self.message.jump_url}"


async def checked_draft(bot: LanternBot, member: discord.Member, values: Mapping[str, str | None]) -> IntroDraft:
    """`clean_draft`; a refused form's answers are kept, so the next form opens with them (the refusal says so)."""
    try:
        return clean_draft(values)
    except InvalidInput:
        await keep_answers(bot, member, values)
        raise


async def keep_answers(bot: LanternBot, member: discord.Member, values: Mapping[str, str | None]) -> None:
    async with bot.db.write() as session:
        await keep_draft(session, member.guild.id, member.id, values, bot.clock())


async def prefill(bot: LanternBot, member: discord.Member, inputs: Mapping[str, discord.ui.TextInput[Any]]) -> None:
    """Put the answers kept from a refused form in the form's fields (they replace the stored intro's)."""
    async with bot.db.read() as session:
        kept = await get_draft(session, member.guild.id, member.id, bot.clock())
    if kept is None:
        return
    for key, item in inputs.items():
        if key in kept:
            item.default = kept[key] or None


async def expire_kept_answers(bot: LanternBot, now: datetime) -> int:
    """The due job: answers kept longer than a day are deleted."""
    async with bot.db.write() as session:
        return await expire_drafts(session, now)


async def save_card(bot: LanternBot, member: discord.Member, draft: IntroDraft) -> Saved:
    """Store the member's intro and post its card, or edit the card in place.

    The database decides who posts a first card (`claim_intro`): of two submissions at once, one posts
    and the other leaves its answers for it to show. A card already posted is edited, then the answers
    are stored."""
    guild = member.guild
    async with bot.db.read() as session:
        channel = await configured_channel(session, guild, "intro_channel_id", feature="Introductions", option="intro")
        settings = await get_settings(session, guild.id)
        role_id = settings.intro_role_id if settings else None

    now = bot.clock()
    token = uuid.uuid4().hex
    async with bot.db.write() as session:
        claim = await claim_intro(
            session,
            guild_id=guild.id,
            user_id=member.id,
            text=draft.text(),
            heritage_tags=draft.heritage_tags(),
            language_tags=draft.language_tags(),
            token=token,
            now=now,
        )
        if claim.card.message_id is None:  # the answers are stored in this step
            await limits.record(session, limits.INTRO_WRITE, guild.id, member.id, now)
    if claim.posting:
        message, discoverable = await _post_claimed(bot, channel, member, draft, claim, token)
        if role_id is not None:
            await grant_intro_role(bot, member, role_id)
        return Saved(message=message, created=True, discoverable=discoverable, channel=channel)
    if claim.card.message_id is None:
        return Saved(message=None, created=False, discoverable=claim.discoverable, channel=channel)
    message, discoverable = await _edit_card(bot, channel, member, draft, claim.card)
    return Saved(message=message, created=False, discoverable=discoverable, channel=channel)


async def _post_claimed(
    bot: LanternBot, channel: discord.TextChannel, member: discord.Member, draft: IntroDraft, claim: Claim, token: str
) -> tuple[discord.Message | discord.PartialMessage, bool]:
    """Post the card this submission claimed and record it; show the answers stored by then."""
    now = bot.clock()
    try:
        message = await channel.send(
            content=member.mention, embed=card_embed(member, draft, now), allowed_mentions=NO_MENTIONS
        )
    except Exception as error:
        async with bot.db.write() as session:
            gone = await release_claim(session, claim, token)
            await keep_draft(session, member.guild.id, member.id, draft.text(), now)
        if isinstance(error, discord.Forbidden):
            what = "your introduction isn't saved yet" if gone else "your card isn't posted yet"
            raise await _not_allowed(bot, channel, member, what, error) from None
        raise
    card = CardRef(message.channel.id, message.id)
    async with bot.db.write() as session:
        intro = await record_card(session, claim.intro_id, token, card)
        latest = IntroDraft(**{key: getattr(intro, key) for key in draft.text()}) if intro is not None else None
        discoverable = intro.discoverable if intro is not None else False
    if latest is None:  # deleted meanwhile, or the claim went stale and another submission took it
        await delete_card(bot, card)
        raise NotAllowed(
            "Your introduction changed while I was posting its card (it was deleted, or posted by another "
            "submission), so I've taken this card down. `/intro show` shows what is there now."
        )
    if latest != draft:  # another submission stored newer answers while this card was on its way
        return await _show(member, message, latest, now), discoverable
    return message, discoverable


async def _edit_card(
    bot: LanternBot, channel: discord.TextChannel, member: discord.Member, draft: IntroDraft, old: CardRef
) -> tuple[discord.Message | discord.PartialMessage, bool]:
    """Edit the posted card (or post it again if it was deleted or the channel moved), then store the answers."""
    guild = member.guild
    now = bot.clock()
    try:
        message = await _post_or_edit(bot, channel, old, member, card_embed(member, draft, now))
    except discord.Forbidden as error:
        await keep_answers(bot, member, draft.text())
        raise await _not_allowed(bot, channel, member, "your card isn't updated yet", error) from None
    card = CardRef(message.channel.id, message.id)
    try:
        async with bot.db.write() as session:
            current = await lock_intro(session, guild.id, member.id)
            theirs = CardRef(current.channel_id, current.message_id) if current is not None else None
            # Another submission re-posted the deleted card first: keep its card, take ours down.
            replaced = theirs is not None and theirs.message_id not in (None, old.message_id, message.id)
            intro, _created = await save_intro(
                session,
                guild_id=guild.id,
                user_id=member.id,
                text=draft.text(),
                heritage_tags=draft.heritage_tags(),
                language_tags=draft.language_tags(),
                card=theirs if replaced and theirs is not None else card,
                now=now,
            )
            discoverable = intro.discoverable
            await limits.record(session, limits.INTRO_WRITE, guild.id, member.id, now)
    except IntegrityError:
        # The intro was deleted and written anew meanwhile: keep one card only.
        if message.id != old.message_id:
            await delete_card(bot, card)
        raise
    if replaced and theirs is not None and theirs.message_id is not None:
        if message.id != old.message_id:
            await delete_card(bot, card)
        theirs_channel = bot.get_channel(theirs.channel_id or channel.id)
        if isinstance(theirs_channel, discord.TextChannel):
            return await _show(member, theirs_channel.get_partial_message(theirs.message_id), draft, now), discoverable
    return message, discoverable


async def _show(
    member: discord.Member, message: discord.Message | discord.PartialMessage, intro: IntroText, now: datetime
) -> discord.Message | discord.PartialMessage:
    """Edit a posted card to show `intro`. If Discord refuses, the card keeps its words until the next edit
    (the intro is stored either way, so the member is not told it failed)."""
    try:
        return await message.edit(
            content=member.mention, embed=card_embed(member, intro, now), allowed_mentions=NO_MENTIONS
        )
    except discord.HTTPException as error:
        log.warning("could not bring intro card %s up to date: %s", message.id, error)
        return message


async def _not_allowed(
    bot: LanternBot, channel: discord.TextChannel, member: discord.Member, what: str, error: discord.Forbidden
) -> NotAllowed:
    """The refusal when I may not post the card; `what` says what that leaves undone, truly: nothing saved, or
    an intro stored (another submission's answers) without its card, or an earlier card not updated."""
    await bot.modlog.post(
        member.guild.id,
        "Intro card not posted",
        f"I couldn't post {member.mention}'s introduction: "
        f"{permissions.refusal(channel, error, *permissions.POST_EMBED)}.",
    )
    return NotAllowed(
        f"I'm not allowed to post in {channel.mention}, so {what}. I've told the moderators; once they've "
        f"fixed it, {KEPT_ANSWERS}."
    )


def role_refusal(guild: discord.Guild, role: discord.Role, error: discord.Forbidden) -> str:
    """Why Discord refused to give `role`, naming only what is really wrong: Manage Roles missing, my role not
    above it, or (with both in place) what Discord said."""
    wrong = []
    if not guild.me.guild_permissions.manage_roles:
        wrong.append("give me Manage Roles")
    if role >= guild.me.top_role:
        wrong.append(f"move my role above {role.mention} in Server Settings → Roles")
    if wrong:
        return " and ".join(wrong)
    return f"my permissions look right, but {permissions.discord_said(error)}"


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
    except discord.Forbidden as error:
        await bot.modlog.post(
            guild.id,
            "Intro role not given",
            f"I couldn't give {role.mention} to {member.mention} after their first introduction: "
            f"{role_refusal(guild, role, error)}. Their introduction is posted.",
        )
    except discord.HTTPException as error:
        log.warning("could not give intro role %s to %s: %s", role_id, member.id, error)
        await bot.modlog.post(
            guild.id,
            "Intro role not given",
            f"Discord refused to give {role.mention} to {member.mention} ({error.status}). Their introduction is "
            "posted; you can give the role by hand.",
        )
