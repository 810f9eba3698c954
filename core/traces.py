"""What Lantern's own messages say about a member, so that erasing their data reaches those messages too.

Mod-log entries that name a member (their id, their name, their words) are recorded in `named_messages`
by `ModLog.post(..., about=...)`: only ids, nothing the entry said. When the member runs `/privacy delete`
(or the retention purge erases them), each entry is edited to drop its details, and the threads of their
mentoring pairings, named after both members, are renamed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import discord
from sqlalchemy import Table, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.privacy import PrivacyProvider
from core.text import NO_MENTIONS
from storage.database import rowcount
from storage.models.mentorship import MentorshipPairing
from storage.models.privacy import NamedMessage

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

ERASED_ENTRY = "The details of this entry were removed: a member it named erased their data with `/privacy delete`."


FORMER_MEMBER = "a member who has since erased their data"
RECENT_ENTRIES = 500  # how far back the mod-log is read for entries posted before they were recorded
THREAD_MESSAGES = 20  # Lantern writes in a pair thread when it opens and when it ends


# A Core INSERT on the table, built once: every mod-log entry about a member runs it (after `/prompt suggest`, for
# one), and an ORM flush of the same rows cost the event loop several times the statement.
_RECORD = insert(cast(Table, NamedMessage.__table__))


def pair_thread_name(pairing_id: int) -> str:
    return f"Mentoring pair #{pairing_id}"


async def record(bot: LanternBot, guild_id: int, user_ids: Iterable[int], message: discord.Message) -> None:
    """Remember that `message` names these members (a short unit of work of its own)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    rows = [
        {"guild_id": guild_id, "user_id": user_id, "channel_id": message.channel.id, "message_id": message.id}
        for user_id in ids
    ]
    async with bot.db.write() as session:
        await session.execute(_RECORD, rows)


async def export_member(session: AsyncSession, guild_id: int, user_id: int) -> dict[str, Any]:
    rows = await session.execute(
        select(NamedMessage.channel_id, NamedMessage.message_id)
        .where(NamedMessage.guild_id == guild_id, NamedMessage.user_id == user_id)
        .order_by(NamedMessage.id)
    )
    return {
        "mod_log_entries_naming_you": [
            {"channel_id": channel_id, "message_id": message_id} for channel_id, message_id in rows
        ]
    }


async def delete_member(session: AsyncSession, guild_id: int, user_id: int) -> int:
    result = await session.execute(
        delete(NamedMessage).where(NamedMessage.guild_id == guild_id, NamedMessage.user_id == user_id)
    )
    return rowcount(result)


async def cleanup(bot: LanternBot, guild: discord.Guild, user_id: int) -> None:
    """Before the rows go: edit the mod-log entries naming the member, rename their pair threads. Never raises."""
    async with bot.db.read() as session:
        entries = (
            await session.execute(
                select(NamedMessage.channel_id, NamedMessage.message_id)
                .where(NamedMessage.guild_id == guild.id, NamedMessage.user_id == user_id)
                .distinct()
            )
        ).all()
        threads = (
            await session.execute(
                select(MentorshipPairing.id, MentorshipPairing.thread_id).where(
                    MentorshipPairing.guild_id == guild.id,
                    or_(MentorshipPairing.mentor_id == user_id, MentorshipPairing.mentee_id == user_id),
                    MentorshipPairing.thread_id.is_not(None),
                )
            )
        ).all()
    recorded = {(channel_id, message_id) for channel_id, message_id in entries}
    for channel_id, message_id in sorted(recorded | await _unrecorded(bot, guild, user_id)):
        await _redact(bot, channel_id, message_id, user_id)
    for pairing_id, thread_id in threads:
        if thread_id is not None:
            await _rename(bot, guild, thread_id, pairing_id, user_id)


async def _unrecorded(bot: LanternBot, guild: discord.Guild, user_id: int) -> set[tuple[int, int]]:
    """Recent mod-log entries naming the member that were never recorded (posted before migration 0704,
    or when recording failed): Lantern's own embeds whose text or footer holds their id."""
    channel_id = (await bot.db.guild_config(guild.id)).modlog_channel_id
    channel = guild.get_channel(channel_id) if channel_id is not None else None
    if not isinstance(channel, discord.TextChannel) or bot.user is None:
        return set()
    needle = str(user_id)
    found = set()
    try:
        async for message in channel.history(limit=RECENT_ENTRIES):
            if message.author.id != bot.user.id:
                continue
            text = " ".join(f"{e.title} {e.description} {e.footer.text}" for e in message.embeds) + message.content
            if needle in text:
                found.add((channel.id, message.id))
    except discord.HTTPException as error:
        log.warning("could not read the mod-log of guild %s to find entries naming a member: %s", guild.id, error)
    return found


async def _redact(bot: LanternBot, channel_id: int, message_id: int, user_id: int) -> None:
    channel = bot.get_channel(channel_id)
    if not isinstance(channel, discord.abc.Messageable):
        return
    try:
        message = await channel.fetch_message(message_id)
        embeds = []
        for old in message.embeds or [discord.Embed()]:
            embed = discord.Embed(title=old.title, description=ERASED_ENTRY, colour=old.colour, timestamp=old.timestamp)
            footer = old.footer.text or ""
            if footer and str(user_id) not in footer:  # the moderator who acted stays; the erased member does not
                embed.set_footer(text=footer)
            embeds.append(embed)
        await message.edit(content=None, embeds=embeds, allowed_mentions=discord.AllowedMentions.none())
    except discord.NotFound:
        pass
    except discord.HTTPException as error:
        log.warning("could not edit mod-log entry %s in %s after an erasure: %s", message_id, channel_id, error)


async def _rename(bot: LanternBot, guild: discord.Guild, thread_id: int, pairing_id: int, user_id: int) -> None:
    thread = guild.get_thread(thread_id)
    try:
        if thread is None:
            fetched = await bot.fetch_channel(thread_id)
            if not isinstance(fetched, discord.Thread):
                return
            thread = fetched
        await _unmention(bot, thread, user_id)
        if thread.archived:  # an ended pairing's thread: reopen it for the rename, then close it as it was
            locked = thread.locked
            thread = await thread.edit(name=pair_thread_name(pairing_id), archived=False)
            await thread.edit(archived=True, locked=locked)
        else:
            await thread.edit(name=pair_thread_name(pairing_id))
    except discord.NotFound:
        pass
    except discord.HTTPException as error:
        log.warning("could not rename the thread of pairing %s after an erasure: %s", pairing_id, error)


async def _unmention(bot: LanternBot, thread: discord.Thread, user_id: int) -> None:
    """Lantern's own messages in the thread (its welcome) stop mentioning the member."""
    mention = re.compile(rf"<@!?{user_id}>")
    async for message in thread.history(limit=THREAD_MESSAGES, oldest_first=True):
        if bot.user is None or message.author.id != bot.user.id or not mention.search(message.content):
            continue
        await message.edit(content=mention.sub(FORMER_MEMBER, message.content), allowed_mentions=NO_MENTIONS)


PROVIDER = PrivacyProvider(
    name="Mentions in Lantern's messages",
    summary=(
        "Which mod-log entries name you (only where they are, not what they say), so that erasing your data "
        "removes your name, id and words from them; your pair threads are renamed too."
    ),
    tables=("named_messages",),
    export=export_member,
    delete=delete_member,
    cleanup=cleanup,
)
