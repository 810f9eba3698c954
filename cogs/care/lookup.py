"""Reading a server's support settings, and showing them: `/support`, and the line under hard-theme prompts
(`prompt_support`, called by cogs/prompts when it posts a prompt)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from cogs.care.support import HARD_THEMES, Support, here_line, link, load_helplines, support_line
from storage import care as store

if TYPE_CHECKING:
    from bot import LanternBot

COLOUR = 0x7FB7A4
EMERGENCY = "If you or someone else is in danger right now, call your local emergency number."


async def load_support(bot: LanternBot, guild_id: int) -> Support:
    async with bot.db.read() as session:
        row = await store.get_support(session, guild_id)
    if row is None:
        return Support()
    return Support(channel_id=row.channel_id, people=row.people, helplines=load_helplines(row.helplines))


async def prompt_support(bot: LanternBot, guild_id: int, theme: str) -> str | None:
    """The support line for a prompt of a hard theme (emotional support, coping); None for any other theme,
    without reading anything."""
    if theme not in HARD_THEMES:
        return None
    return support_line(await load_support(bot, guild_id))


def support_embed(support: Support) -> discord.Embed:
    """What `/support` shows, privately."""
    embed = discord.Embed(
        title="Support",
        description=(
            "Whatever you're carrying, you don't have to hold it alone. Reaching out early is a good idea, "
            "not a bother."
        ),
        colour=COLOUR,
    )
    here = here_line(support)
    if here:
        embed.add_field(name="In this server", value=here, inline=False)
    embed.add_field(
        name="Helplines",
        value="\n".join(f"• {link(label, url)}" for label, url in support.helplines),
        inline=False,
    )
    embed.add_field(name="In an emergency", value=EMERGENCY, inline=False)
    embed.add_field(
        name="Worried about a message?",
        value="Right-click it (or press and hold), then Apps → Report to moderators. Only the moderators see it.",
        inline=False,
    )
    return embed


def summary(support: Support) -> str:
    """One field's worth for `/setup show`."""
    here = here_line(support) or "no channel or people named yet"
    helplines = (
        "the international helpline directory (the default)"
        if support.default_helplines
        else f"{len(support.helplines)} helpline{'s' if len(support.helplines) != 1 else ''} of your own"
    )
    return f"Here: {here}\nHelplines: {helplines}\nShown by `/support` and under emotional support and coping prompts."


def add_support(embed: discord.Embed, line: str | None) -> discord.Embed:
    """`embed` (a prompt) with the support line under it, when there is one."""
    if line:
        embed.add_field(name="Support", value=line, inline=False)
    return embed
