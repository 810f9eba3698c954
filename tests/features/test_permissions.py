"""Moderator commands: hidden from members, usable by anyone the server grants them to."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands
from simcord import MemberActor, SetupError, assert_error, assert_responded
from sqlalchemy import select

from core.errors import NotAllowed
from storage.models.care import CareReport
from storage.models.prompts import Prompt, PromptSuggestion
from tests.conftest import World

MODERATOR_GROUPS = ("setup", "pairing", "prompts", "resources", "circles")
# A harmless read-only subcommand of each group, to show the grant works end to end.
PROBES = {
    "setup": "setup show",
    "pairing": "pairing list",
    "prompts": "prompts schedules",
    "resources": "resources review",
    "circles": "circles form",  # (nobody opted in: it forms nothing)
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


async def granted_helper(world: World, group: str) -> MemberActor:
    """A member of a Helpers role without Manage Server, granted `/group` in Server Settings → Integrations."""
    helpers = world.guild.create_role("Helpers")
    helper = world.add_member("hira", roles=[helpers])
    await world.env.settle()
    command = next(c for c in world.bot.synced_commands if c.name == group)
    world.guild.set_command_permissions(command, {helpers: True})
    return helper


async def test_a_granted_helper_adds_a_prompt_and_approves_a_suggestion(world: World) -> None:
    """The grant reaches what the command opens, which Discord doesn't check: the `/prompts add` form and the
    approve button of `/prompts review` (both once refused anyone without Manage Server)."""
    helper = await granted_helper(world, "prompts")
    shown = await helper.slash(world.general, "prompts add")
    text = "Which family recipe would you teach a friend first?"
    result = await helper.submit_modal(shown, {"text": text, "theme": "culture"})
    assert_responded(result, contains="Added prompt", ephemeral=True)
    shown = await world.alice.slash(world.general, "prompt suggest")
    await world.alice.submit_modal(shown, {"text": "What did your grandparents call you?", "theme": "identity"})
    async with world.bot.db.read() as session:
        assert await session.scalar(select(Prompt.id).where(Prompt.text == text)) is not None
        (suggestion,) = (await session.scalars(select(PromptSuggestion))).all()
    listing = (await helper.slash(world.general, "prompts review")).response.message
    result = await helper.click(listing, custom_id=f"prompts:approve:{suggestion.id}")
    assert_responded(result, contains=f"Approved suggestion #{suggestion.id}", ephemeral=True)


async def test_a_granted_helper_marks_a_report_handled_and_a_denied_moderator_cannot(world: World) -> None:
    """Granted `/setup`, a helper may mark a report in the mod-log handled; a moderator with Manage Server whom the
    server denied `/setup` by name may not (Discord hides the command from them, and the button agrees)."""
    helpers = world.guild.create_role("Helpers")
    helper = world.add_member("hira", roles=[helpers])
    await world.env.settle()
    setup = next(c for c in world.bot.synced_commands if c.name == "setup")
    world.guild.set_command_permissions(setup, {helpers: True, world.mod: False})
    message = await world.bob.send(world.general, "rude words")
    asked = await world.alice.context_menu(world.general, "Report to moderators", message)
    await world.alice.submit_modal(await world.alice.select(asked.response, ["harass"]), {})
    entry = world.modlog.history()[-1]
    result = await world.mod.click(entry, label="Mark handled")
    assert_responded(result, contains="Only the server's moderators", ephemeral=True)
    assert_error(world.env, NotAllowed)
    await helper.click(entry, label="Mark handled")
    async with world.bot.db.read() as session:
        (stored,) = (await session.scalars(select(CareReport))).all()
    assert stored.handled_by_id == helper.id


async def test_a_process_that_never_synced_reads_the_commands_once_and_falls_back_to_manage_server(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started without syncing (the usual `python bot.py sync` set-up), Lantern asks Discord for its commands at the
    first moderator click and keeps them; if Discord can't answer, Manage Server alone decides, never more."""
    helper = await granted_helper(world, "prompts")
    world.bot.synced_commands = []
    shown = await helper.slash(world.general, "prompts add")
    result = await helper.submit_modal(shown, {"text": "Which song takes you back to a kitchen?", "theme": "culture"})
    assert_responded(result, contains="Added prompt", ephemeral=True)
    assert {command.name for command in world.bot.synced_commands} >= set(MODERATOR_GROUPS)

    async def unreachable(*args: object, **kwargs: object) -> None:
        raise discord.HTTPException(FakeResponse(), "Discord is down")

    world.bot.synced_commands = []
    monkeypatch.setattr(world.bot.tree, "fetch_commands", unreachable)
    shown = await helper.slash(world.general, "prompts add")
    result = await helper.submit_modal(shown, {"text": "Which smell takes you back to a kitchen?", "theme": "culture"})
    assert_responded(result, contains="Only the server's moderators", ephemeral=True)
    assert_error(world.env, NotAllowed)
    shown = await world.mod.slash(world.general, "prompts add")
    result = await world.mod.submit_modal(
        shown, {"text": "Which sound takes you back to a kitchen?", "theme": "culture"}
    )
    assert_responded(result, contains="Added prompt", ephemeral=True)


class FakeResponse:
    status = 503
    reason = "Service Unavailable"
