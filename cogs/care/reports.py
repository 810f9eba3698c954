"""Reports to moderators: what a report targets, how it reads in the mod-log, and storing and posting it.

A report reaches the mod-log privately, with a link, and a *Mark handled* button for moderators. The reported
member is never told anything, by DM or otherwise. Moderators see who reported, except when the reported
member can read the mod-log channel themselves (a moderator, say): then the entry leaves the reporter's name
out, and only the database keeps it (for the rate limit, duplicates and abuse of reporting).

Entries are posted here, not through `ModLog.post`, and never recorded in `named_messages`: an erasure must
not blank a report moderators still need. Instead, the Reports privacy provider's clean-up re-renders each
entry without the erasing member (see PRIVACY.md), and every member id sits in the embed's fields.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from core import permissions
from core.errors import InvalidInput
from core.text import truncate, unlink
from storage import care as store
from storage.models.care import CareReport

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

COLOUR = 0xD9534F
HANDLED_COLOUR = 0x6AA84F
WORDS_MAX = 1000
ERASED = "a member who has since erased their data"

# key (stored; at most 16 characters, never renamed) → what the reporter picks
REASONS: dict[str, str] = {
    "harass": "Harassment or bullying",
    "hate": "Hate or racism",
    "spam": "Spam or a scam",
    "selfharm": "Worried someone may hurt themselves",
    "privacy": "Sharing private information (doxxing)",
    "other": "Something else",
}


@dataclass(frozen=True)
class Target:
    """What is reported: a message (its channel, id and author) or a pair thread (and the other member)."""

    kind: str  # "message" | "thread"
    channel_id: int
    message_id: int | None
    reported_id: int | None

    def encode(self) -> str:
        if self.kind == "message":
            return f"m:{self.channel_id}:{self.message_id}:{self.reported_id or 0}"
        return f"t:{self.channel_id}:{self.reported_id or 0}"

    @classmethod
    def decode(cls, text: str) -> Target:
        kind, *ids = text.split(":")
        numbers = [int(part) for part in ids]
        if kind == "m" and len(numbers) == 3:
            return cls("message", numbers[0], numbers[1], numbers[2] or None)
        if kind == "t" and len(numbers) == 2:
            return cls("thread", numbers[0], None, numbers[1] or None)
        raise ValueError(f"not a report target: {text!r}")


TARGET_PATTERN = r"(?:m(?::\d{1,20}){3}|t(?::\d{1,20}){2})"


@dataclass(frozen=True)
class Report:
    """A report as the mod-log shows it (a copy of the row, so an erasure can show it without a member)."""

    id: int
    guild_id: int
    kind: str
    channel_id: int
    message_id: int | None
    reason: str
    reporter_id: int | None
    reported_id: int | None
    details: str | None
    reporter_hidden: bool
    created_at: datetime
    handled_at: datetime | None
    handled_by_id: int | None
    modlog_channel_id: int | None
    modlog_message_id: int | None

    @classmethod
    def of(cls, row: CareReport) -> Report:
        return cls(
            id=row.id,
            guild_id=row.guild_id,
            kind=row.kind,
            channel_id=row.channel_id,
            message_id=row.message_id,
            reason=row.reason,
            reporter_id=row.user_id,
            reported_id=row.reported_user_id,
            details=row.details,
            reporter_hidden=row.reporter_hidden,
            created_at=row.created_at,
            handled_at=row.handled_at,
            handled_by_id=row.handled_by_id,
            modlog_channel_id=row.modlog_channel_id,
            modlog_message_id=row.modlog_message_id,
        )

    def without(self, user_id: int) -> Report:
        """The report once `user_id` erased their data (storage.care.delete_member does the same to the row)."""
        found = self
        if found.reporter_id == user_id:
            found = replace(found, reporter_id=None, details=None)
        if found.reported_id == user_id:
            found = replace(found, reported_id=None)
        if found.handled_by_id == user_id:
            found = replace(found, handled_by_id=None)
        return found

    @property
    def link(self) -> str:
        tail = f"/{self.message_id}" if self.message_id is not None else ""
        return f"https://discord.com/channels/{self.guild_id}/{self.channel_id}{tail}"


def clean_words(text: str | None) -> str | None:
    """The reporter's optional words: trimmed, bounded; empty means none."""
    cleaned = (text or "").strip()
    if not cleaned:
        return None
    if len(cleaned) > WORDS_MAX:
        raise InvalidInput("What you wrote", f"is {len(cleaned)} characters long; the limit is {WORDS_MAX}")
    return cleaned


def render(report: Report) -> discord.Embed:
    """The mod-log entry. Member text is unlinked; every member id is in a field (see the module's docstring)."""
    handled = report.handled_at is not None
    embed = discord.Embed(
        title=truncate(f"Report #{report.id}: {REASONS.get(report.reason, report.reason)}", 256),
        description=unlink(truncate(report.details, 1500)) if report.details else "The reporter added no words.",
        colour=HANDLED_COLOUR if handled else COLOUR,
        timestamp=report.created_at,
    )
    if report.kind == "message":
        # No author id: a webhook's message, or an author who has since erased their data.
        who = f" by <@{report.reported_id}>" if report.reported_id is not None else " (its author isn't named here)"
        what = f"[This message]({report.link}){who}"
    else:
        who = f"<@{report.reported_id}>" if report.reported_id is not None else "the other member"
        what = f"Pair thread <#{report.channel_id}> ([open it]({report.link})); about {who}"
    embed.add_field(name="Reported", value=what, inline=False)
    if report.reporter_hidden:
        by = "Left out: people other than the moderators (the member reported, or everyone) can read this channel."
    elif report.reporter_id is None:
        by = ERASED
    else:
        by = f"<@{report.reporter_id}>"
    embed.add_field(name="Reported by", value=by, inline=False)
    if not handled:
        status = "Open. Press *Mark handled* once a moderator has dealt with it."
    else:
        assert report.handled_at is not None
        moderator = f"<@{report.handled_by_id}>" if report.handled_by_id is not None else "a moderator"
        status = f"Handled by {moderator} <t:{int(report.handled_at.timestamp())}:f>"
    embed.add_field(name="Status", value=status, inline=False)
    embed.set_footer(text="The member reported is never told who reported them.")
    return embed


PRIVATE, READ_BY_REPORTED, PUBLIC = "private", "read by the member reported", "public"


async def modlog_audience(bot: LanternBot, guild: discord.Guild, reported_id: int | None) -> str:
    """Who besides the moderators could read a report in the mod-log: nobody (PRIVATE), the member reported
    (READ_BY_REPORTED: a moderator, say) or everyone (PUBLIC: a mod-log @everyone can view). In the last two
    cases the entry leaves the reporter's name out."""
    channel_id = (await bot.db.guild_config(guild.id)).modlog_channel_id
    channel = guild.get_channel(channel_id) if channel_id is not None else None
    if channel is not None and channel.permissions_for(guild.default_role).view_channel:
        return PUBLIC
    member = guild.get_member(reported_id) if reported_id is not None else None
    if member is None:
        return PRIVATE
    if channel is None:  # no mod-log yet: whoever moderates may read it once there is one
        return READ_BY_REPORTED if member.guild_permissions.manage_guild else PRIVATE
    return READ_BY_REPORTED if channel.permissions_for(member).view_channel else PRIVATE


async def post(bot: LanternBot, report_id: int, view: discord.ui.View) -> bool:
    """Post the report to the mod-log with its button; False when there is no mod-log or Discord refused."""
    async with bot.db.read() as session:
        row = await store.get_report(session, report_id)
        report = Report.of(row) if row is not None else None
    if report is None:
        return False
    channel_id = (await bot.db.guild_config(report.guild_id)).modlog_channel_id
    channel = bot.get_channel(channel_id) if channel_id is not None else None
    if not isinstance(channel, discord.abc.Messageable):
        return False
    try:
        message = await channel.send(embed=render(report), view=view, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as error:
        log.warning("could not post report %s to the mod-log of guild %s: %s", report_id, report.guild_id, error)
        return False
    async with bot.db.write() as session:
        await store.set_posted(session, report_id, message.channel.id, message.id)
    return True


DELIVERY_WINDOW = timedelta(days=7)  # an undelivered report older than this is left for /privacy and the log
DELIVERY_BATCH = 50
# A report is posted by the interaction that made it; the due jobs leave it alone this long, so they never post
# it a second time while that interaction is still posting it.
DELIVERY_GRACE = timedelta(minutes=2)


async def deliver_due(bot: LanternBot, now: datetime, make_view: Callable[[int], discord.ui.View]) -> int:
    """Post the open reports that never reached a mod-log (none was set, or Discord refused), once the guild
    has one Lantern can post in. Only guilds this process owns; returns how many were delivered."""
    async with bot.db.read() as session:
        waiting = await store.undelivered(session, now - DELIVERY_WINDOW, now - DELIVERY_GRACE, DELIVERY_BATCH)
    delivered = 0
    for report_id, guild_id in waiting:
        if not bot.owns_guild(guild_id):
            continue
        channel_id = (await bot.db.guild_config(guild_id)).modlog_channel_id
        channel = bot.get_channel(channel_id) if channel_id is not None else None
        if not isinstance(channel, discord.TextChannel) or permissions.missing_for_me(channel, *permissions.POST_EMBED):
            continue
        if await post(bot, report_id, make_view(report_id)):
            delivered += 1
    return delivered


async def rerender(bot: LanternBot, report: Report) -> None:
    """Edit the report's mod-log entry to show `report` (its button stays as it is). Never raises."""
    if report.modlog_channel_id is None or report.modlog_message_id is None:
        return
    channel = bot.get_channel(report.modlog_channel_id)
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        return
    try:
        await channel.get_partial_message(report.modlog_message_id).edit(
            embed=render(report), allowed_mentions=discord.AllowedMentions.none()
        )
    except discord.HTTPException as error:
        log.warning("could not edit the mod-log entry of report %s: %s", report.id, error)


async def cleanup(bot: LanternBot, guild: discord.Guild, user_id: int) -> None:
    """Before an erasure: every report entry naming the member is shown without them. Never raises for Discord."""
    async with bot.db.read() as session:
        reports = [Report.of(row) for row in await store.reports_involving(session, guild.id, user_id)]
    for report in reports:
        await rerender(bot, report.without(user_id))
