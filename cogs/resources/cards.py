"""Posting a library card, or saying truthfully why it couldn't be posted.

Before anything is stored, `check_postable` reads Lantern's permissions in the library channel. At post
time a transient failure (a 5xx, a 429, a dropped connection) is tried again a few times, quickly; a 403,
a deleted channel or a failure that outlasts the attempts raises `CardNotPosted`, whose `why` names the
missing permission only when `permissions_for` shows it is missing (core/permissions.py) and otherwise
repeats what Discord said. The callers then undo what they stored, so nothing in the library is left
without a card that nobody can see. All attempts of one post carry one nonce that Discord enforces, so an
attempt that reached Discord before its connection dropped is not posted twice.

`CardPoster` (one per bot, on the Resources cog) posts and takes down cards and tells the mod-log once an
hour per problem and channel; a card it can't take down (a removal, an erasure) is mod-logged with its link.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

import aiohttp
import discord

from cogs.resources.views import resource_embed, resource_view
from core import permissions
from core.lru import LRU
from core.text import NO_MENTIONS, join_words, unlink
from storage import resources as store
from storage.models.resources import Resource

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)
T = TypeVar("T")

NEEDED = permissions.POST_EMBED
# Pauses between attempts after a transient failure: three attempts within a few seconds. discord.py has
# already retried a 500/502/504 itself before we see it; a 503, a 429 or a dropped connection we retry here.
RETRY_DELAYS: tuple[float, ...] = (1.0, 3.0)

PERMISSION = "permission"  # Lantern lacks a permission in the channel (permissions_for says so)
REFUSED = "refused"  # Discord answered 403 although the permissions look right
GONE = "gone"  # the channel was deleted
UNAVAILABLE = "unavailable"  # Discord kept failing (5xx, 429, connection)
CONNECTION_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)  # no answer from Discord at all
REPORT_AGAIN_AFTER = timedelta(hours=1)  # the same unpostable-channel problem is mod-logged once in this time


@dataclass(eq=False)
class CardNotPosted(Exception):
    """The library card could not be posted in `channel`."""

    kind: str
    channel: discord.TextChannel
    why: str  # for moderators, in plain words: "I need Embed Links in #resources", or what Discord said
    lacking: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.why

    @property
    def tells_moderators(self) -> bool:
        """Whether moderators can fix it (and are told in the mod-log); Discord's outages they can't."""
        return self.kind != UNAVAILABLE

    def problem(self) -> str:
        """What went wrong, for the member or moderator who was acting."""
        where = self.channel.mention
        if self.kind == PERMISSION:
            return (
                f"I can't post in the library channel {where} right now: I'm missing {join_words(self.lacking)} there"
            )
        if self.kind == REFUSED:
            return f"Discord didn't let me post in the library channel {where} just now"
        if self.kind == GONE:
            return "The library channel was deleted"
        return f"Discord kept failing when I posted the card in {where}"


def shared_what(title: str, submitter_id: int | None) -> str:
    """A shared link as the mod-log names it."""
    by = f", shared by <@{submitter_id}>" if submitter_id else ""
    return f"“{unlink(title)}”{by}"


def check_postable(channel: discord.TextChannel) -> CardNotPosted | None:
    """A refusal before anything is stored, if Lantern lacks what a card needs in `channel`."""
    lacking = permissions.missing_for_me(channel, *NEEDED)
    if not lacking:
        return None
    return CardNotPosted(PERMISSION, channel, permissions.describe(channel, lacking), lacking)


def transient(error: BaseException) -> bool:
    """A failure worth trying again in a moment."""
    if isinstance(error, discord.HTTPException):
        return error.status >= 500 or error.status == 429
    return isinstance(error, CONNECTION_ERRORS)


async def with_retries(call: Callable[[], Awaitable[T]]) -> T:
    """`call()`, tried again after each transient failure while RETRY_DELAYS last; then the last error."""
    delays = iter(RETRY_DELAYS)
    while True:
        try:
            return await call()
        except (discord.HTTPException, *CONNECTION_ERRORS) as error:
            delay = next(delays, None)
            if not transient(error) or delay is None:
                raise
            log.info("a library card request failed (%s); trying again in %.0f s", error, delay)
            await asyncio.sleep(delay)


def failed(channel: discord.TextChannel, error: BaseException, *needed: str) -> str:
    """Why a request in `channel` failed, truthfully (core/permissions.py)."""
    if isinstance(error, discord.HTTPException):
        return permissions.refusal(channel, error, *needed)
    return f"my connection to Discord failed ({type(error).__name__})"


async def send_card(channel: discord.TextChannel, embed: discord.Embed, view: discord.ui.View) -> discord.Message:
    """Post the card, trying again after transient failures; CardNotPosted when it can't be posted.

    Every attempt carries the same nonce, which Discord enforces: if an attempt that timed out did reach
    Discord, the next one gets that message back instead of posting a second card."""
    nonce = secrets.token_hex(10)  # 20 characters; Discord allows 25
    try:
        return await with_retries(
            lambda: channel.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS, nonce=nonce)
        )
    except discord.Forbidden as error:
        lacking = permissions.missing_for_me(channel, *NEEDED)
        kind = PERMISSION if lacking else REFUSED
        raise CardNotPosted(kind, channel, failed(channel, error, *NEEDED), lacking) from error
    except discord.NotFound as error:
        raise CardNotPosted(GONE, channel, f"the channel {channel.mention} was deleted") from error
    except (discord.HTTPException, *CONNECTION_ERRORS) as error:
        if not transient(error):
            raise
        raise CardNotPosted(UNAVAILABLE, channel, failed(channel, error)) from error


async def take_down(channel: discord.TextChannel, message_id: int) -> str | None:
    """Delete a card (Lantern's own message: View Channel is all it needs). None once it is gone, else why
    it is still up."""
    try:
        await with_retries(channel.get_partial_message(message_id).delete)
    except discord.NotFound:
        return None
    except (discord.HTTPException, *CONNECTION_ERRORS) as error:
        return failed(channel, error, "view_channel")
    return None


def card_link(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


class CardPoster:
    """Posts and takes down one bot's library cards, and tells the mod-log (once) when it can't."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        # (guild, channel, problem) → when the mod-log was last told that cards can't be posted there
        self.reported: LRU[tuple[int, int, str], datetime] = LRU(bot.settings.cache_size)

    async def publish(
        self, guild: discord.Guild, resource: Resource, channel: discord.TextChannel, outcome: str
    ) -> discord.Message:
        """Post the library card (trying again after a transient failure). The caller stores where it is;
        on CardNotPosted the moderators are told (once) and the caller undoes what it stored, as `outcome` says."""
        labels = (await self.bot.db.guild_config(guild.id)).theme_labels
        try:
            return await send_card(channel, resource_embed(resource, labels), resource_view(resource))
        except CardNotPosted as failure:
            await self.report(guild, failure, shared_what(resource.title, resource.submitter_id), outcome)
            raise

    async def refuse_unpostable(
        self, guild: discord.Guild, channel: discord.TextChannel, what: str, outcome: str
    ) -> None:
        """Before storing anything: if a card can't be posted in `channel`, tell the moderators and refuse."""
        failure = check_postable(channel)
        if failure is not None:
            await self.report(guild, failure, what, outcome)
            raise failure

    async def report(self, guild: discord.Guild, failure: CardNotPosted, what: str, outcome: str) -> None:
        """One mod-log entry per problem and channel an hour (not one per attempt or per member)."""
        if not failure.tells_moderators:
            log.warning("library card for %s in guild %s not posted: %s", what, guild.id, failure.why)
            return
        key = (guild.id, failure.channel.id, failure.why)
        now = self.bot.clock()
        last = self.reported.get(key)
        if last is not None and now - last < REPORT_AGAIN_AFTER:
            return
        self.reported[key] = now
        detail = f"{failure.why[:1].upper()}{failure.why[1:]}, so I couldn't post the library card for {what}."
        if failure.kind == PERMISSION:
            detail += f"\nFix: {permissions.fix(failure.channel, failure.lacking)}."
        elif failure.kind == GONE:
            detail += "\nChoose another channel with `/setup channels resources:`."
        detail += f"\n{outcome}"
        await self.bot.modlog.post(guild.id, "Library card not posted", detail)

    async def unpost(self, interaction: discord.Interaction, resource: Resource) -> None:
        """After a removal: take the card down. If it stays up (Discord refused, or kept failing), the one who
        removed it and the mod-log are told, with a link to delete it by hand."""
        channel = self.bot.get_channel(resource.channel_id) if resource.channel_id else None
        if not isinstance(channel, discord.TextChannel) or not resource.message_id:
            return
        why = await take_down(channel, resource.message_id)
        if why is None:
            return
        link = card_link(channel.guild.id, channel.id, resource.message_id)
        await self.bot.modlog.post(
            channel.guild.id,
            "Library card not taken down",
            f"Resource #{resource.id} “{unlink(resource.title)}” was removed from the library, but its card is "
            f"still up: {why}. Please delete it by hand: {link}",
        )
        await interaction.followup.send(
            f"Its card in {channel.mention} is still up, though: I couldn't delete it. I've noted it in the "
            "mod-log with a link to delete it by hand.",
            ephemeral=True,
        )


async def remove_shared_cards(bot: LanternBot, guild: discord.Guild, user_id: int) -> None:
    """Before an erasure: take down the member's resource cards if the guild doesn't keep shared resources.
    A card that stays up (Discord refused, or kept failing) is mod-logged with a link, never the member."""
    async with bot.db.read() as session:
        posted = await store.shared_cards_to_remove(session, guild.id, user_id)
    for channel_id, message_id in posted:
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            continue  # the channel is gone, and its messages with it
        why = await take_down(channel, message_id)
        if why is not None:
            await bot.modlog.post(
                guild.id,
                "Library card not taken down",
                f"A member erased their data and this server doesn't keep shared resources, but a card of theirs "
                f"is still up: {why}. Please delete it by hand: {card_link(guild.id, channel_id, message_id)}",
            )
