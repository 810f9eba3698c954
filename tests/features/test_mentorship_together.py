"""Did you meet, and goals (issue 19): the nudge in the pair thread a few days on, its three answers (private,
counted in /pairing stats), the pair's one to three goals in check-ins and /mentor status, and what erasure,
leaving and a restart do to them."""

from __future__ import annotations

from typing import Any

import pytest
from simcord import assert_error, assert_responded
from sqlalchemy import select

from core.errors import InvalidInput, NotAllowed
from storage.models.mentorship import (
    DELIVERY_GONE,
    DELIVERY_SENT,
    ENDED,
    MET,
    NOT_WORKING,
    NOTE_NUDGE,
    MentorshipGoal,
    MentorshipMeeting,
    MentorshipNote,
)
from tests.conftest import World
from tests.features.test_mentorship_protections import erase, export
from tests.features.test_mentorship_support import DAY, button, custom_ids, last_dm, matched, pairings, rows

NUDGE_DAYS = 4


async def goals(world: World) -> list[MentorshipGoal]:
    return await rows(world, MentorshipGoal)


async def answers(world: World) -> list[MentorshipMeeting]:
    return await rows(world, MentorshipMeeting)


async def nudged(world: World) -> Any:
    """Alice and Bob are paired; four days on, the nudge in their thread."""
    await matched(world)
    await world.env.advance_time(NUDGE_DAYS * DAY + 60)
    await world.bot.run_due_jobs()
    (thread,) = world.mentorship.threads
    return thread, thread.history(viewer=world.bob)[-1]


async def set_goals(world: World, actor: Any, values: dict[str, str]) -> Any:
    (thread,) = world.mentorship.threads
    welcome = thread.history(viewer=actor)[0]
    shown = await actor.click(welcome, custom_id=button(welcome, "mentor:goals:"))
    assert shown.modal["title"] == "Our goals"
    return await actor.submit_modal(shown, values)


# ---------------------------------------------------------------- did you meet


async def test_a_few_days_on_the_pair_thread_is_asked_once_whether_they_have_met(world: World) -> None:
    """Nothing at day 3; at day 4 one message in the thread, mentioning both, with We've met / Not yet /
    This isn't working (and Our goals); the due work never posts it twice."""
    pairing = await matched(world)
    (thread,) = world.mentorship.threads
    await world.env.advance_time(3 * DAY)
    await world.bot.run_due_jobs()
    assert len(thread.history(viewer=world.bob)) == 1
    await world.env.advance_time(DAY + 60)
    await world.bot.run_due_jobs()
    await world.env.advance_time(3600)
    await world.bot.run_due_jobs()
    messages = thread.history(viewer=world.bob)
    assert len(messages) == 2
    nudge = messages[-1]
    assert "Have you two found a time" in nudge.content
    assert world.alice.mention in nudge.content and world.bob.mention in nudge.content
    assert custom_ids(nudge) == [
        f"mentor:met:{pairing.id}:met",
        f"mentor:met:{pairing.id}:notyet",
        f"mentor:met:{pairing.id}:notworking",
        f"mentor:goals:{pairing.id}",
    ]
    (note,) = [n for n in await rows(world, MentorshipNote) if n.kind == NOTE_NUDGE]
    assert (note.pairing_id, note.delivery) == (pairing.id, DELIVERY_SENT)


async def test_we_have_met_is_private_and_counted_in_the_funnel(world: World) -> None:
    """Bob presses We've met: only he sees the thanks; the answer is stored, and /pairing stats shows the
    funnel with Met, hiding a group of fewer than five."""
    thread, nudge = await nudged(world)
    before = len(thread.history(viewer=world.alice))
    result = await world.bob.click(nudge, custom_id=button(nudge, ":met"))
    assert_responded(result, contains="Wonderful", ephemeral=True)
    assert len(thread.history(viewer=world.alice)) == before
    (answer,) = await answers(world)
    assert (answer.user_id, answer.answer) == (world.bob.id, MET)
    stats = await world.mod.slash(world.general, "pairing stats")
    text = stats.followups[0].embeds[0].description if stats.followups else stats.response.embeds[0].description
    assert "Met (either said *We've met*): fewer than 5" in text
    assert "Still active at 30 / 60 / 90 days: 0 / 0 / 0" in text
    assert "we've met fewer than 5" in text


async def test_this_is_not_working_offers_the_no_fault_end_to_the_one_who_said_it(world: World) -> None:
    """Alice presses This isn't working: only she sees the answer and an End button; Bob sees nothing until
    she ends it, and then only the kind, reasonless ending."""
    thread, nudge = await nudged(world)
    result = await world.alice.click(nudge, custom_id=button(nudge, ":notworking"))
    assert_responded(result, contains="Only you see this", ephemeral=True)
    assert len(thread.history(viewer=world.bob)) == 2
    (answer,) = await answers(world)
    assert answer.answer == NOT_WORKING
    (pairing,) = await pairings(world)
    await world.alice.click(result.response, custom_id=f"mentor:checkin-end:{pairing.id}")
    (pairing,) = await pairings(world)
    assert (pairing.status, pairing.ended_by) == (ENDED, "mentor")
    told = last_dm(world.bob).content
    assert "come to an end" in told and "working" not in told


async def test_an_answer_after_the_pairing_ended_changes_nothing(world: World) -> None:
    """Alice ended the pairing; Bob then presses We've met on the old nudge: told it has ended, nothing stored."""
    _thread, nudge = await nudged(world)
    (pairing,) = await pairings(world)
    await world.alice.slash(world.general, "mentor end", pairing=pairing.id)
    result = await world.bob.click(nudge, custom_id=button(nudge, ":met"))
    assert_responded(result, contains="has ended", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert await answers(world) == []


async def test_the_nudge_is_not_posted_once_the_pairing_ended(world: World) -> None:
    """Bob leaves the server on day 2: the pairing ends, and on day 4 nothing is posted (settled as gone)."""
    await matched(world)
    (thread,) = world.mentorship.threads
    await world.env.advance_time(2 * DAY)
    world.guild.remove_member(world.bob)
    await world.env.settle()
    await world.env.advance_time(2 * DAY + 60)
    await world.bot.run_due_jobs()
    assert all("found a time" not in m.content for m in thread.history(viewer=world.alice))
    (note,) = [n for n in await rows(world, MentorshipNote) if n.kind == NOTE_NUDGE]
    assert note.delivery == DELIVERY_GONE


async def test_the_nudge_buttons_work_after_a_restart(world: World) -> None:
    """The answers are persistent buttons: a restart later, Bob's answer still lands."""
    _thread, nudge = await nudged(world)
    await world.restart()
    await world.bob.click(nudge, custom_id=button(nudge, ":notyet"))
    (answer,) = await answers(world)
    assert answer.answer == "not_yet"


# ---------------------------------------------------------------- goals


async def test_the_pair_sets_goals_seen_in_status_and_check_ins_never_by_moderators(world: World) -> None:
    """Bob sets two goals from the thread: both see them in /mentor status and in their day-14 check-in; the
    thread gets a line without the words; /pairing stats counts them, never shows them."""
    await matched(world)
    done = await set_goals(world, world.bob, {"goal1": "Practise a job interview", "goal2": "Visit Lola in Cebu"})
    assert_responded(done, contains="1. Practise a job interview", ephemeral=True)
    assert [(g.position, g.text) for g in await goals(world)] == [
        (1, "Practise a job interview"),
        (2, "Visit Lola in Cebu"),
    ]
    (thread,) = world.mentorship.threads
    line = thread.history(viewer=world.alice)[-1].content
    assert "updated your goals" in line and "Lola" not in line
    for actor in (world.alice, world.bob):
        status = await actor.slash(world.general, "mentor status")
        pairings_field = next(f for f in status.response.embeds[0].fields if f.name == "Pairings")
        assert "goal: Visit Lola in Cebu" in pairings_field.value
    await world.env.advance_time(14 * DAY + 60)
    await world.bot.run_due_jobs()
    for actor in (world.alice, world.bob):
        checkin = last_dm(actor).content
        assert "How is it going" in checkin and "2. Visit Lola in Cebu" in checkin and "coming along" in checkin
    stats = await world.mod.slash(world.general, "pairing stats")
    text = stats.followups[0].embeds[0].description if stats.followups else stats.response.embeds[0].description
    assert "Pairs with goals: fewer than 5 (fewer than 5 goals" in text
    assert "Lola" not in text and "interview" not in text


async def test_goals_sent_again_replace_the_old_ones(world: World) -> None:
    """The form opens with the current goals; sending one goal replaces the two."""
    await matched(world)
    await set_goals(world, world.bob, {"goal1": "Practise a job interview", "goal2": "Visit Lola in Cebu"})
    await set_goals(world, world.alice, {"goal1": "Finish the CV", "goal2": "", "goal3": ""})
    assert [g.text for g in await goals(world)] == ["Finish the CV"]


async def test_a_blank_goal_is_refused_and_nothing_changes(world: World) -> None:
    """Only spaces in goal 1 and a two-letter goal: a clear answer each time, the goals unchanged."""
    await matched(world)
    await set_goals(world, world.bob, {"goal1": "Practise a job interview"})
    result = await set_goals(world, world.bob, {"goal1": "   \u200b   "})
    assert_responded(result, ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert [g.text for g in await goals(world)] == ["Practise a job interview"]


async def test_goals_are_in_both_exports_and_go_when_either_member_erases(world: World) -> None:
    """Goals are the pair's: each member's export has them; when Bob erases his data the pairing ends and its
    goals, answers and nudge go with it, for Alice too."""
    await matched(world)
    await set_goals(world, world.bob, {"goal1": "Practise a job interview"})
    for actor in (world.alice, world.bob):
        data = await export(world, actor)
        assert data["pair_goals"][0]["goals"] == ["Practise a job interview"]
    await erase(world, world.bob)
    assert await goals(world) == [] and await answers(world) == []
    assert await rows(world, MentorshipNote) == []
    async with world.bot.db.read() as session:
        assert (await session.scalars(select(MentorshipGoal))).all() == []


async def test_hostile_goal_text_never_pings_nor_becomes_a_link(world: World) -> None:
    """A goal with @everyone, a member mention and a masked link is kept as typed: shown in /mentor status and
    the check-in with no ping and no link in Lantern's name."""
    await matched(world)
    hostile = "@everyone <@1> [Verify](https://evil.example)"
    await set_goals(world, world.bob, {"goal1": hostile})
    assert [g.text for g in await goals(world)] == [hostile]
    status = await world.alice.slash(world.general, "mentor status")
    field = next(f for f in status.response.embeds[0].fields if f.name == "Pairings")
    assert "\\[Verify\\]" in field.value
    await world.env.advance_time(14 * DAY + 60)
    await world.bot.run_due_jobs()
    checkin = last_dm(world.alice)
    assert "\\[Verify\\]" in checkin.content and not checkin.mention_everyone


async def test_the_goals_form_sent_after_a_restart_is_saved(world: World) -> None:
    """Bob opens Our goals, Lantern restarts, then he sends the form: it is saved, once."""
    await matched(world)
    (thread,) = world.mentorship.threads
    welcome = thread.history(viewer=world.bob)[0]
    shown = await world.bob.click(welcome, custom_id=button(welcome, "mentor:goals:"))
    await world.restart()
    done = await world.bob.submit_modal(shown, {"goal1": "Call each other every fortnight"})
    assert_responded(done, contains="Saved your pair's goals", ephemeral=True)
    assert [g.text for g in await goals(world)] == ["Call each other every fortnight"]


@pytest.mark.parametrize("goal", ["\x00\x01\x02\x03", "  \u200b\u200b  ", "ab ", "\n\n\n\n"])
async def test_goal_text_that_says_nothing_is_refused_with_nothing_changed(world: World, goal: str) -> None:
    """Control characters, spaces, zero-width spaces, two letters or only newlines in goal 1: a clear answer,
    the pair's goals unchanged."""
    await matched(world)
    await set_goals(world, world.bob, {"goal1": "Practise a job interview"})
    result = await set_goals(world, world.alice, {"goal1": goal, "goal2": "", "goal3": ""})
    assert_responded(result, ephemeral=True)
    assert "Goal" in result.response.content or "goal" in result.response.content
    assert_error(world.env, InvalidInput)
    assert [g.text for g in await goals(world)] == ["Practise a job interview"]


async def test_a_later_answer_replaces_the_earlier_one(world: World) -> None:
    """Bob says Not yet, then, days later, We've met: one answer of his is kept, the latest, and the pairing
    counts as met."""
    _thread, nudge = await nudged(world)
    await world.bob.click(nudge, custom_id=button(nudge, ":notyet"))
    await world.env.advance_time(2 * DAY)
    await world.bob.click(nudge, custom_id=button(nudge, ":met"))
    (answer,) = await answers(world)
    assert (answer.user_id, answer.answer) == (world.bob.id, MET)
