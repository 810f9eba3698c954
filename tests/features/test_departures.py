"""Members who leave are gone: retention starts however they left (while Lantern was down, or with the
whole server when Lantern is removed), and mentor pairing lets them go at once and kindly."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from simcord import MemberActor, OptionError, assert_responded
from sqlalchemy import select

from bot import create_bot
from storage.models import Departure
from storage.models.intros import Intro
from storage.models.mentorship import CANCELLED, ENDED, MentorProfile
from storage.models.prompts import PromptSuggestion
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, write_intro
from tests.features.test_mentorship_support import (
    dms,
    last_dm,
    matched,
    mentors,
    offer,
    opted_in_pair,
    pairings,
    proposals,
    request,
    run_round,
)
from tests.features.test_privacy import DAY, count, suggest_prompt, suggestions_after


async def restart_after(world: World, while_down: Callable[[], None]) -> None:
    """Stop Lantern, let `while_down` change the server (Lantern hears nothing of it), start a new process."""
    old = world.bot
    await world.env.settle()
    await world.env.shutdown()
    while_down()
    world.env.bot = create_bot(world.settings)
    await world.env.start()
    await world.env.settle()
    await old.close()
    world.old_bots.append(old)


async def departed(world: World) -> set[int]:
    async with world.bot.db.read() as session:
        return set(await session.scalars(select(Departure.user_id)))


async def test_a_member_who_leaves_while_lantern_is_down_is_purged_after_the_retention(world: World) -> None:
    """Alice leaves during a restart: Lantern notices when it starts, removes her card, and erases the rest
    30 days later; Bob, still here, keeps everything."""
    await write_intro(world, world.alice, ALICE)
    await suggest_prompt(world, world.alice, "What would you tell your younger self about belonging?")
    await suggest_prompt(world, world.bob, "Which dish tastes like home?")
    cards = len(world.intro.history())
    await restart_after(world, lambda: world.guild.remove_member(world.alice))

    assert await departed(world) == {world.alice.id}
    assert await count(world, Intro, "user_id", world.alice) == 0
    assert len(world.intro.history()) == cards - 1
    assert await suggestions_after(world, 29, world.alice) == 1
    assert await suggestions_after(world, 2, world.alice) == 0
    assert await count(world, PromptSuggestion, "user_id", world.bob) == 1
    assert await departed(world) == set()


async def test_a_member_who_comes_back_while_lantern_is_down_keeps_their_data(world: World) -> None:
    """Alice leaves, Lantern goes down, Alice rejoins: at start her retention is cancelled, nothing is erased."""
    await suggest_prompt(world, world.alice, "Which song takes you back to a grandparent's kitchen?")
    world.guild.remove_member(world.alice)
    await world.env.settle()
    assert await departed(world) == {world.alice.id}
    await restart_after(world, lambda: world.guild.add_member(world.alice.user))
    assert await departed(world) == set()
    await world.env.advance_time(40 * DAY)
    await world.bot.run_due_jobs()
    assert await count(world, PromptSuggestion, "user_id", world.alice) == 1


async def test_removing_lantern_from_the_server_starts_everyones_retention(world: World) -> None:
    """The server removes Lantern: every member it holds data for starts the retention, and 30 days
    later nothing about them is left."""
    await suggest_prompt(world, world.alice, "What does home smell like to you?")
    await offer(world, world.bob)
    world.env.backend.remove_guild(world.guild.id)
    await world.env.settle()
    assert await departed(world) == {world.alice.id, world.bob.id}
    await world.env.advance_time(31 * DAY)
    await world.bot.run_due_jobs()
    assert await count(world, PromptSuggestion, "user_id", world.alice) == 0
    assert await count(world, MentorProfile, "user_id", world.bob) == 0


async def test_a_server_that_removed_lantern_while_it_was_down_is_noticed_at_start(world: World) -> None:
    """Lantern is removed while it is down: at start it starts the retention of everyone it held data for."""
    await suggest_prompt(world, world.alice, "Who taught you your first words?")
    await restart_after(world, lambda: world.env.backend.remove_guild(world.guild.id))
    assert await departed(world) == {world.alice.id}


async def test_a_member_who_left_is_never_proposed(world: World) -> None:
    """Bob asked for a mentor and left: the next round invites nobody to mentor someone who isn't there."""
    await opted_in_pair(world)
    world.guild.remove_member(world.bob)
    await world.env.settle()
    result = await run_round(world)
    assert "0 proposals sent" in result.response.embeds[0].description
    assert dms(world.alice) == []


async def test_a_member_who_leaves_closes_their_open_invitations(world: World) -> None:
    """Alice was invited to mentor Bob; Bob leaves: her invitation closes and its buttons go."""
    await opted_in_pair(world)
    await run_round(world)
    world.guild.remove_member(world.bob)
    await world.env.settle()
    assert [p.status for p in await proposals(world)] == [CANCELLED]
    invitation = last_dm(world.alice)
    assert invitation.components == [] and "no longer open" in invitation.content


async def mentee_gone(world: World, mentee: MemberActor) -> None:
    (pairing,) = await pairings(world)
    assert (pairing.status, pairing.ended_by) == (ENDED, "departed")
    assert (await mentors(world))[0].active_count == 0
    told = last_dm(world.alice).content
    assert "come to an end" in told and "with **bob**" in told and "no longer in the server" in told
    assert "nobody's fault" in told and "place is free again" in told
    assert "This pairing has ended" in world.mentorship.threads[0].history(viewer=world.alice)[-1].content


async def test_a_mentee_who_leaves_ends_the_pairing_and_the_mentor_is_told_kindly(world: World) -> None:
    """Bob leaves: the pairing ends at once, Alice is told kindly and her place is free."""
    await matched(world)
    world.guild.remove_member(world.bob)
    await world.env.settle()
    await mentee_gone(world, world.bob)


async def test_a_mentee_who_vanishes_while_lantern_is_down_ends_the_pairing_at_start(world: World) -> None:
    """Bob leaves while Lantern is down: at start the pairing ends and Alice is told, as if she'd seen it."""
    await matched(world)
    await restart_after(world, lambda: world.guild.remove_member(world.bob))
    await mentee_gone(world, world.bob)


async def test_a_returning_member_is_back_in_the_pool(world: World) -> None:
    """Bob leaves and comes back within the retention: his request still stands and a round proposes him."""
    await offer(world, world.alice)
    await request(world, world.bob)
    world.guild.remove_member(world.bob)
    await world.env.settle()
    world.guild.add_member(world.bob.user)
    await world.env.settle()
    await run_round(world)
    assert [p.status for p in await proposals(world)] == ["pending_mentor"]
    assert await pairings(world) == []


async def test_the_retention_a_moderator_chose_applies_to_members_who_leave_after(world: World) -> None:
    """`/setup options retention_days:7`: shown in `/setup show`; Alice, who leaves after it, is erased 7 days
    later, not 30. `retention_days:0` erases the next member who leaves at the next run of due work; a value over
    365 never reaches Lantern."""
    result = await world.mod.slash(world.general, "setup options", retention_days=7)
    assert_responded(result, contains="Data kept after a member leaves: 7 days", ephemeral=True)
    shown = (await world.mod.slash(world.general, "setup show")).response.embeds[0]
    assert "Data kept after a member leaves: 7 days" in {f.name: f.value for f in shown.fields}["Options"]
    await suggest_prompt(world, world.alice, "What would you tell your younger self about belonging?")
    world.guild.remove_member(world.alice)
    await world.env.settle()
    assert await suggestions_after(world, 6, world.alice) == 1
    assert await suggestions_after(world, 2, world.alice) == 0
    result = await world.mod.slash(world.general, "setup options", retention_days=0)
    assert_responded(result, contains="none: erased when they leave", ephemeral=True)
    await suggest_prompt(world, world.bob, "Which dish tastes like home?")
    world.guild.remove_member(world.bob)
    await world.env.settle()
    await world.env.advance_time(60)
    await world.bot.run_due_jobs()
    assert await count(world, PromptSuggestion, "user_id", world.bob) == 0
    with pytest.raises(OptionError):
        await world.mod.slash(world.general, "setup options", retention_days=366)
