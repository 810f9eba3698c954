"""Roles Lantern may hand out: never one that carries power over the server or its members.

A role Lantern grants automatically (the intro role) reaches every member who writes an intro, so it
must carry no elevated permission, and a moderator may only choose a role below their own.
"""

from __future__ import annotations

import discord

# Permissions that give power over the server, its members or their messages. A role carrying any of
# them is never handed out by Lantern.
ELEVATED: tuple[str, ...] = (
    "administrator",
    "manage_guild",
    "manage_roles",
    "manage_channels",
    "manage_messages",
    "manage_threads",
    "manage_webhooks",
    "manage_nicknames",
    "manage_events",
    "manage_expressions",
    "kick_members",
    "ban_members",
    "moderate_members",
    "mention_everyone",
    "view_audit_log",
    "view_guild_insights",
    "view_creator_monetization_analytics",
    "mute_members",
    "deafen_members",
    "move_members",
    "priority_speaker",
    "pin_messages",
    "bypass_slowmode",
)


def elevated_permissions(permissions: discord.Permissions) -> list[str]:
    """The elevated permissions in `permissions`, in words ("manage roles"), in a stable order."""
    return [name.replace("_", " ") for name in ELEVATED if getattr(permissions, name, False)]


def outranks_or_equals(role: discord.Role, member: discord.Member) -> bool:
    """Whether `role` sits at or above `member`'s highest role (the guild owner outranks every role)."""
    if member.guild.owner_id == member.id:
        return False
    return role >= member.top_role
