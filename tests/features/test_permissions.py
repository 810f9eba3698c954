"""Moderator commands: hidden from members, usable by anyone the server grants them to."""

from __future__ import annotations

import pytest
from discord import app_commands
from simcord import MemberActor, SetupError, assert_responded

from tests.conftest import World

MODERATOR_GROUPS = ("setup", "pairing", "prompts", "resources")
# A harmless read-only subcommand of each group, to show the grant works end to end.
PROBES = {
    "setup": "setup show",
    "pairing": "pairing list",
    "prompts": "prompts schedules",
    "resources": "resources review",
}


def visible_groups(member: MemberActor, world: World) -> set[str]:
    """Top-level command names a member sees in the command picker."""
    return {name.split()[0] for name in member.available_commands(world.general)}


def moderator_subcommands(world: World) -> list[str]:
    names = []
    for group_name in MODERATOR_GROUPS:
        group = world.bot.tree.get_command(group_name)
        assert isinstance(group, app_commands.Group)
        stack: list[app_commands.Command | app_commands.Group] = list(group.commands)
        while stack:
            item = stack.pop()
            if isinstance(item, app_commands.Group):
                stack.extend(item.commands)
            else:
                names.append(item.qualified_name)
    return sorted(names)


async def test_members_see_no_moderator_command(world: World) -> None:
    """A plain member's command list has none of the moderator groups; a moderator's has all of them."""
    member_view = visible_groups(world.alice, world)
    moderator_view = visible_groups(world.mod, world)
    for group in MODERATOR_GROUPS:
        assert group not in member_view
        assert group in moderator_view


async def test_every_moderator_subcommand_is_refused_to_a_member(world: World) -> None:
    """Each moderator subcommand, tried by a member, is refused by Discord before Lantern sees it."""
    names = moderator_subcommands(world)
    assert len(names) >= 20
    for name in names:
        with pytest.raises(SetupError, match="not visible"):
            await world.alice.slash(world.general, name)


@pytest.mark.parametrize("group", MODERATOR_GROUPS)
async def test_a_guild_override_grants_a_moderator_group(world: World, group: str) -> None:
    """Server Settings → Integrations can grant a group to a role without Manage Server; Lantern honours it."""
    helpers = world.guild.create_role("Helpers")
    helper = world.add_member("hira", roles=[helpers])
    await world.env.settle()
    command = next(c for c in world.bot.synced_commands if c.name == group)
    assert group not in visible_groups(helper, world)
    world.guild.set_command_permissions(command, {helpers: True})
    assert group in visible_groups(helper, world)
    result = await helper.slash(world.general, PROBES[group])
    assert_responded(result, ephemeral=True)
    assert group not in visible_groups(world.alice, world)
