"""Peer circles under pressure: blocks and past circles hold (even after an erasure), invitees vanish or
have their DMs closed, due work runs twice, /privacy covers it all, and stats hide small groups."""

from __future__ import annotations

import json
from datetime import timedelta

from simcord import MemberActor, assert_responded
from sqlalchemy import select

from storage.models.circles import FORMED, LEFT, NO, PROPOSED, Circle, CircleInvite, CircleProfile, CircleProtection
from tests.conftest import World
from tests.features.test_circles import click, form, four_in_pool, join, rows
from tests.features.test_mentorship_support import dms


async def erase(world: World, member: MemberActor) -> None:
    result = await member.slash(world.general, "privacy delete")
    await member.click(result.response, custom_id=f"privacy:delete:{member.id}")


async def circle_sets(world: World) -> list[set[int]]:
    by_circle: dict[int, set[int]] = {}
    for invite in await rows(world, CircleInvite):
        by_circle.setdefault(invite.circle_id, set()).add(invite.user_id)
    return list(by_circle.values())


async def five_in_pool(world: World) -> list[MemberActor]:
    actors = await four_in_pool(world)
    eve = world.add_member("eve")
    await world.env.settle()
    await join(world, eve)
    return [*actors, eve]


async def test_a_blocked_member_is_never_placed_with_the_blocker_even_after_erasing_and_rejoining(
    world: World,
) -> None:
    """Alice blocks Bob (/mentor block). Bob erases all his data and joins circles again: Lantern still never
    puts the two in one circle, because the block belongs to Alice."""
    alice, bob, *_ = await five_in_pool(world)
    await alice.slash(world.general, "mentor block", member=bob)
    await erase(world, bob)
    assert bob.id not in {p.user_id for p in await rows(world, CircleProfile)}
    await join(world, bob)
    dry = await form(world, dry_run=True)
    assert "placed" in dry.response.embeds[0].description
    await form(world)
    sets = await circle_sets(world)
    assert sets, "a circle was proposed"
    assert all(not {alice.id, bob.id} <= members for members in sets)


async def test_past_circle_mates_are_never_grouped_again_even_after_one_erases(world: World) -> None:
    """A circle of four formed and ended; everyone joins again; no two of them are proposed together, also
    after one of them erased their data (a protection kept for the others)."""
    actors = await four_in_pool(world)
    await form(world)
    for actor in actors:
        await click(actor, "yes")
    for actor in actors[1:]:
        await actor.slash(world.general, "circle leave")
    (circle,) = await rows(world, Circle)
    assert circle.status == "ended"
    await erase(world, actors[0])
    assert {p.owner_id for p in await rows(world, CircleProtection)} == {a.id for a in actors[1:]}
    for actor in actors:
        await join(world, actor)
    await form(world)
    assert len(await rows(world, Circle)) == 1  # nobody can be grouped with anyone: no new circle


async def test_an_invitee_who_leaves_the_server_counts_as_a_no_and_the_rest_still_form(world: World) -> None:
    """Dan leaves the server before answering: his invitation closes as a no (never announced); the other
    three say yes and their circle forms without him."""
    alice, bob, cat, dan = await four_in_pool(world)
    await form(world)
    world.guild.remove_member(dan)
    await world.env.settle()
    statuses = {i.user_id: i.status for i in await rows(world, CircleInvite)}
    assert statuses[dan.id] == NO
    for actor in (alice, bob, cat):
        await click(actor, "yes")
    (circle,) = await rows(world, Circle)
    assert circle.status == FORMED
    (thread,) = world.mentorship.threads
    assert dan.mention not in thread.history(viewer=alice)[0].content


async def test_a_member_who_leaves_the_server_leaves_their_circle_no_fault(world: World) -> None:
    alice, bob, cat, dan = await four_in_pool(world)
    await form(world)
    for actor in (alice, bob, cat, dan):
        await click(actor, "yes")
    world.guild.remove_member(dan)
    await world.env.settle()
    (thread,) = world.mentorship.threads
    assert thread.history(viewer=alice)[-1].content.startswith("A member has left the circle")
    assert {i.user_id: i.status for i in await rows(world, CircleInvite)}[dan.id] == LEFT
    assert (await rows(world, Circle))[0].status == FORMED


async def test_closed_dms_hold_the_invitation_for_circle_status(world: World) -> None:
    """Alice's DMs are closed: her invitation is held, never posted where others read it, and /circle status
    shows it to her alone with working buttons."""
    alice, *_ = await four_in_pool(world)
    # Discord opens the DM channel and refuses the message (invitations go out side by side: aimed at hers)
    world.env.inject_error("POST", f"/channels/{alice.user.dm_channel.id}/messages", status=403, code=50007, times=None)
    await form(world)
    assert dms(alice) == []
    nudge = world.mentorship.history()[-1]
    assert alice.mention in nudge.content and "`/circle status`" in nudge.content
    assert "peer circle" not in nudge.content  # the nudge says nothing of what is held
    result = await alice.slash(world.general, "circle status")
    assert "the buttons are below" in result.response.embeds[0].fields[-1].value
    (held,) = result.followups
    assert "peer circle of 4 members" in held.content
    join_id = held.components[0]["components"][0]["custom_id"]
    assert join_id.endswith(":yes")
    await alice.click(held, custom_id=join_id)
    invites = {i.user_id: i.status for i in await rows(world, CircleInvite)}
    assert invites[alice.id] == "yes"


async def test_due_work_twice_sends_each_invitation_once(world: World) -> None:
    actors = await four_in_pool(world)
    await form(world)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    assert all(len(dms(actor)) == 1 for actor in actors)
    assert {i.delivery for i in await rows(world, CircleInvite)} == {"sent"}


async def test_privacy_export_shows_only_my_answer_and_delete_removes_me(world: World) -> None:
    alice, bob, _cat, dan = await four_in_pool(world)
    await form(world)
    await click(dan, "no")
    await click(alice, "yes")
    result = await alice.slash(world.general, "privacy export")
    data = json.loads(await result.response.attachments[0].read())
    circles = json.dumps(data["features"]["Peer circles"])
    assert '"your_answer": "yes"' in circles and '"no"' not in circles
    assert str(dan.id) not in circles and str(bob.id) not in circles
    await erase(world, alice)
    assert alice.id not in {i.user_id for i in await rows(world, CircleInvite)}
    assert alice.id not in {p.user_id for p in await rows(world, CircleProfile)}
    assert (await rows(world, Circle))[0].status == PROPOSED


async def test_stats_hide_small_counts(world: World) -> None:
    await four_in_pool(world)
    result = await world.mod.slash(world.general, "circles stats")
    assert_responded(result, ephemeral=True)
    text = result.response.embeds[0].description
    assert "**Opted in:** fewer than 5" in text and "**Circles formed:** 0" in text


async def test_scheduled_rounds_form_circles_once_per_period(world: World) -> None:
    """/circles auto every_days:7: a week later the due work forms circles once (twice running changes
    nothing), and /circles auto off stops it."""
    actors = await four_in_pool(world)
    result = await world.mod.slash(world.general, "circles auto every_days", days=7)
    assert_responded(result, contains="every 7 days", ephemeral=True)
    await world.env.advance_time(7 * 24 * 3600 + 60)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    assert len(await rows(world, Circle)) == 1
    assert all(len(dms(actor)) == 1 for actor in actors)
    assert_responded(await world.mod.slash(world.general, "circles auto off"), contains="off", ephemeral=True)


async def test_erasing_my_data_takes_me_out_of_my_circle_as_a_member_who_left(world: World) -> None:
    """Dan erases his data: he leaves the thread, the others read only that a member left, and no row about
    him remains in any circle table."""
    alice, bob, cat, dan = await four_in_pool(world)
    await form(world)
    for actor in (alice, bob, cat, dan):
        await click(actor, "yes")
    await erase(world, dan)
    (thread,) = world.mentorship.threads
    assert thread.history(viewer=alice)[-1].content.startswith("A member has left the circle")
    assert dan.id not in {m.id for m in await world.bot.get_channel(thread.id).fetch_members()}
    assert dan.id not in {i.user_id for i in await rows(world, CircleInvite)}
    assert dan.id not in {p.user_id for p in await rows(world, CircleProfile)}
    assert {p.owner_id for p in await rows(world, CircleProtection)} == {alice.id, bob.id, cat.id}


async def test_a_failed_invitation_is_sent_again_later_exactly_once(world: World) -> None:
    """Discord fails once when Lantern opens Alice's DM: her invitation stays owed and the due work sends it
    after the backoff, once."""
    alice, *others = await four_in_pool(world)
    world.env.inject_error("POST", "/users/@me/channels", status=500)
    await form(world)
    owed = [i for i in await rows(world, CircleInvite) if i.delivery == "due"]
    assert len(owed) == 1 and owed[0].attempts == 1
    failed_for = owed[0].user_id
    await world.env.advance_time(120)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    assert {i.delivery for i in await rows(world, CircleInvite)} == {"sent"}
    assert all(len(dms(actor)) == 1 for actor in [alice, *others])
    assert failed_for in {a.id for a in [alice, *others]}


async def test_a_block_either_way_keeps_two_members_apart(world: World) -> None:
    """Bob blocks Alice (she isn't told): no circle holds both."""
    alice, bob, *_ = await five_in_pool(world)
    await bob.slash(world.general, "mentor block", member=alice)
    await form(world)
    sets = await circle_sets(world)
    assert sets and all(not {alice.id, bob.id} <= members for members in sets)


async def test_a_member_outside_everyones_window_is_not_invited(world: World) -> None:
    """Three in Manila want at most 2 hours apart; Dan in New York is left out and hears nothing."""
    alice, bob, cat, dan = await four_in_pool(world)
    for actor in (alice, bob, cat):
        await join(world, actor, window=2)
    await join(world, dan, timezone="America/New_York", window=2)
    await form(world)
    (members,) = await circle_sets(world)
    assert members == {alice.id, bob.id, cat.id}
    assert dms(dan) == []


async def test_members_never_see_the_moderator_commands(world: World) -> None:
    visible = world.alice.available_commands(world.general)
    assert "circle join" in visible and not any(name.startswith("circles ") for name in visible)
    assert "circles form" in world.mod.available_commands(world.general)


async def test_an_invitation_leased_by_a_process_that_died_is_sent_once_after_the_lease(world: World) -> None:
    """A process leased Cat's invitation and died before sending it: a new process leaves it alone until the
    lease runs out, then sends it, once."""
    world.env.inject_error("POST", "/users/@me/channels", status=500, times=4)
    alice, bob, cat, dan = await four_in_pool(world)
    await form(world)
    async with world.bot.db.write() as session:
        for invite in (await session.scalars(select(CircleInvite))).all():
            invite.attempts = 0
            invite.send_after = world.bot.clock() + timedelta(minutes=2)  # the dead process's lease
    await world.restart()
    await world.bot.run_due_jobs()
    assert all(dms(actor) == [] for actor in (alice, bob, cat, dan))
    await world.env.advance_time(121)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    assert all(len(dms(actor)) == 1 for actor in (alice, bob, cat, dan))
    assert {i.delivery for i in await rows(world, CircleInvite)} == {"sent"}


async def test_stats_show_counts_of_five_or_more(world: World) -> None:
    """Five opted in and invited: those counts are shown; answers so far (fewer than 5) are not."""
    actors = await five_in_pool(world)
    await form(world)
    await click(actors[0], "yes")
    text = (await world.mod.slash(world.general, "circles stats")).response.embeds[0].description
    assert "**Opted in:** 5" in text and "**Invited:** 5" in text
    assert "**Accepted:** fewer than 5" in text
