"""Private messages for members whose DMs are closed: held by Lantern until the member reads them.

Nothing private is posted where anyone else could read it (a private thread is readable by everyone
with Manage Threads). The message is stored; the mentorship channel gets one content-free nudge that
mentions only the member; `/mentor status` and `/circle status` show the held messages ephemerally, with their buttons
(persistent DynamicItems, so they work there too), then forgets them and removes the nudge.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import discord
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.privacy import PrivacyProvider
from core.text import NO_MENTIONS
from storage.database import rowcount
from storage.models.privacy import HeldMessage

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

NUDGE = (
    "{mention}, I have a private message for you. Run `/mentor status` or `/circle status` to read it: "
    "only you will see it."
)
READ_HERE = "Held for you while your DMs are closed:"


async def hold(
    bot: LanternBot,
    member: discord.Member,
    content: str,
    view: discord.ui.View | None,
    channel: discord.TextChannel | None,
) -> bool:
    """Keep `content` (and its buttons) for the member; nudge them in `channel` unless a nudge is already
    waiting there. Whether they can be told at all (a channel to nudge in, or a nudge already waiting)."""
    components = json.dumps(view.to_components() if view is not None else [])
    async with bot.db.write() as session:
        waiting = await session.scalar(
            select(HeldMessage.id)
            .where(
                HeldMessage.guild_id == member.guild.id,
                HeldMessage.user_id == member.id,
                HeldMessage.nudge_message_id.is_not(None),
            )
            .limit(1)
        )
        held = HeldMessage(
            guild_id=member.guild.id,
            user_id=member.id,
            content=content,
            components=components,
            created_at=bot.clock(),
        )
        session.add(held)
        await session.flush()
        held_id = held.id
    if waiting is not None:
        return True
    if channel is None:
        return False
    try:
        nudge = await channel.send(
            NUDGE.format(mention=member.mention),
            allowed_mentions=discord.AllowedMentions(users=[member], everyone=False, roles=False),
        )
    except discord.HTTPException as error:
        log.warning("could not nudge %s in guild %s: %s", member.id, member.guild.id, error)
        return False
    async with bot.db.write() as session:
        row = await session.get(HeldMessage, held_id)
        if row is not None:
            row.nudge_channel_id, row.nudge_message_id = channel.id, nudge.id
    return True


def rebuild(components: str) -> discord.ui.View | None:
    """The held buttons again, with their custom ids: the bot's DynamicItems answer them."""
    rows: list[dict[str, Any]] = json.loads(components or "[]")
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(rows):
        for button in row.get("components", []):
            if button.get("type") != discord.ComponentType.button.value or "custom_id" not in button:
                continue
            view.add_item(
                discord.ui.Button(
                    label=button.get("label"),
                    style=discord.ButtonStyle(button.get("style", 2)),
                    custom_id=button["custom_id"],
                    row=number,
                )
            )
    if not view.children:
        return None
    view.stop()  # nothing to keep in memory: the DynamicItems handle the clicks
    return view


async def count(session: AsyncSession, guild_id: int, user_id: int) -> int:
    """How many messages are held for the member (what `show` will send them)."""
    found = await session.scalar(
        select(func.count())
        .select_from(HeldMessage)
        .where(HeldMessage.guild_id == guild_id, HeldMessage.user_id == user_id)
    )
    return int(found or 0)


async def show(bot: LanternBot, interaction: discord.Interaction) -> int:
    """Send the member's held messages, ephemerally, after the command's own answer; then forget them."""
    if interaction.guild_id is None:
        return 0
    async with bot.db.write() as session:
        held = list(
            await session.scalars(
                select(HeldMessage)
                .where(HeldMessage.guild_id == interaction.guild_id, HeldMessage.user_id == interaction.user.id)
                .order_by(HeldMessage.id)
            )
        )
        for row in held:
            await session.delete(row)
    for row in held:
        view = rebuild(row.components)
        text = f"{READ_HERE}\n{row.content}"
        if view is not None:
            await interaction.followup.send(text, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    await _remove_nudges(bot, held)
    return len(held)


async def _remove_nudges(bot: LanternBot, held: list[HeldMessage]) -> None:
    for row in held:
        if row.nudge_channel_id is None or row.nudge_message_id is None:
            continue
        try:
            await bot.get_partial_messageable(row.nudge_channel_id).get_partial_message(row.nudge_message_id).delete()
        except discord.HTTPException:
            log.info("nudge %s was already gone", row.nudge_message_id)


async def export_member(session: AsyncSession, guild_id: int, user_id: int) -> dict[str, Any]:
    rows = await session.scalars(
        select(HeldMessage)
        .where(HeldMessage.guild_id == guild_id, HeldMessage.user_id == user_id)
        .order_by(HeldMessage.id)
    )
    return {"held_for_you": [{"message": row.content, "held_since": row.created_at.isoformat()} for row in rows]}


async def delete_member(session: AsyncSession, guild_id: int, user_id: int) -> int:
    result = await session.execute(
        delete(HeldMessage).where(HeldMessage.guild_id == guild_id, HeldMessage.user_id == user_id)
    )
    return rowcount(result)


async def cleanup(bot: LanternBot, guild: discord.Guild, user_id: int) -> None:
    async with bot.db.read() as session:
        held = list(
            await session.scalars(
                select(HeldMessage).where(HeldMessage.guild_id == guild.id, HeldMessage.user_id == user_id)
            )
        )
    await _remove_nudges(bot, held)


PROVIDER = PrivacyProvider(
    name="Messages held for you",
    summary=(
        "Private messages (invitations, check-ins) kept for you while your DMs are closed, until you read them "
        "in /mentor status or /circle status."
    ),
    tables=("held_messages",),
    export=export_member,
    delete=delete_member,
    cleanup=cleanup,
)
