"""Opting in and out: /mentor offer, request, status, pause, resume, block, leave."""

from __future__ import annotations

import pytest
from simcord import OptionError, SetupError, assert_error, assert_responded

from core.errors import InvalidInput, NotAllowed, UnknownTimezone
from tests.conftest import World
from tests.features.test_mentorship_support import (
    DAY,
    blocks,
    dms,
    matched,
    mentees,
    mentors,
    offer,
    opted_in_pair,
    pairings,
    proposals,
    request,
    run_round,
)


async def test_offer_saves_a_mentor_profile(world: World) -> None:
    """An offer is stored with theme keys and the canonical timezone, and confirmed privately."""
    result = await offer(
        world,
        world.alice,
        themes="Career guidance, identity",
        timezone="asia/manila",
        capacity=3,
        not_covered="coping",
        heritages="Filipino, Scottish",
        bio="Engineer, mum, terrible cook.",
    )
    assert_responded(result, contains="You're now offering to mentor: Career guidance and Identity", ephemeral=True)
    (profile,) = await mentors(world)
    assert (profile.user_id, profile.themes, profile.not_covered) == (world.alice.id, "career,identity", "coping")
    assert (profile.timezone, profile.capacity, profile.active_count) == ("Asia/Manila", 3, 0)
    assert profile.heritages == "Filipino, Scottish"


async def test_offer_again_updates_the_same_profile(world: World) -> None:
    """Running /mentor offer again replaces the offer rather than adding a second one."""
    await offer(world, world.alice)
    result = await offer(world, world.alice, themes="networking", capacity=2)
    assert_responded(result, contains="I've updated your offer", ephemeral=True)
    (profile,) = await mentors(world)
    assert (profile.themes, profile.capacity) == ("networking", 2)


async def test_unknown_theme_is_refused_and_nothing_is_saved(world: World) -> None:
    """A theme that isn't on the server's list is named back; no profile is written."""
    result = await offer(world, world.alice, themes="career, astrology")
    assert_responded(result, contains="`astrology`, which isn't one of this server's themes", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await mentors(world) == []


async def test_bad_timezone_is_refused_and_nothing_is_saved(world: World) -> None:
    """An unknown timezone gets the timezone message; no request is written."""
    result = await request(world, world.bob, timezone="Mars/Olympus")
    assert_responded(result, contains="I don't know the timezone `Mars/Olympus`", ephemeral=True)
    assert_error(world.env, UnknownTimezone)
    assert await mentees(world) == []


async def test_capacity_out_of_range_is_refused_by_discord(world: World) -> None:
    """Capacity 6 never reaches the bot: Discord's client refuses it."""
    with pytest.raises(OptionError):
        await offer(world, world.alice, capacity=6)
    assert await mentors(world) == []


async def test_theme_autocomplete_completes_the_last_item(world: World) -> None:
    """Typing 'career, ide' offers 'career, identity' and keeps what was already typed."""
    choices = await world.alice.autocomplete(world.general, "mentor offer", "themes", "career, ide")
    assert [c["value"] for c in choices] == ["career, identity"]
    first = await world.alice.autocomplete(world.general, "mentor request", "themes", "")
    assert len(first) == 12


async def test_status_shows_profile_and_pairings(world: World) -> None:
    """/mentor status shows the member's offer, places taken and active pairings, privately."""
    pairing = await matched(world)
    result = await world.alice.slash(world.general, "mentor status")
    assert_responded(result, embed_title="Your mentor pairing", ephemeral=True)
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert "1 of 1 places taken" in fields["Offering to mentor"]
    assert f"#{pairing.id}: mentoring <@{world.bob.id}>" in fields["Pairings"]


async def test_status_without_opting_in_explains_how(world: World) -> None:
    """A member who never opted in is told how to, and nothing is stored."""
    result = await world.bob.slash(world.general, "mentor status")
    assert_responded(result, contains="`/mentor offer` or `/mentor request` opts you in", ephemeral=True)
    assert await mentors(world) == [] and await mentees(world) == []


async def test_paused_members_are_left_out_until_they_resume(world: World) -> None:
    """A paused mentee isn't proposed; after /mentor resume they are."""
    await opted_in_pair(world)
    result = await world.bob.slash(world.general, "mentor pause")
    assert_responded(result, contains="until you run `/mentor resume`", ephemeral=True)
    assert (await mentees(world))[0].paused is True
    await run_round(world)
    assert await proposals(world) == []
    await world.bob.slash(world.general, "mentor resume")
    assert (await mentees(world))[0].paused is False
    await run_round(world)
    assert len(await proposals(world)) == 1


async def test_pause_for_days_resumes_by_itself(world: World) -> None:
    """/mentor pause days:2 ends on its own after two days."""
    await opted_in_pair(world)
    await world.alice.slash(world.general, "mentor pause", days=2)
    await run_round(world)
    assert await proposals(world) == []
    await world.env.advance_time(2 * DAY + 60)
    results = await world.bot.run_due_jobs()
    assert results["mentorship"]["resumed"] == 1
    assert (await mentors(world))[0].paused is False
    await run_round(world)
    assert len(await proposals(world)) == 1


async def test_pause_without_opting_in_is_refused(world: World) -> None:
    """Pausing needs a profile; the member is told how to opt in."""
    result = await world.bob.slash(world.general, "mentor pause")
    assert_responded(result, contains="opts you in", ephemeral=True)
    assert_error(world.env, NotAllowed)


async def test_block_is_confidential_and_prevents_proposals(world: World) -> None:
    """A block is stored, the blocked member isn't told, and the pair is never proposed."""
    await opted_in_pair(world)
    result = await world.bob.slash(world.general, "mentor block", member=world.alice)
    assert_responded(result, contains="they won't be told", ephemeral=True)
    (block,) = await blocks(world)
    assert (block.user_id, block.blocked_user_id) == (world.bob.id, world.alice.id)
    await run_round(world)
    assert await proposals(world) == []
    assert dms(world.alice) == []


async def test_blocking_yourself_is_refused(world: World) -> None:
    """A member can't block themself."""
    result = await world.bob.slash(world.general, "mentor block", member=world.bob)
    assert_responded(result, contains="is you", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await blocks(world) == []


async def test_leave_withdraws_and_ends_pairings_politely(world: World) -> None:
    """/mentor leave removes the profiles and ends the pairing; the other member is told kindly."""
    await matched(world)
    await request(world, world.alice)  # alice also asked for a mentor
    result = await world.alice.slash(world.general, "mentor leave")
    assert_responded(result, contains="ended 1 pairing", ephemeral=True)
    assert await mentors(world) == []
    assert [m.user_id for m in await mentees(world)] == [world.bob.id]
    (pairing,) = await pairings(world)
    assert (pairing.status, pairing.ended_by) == ("ended", "left")
    told = dms(world.bob)[-1].content
    assert "come to an end" in told and "nobody's fault" in told


async def test_pairing_commands_are_hidden_from_members(world: World) -> None:
    """/pairing is for moderators only; /mentor is for everyone."""
    visible = world.alice.available_commands(world.general)
    assert not any(name.startswith("pairing") for name in visible)
    assert "mentor offer" in visible and "mentor leave" in visible
    with pytest.raises(SetupError):
        await world.alice.slash(world.general, "pairing run")
