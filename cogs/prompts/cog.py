"""Discussion prompts: the bank (/prompts add, import, list, remove, review), engagement (/prompts stats,
counted as cogs/prompts/stats.py explains), member commands (/prompt suggest, random) and recurring
schedules (cogs/prompts/schedules.py).

A paused schedule (its channel is gone, or Lantern lost permission there) is resumed with
`/prompts resume schedule:<id>`; the mod-log says so when it pauses.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from cogs.care.lookup import add_support, prompt_support
from cogs.prompts import anonymous, bank, calendar_prompts, loved, stats
from cogs.prompts.calendar_commands import CALENDAR_COMMANDS, CalendarCommands
from cogs.prompts.occasions import OccasionPoster
from cogs.prompts.posting import PromptPoster
from cogs.prompts.prompt_post import prompt_embed, theme_labels
from cogs.prompts.schedules import COMMANDS, ScheduleCommands
from cogs.prompts.stats import PostedThread
from cogs.prompts.views import DYNAMIC_ITEMS, FORMS, REVIEW_BATCH, PromptModal, list_message, review_view
from core import answers, charts, limits
from core.cooldown import Cooldown
from core.errors import InvalidInput, NotAllowed, NotFound
from core.lru import LRUSet
from core.privacy import PrivacyProvider
from core.text import NO_MENTIONS, plural, truncate, unlink
from core.ui import show_form
from storage import occasions as occasion_queries
from storage import prompt_answers as answer_queries
from storage import prompts as queries

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

RANDOM_COOLDOWN = timedelta(minutes=10)
MAX_PENDING_PER_MEMBER = 5
REJECTION_LINES = 10


class PromptsCog(ScheduleCommands, CalendarCommands, commands.Cog):
    """The bank, suggestions and member commands; schedule commands come from ScheduleCommands."""

    prompts_group = app_commands.Group(
        name="prompts",
        description="Manage discussion prompts and their schedules (moderators)",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    prompt_group = app_commands.Group(name="prompt", description="Discussion prompts", guild_only=True)
    for _name, _description, _method, _completions in COMMANDS + CALENDAR_COMMANDS:  # /prompts schedule, calendar, …
        prompts_group.command(name=_name, description=_description)(_method)
    del _name, _description, _method, _completions

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        self.poster = PromptPoster(bot)
        self.occasion_poster = OccasionPoster(bot)
        # Guilds whose default bank is known to be seeded (the least recently used forgotten: one more read).
        self.seeded_banks: LRUSet[int] = LRUSet(bot.settings.cache_size)
        self.random_cooldown = Cooldown(
            1, RANDOM_COOLDOWN, "A prompt was posted in this channel a moment ago.", max_keys=bot.settings.cache_size
        )

    async def cog_load(self) -> None:
        self.bot.jobs.register("prompts", self.poster.run_due)
        self.bot.jobs.register("occasions", self.occasion_poster.run_due)

    async def cog_unload(self) -> None:
        self.bot.jobs.unregister("prompts")
        self.bot.jobs.unregister("occasions")

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await anonymous.messages_deleted(self.bot, payload.guild_id, [payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await anonymous.messages_deleted(self.bot, payload.guild_id, list(payload.message_ids))

    async def bank_ready(self, guild_id: int) -> None:
        """Seed the guild's default bank the first time; afterwards a read (then a memory) check, so that
        browsing the bank never queues behind SQLite's single writer."""
        if guild_id in self.seeded_banks:
            return
        async with self.bot.db.read() as session:
            seeded = await queries.bank_seeded(session, guild_id)
            seeded = seeded and await occasion_queries.calendar_seeded(session, guild_id)
        if not seeded:  # the calendar's prompts too, also for guilds seeded before the calendar existed
            async with self.bot.db.write() as session:
                await queries.ensure_bank(session, guild_id, self.bot.clock(), bank.seed_rows())
                await occasion_queries.ensure_calendar_prompts(
                    session, guild_id, self.bot.clock(), calendar_prompts.seed_rows()
                )
        self.seeded_banks.add(guild_id)

    async def themes(self, guild_id: int) -> list[tuple[str, str]]:
        return list((await self.bot.db.guild_config(guild_id)).themes)

    async def theme_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        found = bank.theme_search(current, await self.themes(interaction.guild_id))
        return [app_commands.Choice(name=label, value=key) for label, key in found]

    async def prompt_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        assert interaction.guild_id is not None
        async with self.bot.db.read() as session:
            found = await queries.search_prompts(session, interaction.guild_id, current)
        return [app_commands.Choice(name=truncate(f"#{p.id} {p.text}", 100), value=p.id) for p in found]

    # ------------------------------------------------------------------ the bank (moderators)

    @prompts_group.command(name="add", description="Add a prompt to this server's bank")
    @app_commands.describe(theme="The prompt's theme (you can change it in the form)")
    async def add(self, interaction: discord.Interaction, theme: app_commands.Range[str, 1, 80] | None = None) -> None:
        await show_form(interaction, PromptModal("add", theme=theme or ""))

    async def _added(self, interaction: discord.Interaction, text: str, theme_text: str) -> None:
        assert interaction.guild_id is not None
        cleaned = bank.validate_text(text)
        theme = bank.require_theme(theme_text, await self.themes(interaction.guild_id))
        now = self.bot.clock()
        async with self.bot.db.write() as session:
            await queries.ensure_bank(session, interaction.guild_id, now, bank.seed_rows())
            key = bank.text_key(cleaned)
            prompt_id = await queries.add_prompt(
                session, interaction.guild_id, cleaned, theme, key=key, source="added", now=now
            )
            existing = await queries.find_duplicate(session, interaction.guild_id, key) if prompt_id is None else None
        if prompt_id is None:
            raise InvalidInput("That prompt", f"is already in the bank as #{existing.id if existing else '?'}")
        await interaction.response.send_message(f"Added prompt #{prompt_id}: {cleaned}", ephemeral=True)
        await self.bot.modlog.post(
            interaction.guild_id, "Prompt added", f"#{prompt_id}: {cleaned}", actor=interaction.user
        )

    @prompts_group.command(name="import", description="Import prompts from a .txt (one a line) or .csv (text,theme)")
    @app_commands.describe(
        file="A UTF-8 .txt file with one prompt a line, or a .csv with columns text,theme (up to 64 KB, 500 lines)",
        theme="Theme for a .txt file's prompts (and for .csv rows with no theme)",
    )
    async def import_(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        theme: app_commands.Range[str, 1, 80] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if file.size > bank.IMPORT_MAX_BYTES:
            raise InvalidInput(
                "The file", f"is {file.size // 1024} KB; the limit is {bank.IMPORT_MAX_BYTES // 1024} KB"
            )
        themes = await self.themes(interaction.guild_id)
        default_theme = bank.require_theme(theme, themes) if theme else None
        await interaction.response.defer(ephemeral=True, thinking=True)
        plan = bank.parse_import(file.filename, await file.read(), themes, default_theme)
        now = self.bot.clock()
        added = 0
        async with self.bot.db.write() as session:
            await queries.ensure_bank(session, interaction.guild_id, now, bank.seed_rows())
            for row in plan.rows:
                key = bank.text_key(row.text)
                if await queries.add_prompt(
                    session, interaction.guild_id, row.text, row.theme, key=key, source="imported", now=now
                ):
                    added += 1
        duplicates = len(plan.rows) - added + plan.duplicates_in_file
        lines = [
            f"Added {plural(added, 'prompt')} from `{truncate(file.filename, 60)}`.",
            f"Skipped {plural(duplicates, 'duplicate')}.",
            f"Rejected {plural(len(plan.rejected), 'line')}" + (":" if plan.rejected else "."),
        ]
        lines += [f"• line {number}: {why}" for number, why in plan.rejected[:REJECTION_LINES]]
        if len(plan.rejected) > REJECTION_LINES:
            lines.append(f"• …and {len(plan.rejected) - REJECTION_LINES} more")
        report = "\n".join(lines)
        await interaction.followup.send(report, ephemeral=True, allowed_mentions=NO_MENTIONS)
        await self.bot.modlog.post(interaction.guild_id, "Prompts imported", report, actor=interaction.user)

    @import_.autocomplete("theme")
    async def _import_theme(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self.theme_choices(interaction, current)

    @add.autocomplete("theme")
    async def _add_theme(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self.theme_choices(interaction, current)

    @prompts_group.command(name="list", description="Browse this server's prompt bank")
    @app_commands.describe(theme="Only prompts with this theme")
    async def list_(
        self, interaction: discord.Interaction, theme: app_commands.Range[str, 1, 80] | None = None
    ) -> None:
        assert interaction.guild_id is not None
        key = bank.require_theme(theme, await self.themes(interaction.guild_id)) if theme else None
        await self.bank_ready(interaction.guild_id)
        embed, view = await list_message(self.bot, interaction.guild_id, key, 0)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    @list_.autocomplete("theme")
    async def _list_theme(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self.theme_choices(interaction, current)

    @prompts_group.command(name="remove", description="Remove a prompt from this server's bank")
    @app_commands.describe(prompt="The prompt to remove (type its number or words)")
    async def remove(self, interaction: discord.Interaction, prompt: app_commands.Range[int, 1]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.write() as session:
            await queries.ensure_bank(session, interaction.guild_id, self.bot.clock(), bank.seed_rows())
            found = await queries.get_prompt(session, interaction.guild_id, prompt)
            if found is None:
                raise NotFound("a prompt numbered", f"#{prompt}", "`/prompts list` shows the bank.")
            text = unlink(found.text)
            await queries.delete_prompt(session, found)
        await interaction.response.send_message(f"Removed prompt #{prompt}: {text}", ephemeral=True)
        await self.bot.modlog.post(interaction.guild_id, "Prompt removed", f"#{prompt}: {text}", actor=interaction.user)

    @remove.autocomplete("prompt")
    async def _remove_prompt(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        return await self.prompt_choices(interaction, current)

    @prompts_group.command(name="review", description="Review members' prompt suggestions or anonymous answers")
    @app_commands.describe(queue="Which queue to review (suggestions if left out)")
    @app_commands.choices(
        queue=[
            app_commands.Choice(name="Prompt suggestions", value="suggestions"),
            app_commands.Choice(name="Anonymous answers", value="answers"),
        ]
    )
    async def review(self, interaction: discord.Interaction, queue: str = "suggestions") -> None:
        assert interaction.guild_id is not None
        if queue == "answers":  # cogs/prompts/anonymous.py: the queue never shows who wrote an answer
            await anonymous.review(self.bot, interaction)
            return
        async with self.bot.db.read() as session:
            pending, total = await queries.pending_suggestions(session, interaction.guild_id, REVIEW_BATCH)
            answers = await answer_queries.count_pending(session, interaction.guild_id)
        waiting = f" {plural(answers, 'anonymous answer')} waiting: `/prompts review queue:answers`." if answers else ""
        if not pending:
            await interaction.response.send_message("No suggestions are waiting. 🎉" + waiting, ephemeral=True)
            return
        labels = dict(await self.themes(interaction.guild_id))
        embeds = []
        for suggestion in pending:
            embed = discord.Embed(
                title=f"Suggestion #{suggestion.id}", description=unlink(suggestion.text), colour=0xE8A33D
            )
            embed.add_field(name="Theme", value=labels.get(suggestion.theme, suggestion.theme))
            embed.add_field(name="Suggested by", value=f"<@{suggestion.user_id}>")
            embeds.append(embed)
        more = f" ({total - len(pending)} more after these)" if total > len(pending) else ""
        await interaction.response.send_message(
            f"{plural(total, 'suggestion')} waiting{more}.{waiting}",
            embeds=embeds,
            view=review_view([s.id for s in pending]),
            ephemeral=True,
        )

    @prompts_group.command(name="stats", description="A chart of replies per prompt thread, by theme")
    @app_commands.describe(days="How many days back to look (7 to 365; 90 if left out)")
    async def stats(self, interaction: discord.Interaction, days: app_commands.Range[int, 7, 365] = 90) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        await interaction.response.defer(ephemeral=True, thinking=True)
        since = self.bot.clock() - timedelta(days=days)
        async with self.bot.db.read() as session:
            threads = await stats.posted_threads(session, guild.id, since)
        counts = await self._reply_counts(guild, threads, since)
        grouped = stats.replies_by_theme(threads, counts, await theme_labels(self.bot, guild.id))
        found = sum(len(values) for values in grouped.values())
        replies = sum(sum(values) for values in grouped.values())
        subtitle = f"Last {days} days · {plural(found, 'prompt thread')} · {plural(replies, 'reply', 'replies')}"
        png = await asyncio.to_thread(
            charts.engagement_chart, grouped, title=f"Prompt engagement in {guild.name}", subtitle=subtitle
        )
        text = (
            f"Replies per prompt thread over the last {days} days, by theme. "
            f"Themes with fewer than {charts.MIN_GROUP} threads are combined into “other”."
        )
        if len(threads) > found:
            text += f"\n{plural(len(threads) - found, 'posted prompt')} had no thread left to count."
        text += "\n\n" + await loved.loved_summary(self.bot, guild.id, threads, counts, since)
        await interaction.followup.send(
            text, file=discord.File(io.BytesIO(png), filename="prompt-engagement.png"), ephemeral=True
        )

    async def _reply_counts(self, guild: discord.Guild, threads: list[PostedThread], since: datetime) -> dict[int, int]:
        """Thread id → replies (`message_count`, fresh from Discord: the cached value isn't kept up to date)."""
        wanted = {thread.thread_id for thread in threads}
        counts: dict[int, int] = {}
        if not wanted:
            return counts
        try:
            for thread in await guild.active_threads():
                if thread.id in wanted:
                    counts[thread.id] = thread.message_count
        except discord.HTTPException as error:
            log.warning("could not list active threads in guild %s: %s", guild.id, error)
        for channel_id in sorted({thread.channel_id for thread in threads}):
            channel = guild.get_channel(channel_id)
            if not isinstance(channel, discord.TextChannel) or len(counts) == len(wanted):
                continue
            try:
                async for thread in channel.archived_threads(limit=None):
                    if thread.id in wanted:
                        counts[thread.id] = thread.message_count
                    if len(counts) == len(wanted) or (thread.archive_timestamp and thread.archive_timestamp < since):
                        break
            except discord.HTTPException as error:
                log.warning("could not list archived threads in channel %s: %s", channel_id, error)
        return counts

    # ------------------------------------------------------------------ members

    @prompt_group.command(name="suggest", description="Suggest a discussion prompt for the moderators to review")
    @app_commands.describe(theme="The theme it fits (you can change it in the form)")
    async def suggest(
        self, interaction: discord.Interaction, theme: app_commands.Range[str, 1, 80] | None = None
    ) -> None:
        assert interaction.guild_id is not None
        await limits.check(self.bot, limits.PROMPT_SUGGEST, interaction.guild_id, interaction.user.id)
        await show_form(interaction, PromptModal("suggest", theme=theme or ""))

    @suggest.autocomplete("theme")
    async def _suggest_theme(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self.theme_choices(interaction, current)

    async def _suggested(self, interaction: discord.Interaction, text: str, theme_text: str) -> None:
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id
        seeded = guild_id in self.seeded_banks
        if not seeded:  # seeding the bank is a write: the limit is checked before it
            await limits.check(self.bot, limits.PROMPT_SUGGEST, guild_id, user_id)
        try:
            cleaned = bank.validate_text(text)
            theme = bank.require_theme(theme_text, await self.themes(guild_id))
        except InvalidInput:
            if seeded:  # a member over the limit hears that first, as when the limit is read on its own
                await limits.check(self.bot, limits.PROMPT_SUGGEST, guild_id, user_id)
            raise
        now = self.bot.clock()
        await self.bank_ready(guild_id)
        # The checks read outside the write, so the single SQLite writer is held only for the insert; the limit
        # is read on the same connection (one wait for a reader in a burst, not two: docs/scale.md).
        # Both are soft limits: a race between two submissions can at worst let one more through.
        forget = True  # uses older than the limit's window to drop when this one is recorded
        async with self.bot.db.rows() as connection:
            if seeded:
                forget = await limits.check_in(connection, limits.PROMPT_SUGGEST, guild_id, user_id, now)
            in_bank, pending = await queries.suggestion_checks(connection, guild_id, user_id, bank.text_key(cleaned))
        if in_bank:
            raise NotAllowed("That prompt is already in the bank. Thank you all the same!")
        if pending >= MAX_PENDING_PER_MEMBER:
            raise NotAllowed(
                f"You have {pending} suggestions waiting for review already. "
                "Please wait until the moderators have looked at them."
            )
        async with self.bot.db.write() as session:
            suggestion_id = await queries.add_suggestion(session, guild_id, user_id, cleaned, theme, now)
        try:
            await interaction.response.send_message(
                "Thank you! The moderators will review your suggestion, and I'll send you a DM with the outcome.",
                ephemeral=True,
            )
        finally:
            # The use is counted after the answer, once the interactions in flight are answered (core/answers.py):
            # in a burst the single SQLite writer then holds each suggestion's write for two trips, not three
            # (docs/scale.md, "Bursts, fourth pass"). The limit is soft already (see the checks above).
            await answers.after_answers()
            async with self.bot.db.write() as session:
                await limits.record(session, limits.PROMPT_SUGGEST, guild_id, user_id, now, forget=forget)
        await self.bot.modlog.post(
            interaction.guild_id,
            "New prompt suggestion",
            f"#{suggestion_id}: {unlink(cleaned)}\nReview it with `/prompts review`.",
            actor=interaction.user,
            about=(interaction.user.id,),
        )

    @prompt_group.command(name="random", description="Post a random prompt from the bank in this channel")
    @app_commands.describe(theme="Only pick from this theme")
    async def random(
        self, interaction: discord.Interaction, theme: app_commands.Range[str, 1, 80] | None = None
    ) -> None:
        assert interaction.guild_id is not None and interaction.channel_id is not None
        themes = await self.themes(interaction.guild_id)
        key = bank.require_theme(theme, themes) if theme else None
        now = self.bot.clock()
        self.random_cooldown.check(interaction.channel_id, now)
        await self.bank_ready(interaction.guild_id)
        async with self.bot.db.read() as session:
            chosen = await queries.random_prompt(session, interaction.guild_id, (key,) if key else ())
        if chosen is None:
            raise NotFound(
                "any prompts with the theme", theme or "", "`/prompt random` without a theme picks from all."
            )
        self.random_cooldown.record(interaction.channel_id, now)
        embed = prompt_embed(chosen, dict(themes).get(chosen.theme, chosen.theme))
        add_support(embed, await prompt_support(self.bot, interaction.guild_id, chosen.theme))
        await interaction.response.send_message(
            embed=embed, view=anonymous.prompt_view(chosen.id), allowed_mentions=NO_MENTIONS
        )

    @random.autocomplete("theme")
    async def _random_theme(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self.theme_choices(interaction, current)


async def setup(bot: LanternBot) -> None:
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.forms.register(*FORMS)
    anonymous.register(bot)  # Answer anonymously, This one was good: buttons, form, privacy
    bot.privacy.register(
        PrivacyProvider(
            name="Prompts",
            summary="Prompt suggestions you made, and your name on suggested prompts that were approved.",
            tables=("prompt_suggestions", "prompts"),
            export=queries.export_member,
            delete=queries.delete_member,
        )
    )
    await bot.add_cog(PromptsCog(bot))
