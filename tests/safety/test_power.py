"""Nobody gets power through Lantern: the intro role never carries elevated permissions, and a moderator
can only choose a role below their own. The welcome template accepts only `{member}` and `{server}`.
"""

from __future__ import annotations

import time

import discord
import pytest
from simcord import MemberActor, assert_error, assert_responded

from core.errors import InvalidInput
from storage.models import GuildSettings
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, write_intro


async def stored(world: World) -> GuildSettings:
    async with world.bot.db.read() as session:
        settings = await session.get(GuildSettings, world.guild.id)
    assert settings is not None
    return settings


def owner(world: World) -> MemberActor:
    return MemberActor(world.env, world.guild, world.guild.owner)


@pytest.mark.parametrize(
    ("permissions", "named"),
    [
        (discord.Permissions(administrator=True), "administrator"),
        (discord.Permissions(manage_roles=True), "manage roles"),
        (discord.Permissions(ban_members=True, kick_members=True), "kick members and ban members"),
        (discord.Permissions(mention_everyone=True), "mention everyone"),
        (discord.Permissions(moderate_members=True), "moderate members"),
        (discord.Permissions(manage_messages=True), "manage messages"),
    ],
)
async def test_a_moderator_cannot_make_an_elevated_role_the_intro_role(
    world: World, permissions: discord.Permissions, named: str
) -> None:
    """A moderator with Manage Server picks an Admin role as the intro role: refused, nothing saved, and a
    newcomer's intro gives them nothing."""
    admins = world.guild.create_role("Admins", permissions=permissions)
    result = await world.mod.slash(world.general, "setup options", intro_role=admins, review_resources=False)
    assert_responded(result, contains=named, ephemeral=True)
    assert "Choose a role without moderator or admin permissions" in result.response.content
    assert_error(world.env, InvalidInput)
    settings = await stored(world)
    assert settings.intro_role_id is None
    assert settings.review_resources is True  # nothing of the refused command was saved

    await write_intro(world, world.alice, ALICE)
    assert admins.id not in [role.id for role in world.alice.member.roles]


async def test_even_the_owner_cannot_make_an_admin_role_the_intro_role(world: World) -> None:
    """The guild owner is refused an elevated intro role too: it would reach every newcomer."""
    admins = world.guild.create_role("Admins", permissions=discord.Permissions(administrator=True))
    result = await owner(world).slash(world.general, "setup options", intro_role=admins)
    assert_responded(result, contains="administrator", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert (await stored(world)).intro_role_id is None


def position_of(world: World, role_id: int) -> int:
    guild = world.bot.get_guild(world.guild.id)
    assert guild is not None
    role = guild.get_role(role_id)
    assert role is not None
    return role.position


async def test_a_moderator_cannot_choose_a_role_above_their_own(world: World) -> None:
    """A plain role that sits above the moderator's highest role is refused; the owner may choose it."""
    high = world.guild.create_role("Elders", position=position_of(world, world.mod_role.id) + 1)
    await world.env.settle()
    result = await world.mod.slash(world.general, "setup options", intro_role=high)
    assert_responded(result, contains="at or above your own highest role", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert (await stored(world)).intro_role_id is None

    result = await owner(world).slash(world.general, "setup options", intro_role=high)
    assert_responded(result, contains="Saved.", ephemeral=True)
    assert (await stored(world)).intro_role_id == high.id


async def test_a_moderator_cannot_choose_their_own_top_role(world: World) -> None:
    """A plain role the moderator holds as their highest is refused too: it is not below theirs."""
    crew = world.guild.create_role("Crew", position=position_of(world, world.mod_role.id) + 1)
    lead = world.guild.add_member(world.env.create_user("lead"), roles=[world.mod_role, crew])
    await world.env.settle()
    result = await lead.slash(world.general, "setup options", intro_role=crew)
    assert_responded(result, contains="at or above your own highest role", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert (await stored(world)).intro_role_id is None


async def test_a_role_that_gains_admin_later_is_not_given_and_the_modlog_says_so(world: World) -> None:
    """The intro role was plain when chosen and became Administrator since: Alice's intro is posted,
    she does not get the role, and the mod-log says why."""
    role = world.guild.create_role("Introduced")
    await world.mod.slash(world.general, "setup options", intro_role=role)
    assert (await stored(world)).intro_role_id == role.id
    world.env.backend.edit_role(world.guild.id, role.id, {"permissions": discord.Permissions(administrator=True).value})
    await world.env.settle()

    done = await write_intro(world, world.alice, ALICE)
    assert_responded(done, contains="Your introduction is posted", ephemeral=True)
    assert role.id not in [r.id for r in world.alice.member.roles]
    note = world.modlog.last_message.embeds[0]
    assert note.title == "Intro role not given"
    assert role.mention in note.description and "administrator" in note.description


# The welcome template ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "Hi {member:>999999999}",
        "Hi {member!r}",
        "Hi {member.name}",
        "Hi {member[0]}",
        "Hi {server:{member}}",
        "Hi {}",
        "Hi {0}",
    ],
)
async def test_a_welcome_template_with_more_than_a_placeholder_is_refused(world: World, template: str) -> None:
    """`{member:>999999999}` (a format spec), a conversion, an attribute or an index is refused with a reason;
    nothing is saved and a newcomer is welcomed with the old text, quickly."""
    result = await world.mod.slash(world.general, "setup options", welcome_message=template)
    assert_responded(result, contains="Only `{member}` and `{server}`", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert (await stored(world)).welcome_message is None

    started = time.perf_counter()
    world.add_member("newcomer")
    await world.env.settle()
    assert time.perf_counter() - started < 5
    assert len(world.welcome.last_message.content) < 2000


async def test_a_template_stored_before_the_fix_is_rendered_safely(world: World) -> None:
    """A hostile template already in the database (saved by an older Lantern) never builds a huge message:
    the placeholders are filled in and everything else is shown as written."""
    async with world.bot.db.write() as session:
        settings = await session.get(GuildSettings, world.guild.id)
        assert settings is not None
        settings.welcome_message = "Hi {member:>999999999} {member.__class__} to {server}!"
    started = time.perf_counter()
    world.add_member("ann")
    await world.env.settle()
    assert time.perf_counter() - started < 5
    text = world.welcome.last_message.content
    assert text == "Hi {member:>999999999} {member.__class__} to Lantern Community!"
