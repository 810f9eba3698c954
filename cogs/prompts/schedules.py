"""The schedule commands of `/prompts`: schedule, schedules, unschedule, resume, post.

They are plain methods here; `cog.py` attaches them to the `prompts` group, so this file stays a
mixin of `PromptsCog` (it uses `self.bot`, `self.poster` and `self.themes`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from cogs.prompts import bank
from cogs.prompts.cadence import EXAMPLES, default_anchor, format_time, parse_cadence, parse_time
from cogs.prompts.slots import describe_schedule, guild_zone, schedule_next_run
from core.errors import NotAllowed, NotFound
from core.text import join_words, truncate
from storage import prompts as queries
from storage.guilds import enabled_themes, get_settings
from storage.models.prompts import PromptPost, PromptSchedule

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.prompts.posting import PromptPoster

MAX_SCHEDULES = 25
NEEDED = ("send_messages", "embed_links", "create_public_threads")


def _stamp(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:F>"


def _waiting(post: PromptPost, now: datetime) -> str:
    """Why a due post isn't up yet and when it is tried again (its failures are Discord's answers, no member text)."""
    retry = post.retry_at if post.retry_at is not None and post.retry_at > now else None
    again = f"I try again <t:{int(retry.timestamp())}:R>" if retry else "I try again on the next run"
    tries = f"{post.attempts} tr{'y' if post.attempts == 1 else 'ies'}"
    return f"The post due {_stamp(post.slot)} is waiting after {tries}: {post.last_error or 'an error'}. {again}."


class ScheduleCommands:
    bot: LanternBot
    poster: PromptPoster

    async def themes(self, guild_id: int) -> list[tuple[str, str]]:  # pragma: no cover - PromptsCog's
        raise NotImplementedError

    async def _zone_name(self, guild_id: int) -> str:
        async with self.bot.db.read() as session:
            settings = await get_settings(session, guild_id)
        return guild_zone(settings.timezone if settings else None).key

    async def _schedule(self, guild_id: int, schedule_id: int) -> PromptSchedule:
        async with self.bot.db.read() as session:
            schedule = await queries.get_schedule(session, guild_id, schedule_id)
        if schedule is None:
            raise NotFound("a schedule numbered", f"#{schedule_id}", "`/prompts schedules` lists them.")
        return schedule

    @app_commands.describe(
        channel="Where the prompts are posted",
        cadence="How often: daily, weekdays, weekly friday, every 3 days, monthly 15, monthly first monday",
        time="Time of day, 24-hour HH:MM, in the server's timezone (/setup options timezone)",
        themes="Only these themes, comma-separated (leave empty for every theme)",
        thread="Open a discussion thread on each prompt (default: yes)",
    )
    async def schedule(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        cadence: app_commands.Range[str, 1, 40],
        time: app_commands.Range[str, 3, 5],
        themes: app_commands.Range[str, 1, 200] | None = None,
        thread: bool = True,
    ) -> None:
        assert interaction.guild is not None
        guild_id = interaction.guild.id
        parsed = parse_cadence(cadence)
        hour, minute = parse_time(time)
        keys = bank.parse_themes(themes, await self.themes(guild_id))
        now = self.bot.clock()
        async with self.bot.db.write() as session:
            if await queries.count_schedules(session, guild_id) >= MAX_SCHEDULES:
                raise NotAllowed(f"This server has {MAX_SCHEDULES} schedules, the most I keep. Remove one first.")
            await queries.ensure_bank(session, guild_id, now, bank.seed_rows())
            settings = await get_settings(session, guild_id)
            zone = guild_zone(settings.timezone if settings else None)
            schedule = PromptSchedule(
                guild_id=guild_id,
                channel_id=channel.id,
                cadence=parsed.spec,
                time=format_time(hour, minute),
                themes=",".join(keys),
                thread=thread,
                anchor=default_anchor(hour, minute, zone, now).isoformat(),
                cycle=1,
                paused=False,
                created_at=now,
                next_run_at=now,
            )
            schedule.next_run_at = schedule_next_run(schedule, zone, now)
            await queries.add_schedule(session, schedule)
            described = describe_schedule(schedule, zone.key)
        text = f"Scheduled {described}.\nFirst post: {_stamp(schedule.next_run_at)}."
        granted = channel.permissions_for(interaction.guild.me)
        missing = [name.replace("_", " ") for name in NEEDED if not getattr(granted, name)]
        if missing:
            text += f"\n⚠️ In {channel.mention} I still need: {join_words(missing)}."
        await interaction.response.send_message(text, ephemeral=True)
        await self.bot.modlog.post(guild_id, "Prompt schedule created", described, actor=interaction.user)

    async def cadence_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        found = [example for example in EXAMPLES if typed in example]
        if typed and typed not in found:
            found.insert(0, typed)
        return [app_commands.Choice(name=example, value=example) for example in found[:25]]

    async def themes_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        done, _, last = current.rpartition(",")
        prefix = ", ".join(part.strip() for part in done.split(",") if part.strip())
        choices = []
        for label, key in bank.theme_search(last, await self.themes(interaction.guild_id)):
            value = f"{prefix}, {key}" if prefix else key
            if len(value) <= 100:  # Discord's limit for a choice's value (the option itself takes 200, typed)
                choices.append(
                    app_commands.Choice(name=truncate(f"{prefix}, {label}" if prefix else label, 100), value=value)
                )
        return choices

    async def schedule_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        assert interaction.guild_id is not None
        async with self.bot.db.read() as session:
            found = await queries.guild_schedules(session, interaction.guild_id)
        zone = await self._zone_name(interaction.guild_id)
        guild = interaction.guild
        choices = []
        for schedule in found:
            channel = guild.get_channel(schedule.channel_id) if guild else None
            name = f"#{schedule.id} in #{channel.name if channel else 'deleted-channel'}: "
            name += describe_schedule(schedule, zone).split(" · ")[2]
            if current.strip().lstrip("#") in name:
                choices.append(app_commands.Choice(name=truncate(name, 100), value=schedule.id))
        return choices[:25]

    async def schedules(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.read() as session:
            found = await queries.guild_schedules(session, interaction.guild_id)
            labels = dict(await enabled_themes(session, interaction.guild_id))
            waiting = await queries.waiting_claims(session, [schedule.id for schedule in found])
        if not found:
            await interaction.response.send_message(
                "There are no prompt schedules yet. `/prompts schedule` makes one.", ephemeral=True
            )
            return
        zone = await self._zone_name(interaction.guild_id)
        lines = []
        for schedule in found:
            line = describe_schedule(schedule, zone, labels)
            state = f"⏸️ paused: {schedule.paused_reason}" if schedule.paused else f"next {_stamp(schedule.next_run_at)}"
            late = waiting.get(schedule.id)
            if late is not None and not schedule.paused:
                state += f"\n⚠️ {_waiting(late, self.bot.clock())}"
            lines.append(f"{line}\n{state}")
        embed = discord.Embed(title="Prompt schedules", description="\n\n".join(lines)[:4000], colour=0xE8A33D)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def unschedule(self, interaction: discord.Interaction, schedule: app_commands.Range[int, 1]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.write() as session:
            found = await queries.get_schedule(session, interaction.guild_id, schedule)
            if found is None:
                raise NotFound("a schedule numbered", f"#{schedule}", "`/prompts schedules` lists them.")
            described = describe_schedule(found, "server time")
            await session.delete(found)
        await interaction.response.send_message(f"Removed schedule {described}.", ephemeral=True)
        await self.bot.modlog.post(interaction.guild_id, "Prompt schedule removed", described, actor=interaction.user)

    async def resume(self, interaction: discord.Interaction, schedule: app_commands.Range[int, 1]) -> None:
        assert interaction.guild is not None
        found = await self._schedule(interaction.guild.id, schedule)
        if not found.paused:
            raise NotAllowed(f"Schedule #{schedule} isn't paused; its next post is {_stamp(found.next_run_at)}.")
        channel = interaction.guild.get_channel(found.channel_id)
        if not isinstance(channel, discord.TextChannel):
            raise NotAllowed(
                f"Schedule #{schedule}'s channel is gone. Remove it with `/prompts unschedule` and make a new one."
            )
        now = self.bot.clock()
        async with self.bot.db.write() as session:
            row = await queries.get_schedule(session, interaction.guild.id, schedule)
            assert row is not None
            settings = await get_settings(session, interaction.guild.id)
            zone = guild_zone(settings.timezone if settings else None)
            row.paused, row.paused_reason = False, None
            row.next_run_at = schedule_next_run(row, zone, now)
            next_at = row.next_run_at
        await interaction.response.send_message(
            f"Resumed schedule #{schedule} in {channel.mention}. Next post: {_stamp(next_at)}.", ephemeral=True
        )
        await self.bot.modlog.post(
            interaction.guild.id, "Prompt schedule resumed", f"#{schedule} in {channel.mention}", actor=interaction.user
        )

    async def post(self, interaction: discord.Interaction, schedule: app_commands.Range[int, 1]) -> None:
        assert interaction.guild_id is not None
        found = await self._schedule(interaction.guild_id, schedule)
        if found.paused:
            raise NotAllowed(f"Schedule #{schedule} is paused ({found.paused_reason}). `/prompts resume` restarts it.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.poster.post_now(schedule, self.bot.clock())
        await interaction.followup.send(outcome.detail, ephemeral=True)
        if outcome.posted:
            await self.bot.modlog.post(
                interaction.guild_id, "Prompt posted by hand", f"Schedule #{schedule}", actor=interaction.user
            )


SCHEDULE_ID = "The schedule's number (see /prompts schedules)"
# (command name, description, method, {option: autocomplete method name})
COMMANDS: tuple[tuple[str, str, Any, dict[str, str]], ...] = (
    (
        "schedule",
        "Post prompts on a recurring schedule",
        ScheduleCommands.schedule,
        {"cadence": "cadence_choices", "themes": "themes_choices"},
    ),
    ("schedules", "List this server's prompt schedules", ScheduleCommands.schedules, {}),
    ("unschedule", "Remove a prompt schedule", ScheduleCommands.unschedule, {"schedule": "schedule_choices"}),
    ("resume", "Resume a paused prompt schedule", ScheduleCommands.resume, {"schedule": "schedule_choices"}),
    ("post", "Post a schedule's next prompt now", ScheduleCommands.post, {"schedule": "schedule_choices"}),
)
for _name, _description, _method, _completions in COMMANDS:
    if "schedule" in _completions:
        app_commands.describe(schedule=SCHEDULE_ID)(_method)
    app_commands.autocomplete(**{opt: getattr(ScheduleCommands, fn) for opt, fn in _completions.items()})(_method)
