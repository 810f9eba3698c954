"""Care: `/support` for everyone, the message menu *Report to moderators*, and the Reports privacy provider.

`/setup support` lives with the other /setup commands (cogs/guild_config.py) and opens `views.SupportForm`.
The line under emotional support and coping prompts comes from `lookup.prompt_support` (cogs/prompts).
Pair threads get a *Report to moderators* button from `views.pair_thread_view`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from cogs.care import reports
from cogs.care.lookup import load_support, support_embed
from cogs.care.reports import Target
from cogs.care.views import DYNAMIC_ITEMS, FORMS, handled_view, start
from core.errors import NotAllowed
from core.privacy import PrivacyProvider
from storage import care as store

if TYPE_CHECKING:
    from bot import LanternBot

OWN_MESSAGE = (
    "That's your own message, so there's nothing to report: you can edit or delete it yourself. "
    "If something is weighing on you, `/support` shows where to find help."
)
MY_MESSAGE = (
    "That's one of my own messages. If something in it is wrong or upsetting, please tell a moderator directly."
)


class CareCog(commands.Cog):
    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        self.report_menu = app_commands.guild_only()(
            app_commands.ContextMenu(name="Report to moderators", callback=self.report_message)
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.report_menu)
        self.bot.jobs.register("care-reports", self.deliver_reports)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.report_menu.name, type=self.report_menu.type)
        self.bot.jobs.unregister("care-reports")

    async def deliver_reports(self, now: datetime) -> int:
        """Reports that couldn't reach the mod-log when they were made are posted once it can be reached."""
        return await reports.deliver_due(self.bot, now, handled_view)

    @app_commands.command(name="support", description="Where to find support, here and beyond (only you see it)")
    @app_commands.guild_only()
    async def support(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        embed = support_embed(await load_support(self.bot, interaction.guild_id))
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    async def report_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Right-click a message → Apps → Report to moderators."""
        if self.bot.user is not None and message.author.id == self.bot.user.id:
            raise NotAllowed(MY_MESSAGE)
        if message.author.id == interaction.user.id:
            raise NotAllowed(OWN_MESSAGE)
        author = None if message.webhook_id is not None else message.author.id
        await start(interaction, Target("message", message.channel.id, message.id, author))


PROVIDER = PrivacyProvider(
    name="Reports",
    summary=(
        "Reports you sent to the moderators (which message, why, your words), kept so they can follow them up "
        "and so reporting isn't abused. Nobody you report is told who reported them."
    ),
    tables=("care_reports",),
    export=store.export_member,
    delete=store.delete_member,
    cleanup=reports.cleanup,
)


async def setup(bot: LanternBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.forms.register(*FORMS)
    bot.privacy.register(PROVIDER)
    await bot.add_cog(CareCog(bot))
