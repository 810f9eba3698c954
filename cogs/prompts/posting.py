"""Posting prompts: the due-job handler, exactly once per (schedule, slot).

1. In one write: for each due schedule, claim its latest due slot (a unique row; INSERT … ON CONFLICT
   DO NOTHING) and advance `next_run_at`. After downtime only the latest missed slot is claimed.
2. In one write: lease every unposted claim (a conditional update), including ones a crash or a
   Discord 5xx left behind.
3. Outside any transaction: post each leased claim with the nonce `schedule:slot`, then record the
   message id. A 5xx/429 frees the claim for the next run; a missing channel or permission pauses the
   schedule and tells the mod-log.

Only schedules of guilds this process owns (`bot.owns_guild`) are claimed, leased or posted, so
processes running other shards leave them alone (and never pause them for a channel they can't see).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord

from cogs.prompts.cadence import format_time, latest_due, next_run, parse_cadence, parse_time
from core import timezones
from core.text import truncate, unlink
from storage import prompts as queries
from storage.guilds import enabled_themes, get_settings
from storage.models.prompts import Prompt, PromptSchedule

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

COLOUR = 0xE8A33D


def guild_zone(name: str | None) -> ZoneInfo:
    try:
        return timezones.zone(name or "UTC")  # an IANA name or a fixed offset like UTC+05:30
    except ValueError:
        return ZoneInfo("UTC")


def schedule_next_run(schedule: PromptSchedule, zone: ZoneInfo, after: datetime) -> datetime:
    hour, minute = parse_time(schedule.time)
    return next_run(
        parse_cadence(schedule.cadence), hour, minute, zone, after, anchor=date.fromisoformat(schedule.anchor)
    )


def describe_schedule(schedule: PromptSchedule, zone_name: str, labels: dict[str, str] | None = None) -> str:
    hour, minute = parse_time(schedule.time)
    when = f"{parse_cadence(schedule.cadence).describe()} at {format_time(hour, minute)} ({zone_name})"
    names = [(labels or {}).get(key, key) for key in schedule.theme_keys]
    themes = ", ".join(names) if names else "all themes"
    thread = "with a thread" if schedule.thread else "no thread"
    return f"#{schedule.id} · <#{schedule.channel_id}> · {when} · {themes} · {thread}"


def prompt_embed(prompt: Prompt, theme_label: str) -> discord.Embed:
    embed = discord.Embed(title=truncate(theme_label, 256), description=unlink(prompt.text), colour=COLOUR)
    if prompt.suggested_by_id is not None:
        embed.add_field(name="Suggested by", value=f"<@{prompt.suggested_by_id}>")
    embed.set_footer(text=f"Prompt #{prompt.id} · answer at whatever depth feels right")
    return embed


async def theme_labels(bot: LanternBot, guild_id: int) -> dict[str, str]:
    async with bot.db.read() as session:
        return dict(await enabled_themes(session, guild_id))


@dataclass
class Outcome:
    posted: bool
    detail: str
    message: discord.Message | None = None


class PromptPoster:
    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot

    async def run_due(self, now: datetime) -> dict[str, int]:
        """The due-job handler registered as "prompts"."""
        claimed = 0
        async with self.bot.db.write() as session:
            for schedule in await queries.due_schedules(session, now):
                if not self.bot.owns_guild(schedule.guild_id):
                    continue
                settings = await get_settings(session, schedule.guild_id)
                zone = guild_zone(settings.timezone if settings else None)
                hour, minute = parse_time(schedule.time)
                cadence = parse_cadence(schedule.cadence)
                anchor = date.fromisoformat(schedule.anchor)
                slot = latest_due(cadence, hour, minute, zone, schedule.next_run_at, now, anchor=anchor)
                if await queries.claim_slot(session, schedule, slot, now) is not None:
                    claimed += 1
                schedule.next_run_at = next_run(cadence, hour, minute, zone, slot, anchor=anchor)
        async with self.bot.db.write() as session:
            leased = await queries.lease_claims(session, now, owns_guild=self.bot.owns_guild)
        posted = 0
        for post_id in leased:
            outcome = await self.post_claim(post_id)
            posted += outcome.posted
        return {"claimed": claimed, "posted": posted}

    async def post_now(self, schedule_id: int, now: datetime) -> Outcome:
        """`/prompts post`: claim a slot at `now` for the schedule and post it straight away."""
        async with self.bot.db.write() as session:
            schedule = await session.get(PromptSchedule, schedule_id)
            assert schedule is not None
            post_id = await queries.claim_slot(session, schedule, now, now)
            leased = await queries.lease_claims(session, now, schedule_id) if post_id is not None else []
        if post_id is None or post_id not in leased:
            return Outcome(False, "That slot was just posted by another run.")
        outcome = Outcome(False, "Nothing was posted.")
        for other in leased:
            result = await self.post_claim(other)
            if other == post_id:
                outcome = result
        return outcome

    async def post_claim(self, post_id: int) -> Outcome:
        async with self.bot.db.read() as session:
            post, schedule, prompt = await queries.claim_details(session, post_id)
        if prompt is None:
            async with self.bot.db.write() as session:
                await queries.pause_schedule(session, schedule.id, "no prompt to post")
            detail = "Its bank has no prompts in its themes. Add some with `/prompts add`, then `/prompts resume`."
            await self.bot.modlog.post(schedule.guild_id, f"Prompt schedule #{schedule.id} paused", detail)
            return Outcome(False, detail)
        channel = self.bot.get_channel(schedule.channel_id)
        if not isinstance(channel, discord.TextChannel):
            return await self.pause(schedule, "the channel is gone")
        labels = await theme_labels(self.bot, schedule.guild_id)
        label = labels.get(prompt.theme, prompt.theme)
        nonce = f"{schedule.id}:{int(post.slot.timestamp())}"
        try:
            message = await channel.send(
                embed=prompt_embed(prompt, label), nonce=nonce, allowed_mentions=discord.AllowedMentions.none()
            )
        except (discord.Forbidden, discord.NotFound) as error:
            reason = "the channel is gone" if isinstance(error, discord.NotFound) else "I lack permission to post there"
            return await self.pause(schedule, reason)
        except discord.HTTPException as error:
            log.warning("prompt post %s of schedule %s failed (%s); it will be retried", post_id, schedule.id, error)
            async with self.bot.db.write() as session:
                await queries.release_claim(session, post_id)
            return Outcome(False, "Discord had a problem; I'll try again on the next run.")
        async with self.bot.db.write() as session:
            await queries.mark_posted(session, post_id, message.id, self.bot.clock())
        if schedule.thread:
            await self.open_thread(message, schedule, prompt)
        return Outcome(True, f"Posted prompt #{prompt.id} in {channel.mention}.", message)

    async def open_thread(self, message: discord.Message, schedule: PromptSchedule, prompt: Prompt) -> None:
        try:
            # A thread name can't carry allowed_mentions: keep member-written mention syntax inert in it.
            name = truncate(discord.utils.escape_mentions(prompt.text), 100)
            await message.create_thread(name=name, auto_archive_duration=1440)
        except discord.HTTPException as error:
            log.warning("could not open a thread for schedule %s: %s", schedule.id, error)
            await self.bot.modlog.post(
                schedule.guild_id,
                f"Prompt schedule #{schedule.id}: no thread",
                f"I posted in <#{schedule.channel_id}> but couldn't open a discussion thread. "
                "Give me Create Public Threads there.",
            )

    async def pause(self, schedule: PromptSchedule, reason: str) -> Outcome:
        async with self.bot.db.write() as session:
            changed = await queries.pause_schedule(session, schedule.id, reason)
        detail = (
            f"I couldn't post in <#{schedule.channel_id}>: {reason}. The schedule is paused. "
            f"Fix the channel, then run `/prompts resume schedule:{schedule.id}` "
            f"(or remove it with `/prompts unschedule schedule:{schedule.id}`)."
        )
        if changed:
            await self.bot.modlog.post(schedule.guild_id, f"Prompt schedule #{schedule.id} paused", detail)
        return Outcome(False, detail)
