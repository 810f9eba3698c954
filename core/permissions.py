"""Naming the permissions Lantern lacks, in the words a moderator sees in Discord, and only when it lacks them.

Every text that tells moderators "give me X" comes from here: `missing` reads what Discord grants
(`channel.permissions_for(guild.me)`), so a permission is named only when it is really absent. When
Discord refuses something although the permissions look right (or fails with a 5xx), `refusal` reports
what Discord said instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from core.text import join_words, truncate, unlink

# Discord's own name for each permission, as Edit Channel → Permissions and Server Settings → Roles show it.
WORDS: dict[str, str] = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
    "create_public_threads": "Create Public Threads",
    "create_private_threads": "Create Private Threads",
    "send_messages_in_threads": "Send Messages in Threads",
    "manage_threads": "Manage Threads",
    "manage_messages": "Manage Messages",
    "manage_roles": "Manage Roles",
    "manage_guild": "Manage Server",
}

# What posting a message with an embed in a text channel needs.
POST_EMBED = ("view_channel", "send_messages", "embed_links")

Place = discord.abc.GuildChannel | discord.Thread


def word(name: str) -> str:
    """Discord's name for a permission attribute ("embed_links" → "Embed Links")."""
    return WORDS.get(name, name.replace("_", " ").title())


def missing(channel: Place, member: discord.Member, *needed: str) -> list[str]:
    """Discord's names of the permissions in `needed` that `member` lacks in `channel`, in the order asked."""
    granted = channel.permissions_for(member)
    return [word(name) for name in needed if not getattr(granted, name)]


def missing_for_me(channel: Place, *needed: str) -> list[str]:
    """`missing` for Lantern itself in the channel's guild."""
    return missing(channel, channel.guild.me, *needed)


def describe(channel: Place, lacking: Sequence[str]) -> str:
    """'I need Send Messages and Embed Links in #library'."""
    return f"I need {join_words(list(lacking))} in {channel.mention}"


def fix(channel: Place, lacking: Sequence[str]) -> str:
    """Where a moderator turns them on, in Discord's words."""
    me = truncate(unlink(discord.utils.escape_markdown(channel.guild.me.display_name)), 100)
    return f"{channel.mention} → Edit Channel → Permissions → {me} → allow {join_words(list(lacking))}"


def discord_said(error: discord.HTTPException) -> str:
    """What Discord answered, briefly: 'Discord answered 403: Missing Permissions (code 50013)'."""
    text = truncate(" ".join(str(error.text or "").split()), 200)
    said = f"Discord answered {error.status}: {text}" if text else f"Discord answered {error.status}"
    return f"{said} (code {error.code})" if error.code else said


def refusal(channel: Place, error: discord.HTTPException, *needed: str) -> str:
    """Why Discord refused an action in `channel`, truthfully: the missing permissions when `permissions_for`
    shows some, otherwise what Discord said (a 403 with every permission in place, a 5xx, a timeout)."""
    if isinstance(error, discord.Forbidden):
        lacking = missing_for_me(channel, *needed)
        if lacking:
            return describe(channel, lacking)
        return (
            f"Discord refused me in {channel.mention} although my permissions there look right; {discord_said(error)}"
        )
    if error.status >= 500:
        return f"Discord had a problem on its side in {channel.mention}; {discord_said(error)}"
    return f"Discord refused it in {channel.mention}; {discord_said(error)}"
