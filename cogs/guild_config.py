"""/setup (moderators) and /about (everyone)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown
from sqlalchemy.orm import InstrumentedAttribute

from cogs import setup_checklist
from cogs.care.lookup import summary as support_summary
from cogs.care.support import Support, load_helplines
from cogs.care.views import open_support_form
from cogs.setup_checklist import CHANNELS, missing_permissions
from core import timezones
from core.errors import InvalidInput
from core.options import parse_checkins, parse_welcome_template
from core.roles import elevated_permissions, outranks_or_equals
from core.search_text import typed_in
from core.text import join_words, truncate
from core.themes import LABEL_MAX, MAX_THEMES, ThemeChange, ThemeRow, change_theme
from storage.guilds import all_themes, save_theme, update_settings
from storage.models import GuildSettings

if TYPE_CHECKING:
    from bot import LanternBot


def on_off(value: bool | None) -> str:
    return "on" if value else "off"


MAX_RETENTION_DAYS = 365


def retention_text(days: int | None) -> str:
    days = 30 if days is None else days
    return "none: erased when they leave" if days == 0 else f"{days} day{'s' if days != 1 else ''}"


def checkins_text(value: str) -> str:
    return "off" if value == "off" else f"days {value}"


class GuildConfig(commands.Cog):
    """Where each feature posts and how it behaves."""

    setup_group = app_commands.Group(
        name="setup",
        description="Configure Lantern for this server (moderators)",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot

    @setup_group.command(name="channels", description="Choose where each feature posts")
    @app_commands.describe(
        intro="Where members' introduction cards are posted",
        welcome="Where new members are welcomed",
        prompts="Default channel for discussion prompts",
        resources="Where approved resources are posted",
        mentorship="Where private threads for mentor pairs are opened",
        modlog="Where moderator actions and automatic pauses are logged",
    )
    async def channels(
        self,
        interaction: discord.Interaction,
        intro: discord.TextChannel | None = None,
        welcome: discord.TextChannel | None = None,
        prompts: discord.TextChannel | None = None,
        resources: discord.TextChannel | None = None,
        mentorship: discord.TextChannel | None = None,
        modlog: discord.TextChannel | None = None,
    ) -> None:
        chosen = {
            "intro": intro,
            "welcome": welcome,
            "prompts": prompts,
            "resources": resources,
            "mentorship": mentorship,
            "modlog": modlog,
        }
        if all(channel is None for channel in chosen.values()):
            raise InvalidInput(
                "That",
                "changed nothing",
                "Pick at least one channel, for example `/setup channels intro:#introductions`.",
            )
        assert interaction.guild_id is not None
        values = {
            getattr(GuildSettings, column): channel.id
            for column, option, _label, _needed in CHANNELS
            if (channel := chosen[option]) is not None
        }
        async with self.bot.db.write() as session:
            await update_settings(session, interaction.guild_id, self.bot.clock(), values)

        lines = []
        warnings = []
        for _column, option, label, needed in CHANNELS:
            channel = chosen[option]
            if channel is None:
                continue
            lines.append(f"{label}: {channel.mention}")
            missing = missing_permissions(channel, needed)
            if missing:
                warnings.append(f"In {channel.mention} I still need: {join_words(missing)}.")
        text = "Saved.\n" + "\n".join(lines)
        if warnings:
            text += "\n\n⚠️ " + "\n⚠️ ".join(warnings)
        await interaction.response.send_message(text, ephemeral=True)
        await self.bot.modlog.post(interaction.guild_id, "Channels changed", "\n".join(lines), actor=interaction.user)

    @setup_group.command(name="options", description="Choose how Lantern behaves here")
    @app_commands.describe(
        timezone="The server's timezone for schedules: a city (Manila), an offset (UTC+8) or an IANA name",
        welcome_message="Welcome text; {member} and {server} are filled in (up to 1000 characters)",
        intro_role="A role given to members after their first introduction",
        review_resources="Whether shared resources wait for moderator review",
        pairing_checkins="Days after a match to check in, like 14,45 (or off)",
        keep_shared_resources="When a member erases their data, keep the links they shared (without their name)",
        retention_days="Days a departed member's data is kept in case they come back (0-365; default 30)",
    )
    async def options(
        self,
        interaction: discord.Interaction,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        welcome_message: app_commands.Range[str, 1, 1000] | None = None,
        intro_role: discord.Role | None = None,
        review_resources: bool | None = None,
        pairing_checkins: app_commands.Range[str, 1, 32] | None = None,
        keep_shared_resources: bool | None = None,
        retention_days: app_commands.Range[int, 0, MAX_RETENTION_DAYS] | None = None,
    ) -> None:
        given = (
            timezone,
            welcome_message,
            intro_role,
            review_resources,
            pairing_checkins,
            keep_shared_resources,
            retention_days,
        )
        if all(value is None for value in given):
            raise InvalidInput("That", "changed nothing", "Pick at least one option to change.")
        assert interaction.guild is not None
        # Validate everything before writing anything.
        zone = None
        if timezone is not None:
            zone = timezones.parse(timezone)
            if timezones.is_default(zone):
                zone = timezones.CHOSEN_UTC  # chosen, so /setup show no longer asks for a timezone
        template = parse_welcome_template(welcome_message) if welcome_message is not None else None
        checkins = parse_checkins(pairing_checkins) if pairing_checkins is not None else None
        role_warning = None
        if intro_role is not None:
            if intro_role.is_default() or intro_role.managed:
                raise InvalidInput(
                    f"The role {intro_role.mention}",
                    "can't be given by me",
                    "Choose an ordinary role that members can hold.",
                )
            elevated = elevated_permissions(intro_role.permissions)
            if elevated:
                raise InvalidInput(
                    f"The role {intro_role.mention}",
                    f"carries {join_words(elevated)}, and I would give it to everyone who writes an intro",
                    "Choose a role without moderator or admin permissions, or remove them from this role first.",
                )
            if isinstance(interaction.user, discord.Member) and outranks_or_equals(intro_role, interaction.user):
                raise InvalidInput(
                    f"The role {intro_role.mention}",
                    "is at or above your own highest role",
                    "Choose a role below yours, or ask someone above it to set it.",
                )
            me = interaction.guild.me
            fixes = ["move my role above it"] if intro_role >= me.top_role else []
            if not me.guild_permissions.manage_roles:
                fixes.append("give me Manage Roles")
            if fixes:  # only what is really missing
                role_warning = (
                    f"I can't give {intro_role.mention} yet: {join_words(fixes)}. Introductions still work meanwhile."
                )

        # (column, new value or None when the option wasn't given, the line that reports it)
        options: tuple[tuple[InstrumentedAttribute[Any], object, str], ...] = (
            (GuildSettings.timezone, zone, f"Timezone: {timezones.label(zone) if zone else ''}"),
            (GuildSettings.welcome_message, template, f"Welcome message: {template}"),
            (
                GuildSettings.intro_role_id,
                intro_role.id if intro_role else None,
                f"Intro role: {intro_role.mention if intro_role else ''}",
            ),
            (GuildSettings.review_resources, review_resources, f"Review resources: {on_off(review_resources)}"),
            (
                GuildSettings.pairing_checkins,
                checkins,
                f"Pairing check-ins: {checkins_text(checkins) if checkins else ''}",
            ),
            (
                GuildSettings.keep_shared_resources,
                keep_shared_resources,
                f"Keep shared resources after erasure: {'yes' if keep_shared_resources else 'no'}",
            ),
            (
                GuildSettings.retention_days,
                retention_days,
                f"Data kept after a member leaves: {retention_text(retention_days)} (members who leave from now on)",
            ),
        )
        values = {column: value for column, value, _line in options if value is not None}
        changed = [line for _column, value, line in options if value is not None]
        async with self.bot.db.write() as session:
            await update_settings(session, interaction.guild.id, self.bot.clock(), values)

        text = "Saved.\n" + "\n".join(changed)
        if role_warning:
            text += f"\n\n⚠️ {role_warning}"
        await interaction.response.send_message(text, ephemeral=True)
        await self.bot.modlog.post(interaction.guild.id, "Options changed", "\n".join(changed), actor=interaction.user)

    @options.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=name, value=value)
            for name, value in timezones.choices(current[:64], self.bot.clock())
        ]

    @setup_group.command(name="support", description="Where members find support: a channel, people to ask, helplines")
    @app_commands.describe(
        channel="Your server's support channel (leave empty to keep the current one)",
        remove_channel="Stop pointing members to a support channel",
    )
    async def support(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None, remove_channel: bool = False
    ) -> None:
        await open_support_form(interaction, channel, remove_channel)

    @setup_group.command(name="themes", description="List this server's themes, or rename, add, or turn one off or on")
    @app_commands.describe(
        theme="The theme to change (pick from the list), or a new theme's name to add it",
        name="A new name for the theme (up to 80 characters, no commas)",
        enabled="Off: members can no longer pick it (what they already chose stays); on: back in the lists",
    )
    async def themes(
        self,
        interaction: discord.Interaction,
        theme: app_commands.Range[str, 1, LABEL_MAX] | None = None,
        name: app_commands.Range[str, 1, LABEL_MAX] | None = None,
        enabled: bool | None = None,
    ) -> None:
        assert interaction.guild is not None
        guild_id = interaction.guild.id
        if theme is None:
            if name is not None or enabled is not None:
                raise InvalidInput("That", "needs a theme", "Pick the theme to change from the `theme` list.")
            async with self.bot.db.read() as session:
                rows = await all_themes(session, guild_id)
            await interaction.response.send_message(embed=themes_embed(rows), ephemeral=True)
            return
        async with self.bot.db.write() as session:
            change = await save_theme(
                session, guild_id, self.bot.clock(), lambda rows: change_theme(rows, theme, name, enabled)
            )
        text = theme_change_text(change)
        await interaction.response.send_message(text, ephemeral=True)
        await self.bot.modlog.post(guild_id, "Themes changed", text, actor=interaction.user)

    @themes.autocomplete("theme")
    async def theme_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        async with self.bot.db.read() as session:
            rows = await all_themes(session, interaction.guild_id or 0)
        typed = " ".join(current.split())[:LABEL_MAX]
        choices = [
            app_commands.Choice(
                name=truncate(f"{row.label} ({row.key})" + ("" if row.enabled else " · off"), 100), value=row.key
            )
            for row in rows
            if typed_in(typed, row.key, row.label)
        ]
        if typed and not choices and len(rows) < MAX_THEMES:  # (a name no theme holds: a new theme's)
            choices.append(app_commands.Choice(name=truncate(f"Add “{typed}” as a new theme", 100), value=typed))
        return choices[:25]

    @setup_group.command(name="show", description="Show this server's configuration and what is missing")
    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        # The settings row and the support settings come with this process's copy of the guild's configuration
        # (storage/guild_cache.py): dropped by every commit that changes them, so as fresh as reading them.
        config = await self.bot.db.guild_config(interaction.guild.id)
        settings = config.settings_row()
        if settings is None:
            settings = GuildSettings(guild_id=interaction.guild.id)
            settings.timezone = "UTC"
            settings.review_resources = True
            settings.pairing_checkins = "14,45"
            settings.keep_shared_resources = True
        found = config.support
        support = (
            Support()
            if found is None
            else Support(channel_id=found.channel_id, people=found.people, helplines=load_helplines(found.helplines))
        )
        embed = settings_embed(interaction.guild, settings, self.bot.settings.privacy_notice_url, support)
        off = f", {len(config.themes_off)} off" if config.themes_off else ""
        names = truncate(join_words([escape_markdown(label) for _key, label in config.themes]), 900)
        embed.insert_field_at(
            2,
            name="Themes (`/setup themes`)",
            value=f"{len(config.themes)} on{off}: {names}",
            inline=False,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="about", description="What Lantern does and how to use it")
    @app_commands.guild_only()
    async def about(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=about_embed(self.bot), ephemeral=True)


def _channel_line(guild: discord.Guild, channel_id: int | None) -> str:
    if channel_id is None:
        return "not set"
    channel = guild.get_channel(channel_id)
    return channel.mention if channel is not None else "deleted channel; choose another"


def settings_embed(
    guild: discord.Guild, settings: GuildSettings, privacy_notice_url: str | None, support: Support | None = None
) -> discord.Embed:
    """The configuration, then the checklist: what is ready and what is missing, with the fix for each."""
    embed = discord.Embed(title=truncate(f"Lantern in {guild.name}", 256), colour=0xF4B942)
    embed.add_field(
        name="Channels",
        value="\n".join(
            f"{label}: {_channel_line(guild, getattr(settings, column))}" for column, _o, label, _n in CHANNELS
        ),
        inline=False,
    )
    role = guild.get_role(settings.intro_role_id) if settings.intro_role_id else None
    welcome = settings.welcome_template
    embed.add_field(
        name="Options",
        value="\n".join(
            [
                f"Timezone: {timezones.label(settings.timezone)}"
                + (" (the default: never chosen)" if timezones.is_default(settings.timezone) else ""),
                f"Welcome message: {discord.utils.escape_markdown(welcome)[:300]}",
                f"Intro role: {role.mention if role else 'none'}",
                f"Review resources: {'on' if settings.review_resources else 'off'}",
                f"Pairing check-ins: {checkins_text(settings.pairing_checkins)}",
                f"Data kept after a member leaves: {retention_text(settings.retention_days)}",
                f"Keep shared resources after erasure: {'yes' if settings.keep_shared_resources else 'no'}",
            ]
        ),
        inline=False,
    )
    support = support or Support()
    embed.add_field(name="Support (`/setup support`)", value=support_summary(support), inline=False)
    checks = setup_checklist.checklist(guild, settings, privacy_notice_url)
    if support.channel_id is not None and guild.get_channel(support.channel_id) is None:
        checks.missing.append("The support channel was deleted. Choose another with `/setup support channel:`.")
    setup_checklist.add_to(embed, checks)
    return embed


def themes_embed(rows: list[ThemeRow]) -> discord.Embed:
    """The server's themes, on and off, in order, with how to change them."""
    lines = [
        f"• {escape_markdown(row.label)} · `{row.key}`"
        if row.enabled
        else f"• ~~{escape_markdown(row.label)}~~ · `{row.key}` (off)"
        for row in rows
    ]
    embed = discord.Embed(title="Themes", description="\n".join(lines), colour=0xF4B942)
    embed.set_footer(
        text=f"{len(rows)} of {MAX_THEMES} themes. /setup themes theme: name: renames one, enabled: turns it off "
        "or on; a new name as theme: adds one."
    )
    return embed


def theme_change_text(change: ThemeChange) -> str:
    row, before = change.row, change.before
    label = f"“{escape_markdown(row.label)}” (`{row.key}`)"
    if before is None:
        return f"Added the theme {label}." + ("" if row.enabled else " It is off until you turn it on.")
    lines = []
    if row.label != before.label:
        lines.append(f"Renamed “{escape_markdown(before.label)}” to {label}.")
    if row.enabled != before.enabled:
        lines.append(
            f"Turned {label} back on: members can pick it again."
            if row.enabled
            else f"Turned {label} off: members can no longer pick it; what they already chose stays."
        )
    return "\n".join(lines)


def about_embed(bot: LanternBot) -> discord.Embed:
    embed = discord.Embed(
        title="Lantern",
        description=(
            "A home for people of mixed Asian heritage to introduce themselves, find kin, "
            "meet a mentor, talk about themed prompts and share resources."
        ),
        colour=0xF4B942,
    )
    embed.add_field(
        name="Get started",
        value=(
            "`/intro write`: introduce yourself\n"
            "`/intro find`: find people who share your heritages or languages\n"
            "`/mentor offer` · `/mentor request`: mentoring, always opt-in\n"
            "`/prompt suggest`: suggest a discussion prompt\n"
            "`/resource share` · `/resource search`: the shared library\n"
            "`/support`: where to find support, shown only to you"
        ),
        inline=False,
    )
    notice = bot.settings.privacy_notice_url
    embed.add_field(
        name="Your privacy",
        value=(
            "I never read your messages, and I store only what you give me for each feature. "
            "`/privacy show` tells you what that is, `/privacy export` sends you a copy, and "
            "`/privacy delete` erases it. "
            + (
                f"[Read the privacy notice]({notice})."
                if notice
                else "The server's moderators can show you the full privacy notice."
            )
        ),
        inline=False,
    )
    uptime = int(bot.uptime_seconds())
    hours, rest = divmod(uptime, 3600)
    embed.set_footer(text=f"Lantern {bot.version} · up {hours}h {rest // 60}m · {bot.db.kind}")
    return embed


async def setup(bot: LanternBot) -> None:
    await bot.add_cog(GuildConfig(bot))
