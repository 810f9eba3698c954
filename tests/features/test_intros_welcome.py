"""The welcome on join with its "Introduce yourself" button, and the role given after a first intro."""

from __future__ import annotations

from simcord import MemberActor, assert_responded

from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, cards_of, stored_intro, write_intro


def stored_message(world: World, channel_id: int, message_id: int) -> object:
    return world.env.backend.messages[channel_id][message_id]


async def test_a_newcomer_is_welcomed_with_a_button_and_only_they_are_pinged(world: World) -> None:
    """Joining posts the guild's welcome in the welcome channel, pinging the newcomer only."""
    ann = world.add_member("ann")
    await world.env.settle()
    welcome = world.welcome.last_message
    assert (
        welcome.content == f"Welcome to Lantern Community, {ann.mention}! When you're ready, introduce yourself "
        "so people can find kin."
    )
    buttons = [child for row in welcome.components for child in row.children]
    assert [(button.label, button.custom_id) for button in buttons] == [("Introduce yourself", "intro:write")]
    stored = stored_message(world, world.welcome.id, welcome.id)
    assert stored.ping_user_ids == [ann.id]  # type: ignore[attr-defined]


async def test_the_welcome_uses_the_guild_template_and_never_pings_everyone(world: World) -> None:
    """A moderator's template is filled in; an @everyone in it does not ping anyone else."""
    await world.mod.slash(
        world.general, "setup options", welcome_message="Hey {member}, @everyone say hi! This is {server}."
    )
    ann = world.add_member("ann")
    await world.env.settle()
    welcome = world.welcome.last_message
    assert welcome.content == f"Hey {ann.mention}, @everyone say hi! This is Lantern Community."
    assert welcome.mention_everyone is False
    stored = stored_message(world, world.welcome.id, welcome.id)
    assert stored.ping_user_ids == [ann.id]  # type: ignore[attr-defined]
    assert stored.ping_role_ids == []  # type: ignore[attr-defined]


async def test_no_welcome_channel_means_no_welcome(bare_world: World) -> None:
    """Before a welcome channel is set, joining posts nothing."""
    bare_world.add_member("ann")
    await bare_world.env.settle()
    assert bare_world.welcome.last_message is None


async def test_welcome_button_opens_the_form_after_a_restart(world: World) -> None:
    """The button on an old welcome still works after the bot restarts: the form opens and posts the card."""
    ann = world.add_member("ann")
    await world.env.settle()
    welcome = world.welcome.last_message
    await world.restart()

    shown = await ann.click(welcome, custom_id="intro:write")
    assert shown.modal["title"] == "Introduce yourself"
    done = await ann.submit_modal(shown, {**ALICE, "name": "Ann"})
    assert_responded(done, contains="Your introduction is posted", ephemeral=True)
    assert cards_of(world, ann)[0].embeds[0].title == "Ann"
    assert (await stored_intro(world, ann)).name == "Ann"


async def test_welcome_button_for_someone_with_an_intro_prefills_the_form(world: World) -> None:
    """Anyone may click the welcome button; a member who already has an intro gets it pre-filled."""
    await write_intro(world, world.alice, ALICE)
    world.add_member("ann")
    await world.env.settle()
    shown = await world.alice.click(world.welcome.last_message, custom_id="intro:write")
    assert shown.modal["title"] == "Edit your introduction"


async def test_the_intro_role_is_given_after_a_first_intro(world: World) -> None:
    """With an intro role configured, the first intro gives it."""
    role = world.guild.create_role("Introduced")
    await world.mod.slash(world.general, "setup options", intro_role=role)
    await write_intro(world, world.alice, ALICE)
    assert role.id in [r.id for r in world.alice.member.roles]
    assert await stored_intro(world, world.alice) is not None


async def test_without_permission_for_the_role_the_intro_still_succeeds_and_the_modlog_says_why(
    world: World,
) -> None:
    """A role above Lantern's can't be given: the card is posted, the row stored, and the mod-log explains the fix."""
    role = world.guild.create_role("Introduced", position=50)  # above the bot's own role (and the moderator's)
    owner = MemberActor(world.env, world.guild, world.guild.owner)
    await owner.slash(world.general, "setup options", intro_role=role)
    done = await write_intro(world, world.alice, ALICE)

    assert_responded(done, contains="Your introduction is posted", ephemeral=True)
    assert role.id not in [r.id for r in world.alice.member.roles]
    assert await stored_intro(world, world.alice) is not None
    note = world.modlog.last_message.embeds[0]
    assert note.title == "Intro role not given"
    # Lantern has Manage Roles here: the entry asks only for what is really wrong, the role order.
    assert role.mention in note.description and "move my role above" in note.description
    assert "Manage Roles" not in note.description


def join_pending(world: World, name: str) -> MemberActor:
    """A member joins while Discord's membership screening or onboarding still holds them (`pending`).

    SimCord models `Member.pending` but no public builder sets it, so this uses its private backend API
    (SimCord 3.2.1): add the member quietly, mark it pending, then announce GUILD_MEMBER_ADD as Discord would.
    """
    from simcord.backend import serializers

    user = world.env.create_user(name)
    backend = world.env.backend
    member = backend.add_member(world.guild.id, user.id)
    member.pending = True
    payload = dict(serializers.member_payload(backend, backend.get_guild(world.guild.id), member))
    payload["guild_id"] = str(world.guild.id)
    backend.emit("GUILD_MEMBER_ADD", payload)
    return MemberActor(world.env, world.guild, user)


def finish_onboarding(world: World, member: MemberActor) -> None:
    """The member completes screening/onboarding: Discord clears `pending` and sends GUILD_MEMBER_UPDATE
    (private SimCord backend API, as above)."""
    world.env.backend.get_member(world.guild.id, member.id).pending = False
    world.env.backend.announce_member_update(world.guild.id, member.id)


async def test_a_member_held_by_onboarding_is_welcomed_when_they_finish_it(world: World) -> None:
    """With membership screening or onboarding on, joining posts nothing; finishing it posts the welcome."""
    before = len(world.welcome.history())
    ann = join_pending(world, "ann")
    await world.env.settle()
    assert len(world.welcome.history()) == before

    finish_onboarding(world, ann)
    await world.env.settle()
    welcome = world.welcome.last_message
    assert welcome.content.startswith(f"Welcome to Lantern Community, {ann.mention}!")
    assert len(world.welcome.history()) == before + 1


async def test_other_member_updates_never_welcome_again(world: World) -> None:
    """A role change or any later update of a member who is past onboarding posts no second welcome."""
    ann = world.add_member("ann")
    await world.env.settle()
    count = len(world.welcome.history())
    role = world.guild.create_role("Artists")
    world.env.backend.add_member_role(world.guild.id, ann.id, role.id)  # private API: an external role grant
    await world.env.settle()
    assert len(world.welcome.history()) == count
