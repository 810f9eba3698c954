"""/circles: what moderators do. Forming circles (with a dry run) and the funnel, with small groups hidden."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from cogs.circles.rounds import left_out_counts
from cogs.intros.tags import tag_label
from cogs.mentorship import rules
from core import charts
from core.errors import NotAllowed
from core.text import NO_MENTIONS, fit_lines, join_words, plural
from engine.circles import REASON_TEXT
from storage import circles as store
from storage.guilds import enabled_themes

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.circles.cog import Circles

DESCRIPTION_LIMIT = 4096
CHART_FILE = "circles-funnel.png"


def shown(count: int) -> str:
    """A count, or "fewer than 5" for a group small enough to point at someone (as /pairing stats does)."""
    return f"fewer than {charts.MIN_GROUP}" if 0 < count < charts.MIN_GROUP else str(count)


class CirclesGroup(
    app_commands.Group,
    name="circles",
    description="Peer circles (moderators)",
    guild_only=True,
    default_permissions=discord.Permissions(manage_guild=True),
):
    auto = app_commands.Group(name="auto", description="Recurring circle rounds")

    def __init__(self, cog: Circles) -> None:
        super().__init__()
        self.cog = cog

    @property
    def bot(self) -> LanternBot:
        return self.cog.bot

    @app_commands.command(name="form", description="Form peer circles from the members who opted in")
    @app_commands.describe(dry_run="Only show the circles I would propose; send and save nothing")
    async def form(self, interaction: discord.Interaction, dry_run: bool = False) -> None:
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.cog.rounds.run(interaction.guild, dry_run=dry_run)
        result = outcome.result
        async with self.bot.db.read() as session:
            themes = await enabled_themes(session, interaction.guild.id)
        lines = []
        for number, circle in enumerate(result.circles, 1):
            shared = rules.theme_labels(circle.starter_themes, themes) + [
                tag_label(tag) for tag in circle.starter_heritages
            ]
            # Who is invited is shown on a dry run only: after a real run, who joined the thread must not
            # tell a moderator who said no.
            who = f": {' '.join(f'<@{m}>' for m in circle.members)}" if dry_run else ""
            lines.append(
                f"{number}. {len(circle.members)} members{who}"
                + (f" · sharing {join_words(shared)}" if shared else "")
                + f" · {circle.points} points"
            )
        placed = f"{result.placed} of {plural(outcome.pool, 'member')} placed"
        quality = "proven best" if result.proven_optimal else f"within {result.gap:.0%} of the best possible"
        if dry_run:
            head = f"Dry run: I would propose {plural(len(result.circles), 'circle')} ({placed}; {quality}). "
            head += "Nothing was sent or saved."
        else:
            head = (
                f"{plural(len(outcome.created), 'circle')} proposed ({placed}; {quality}). Each member is invited "
                "privately; a circle forms when at least three, and a majority, say yes within 3 days."
            )
            if result.left_out:
                head += " Members left out are told privately why, without naming anyone."
        reasons = left_out_counts(result)
        left = [f"{shown(count)} · {REASON_TEXT[reason]}" for reason, count in sorted(reasons.items())]
        top = head + ("\n**Left out:**\n" + "\n".join(left) if left else "") + "\n\n"
        body = fit_lines(lines, DESCRIPTION_LIMIT - len(top), lambda more: f"…and {plural(more, 'more circle')}.")
        embed = discord.Embed(
            title="Peer circles (dry run)" if dry_run else "Peer circles",
            description=(top + body)[:DESCRIPTION_LIMIT] if lines else top.strip(),
            colour=0x6FB07F,
        )
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)
        await self.bot.modlog.post(
            interaction.guild.id, "Peer circles (dry run)" if dry_run else "Peer circles", head, actor=interaction.user
        )

    @app_commands.command(
        name="stats", description="The peer-circle funnel (opted in to rated), as a chart; small groups are hidden"
    )
    async def stats(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.db.read() as session:
            counts = await store.funnel(session, interaction.guild_id)
            stages = await store.funnel_stages(session, interaction.guild_id, self.bot.clock())
        lines = [f"**{name[:1].upper() + name[1:]}:** {shown(count)}" for name, count in counts.items()]
        lines.append(
            "**Still in their circle at 30 / 60 / 90 days:** "
            + " / ".join(shown(count) for name, count in stages if name.startswith("Active"))
            + " (of the circles old enough to tell)"
        )
        png = await asyncio.to_thread(
            charts.funnel_chart,
            stages,
            title="Peer circles",
            subtitle="members opted in, then one place per invitation: said yes, formed, still in it, rated",
        )
        embed = discord.Embed(title="Peer circles funnel", description="\n".join(lines), colour=0x6FB07F)
        embed.set_image(url=f"attachment://{CHART_FILE}")
        embed.set_footer(text=f"Counts under {charts.MIN_GROUP} are not shown, so that nobody can be singled out.")
        await interaction.followup.send(
            embed=embed, file=discord.File(io.BytesIO(png), filename=CHART_FILE), ephemeral=True
        )

    @auto.command(name="every_days", description="Form peer circles automatically every few days")
    @app_commands.describe(days="Days between rounds (1-90); the first runs that many days from now")
    async def auto_every(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 90]) -> None:
        assert interaction.guild_id is not None
        now = self.bot.clock()
        first = now + timedelta(days=days)
        async with self.bot.db.write() as session:
            await store.set_schedule(session, interaction.guild_id, days, first, now)
        when = discord.utils.format_dt(first, "f")
        text = f"Peer circles will be formed every {plural(days, 'day')}; the next on {when}."
        await interaction.response.send_message(text, ephemeral=True)
        await self.bot.modlog.post(interaction.guild_id, "Automatic circle rounds on", text, actor=interaction.user)

    @auto.command(name="off", description="Stop forming peer circles automatically")
    async def auto_off(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.write() as session:
            dropped = await store.drop_schedule(session, interaction.guild_id)
        if not dropped:
            raise NotAllowed("Automatic circle rounds are already off. `/circles auto every_days` turns them on.")
        await interaction.response.send_message("Automatic circle rounds are off.", ephemeral=True)
        await self.bot.modlog.post(
            interaction.guild_id, "Automatic circle rounds off", "No more scheduled rounds.", actor=interaction.user
        )
