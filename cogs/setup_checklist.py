"""/setup show's checklist: what Lantern can actually do in each feature channel, whether it can give the
intro role, whether a timezone was chosen and a privacy notice published. Every problem says how to fix it
in Discord's own words (Server Settings → Roles → …, #channel → Edit Channel → Permissions → …).

Not an extension: cogs/guild_config.py builds the embed from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import discord

from core import permissions, timezones
from core.roles import elevated_permissions
from core.text import fit_lines, join_words, truncate, unlink
from storage.models import GuildSettings

PERMISSION_WORDS = permissions.WORDS  # Discord's own names (core/permissions.py)

# (column, option name, what it is for, the permissions Lantern uses there). Only what the code really
# does in the channel: cards and posts are edited through their ids (no history needed), the mod-log's
# entries are fetched and edited after an erasure (Read Message History), pair threads are private, get
# messages, and are locked when a pairing ends and renamed after an erasure (Manage Threads), prompt
# posts open a public thread. Lantern posts no files in these channels (exports and charts are private
# replies), so Attach Files is asked nowhere.
CHANNELS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("intro_channel_id", "intro", "Introductions", ("view_channel", "send_messages", "embed_links")),
    ("welcome_channel_id", "welcome", "Welcome messages", ("view_channel", "send_messages")),
    (
        "prompts_channel_id",
        "prompts",
        "Discussion prompts",
        ("view_channel", "send_messages", "embed_links", "create_public_threads"),
    ),
    ("resources_channel_id", "resources", "Resource library", ("view_channel", "send_messages", "embed_links")),
    (
        "mentorship_channel_id",
        "mentorship",
        "Mentor pairing",
        (
            "view_channel",
            "send_messages",
            "embed_links",
            "create_private_threads",
            "send_messages_in_threads",
            "manage_threads",
        ),
    ),
    (
        "modlog_channel_id",
        "modlog",
        "Mod-log",
        ("view_channel", "send_messages", "embed_links", "read_message_history"),
    ),
)

# What a feature does without its channel, and the command that sets it.
UNSET: dict[str, str] = {
    "intro": "Introductions need an intro channel: `/setup channels intro:`.",
    "welcome": "New members aren't welcomed until you set `/setup channels welcome:`.",
    "prompts": "Prompt schedules post where you choose; `/setup channels prompts:` sets the default.",
    "resources": "Approved resources are posted once you set `/setup channels resources:`.",
    "mentorship": "Mentor pairing needs a mentorship channel for pair threads: `/setup channels mentorship:`.",
    "modlog": "Moderator actions and automatic pauses aren't logged until you set `/setup channels modlog:`.",
}

FIELD_LIMIT = 1024  # an embed field's value
MISSING_FIELDS = 3  # at most this many "What's missing" fields: 3 × 1024 keeps the embed far below 6000


@dataclass
class Checklist:
    ready: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def shown(name: str) -> str:
    """A channel, role or member name set by people, safe to show in an embed field."""
    return truncate(unlink(discord.utils.escape_markdown(name)), 100)


def missing_permissions(channel: discord.abc.GuildChannel, needed: Sequence[str]) -> list[str]:
    """Discord's names of the permissions in `needed` that Lantern lacks in `channel`."""
    return permissions.missing_for_me(channel, *needed)


def channel_fix(channel: discord.abc.GuildChannel, missing: list[str]) -> str:
    me = shown(channel.guild.me.display_name)
    return f"{channel.mention} → Edit Channel → Permissions → {me} → allow {', '.join(missing)}"


def check_channels(guild: discord.Guild, settings: GuildSettings, result: Checklist) -> None:
    for column, option, label, needed in CHANNELS:
        channel_id = getattr(settings, column)
        if channel_id is None:
            result.missing.append(UNSET[option])
            continue
        channel = guild.get_channel(channel_id)
        if channel is None:
            result.missing.append(f"{label}: its channel was deleted. Choose another with `/setup channels {option}:`.")
            continue
        missing = missing_permissions(channel, needed)
        if missing:
            result.missing.append(
                f"{label}: I'm missing {join_words(missing)} in {channel.mention}. "
                f"Fix: {channel_fix(channel, missing)}."
            )
        else:
            result.ready.append(f"{label} in {channel.mention}")


def check_intro_role(guild: discord.Guild, settings: GuildSettings, result: Checklist) -> None:
    if settings.intro_role_id is None:
        return
    role = guild.get_role(settings.intro_role_id)
    if role is None:
        result.missing.append("The intro role was deleted. Choose another with `/setup options intro_role:`.")
        return
    me = guild.me
    my_role = shown(me.top_role.name)
    problems = []
    elevated = elevated_permissions(role.permissions)
    if elevated:
        problems.append(
            f"{role.mention} carries {join_words(elevated)}, so I won't give it. Fix: Server Settings → Roles → "
            f"{shown(role.name)} → Permissions → turn off {join_words(elevated)}."
        )
    if not me.guild_permissions.manage_roles:
        problems.append(
            f"I can't give {role.mention} without Manage Roles. Fix: Server Settings → Roles → {my_role} → "
            "Permissions → turn on Manage Roles."
        )
    if role >= me.top_role:
        problems.append(
            f"I can't give {role.mention}: it sits at or above my role. Fix: Server Settings → Roles → "
            f"drag {my_role} above {shown(role.name)}."
        )
    if problems:
        result.missing.extend(problems)
    else:
        result.ready.append(f"Intro role {role.mention}: I can give it")


def check_timezone(settings: GuildSettings, result: Checklist) -> None:
    if timezones.is_default(settings.timezone):
        result.missing.append(
            "Schedules run on UTC because no timezone was chosen. Fix: `/setup options timezone:` with your "
            "city (like `Manila`) or offset (like `UTC+8`); choose `UTC` if that really is your time."
        )
    else:
        result.ready.append(f"Timezone: {timezones.label(settings.timezone)}")


def check_privacy_notice(privacy_notice_url: str | None, result: Checklist) -> None:
    if privacy_notice_url:
        result.ready.append("Privacy notice: linked from `/about`")
    else:
        result.missing.append(
            "Members have no privacy notice to read. Fix: publish one (PRIVACY.md is a starting point) and set "
            "PRIVACY_NOTICE_URL in Lantern's settings (.env), then restart Lantern."
        )


def checklist(guild: discord.Guild, settings: GuildSettings, privacy_notice_url: str | None) -> Checklist:
    """Everything /setup show checks, in the order it shows them."""
    result = Checklist()
    check_channels(guild, settings, result)
    check_intro_role(guild, settings, result)
    check_timezone(settings, result)
    check_privacy_notice(privacy_notice_url, result)
    return result


def pack(lines: list[str], fields: int = MISSING_FIELDS, limit: int = FIELD_LIMIT) -> list[str]:
    """`lines` as bullet points in at most `fields` values of at most `limit` characters; whole lines only,
    the last value saying how many didn't fit."""
    bullets = [truncate(f"• {line}", limit - 40) for line in lines]
    values: list[str] = []
    start = 0
    while start < len(bullets):
        if len(values) == fields - 1:
            values.append(fit_lines(bullets[start:], limit, lambda n: f"…and {n} more."))
            break
        size, end = -1, start
        while end < len(bullets) and size + 1 + len(bullets[end]) <= limit:
            size += 1 + len(bullets[end])
            end += 1
        values.append("\n".join(bullets[start:end]))
        start = end
    return values


def add_to(embed: discord.Embed, result: Checklist) -> None:
    """The checklist as embed fields: what is ready, then what is missing (over more fields if long)."""
    if result.ready:
        embed.add_field(
            name="Ready",
            value=fit_lines([f"✅ {line}" for line in result.ready], FIELD_LIMIT, lambda n: f"…and {n} more."),
            inline=False,
        )
    if not result.missing:
        embed.add_field(name="What's missing", value="Nothing: every feature is ready.", inline=False)
        return
    for number, value in enumerate(pack(result.missing)):
        name = "What's missing" if number == 0 else "What's missing (continued)"
        embed.add_field(name=name, value=value, inline=False)
