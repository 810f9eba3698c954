"""Who counts as a moderator on a button or a form: whoever Discord lets run the moderator command it belongs to.

Discord checks a slash command's permissions itself: its default (Manage Server for every moderator group), and
the overrides a server sets in Server Settings → Integrations, for the command or for the whole app, per member,
role or channel. It checks nothing on a button or a form. So a moderator's button that tested Manage Server would
refuse the helper a server granted `/prompts` to by role (PRODUCT.md: Lantern honours those grants, no home-made
role system). `may_use` reads the server's overrides and applies Discord's rules (Developer Documentation,
Application Commands → Permissions; Help Center, "Updates to Command Permissions"):

1. Administrator can use every command.
2. A channel override (the command's, then the app's; the channel itself, then "all channels") that denies it
   denies it.
3. The command's own member overrides: the member's, else any of their roles (an allow beats a deny), else
   @everyone. An allow grants the command; a deny refuses it.
4. The app's member overrides can only refuse (an app-wide allow does not lift a command's default).
5. Otherwise the command's default: Manage Server.

Reading the overrides costs two requests a click, on a moderator's button only. If Discord can't answer, the
default alone decides (Manage Server), never more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, cast

import discord

from core.errors import NotAllowed

log = logging.getLogger(__name__)

ROLE, USER, CHANNEL = 1, 2, 3  # Discord's application command permission types


def _exact(entries: Iterable[Mapping[str, Any]], target: int, kind: int) -> bool | None:
    found = [
        bool(entry["permission"]) for entry in entries if int(entry["id"]) == target and int(entry["type"]) == kind
    ]
    return None if not found else all(found)  # (two overrides of one target: the deny, to be safe)


def _member(entries: list[Mapping[str, Any]], user_id: int, role_ids: Iterable[int], guild_id: int) -> bool | None:
    user = _exact(entries, user_id, USER)
    if user is not None:
        return user
    roles = {int(role) for role in role_ids} - {guild_id}
    found = [bool(entry["permission"]) for entry in entries if int(entry["type"]) == ROLE and int(entry["id"]) in roles]
    if found:
        return any(found)
    return _exact(entries, guild_id, ROLE)


def allowed(
    *,
    command: list[Mapping[str, Any]],
    application: list[Mapping[str, Any]],
    guild_id: int,
    channel_id: int,
    user_id: int,
    role_ids: Iterable[int],
    permissions: discord.Permissions,
) -> bool:
    """Whether Discord would let this member run a Manage Server command here (rules 1-5 above), given the
    command's and the app's overrides as Discord returns them (`{"id", "type", "permission"}` each)."""
    if permissions.administrator:
        return True
    for entries, target in (
        (command, channel_id),
        (command, guild_id - 1),
        (application, channel_id),
        (application, guild_id - 1),
    ):
        verdict = _exact(entries, target, CHANNEL)
        if verdict is not None:
            if not verdict:
                return False
            break
    role_ids = list(role_ids)
    own = _member(command, user_id, role_ids, guild_id)
    if own is not None:
        return own
    if _member(application, user_id, role_ids, guild_id) is False:
        return False
    return permissions.manage_guild


async def _overrides(client: discord.Client, guild_id: int, command_id: int) -> list[Mapping[str, Any]]:
    """The overrides a server set on a command (or, with the application's id, on the whole app)."""
    assert client.application_id is not None
    try:
        found = await client.http.get_application_command_permissions(client.application_id, guild_id, command_id)
    except discord.NotFound:  # (no override set)
        return []
    return list(found.get("permissions", []))


async def may_use(interaction: discord.Interaction, command: discord.app_commands.AppCommand | None) -> bool:
    """Whether the member behind `interaction` may run `command` (a moderator group as registered with Discord:
    `LanternBot.app_command`) in the interaction's channel, as Discord decides it for the slash command (see the
    module docstring). Without the registered command, or if Discord can't answer, Manage Server decides."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        return False
    permissions = interaction.permissions
    if permissions.administrator or command is None:
        return permissions.administrator or permissions.manage_guild
    client = interaction.client
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        channel_id = channel.parent_id  # (a thread takes its channel's overrides)
    else:
        channel_id = interaction.channel_id or 0
    try:
        entries = await _overrides(client, interaction.guild.id, command.id)
        app = await _overrides(client, interaction.guild.id, command.application_id)
    except discord.HTTPException as error:
        log.warning("could not read the permissions of /%s: %s", command.name, error)
        return permissions.manage_guild
    return allowed(
        command=entries,
        application=app,
        guild_id=interaction.guild.id,
        channel_id=channel_id,
        user_id=interaction.user.id,
        role_ids=[role.id for role in interaction.user.roles],
        permissions=permissions,
    )


class _Registered(Protocol):
    async def app_command(self, name: str) -> discord.app_commands.AppCommand | None: ...


async def require(interaction: discord.Interaction, group: str, refusal: str) -> None:
    """Refuse with `refusal` (NotAllowed) unless the member may run `/group` here (`may_use`): for a moderator's
    button or form, whose click Discord doesn't check."""
    command = await cast(_Registered, interaction.client).app_command(group)
    if not await may_use(interaction, command):
        raise NotAllowed(refusal)
