"""`/prompts calendar`: the cultural calendar for moderators, in one command.

- `/prompts calendar` (no options) lists every occasion by its next date in the server's timezone, and which are
  on: where they post, how many days before, when the next post goes out (or why one is paused).
- `/prompts calendar occasions:<names> [channel] [days_before] [time] [thread]` turns occasions on, or changes
  the ones already on (also how a paused occasion is turned on again).
- `/prompts calendar occasions:<names> off:True` turns them off.

One command rather than a `calendar` subcommand group because Discord can't run a group by itself: with a group,
listing would have to be `/prompts calendar list`, and the issue asks for `/prompts calendar` to list. `occasions`
takes several names, comma-separated, with autocomplete (like `/prompts schedule themes`); `all` means every
occasion. Like `schedules.py`, this is a mixin of `PromptsCog` (it uses `self.bot` and `self.bank_ready`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from cogs.prompts import calendar, occasion_times
from cogs.prompts.cadence import format_time, parse_time
from cogs.prompts.calendar import Occasion, UnknownOccasion
from cogs.prompts.post_threads import THREAD_NEEDS
from cogs.prompts.prompt_post import COLOUR
from cogs.prompts.slots import guild_zone
from core.errors import InvalidInput, NotAllowed
from core.permissions import POST_EMBED, missing_for_me
from core.text import join_words, truncate
from storage import occasions as queries
from storage.guilds import get_settings
from storage.models.occasions import GuildOccasion

if TYPE_CHECKING:
    from bot import LanternBot

REASON_SHOWN = 80  # characters of a pause reason in the list


def _next_date(occasion: Occasion, today: date) -> date | None:
    for year in range(today.year, today.year + occasion_times.YEARS_AHEAD):
        for day in occasion.dates(year):
            if day >= today:
                return day
    return None


def _local_post(row: GuildOccasion, zone: ZoneInfo) -> str:
    assert row.next_at is not None
    local = row.next_at.astimezone(zone)
    return f"{occasion_times.format_day(local.date())} {local:%H:%M}"


def _setting(row: GuildOccasion) -> str:
    before = (
        "on the day" if row.days_before == 0 else f"{row.days_before} day{'s' if row.days_before > 1 else ''} before"
    )
    return f"<#{row.channel_id}>, {before} at {row.time}"


def _status(row: GuildOccasion | None, zone: ZoneInfo) -> str:
    if row is None:
        return ""
    if row.paused:
        return f"\n  ⏸️ paused: {truncate(row.paused_reason or 'no reason kept', REASON_SHOWN)}"
    nxt = f"next post {_local_post(row, zone)}" if row.next_at else "no later date in its calendar"
    return f"\n  ✅ {_setting(row)} · {nxt}"


class CalendarCommands:
    bot: LanternBot

    async def bank_ready(self, guild_id: int) -> None:  # pragma: no cover - PromptsCog's
        raise NotImplementedError

    async def calendar(
        self,
        interaction: discord.Interaction,
        occasions: app_commands.Range[str, 1, 400] | None = None,
        channel: discord.TextChannel | None = None,
        days_before: app_commands.Range[int, 0, occasion_times.MAX_DAYS_BEFORE] | None = None,
        time: app_commands.Range[str, 3, 5] | None = None,
        thread: bool | None = None,
        off: bool = False,
    ) -> None:
        assert interaction.guild is not None
        given = [
            name
            for name, value in (("channel", channel), ("days_before", days_before), ("time", time), ("thread", thread))
            if value is not None
        ]
        if occasions is None:
            if given or off:
                raise InvalidInput(
                    "`occasions`",
                    f"is needed with {join_words([f'`{name}`' for name in given + (['off'] if off else [])])}",
                    "Pick the occasions as you type, or run `/prompts calendar` alone to list them.",
                )
            await self._list(interaction)
            return
        if not 0 <= (days_before or 0) <= occasion_times.MAX_DAYS_BEFORE:  # Discord checks it; a guard all the same
            raise InvalidInput("`days_before`", f"must be 0 to {occasion_times.MAX_DAYS_BEFORE}")
        chosen = occasion_times.parse_occasions(occasions)
        if off:
            if given:
                raise InvalidInput(
                    "`off:True`",
                    f"takes only `occasions`, not {join_words([f'`{name}`' for name in given])}",
                    "Run it again with just the occasions to turn off.",
                )
            await self._off(interaction, chosen)
            return
        hour_minute = parse_time(time) if time is not None else None
        await self._on(interaction, chosen, channel, days_before, hour_minute, thread)

    async def _zone(self, guild_id: int) -> tuple[ZoneInfo, int | None]:
        async with self.bot.db.read() as session:
            settings = await get_settings(session, guild_id)
        zone = guild_zone(settings.timezone if settings else None)
        return zone, settings.prompts_channel_id if settings else None

    async def _list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        zone, _ = await self._zone(interaction.guild_id)
        async with self.bot.db.read() as session:
            rows = {row.occasion: row for row in await queries.guild_occasions(session, interaction.guild_id)}
        today = occasion_times.local_today(self.bot.clock(), zone)
        under_way = {occasion.key: span for occasion, span in calendar.observed_on(today) if span.start < today}
        dated: list[tuple[date, int, str]] = []
        undated: list[str] = []
        for index, occasion in enumerate(calendar.OCCASIONS):
            day = _next_date(occasion, today)
            line = f"**{occasion.name}**"
            if occasion.key in under_way:
                line += f" (under way until {occasion_times.format_day(under_way[occasion.key].end)})"
            line += _status(rows.get(occasion.key), zone)
            if day is None:
                undated.append(f"no date after {occasion.last_year} · {line}")
            else:
                dated.append(
                    (day, index, f"{occasion_times.format_day(day)} ({occasion_times.how_soon(day, today)}) · {line}")
                )
        lines = [text for _, _, text in sorted(dated)] + undated
        description = ""
        for line in lines:
            if len(description) + len(line) + 1 > 4000:
                break
            description += line + "\n"
        on = sum(1 for row in rows.values() if not row.paused)
        embed = discord.Embed(
            title=f"Cultural calendar · {on} of {len(calendar.OCCASIONS)} on", description=description, colour=COLOUR
        )
        embed.set_footer(
            text=f"Dates as kept in {zone.key}. Turn occasions on with /prompts calendar occasions:… channel:… "
            "days_before:…, off with off:True."
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def _off(self, interaction: discord.Interaction, chosen: list[Occasion]) -> None:
        assert interaction.guild_id is not None
        keys = [occasion.key for occasion in chosen]
        async with self.bot.db.write() as session:
            removed = await queries.turn_off(session, interaction.guild_id, keys)
        named = join_words([occasion.name for occasion in chosen])
        if not removed:
            raise NotAllowed(f"{truncate(named, 1500)}: none of them is on. `/prompts calendar` lists which are.")
        done = join_words([occasion.name for occasion in chosen if occasion.key in removed])
        text = f"Turned off: {done}. I won't post for {'it' if len(removed) == 1 else 'them'} any more."
        await interaction.response.send_message(truncate(text, 2000), ephemeral=True)
        await self.bot.modlog.post(
            interaction.guild_id, "Cultural calendar: turned off", truncate(done, 3000), actor=interaction.user
        )

    async def _on(
        self,
        interaction: discord.Interaction,
        chosen: list[Occasion],
        channel: discord.TextChannel | None,
        days_before: int | None,
        hour_minute: tuple[int, int] | None,
        thread: bool | None,
    ) -> None:
        assert interaction.guild is not None
        guild = interaction.guild
        zone, prompts_channel = await self._zone(guild.id)
        async with self.bot.db.read() as session:
            existing = {row.occasion: row for row in await queries.guild_occasions(session, guild.id)}
        fallback = channel.id if channel else prompts_channel
        if fallback is not None and not isinstance(guild.get_channel(fallback), discord.TextChannel):
            fallback = None
        lacking_channel = [o.name for o in chosen if o.key not in existing and fallback is None]
        if lacking_channel:
            raise NotAllowed(
                f"Where should {truncate(join_words(lacking_channel), 1500)} be posted? Pick a `channel:` "
                "(or set a prompts channel with `/setup channels prompts:`)."
            )
        await self.bank_ready(guild.id)
        now = self.bot.clock()
        lines: list[str] = []
        channels: set[int] = set()
        async with self.bot.db.write() as session:
            rows = {row.occasion: row for row in await queries.guild_occasions(session, guild.id)}
            for occasion in chosen:
                row = rows.get(occasion.key)
                if row is None:
                    assert fallback is not None
                    row = GuildOccasion(
                        guild_id=guild.id,
                        occasion=occasion.key,
                        channel_id=fallback,
                        days_before=0,
                        time=occasion_times.DEFAULT_TIME,
                        thread=True,
                        created_at=now,
                    )
                    session.add(row)
                elif channel is not None:
                    row.channel_id = channel.id
                if days_before is not None:
                    row.days_before = days_before
                if hour_minute is not None:
                    row.time = format_time(*hour_minute)
                if thread is not None:
                    row.thread = thread
                row.paused, row.paused_reason, row.updated_at = False, None, now
                hour, minute = parse_time(row.time)
                found = occasion_times.next_post(occasion, zone, hour, minute, row.days_before, now)
                row.next_day, row.next_at = found if found else (None, None)
                channels.add(row.channel_id)
                lines.append(self._turned_on(occasion, row, zone, now))
        text = "\n".join(lines)
        for channel_id in sorted(channels):
            place = guild.get_channel(channel_id)
            if isinstance(place, discord.TextChannel):
                lacking = missing_for_me(place, *POST_EMBED, *THREAD_NEEDS)
                if lacking:
                    text += f"\n⚠️ In {place.mention} I still need: {join_words(lacking)}."
        embed = discord.Embed(title="Cultural calendar: turned on", description=truncate(text, 4000), colour=COLOUR)
        embed.set_footer(text=f"Times in {zone.key}. /prompts calendar lists every occasion.")
        await interaction.response.send_message(embed=embed, ephemeral=True)
        await self.bot.modlog.post(
            guild.id,
            "Cultural calendar: turned on",
            truncate(join_words([occasion.name for occasion in chosen]), 3000),
            actor=interaction.user,
        )

    @staticmethod
    def _turned_on(occasion: Occasion, row: GuildOccasion, zone: ZoneInfo, now: datetime) -> str:
        if row.next_day is None:
            return (
                f"**{occasion.name}** · {_setting(row)} · no later date in its calendar (it ends {occasion.last_year})"
            )
        today = occasion_times.local_today(now, zone)
        day = f"{occasion_times.format_day(row.next_day)} ({occasion_times.how_soon(row.next_day, today)})"
        return f"**{occasion.name}** · {day} · {_setting(row)} · first post {_local_post(row, zone)}"

    async def occasion_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        done, _, last = current.rpartition(",")
        keys: list[str] = []
        for part in done.split(","):
            if not part.strip():
                continue
            try:
                keys.append(occasion_times.find(part).key)
            except UnknownOccasion:
                continue
        prefix = ", ".join(dict.fromkeys(keys))
        choices = []
        if not prefix and last.strip().casefold() in occasion_times.ALL:
            choices.append(app_commands.Choice(name="All occasions", value=occasion_times.ALL))
        for occasion in occasion_times.search(last, exclude=keys):
            value = f"{prefix}, {occasion.key}" if prefix else occasion.key
            if len(value) <= 100:  # Discord's limit for a choice's value
                name = f"{prefix}, {occasion.name}" if prefix else occasion.name
                choices.append(app_commands.Choice(name=truncate(name, 100), value=value))
        return choices[:25]


OCCASIONS_HELP = "Occasions, comma-separated: pick as you type (`all` for every one). Leave out to list them"
# (command name, description, method, {option: autocomplete method name}), as schedules.COMMANDS
CALENDAR_COMMANDS: tuple[tuple[str, str, Any, dict[str, str]], ...] = (
    (
        "calendar",
        "The cultural calendar: list occasions and their dates, or turn occasions on or off",
        CalendarCommands.calendar,
        {"occasions": "occasion_choices"},
    ),
)
app_commands.describe(
    occasions=OCCASIONS_HELP,
    channel="Where their posts go (default: where they post now, or the prompts channel from /setup channels)",
    days_before=f"Post this many days before the day: 0 (on the day) to {occasion_times.MAX_DAYS_BEFORE}",
    time="Time of day to post, 24-hour HH:MM in the server's timezone (default 09:00)",
    thread="Open a discussion thread on each post (default: yes)",
    off="Turn these occasions off",
)(CalendarCommands.calendar)
for _name, _description, _method, _completions in CALENDAR_COMMANDS:
    app_commands.autocomplete(**{opt: getattr(CalendarCommands, fn) for opt, fn in _completions.items()})(_method)
