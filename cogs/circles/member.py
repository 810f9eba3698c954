"""/circle: what a member does. Opting in is having a circle profile; nothing happens to anyone without one.

Themes are checked against the server's themes (autocomplete completes the last item, as /mentor does);
heritages are the member's own words, normalised into tags for grouping (as intro tags are).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.ext import commands

from cogs.mentorship import rules
from core import held, limits, timezones
from core.errors import NotAllowed
from core.text import NO_MENTIONS, join_words, plural
from storage import circles as store
from storage.models.circles import DELIVERY_HELD, FORMED, INVITED, PROPOSED, YES

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.circles.cog import Circles

NOT_JOINED = "You haven't joined peer circles: `/circle join` opts you in."


async def timezone_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    now = cast("LanternBot", interaction.client).clock()
    return [app_commands.Choice(name=name, value=value) for name, value in timezones.choices(current[:64], now)]


async def theme_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    bot = cast(commands.Bot, interaction.client)
    themes = (await cast("LanternBot", bot).db.guild_config(interaction.guild_id or 0)).themes
    return [app_commands.Choice(name=name, value=value) for name, value in rules.complete_themes(current, themes)]


def window_text(hours: int | None) -> str:
    return "any time difference" if hours is None else f"up to {plural(hours, 'hour')} apart"


class CircleGroup(app_commands.Group, name="circle", description="Peer circles of 3-6: always opt-in", guild_only=True):
    def __init__(self, cog: Circles) -> None:
        super().__init__()
        self.cog = cog

    @property
    def bot(self) -> LanternBot:
        return self.cog.bot

    @app_commands.command(name="join", description="Join peer circles (or update what you'd like)")
    @app_commands.describe(
        themes="Themes you'd like to talk about, separated by commas (pick from the list)",
        timezone="Your timezone: a city (Manila), an offset (UTC+8) or pick from the list",
        heritages="Your heritages in your own words, e.g. Japanese, Irish",
        size="The largest circle you'd like to be in (3-6)",
        window="Largest time difference you're happy with, in hours (0-12; leave out for any)",
    )
    @app_commands.autocomplete(themes=theme_choices, timezone=timezone_choices)
    async def join(
        self,
        interaction: discord.Interaction,
        themes: app_commands.Range[str, 1, 400],
        timezone: app_commands.Range[str, 1, 64],
        heritages: app_commands.Range[str, 1, 200] | None = None,
        size: app_commands.Range[int, 3, 6] = 6,
        window: app_commands.Range[int, 0, 12] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        guild_themes = list((await self.bot.db.guild_config(interaction.guild_id)).themes)
        wanted = rules.parse_themes(themes, guild_themes)
        zone = timezones.parse(timezone)
        words = (heritages or "").strip()
        await limits.check(self.bot, limits.CIRCLE_JOIN, interaction.guild_id, interaction.user.id)
        async with self.bot.db.write() as session:
            now = self.bot.clock()
            await limits.record(session, limits.CIRCLE_JOIN, interaction.guild_id, interaction.user.id, now)
            created = await store.save_profile(
                session,
                interaction.guild_id,
                interaction.user.id,
                now,
                themes=rules.join_keys(wanted),
                heritages=words,
                size=size,
                timezone=zone,
                window_hours=window,
            )
        verb = "You've joined peer circles" if created else "I've updated your peer-circle preferences"
        text = (
            f"{verb}: {join_words(rules.theme_labels(wanted, guild_themes))}"
            + (f"; heritages: {words}" if words else "")
            + f"; circles of up to {size}; {timezones.label(zone)}, {window_text(window)}. "
            "When a moderator forms circles, I'll invite you privately and you choose: nobody is added "
            "without saying yes. `/circle status` shows where you are, `/circle leave` opts you out."
        )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="status", description="Your peer-circle preferences, invitations and circles")
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        guild_themes = list((await self.bot.db.guild_config(interaction.guild_id)).themes)
        async with self.bot.db.read() as session:
            profile = await store.get_profile(session, interaction.guild_id, interaction.user.id)
            mine = await store.mine(session, interaction.guild_id, interaction.user.id)
            held_count = await held.count(session, interaction.guild_id, interaction.user.id)
        open_invites = [
            (i, c)
            for i, c in mine
            if (c.status == PROPOSED and i.status in (INVITED, YES)) or (c.status == FORMED and i.status == INVITED)
        ]
        active = [(i, c) for i, c in mine if c.status == FORMED and i.status == YES]
        if profile is None and not open_invites and not active:
            await interaction.response.send_message(NOT_JOINED, ephemeral=True)
            await held.show(self.bot, interaction)
            return
        embed = discord.Embed(title="Your peer circles", colour=0x6FB07F)
        if profile is not None:
            labels = join_words(rules.theme_labels(rules.split_keys(profile.themes), guild_themes))
            heritage = f"\nHeritages: {profile.heritages}" if profile.heritages else ""
            embed.add_field(
                name="You're in the pool",
                value=f"{labels}{heritage}\nCircles of up to {profile.size} · {timezones.label(profile.timezone)} "
                f"({window_text(profile.window_hours)})",
                inline=False,
            )
        lines = []
        for invite, circle in open_invites:
            when = discord.utils.format_dt(circle.expires_at, "R")
            if invite.status == YES:
                lines.append(f"Circle #{circle.id}: you said yes; it forms if enough say yes, decided {when}.")
            elif invite.delivery == DELIVERY_HELD:
                lines.append(f"Circle #{circle.id}: waiting for your answer (closes {when}); the buttons are below.")
            else:
                lines.append(
                    f"Circle #{circle.id}: waiting for your answer (closes {when}); the buttons are in your DMs."
                )
        if lines:
            embed.add_field(name="Invitations", value="\n".join(lines)[:1024], inline=False)
        if active:
            embed.add_field(
                name="Your circles",
                value="\n".join(f"Circle #{c.id}" + (f": <#{c.thread_id}>" if c.thread_id else "") for _, c in active)[
                    :1024
                ],
                inline=False,
            )
        if held_count:
            embed.set_footer(text=f"{plural(held_count, 'message')} held for you while your DMs are closed: below.")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)
        await held.show(self.bot, interaction)

    @app_commands.command(name="leave", description="Leave peer circles; your circles carry on without you, no-fault")
    async def leave(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        result = await self.cog.flow.withdraw(interaction.guild_id, interaction.user.id, opt_out=True)
        if result is None:
            raise NotAllowed(NOT_JOINED)
        left, declined = result
        text = "You've left peer circles: I won't invite you or group you with anyone."
        if left:
            text += f" I've taken you out of {plural(left, 'circle')}; the others are only told that a member left."
        if declined:
            text += f" I've closed {plural(declined, 'open invitation')}; nobody is told."
        await interaction.response.send_message(text + " You're welcome back any time.", ephemeral=True)
