"""Discord's rules for who may run a moderator command (core.moderators.allowed), as buttons and forms apply them:
each rule with the case that tells it apart from its neighbours."""

from __future__ import annotations

import discord
import pytest

from core.moderators import CHANNEL, ROLE, USER, allowed

GUILD, CHANNEL_ID, OTHER_CHANNEL, USER_ID, HELPERS, MUTED = 1000, 20, 21, 30, 40, 41
EVERY_CHANNEL = GUILD - 1
NONE = discord.Permissions.none()
MANAGE = discord.Permissions(manage_guild=True)


def entry(target: int, kind: int, permission: bool) -> dict:
    return {"id": str(target), "type": kind, "permission": permission}


@pytest.mark.parametrize(
    ("command", "application", "permissions", "expected"),
    [
        ([], [], NONE, False),  # the default: Manage Server
        ([], [], MANAGE, True),
        ([entry(HELPERS, ROLE, True)], [], NONE, True),  # a role granted the command
        ([entry(HELPERS, ROLE, True), entry(MUTED, ROLE, False)], [], NONE, True),  # a role's allow beats a deny
        ([entry(HELPERS, ROLE, True), entry(USER_ID, USER, False)], [], MANAGE, False),  # the member's own deny
        ([entry(USER_ID, USER, True), entry(HELPERS, ROLE, False)], [], NONE, True),  # the member's own allow
        ([entry(GUILD, ROLE, True)], [], NONE, True),  # @everyone granted it
        ([entry(GUILD, ROLE, True), entry(HELPERS, ROLE, False)], [], NONE, False),  # a role's deny beats @everyone
        ([entry(MUTED, ROLE, True)], [], NONE, False),  # a role the member hasn't
        ([], [entry(HELPERS, ROLE, True)], NONE, False),  # an app-wide allow doesn't lift the default
        ([], [entry(HELPERS, ROLE, False)], MANAGE, False),  # an app-wide deny refuses
        ([entry(HELPERS, ROLE, True)], [entry(HELPERS, ROLE, False)], NONE, True),  # the command's allow wins
        ([entry(CHANNEL_ID, CHANNEL, False)], [], MANAGE, False),  # not in this channel
        ([entry(OTHER_CHANNEL, CHANNEL, False)], [], MANAGE, True),  # another channel's deny
        ([entry(EVERY_CHANNEL, CHANNEL, False), entry(CHANNEL_ID, CHANNEL, True)], [], MANAGE, True),
        ([entry(EVERY_CHANNEL, CHANNEL, False)], [], MANAGE, False),  # no channel at all
        ([entry(CHANNEL_ID, CHANNEL, True)], [entry(CHANNEL_ID, CHANNEL, False)], MANAGE, True),  # command's first
        ([], [entry(EVERY_CHANNEL, CHANNEL, False)], MANAGE, False),
        ([entry(CHANNEL_ID, CHANNEL, False), entry(USER_ID, USER, True)], [], NONE, False),  # channel before member
        (
            [entry(USER_ID, USER, False), entry(CHANNEL_ID, CHANNEL, False)],
            [],
            discord.Permissions(administrator=True),
            True,
        ),
    ],
)
def test_who_may_run_a_moderator_command(
    command: list, application: list, permissions: discord.Permissions, expected: bool
) -> None:
    assert (
        allowed(
            command=command,
            application=application,
            guild_id=GUILD,
            channel_id=CHANNEL_ID,
            user_id=USER_ID,
            role_ids=[GUILD, HELPERS],
            permissions=permissions,
        )
        is expected
    )
