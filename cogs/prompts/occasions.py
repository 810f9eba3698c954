"""Posting the cultural calendar: the "occasions" due-job handler, exactly once per (guild, family, day).

It mirrors cogs/prompts/posting.py:
1. In one write: for each running occasion whose post is due (`guild_occasions.next_at`), claim the post of its
   family on its day (a unique row; INSERT … ON CONFLICT DO NOTHING) naming every occasion of the family that is
   on and starts that day, then move `next_day`/`next_at` to its next date. A post whose window has closed (the
   occasion's day is over in the guild's timezone: Lantern was down all day) is not claimed: never posted late
   past its day, and never more than once.
2. In one write: lease, for this process, every free unposted claim not backing off, and every posted claim
   whose thread is still pending (conditional updates on holder and expiry, as for schedule slots).
3. Each claim on its own: renew the lease, post with the nonce `occasion:<id>`, record the message id. A 5xx,
   429, dropped connection or timeout releases the claim with a backoff (cadence.retry_delay); a missing channel
   or permission pauses the occasion(s) and tells the mod-log what is missing.
4. The thread is opened after the post and retried on later runs, never by posting again.

Only guilds this process owns (`bot.owns_guild`) are claimed, leased or posted.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord

from cogs.care.lookup import add_support, prompt_support
from cogs.prompts import calendar, calendar_prompts, occasion_times
from cogs.prompts.anonymous import prompt_view
from cogs.prompts.cadence import parse_time, retry_delay
from cogs.prompts.post_threads import THREAD_EXISTS, THREAD_NEEDS
from cogs.prompts.prompt_post import COLOUR, REQUEST_TIMEOUT, TRANSIENT, describe_error
from cogs.prompts.prompt_post import when as retry_when
from cogs.prompts.slots import guild_zone
from core.jobs import guild_unavailable
from core.permissions import POST_EMBED, describe, discord_said, fix, missing_for_me
from core.text import join_words, truncate, unlink
from storage import occasions as queries
from storage.guilds import get_settings
from storage.models.occasions import GuildOccasion, OccasionPost
from storage.models.prompts import Prompt

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

THREAD_TRIES = 6
FOOTER = "Cultural calendar · answer at whatever depth feels right"


def names(keys: tuple[str, ...] | list[str]) -> str:
    return " · ".join(calendar.get(key).name for key in keys)


def occasion_embed(post: OccasionPost, prompt: Prompt | None, today: date) -> discord.Embed:
    """The post: the occasion(s) by name, when they are, what they are, and one of their prompts."""
    occasions = [calendar.get(key) for key in post.keys]
    title = truncate(" · ".join(occasion.name for occasion in occasions), 256)
    soon = occasion_times.how_soon(post.day, today)
    named = join_words([f"**{occasion.name}**" for occasion in occasions])
    lead = f"{named} {'is' if len(occasions) == 1 else 'are'} {soon}"
    lead += "." if soon == "today" else f", on {occasion_times.format_day(post.day)}."
    about = "\n".join(occasion.description for occasion in occasions)
    body = f"{lead}\n{about}"
    if prompt is not None:
        body += f"\n\n{unlink(prompt.text)}"
    embed = discord.Embed(title=title, description=truncate(body, 4000), colour=COLOUR)
    footer = f"Prompt #{prompt.id} · {FOOTER}" if prompt is not None else FOOTER
    embed.set_footer(text=footer)
    return embed


class OccasionPoster:
    def __init__(self, bot: LanternBot, *, owner: str | None = None) -> None:
        self.bot = bot
        self.owner = owner or bot.instance_id

    async def run_due(self, now: datetime) -> dict[str, int]:
        """The due-job handler registered as "occasions"."""
        claimed = await self.claim_due(now)
        posts, threads = await self.lease(now)
        posted = 0
        for post_id in posts:
            posted += await self.attempt(post_id)
        for post_id in threads:
            try:
                await self.retry_thread(post_id)
            except Exception:
                log.exception("the thread of occasion post %s could not be handled; retried later", post_id)
        return {"claimed": claimed, "posted": posted}

    async def lease(self, now: datetime) -> tuple[list[int], list[int]]:
        """Step 2: lease the unposted claims and the pending threads due now (ids of each)."""
        async with self.bot.db.write() as session:
            posts = await queries.lease(session, now, self.owner, threads=False, owns_guild=self.bot.owns_guild)
            threads = await queries.lease(session, now, self.owner, threads=True, owns_guild=self.bot.owns_guild)
        return posts, threads

    async def claim_due(self, now: datetime) -> int:
        """Step 1: claim the post of every due occasion (of guilds this process owns); how many were claimed."""
        claimed = 0
        broken: list[GuildOccasion] = []
        async with self.bot.db.write() as session:
            rows = [row for row in await queries.due_occasions(session, now) if self.bot.owns_guild(row.guild_id)]
            running: dict[int, list[GuildOccasion]] = {}
            for row in rows:
                if row.guild_id not in running:
                    running[row.guild_id] = list(await queries.guild_occasions(session, row.guild_id))
                settings = await get_settings(session, row.guild_id)
                zone = guild_zone(settings.timezone if settings else None)
                try:
                    occasion = calendar.get(row.occasion)
                    hour, minute = parse_time(row.time)
                except Exception:
                    log.exception("occasion %s of guild %s can't be worked out; pausing it", row.occasion, row.guild_id)
                    row.paused, row.paused_reason, row.next_at = True, "it is no longer in the calendar", None
                    broken.append(row)
                    continue
                day = row.next_day
                assert day is not None and row.next_at is not None
                due = occasion_times.post_moment(day, row.days_before, hour, minute, zone)
                if due > now:  # the server's timezone moved since next_at was worked out: wait for the new time
                    row.next_at = due
                    continue
                if now < occasion_times.window_end(day, zone):
                    on = [o.occasion for o in running[row.guild_id] if not o.paused]
                    family = [o.key for o in calendar.on_day(day, on) if o.family == occasion.family]
                    keys = family if occasion.key in family else [occasion.key]
                    if await queries.claim(
                        session, row, family=occasion.family, day=day, keys=keys, due_at=due, now=now
                    ):
                        claimed += 1
                else:
                    log.info(
                        "occasion %s of guild %s on %s was missed (Lantern was down all day); not posted late",
                        row.occasion,
                        row.guild_id,
                        day,
                    )
                following = occasion_times.next_post(occasion, zone, hour, minute, row.days_before, now, after=day)
                row.next_day, row.next_at = following if following else (None, None)
                row.updated_at = now
        for row in broken:
            await self.tell_modlog(
                row.guild_id,
                "Cultural calendar: occasion paused",
                f"I can't work out when `{truncate(row.occasion, 40)}` is due any more (this version of Lantern "
                "doesn't know it), so it is paused; nothing is posted for it.",
            )
        return claimed

    async def attempt(self, post_id: int) -> bool:
        try:
            return await self.post_claim(post_id)
        except Exception:
            log.exception("occasion post %s could not be handled; it is retried once its lease runs out", post_id)
            return False

    async def post_claim(self, post_id: int) -> bool:
        async with self.bot.db.read() as session:
            details = await queries.post_details(session, post_id)
        if details is None:
            return False
        post, prompt = details
        if post.status != "claimed":
            return False
        if guild_unavailable(self.bot, post.guild_id):  # Discord's outage, not a deleted channel: wait
            await self.retry_later(post, OSError("the server is unavailable on Discord's side"))
            return False
        channel = self.bot.get_channel(post.channel_id)
        if not isinstance(channel, discord.TextChannel):
            await self.pause(post, f"its channel <#{post.channel_id}> is gone", None)
            return False
        lacking = missing_for_me(channel, *POST_EMBED)
        if lacking:
            await self.pause(post, describe(channel, lacking), channel, lacking)
            return False
        zone = await self.zone(post.guild_id)
        embed = occasion_embed(post, prompt, occasion_times.local_today(self.bot.clock(), zone))
        if prompt is not None:  # a hard theme carries the support line, as scheduled prompts do
            embed = add_support(embed, await prompt_support(self.bot, post.guild_id, prompt.theme))
        # Answer anonymously and This one was good, as under every posted prompt (none without a prompt).
        buttons = prompt_view(prompt.id) if prompt is not None else discord.utils.MISSING
        async with self.bot.db.write() as session:
            held = await queries.renew_lease(session, post_id, self.owner, self.bot.clock())
        if not held:
            return False
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                message = await channel.send(
                    embed=embed,
                    view=buttons,
                    nonce=f"occasion:{post.id}",
                    allowed_mentions=discord.AllowedMentions.none(),
                )
        except discord.NotFound:
            await self.pause(post, f"its channel <#{post.channel_id}> is gone", None)
            return False
        except discord.Forbidden as error:
            lacking = missing_for_me(channel, *POST_EMBED)
            reason = describe(channel, lacking) if lacking else f"Discord refused the post; {discord_said(error)}"
            await self.pause(post, reason, channel, lacking)
            return False
        except Exception as error:
            await self.retry_later(post, error)
            return False
        async with self.bot.db.write() as session:
            await queries.mark_posted(session, post_id, self.owner, message.id, self.bot.clock())
        if post.thread:
            await self.open_thread(post, prompt, channel, message.id, attempts=0)
        return True

    async def zone(self, guild_id: int) -> ZoneInfo:
        async with self.bot.db.read() as session:
            settings = await get_settings(session, guild_id)
        return guild_zone(settings.timezone if settings else None)

    async def retry_later(self, post: OccasionPost, error: BaseException) -> None:
        attempts = post.attempts + 1
        delay = retry_delay(attempts)
        said = describe_error(error)
        (log.warning if isinstance(error, TRANSIENT) else log.error)(
            "occasion post %s (guild %s) failed, try %d: %s; retrying %s",
            post.id,
            post.guild_id,
            attempts,
            said,
            retry_when(delay.total_seconds()),
            exc_info=None if isinstance(error, TRANSIENT) else error,
        )
        async with self.bot.db.write() as session:
            await queries.release(
                session, post.id, self.owner, attempts=attempts, retry_at=self.bot.clock() + delay, error=said
            )

    async def pause(
        self, post: OccasionPost, reason: str, channel: discord.TextChannel | None, lacking: list[str] | None = None
    ) -> None:
        """Pause the post's occasions (dropping the claim) and tell the mod-log what is missing and how to fix it."""
        async with self.bot.db.write() as session:
            changed = await queries.pause(session, post.guild_id, post.keys, reason)
        if not changed:
            return
        keys = ", ".join(post.keys)
        detail = f"I couldn't post {names(post.keys)}: {reason}."
        if channel is not None and lacking:
            detail += f" To fix it: {fix(channel, lacking)}."
        detail += f" It is paused; turn it on again with `/prompts calendar occasions:{keys} channel:…`."
        await self.tell_modlog(post.guild_id, "Cultural calendar: occasion paused", detail)

    async def retry_thread(self, post_id: int) -> None:
        async with self.bot.db.read() as session:
            details = await queries.post_details(session, post_id)
        if details is None:
            return
        post, prompt = details
        if post.status != "posted" or post.thread_state != "pending" or post.message_id is None:
            return
        channel = self.bot.get_channel(post.channel_id)
        if not isinstance(channel, discord.TextChannel):
            async with self.bot.db.write() as session:
                await queries.record_thread(session, post_id, self.owner, "gone", error="the channel is gone")
            return
        await self.open_thread(post, prompt, channel, post.message_id, attempts=post.attempts)

    async def open_thread(
        self,
        post: OccasionPost,
        prompt: Prompt | None,
        channel: discord.TextChannel,
        message_id: int,
        *,
        attempts: int,
    ) -> None:
        name = truncate(discord.utils.escape_mentions(names(post.keys)), 100)
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                thread = await channel.get_partial_message(message_id).create_thread(
                    name=name, auto_archive_duration=1440
                )
        except discord.NotFound:
            await self.record_thread(post.id, "gone", error="the post's message is gone")
            return
        except Exception as error:
            if isinstance(error, discord.HTTPException) and error.code == THREAD_EXISTS:
                await self.record_thread(post.id, "open", thread_id=message_id)
                return
            tries = attempts + 1
            lacking = missing_for_me(channel, *THREAD_NEEDS) if isinstance(error, discord.Forbidden) else []
            if lacking or tries >= THREAD_TRIES:
                await self.record_thread(post.id, "failed", attempts=tries, error=describe_error(error))
                why = (
                    f"{describe(channel, lacking)}. To fix it: {fix(channel, lacking)}"
                    if lacking
                    else (f"after {tries} tries; {describe_error(error)}")
                )
                await self.tell_modlog(
                    post.guild_id,
                    "Cultural calendar: no thread",
                    f"I posted {names(post.keys)} in {channel.mention} but couldn't open its thread: {why}.",
                )
                return
            await self.record_thread(
                post.id,
                "pending",
                attempts=tries,
                retry_at=self.bot.clock() + retry_delay(tries),
                error=describe_error(error),
            )
            return
        await self.record_thread(post.id, "open", thread_id=thread.id)

    async def record_thread(self, post_id: int, state: str, **values: object) -> None:
        async with self.bot.db.write() as session:
            await queries.record_thread(session, post_id, self.owner, state, **values)  # type: ignore[arg-type]

    async def tell_modlog(self, guild_id: int, title: str, detail: str) -> None:
        try:
            await self.bot.modlog.post(guild_id, title, detail)
        except Exception:
            log.exception("could not tell the mod-log of guild %s: %s", guild_id, title)


def seed_rows() -> list[tuple[str, str, str, str]]:
    return calendar_prompts.seed_rows()
