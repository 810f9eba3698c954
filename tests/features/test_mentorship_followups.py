"""Invitations that resolve (issue 19): a reminder a day before an invitation lapses, a pause after two lapses in
a row, and a private explanation for members a round leaves unmatched, as members meet them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from simcord import assert_responded

from storage.models.mentorship import (
    DELIVERY_HELD,
    DELIVERY_SENT,
    EXPIRED,
    NOTE_PAUSED,
    NOTE_REMIND,
    NOTE_UNMATCHED,
    PENDING_MENTEE,
    MentorshipNote,
)
from storage.owed import LEASE
from tests.conftest import World
from tests.features.test_mentorship_support import (
    DAY,
    accept_as_mentor,
    button,
    custom_ids,
    dms,
    last_dm,
    mentees,
    mentors,
    offer,
    opted_in_pair,
    proposals,
    request,
    round_in_worker,
    rows,
    run_round,
)


async def notes(world: World, kind: str | None = None) -> list[MentorshipNote]:
    found = await rows(world, MentorshipNote)
    return [note for note in found if kind is None or note.kind == kind]


async def tick(world: World) -> dict:
    return await world.bot.run_due_jobs()


# ---------------------------------------------------------------- the reminder


async def test_a_reminder_comes_once_a_day_before_the_invitation_lapses_with_its_buttons(world: World) -> None:
    """Three-day invitations: nothing after 47 h 59 min; at 48 h the mentor gets one kind reminder carrying the
    Accept/Decline buttons (the first message's buttons close), and never a second one."""
    await opted_in_pair(world)
    await run_round(world)
    first = last_dm(world.alice)
    await world.env.advance_time(2 * DAY - 60)
    await tick(world)
    assert len(dms(world.alice)) == 1 and await notes(world, NOTE_REMIND) == []
    await world.env.advance_time(120)
    await tick(world)
    reminder = last_dm(world.alice)
    assert reminder.id != first.id
    assert "gentle reminder" in reminder.content and "closes in about a day" in reminder.content
    assert "bob" in reminder.content.lower() and "nobody is told" in reminder.content
    (proposal,) = await proposals(world)
    assert button(reminder, ":accept") == f"mentor:proposal:{proposal.id}:accept"
    assert proposal.mentor_message_id == reminder.id
    assert custom_ids(world.alice.user.dm_channel.history()[0]) == []  # the first one's buttons closed
    (note,) = await notes(world, NOTE_REMIND)
    assert (note.user_id, note.delivery) == (world.alice.id, DELIVERY_SENT)
    await world.env.advance_time(3600)
    await tick(world)
    assert len(dms(world.alice)) == 2 and len(await notes(world, NOTE_REMIND)) == 1
    assert dms(world.bob) == []  # the mentee is never told an invitation about them waits
    await world.alice.user.click(reminder, custom_id=button(reminder, ":accept"))
    assert (await proposals(world))[0].status == PENDING_MENTEE


async def test_the_mentee_gets_their_own_reminder_and_the_mentor_who_answered_none(world: World) -> None:
    """The mentor says yes at once: a day before the mentee's invitation lapses, only the mentee is reminded."""
    await opted_in_pair(world)
    await run_round(world)
    await accept_as_mentor(world, world.alice)
    alice_before = len(dms(world.alice))
    await world.env.advance_time(2 * DAY + 60)
    await tick(world)
    assert len(dms(world.alice)) == alice_before
    reminder = last_dm(world.bob)
    assert "gentle reminder" in reminder.content and "alice" in reminder.content.lower()
    assert button(reminder, ":accept")
    (note,) = await notes(world, NOTE_REMIND)
    assert note.user_id == world.bob.id


async def test_a_reminder_to_closed_dms_is_held_for_mentor_status(world: World) -> None:
    """The mentor's DMs are closed: the reminder waits in /mentor status, with buttons that work there."""
    await opted_in_pair(world)
    world.env.inject_error("POST", "/users/@me/channels", status=403, code=50007, times=None)
    await run_round(world)
    await world.env.advance_time(2 * DAY + 60)
    await tick(world)
    (note,) = await notes(world, NOTE_REMIND)
    assert note.delivery == DELIVERY_HELD
    status = await world.alice.slash(world.general, "mentor status")
    texts = [message.content for message in status.followups]
    assert any("gentle reminder" in text for text in texts)


# ---------------------------------------------------------------- two lapses in a row


async def test_two_lapses_in_a_row_pause_the_member_who_is_told_how_to_come_back(world: World) -> None:
    """Alice lets two invitations lapse: after the first nothing changes; after the second she is paused and
    told kindly that `/mentor resume` brings her back; resuming puts her in the next round again."""
    carol = world.add_member("carol")
    await world.env.settle()
    await opted_in_pair(world)
    await request(world, carol)
    await run_round(world)  # alice → one of bob and carol
    await world.env.advance_time(3 * DAY + 60)
    await tick(world)
    assert [p.status for p in await proposals(world)] == [EXPIRED]
    assert not (await mentors(world))[0].paused
    await run_round(world)  # alice → the other one
    assert len(await proposals(world)) == 2
    await world.env.advance_time(3 * DAY + 60)
    await tick(world)
    assert [p.status for p in await proposals(world)] == [EXPIRED, EXPIRED]
    (offer_row,) = await mentors(world)
    assert offer_row.paused and offer_row.paused_until is None
    told = last_dm(world.alice)
    assert "paused" in told.content and "`/mentor resume`" in told.content and "Nobody was told" in told.content
    (note,) = await notes(world, NOTE_PAUSED)
    assert (note.user_id, note.delivery) == (world.alice.id, DELIVERY_SENT)
    dave = world.add_member("dave")
    await world.env.settle()
    await request(world, dave)
    await run_round(world)
    assert len(await proposals(world)) == 2  # paused: nobody proposed to her
    resumed = await world.alice.slash(world.general, "mentor resume")
    assert_responded(resumed, contains="next pairing round", ephemeral=True)
    await run_round(world)
    assert {p.mentee_id for p in await proposals(world)} == {world.bob.id, carol.id, dave.id}


async def test_a_lapse_then_an_answer_is_not_two_in_a_row(world: World) -> None:
    """One lapse, then a decline: no pause (declining is an answer, and stays private)."""
    carol = world.add_member("carol")
    await world.env.settle()
    await opted_in_pair(world)
    await request(world, carol)
    await run_round(world)
    await world.env.advance_time(3 * DAY + 60)
    await tick(world)
    await run_round(world)
    dm = last_dm(world.alice)
    await world.alice.user.click(dm, custom_id=button(dm, ":decline"))
    await world.env.advance_time(3 * DAY + 60)
    await tick(world)
    assert not (await mentors(world))[0].paused
    assert await notes(world, NOTE_PAUSED) == []


# ---------------------------------------------------------------- unmatched explanations


async def test_an_unmatched_mentee_hears_why_when_the_next_round_runs_and_one_suggestion(world: World) -> None:
    """Bob wants *growth*, which no mentor covers: he is told so in plain words, when the next scheduled round
    runs, and that adding a theme Alice covers would widen his chances, without anyone being named."""
    await offer(world, world.alice, themes="career")
    await request(world, world.bob, themes="growth")
    await world.mod.slash(world.general, "pairing auto every_days", days=7)
    await run_round(world)
    (note,) = await notes(world, NOTE_UNMATCHED)
    assert (note.user_id, note.delivery) == (world.bob.id, DELIVERY_SENT)
    told = last_dm(world.bob).content
    assert "no mentor covering *personal growth* has offered yet" in told
    assert "Adding *career guidance*" in told
    assert "The next round runs <t:" in told
    assert "alice" not in told.lower()
    assert dms(world.alice) == []  # mentors are never sent an unmatched note


async def test_a_large_pools_explanations_are_worked_out_in_the_worker_process(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above the inline limit, the round's worker process works out the explanations too (thousands would
    hold the event loop): Bob hears the same words, and the notes are owed in the round's transaction."""
    round_in_worker(world, monkeypatch)
    await offer(world, world.alice, themes="career")
    await request(world, world.bob, themes="growth")
    cog = world.bot.get_cog("Mentorship")
    try:
        await run_round(world)
        assert cog.rounds._executor is not None
    finally:
        cog.rounds.close()
    (note,) = await notes(world, NOTE_UNMATCHED)
    assert (note.user_id, note.delivery) == (world.bob.id, DELIVERY_SENT)
    told = last_dm(world.bob).content
    assert "no mentor covering *personal growth* has offered yet" in told
    assert "Adding *career guidance*" in told
    assert "whenever the moderators start one" in told


async def test_an_unmatched_mentee_outside_every_window_is_told_to_widen_it(world: World) -> None:
    """Bob in London allows a 1-hour gap and Alice is in Manila: the reason is the window, and the one
    suggestion is a wider time difference. Rounds with no schedule say the moderators start them."""
    await offer(world, world.alice, themes="career")
    await request(world, world.bob, themes="career", timezone="Europe/London", max_timezone_gap=1)
    await run_round(world)
    told = last_dm(world.bob).content
    assert "no mentor covering *career guidance* is within your timezone window (1 hour) yet" in told
    assert "wider time difference" in told
    assert "whenever the moderators start one" in told


async def test_a_block_is_never_revealed_in_the_explanation(world: World) -> None:
    """Bob blocked Alice (the only mentor): he hears he has met everyone currently available, never a block,
    never a name; a dry run tells nobody anything."""
    await opted_in_pair(world)
    await world.bob.slash(world.general, "mentor block", member=world.alice)
    await world.mod.slash(world.general, "pairing run", dry_run=True)
    assert dms(world.bob) == [] and await notes(world) == []
    await run_round(world)
    told = last_dm(world.bob).content
    assert "you've met everyone currently available for *career guidance*" in told
    assert "block" not in told.lower() and "alice" not in told.lower()


async def test_a_mentee_whose_mentors_are_full_is_told_places_free_up(world: World) -> None:
    """Alice has one place and Carol gets it: Bob is told every fitting mentor's places are taken."""
    carol = world.add_member("carol")
    await world.env.settle()
    await opted_in_pair(world)
    await request(world, carol, languages="Tagalog")
    await run_round(world)
    (note,) = await notes(world, NOTE_UNMATCHED)
    unmatched = world.bob if note.user_id == world.bob.id else carol
    told = last_dm(unmatched).content
    assert "has all their places taken right now" in told and "alice" not in told.lower()


async def test_a_member_who_left_is_not_explained_to(world: World) -> None:
    """Bob leaves the server: the next round skips him and owes him nothing."""
    await offer(world, world.alice, themes="career")
    await request(world, world.bob, themes="growth")
    world.guild.remove_member(world.bob)
    await world.env.settle()
    await run_round(world)
    assert await notes(world, NOTE_UNMATCHED) == []
    assert len(await mentees(world)) == 1  # the profile waits for the retention


# ---------------------------------------------------------------- owed, leased, once


async def test_a_note_discord_fails_is_sent_after_its_backoff_exactly_once(world: World) -> None:
    """Discord answers the unmatched note with a 500: the round still completes, the note waits a minute and
    then goes, once."""
    await offer(world, world.alice, themes="career")
    await request(world, world.bob, themes="growth")
    world.env.inject_error("POST", "/channels/*/messages", status=500)
    await run_round(world)
    (note,) = await notes(world, NOTE_UNMATCHED)
    assert (note.delivery, note.attempts) == ("due", 1) and dms(world.bob) == []
    await tick(world)
    assert dms(world.bob) == []  # still waiting out its backoff
    await world.env.advance_time(61)
    await tick(world)
    await world.env.advance_time(3600)
    await tick(world)
    assert len(dms(world.bob)) == 1
    (note,) = await notes(world, NOTE_UNMATCHED)
    assert note.delivery == DELIVERY_SENT


async def test_two_processes_never_both_take_a_note(world: World) -> None:
    """Two leases at the same moment: exactly one wins the note; after the lease runs out another may take it
    over (a process that died), and a settled note is never taken again."""
    from storage.mentorship import followups as store_notes

    now = world.bot.clock()
    async with world.bot.db.write() as session:
        assert await store_notes.owe_note(session, world.guild.id, "test:1", NOTE_UNMATCHED, now=now, user_id=1)
        assert not await store_notes.owe_note(session, world.guild.id, "test:1", NOTE_UNMATCHED, now=now, user_id=1)
    async with world.bot.db.write() as session:
        first = await store_notes.lease_notes(session, now, lambda _guild: True)
    async with world.bot.db.write() as session:
        second = await store_notes.lease_notes(session, now, lambda _guild: True)
    assert len(first) == 1 and second == []
    later = now + LEASE + timedelta(seconds=1)
    async with world.bot.db.write() as session:
        taken_over = await store_notes.lease_notes(session, later, lambda _guild: True)
        await store_notes.settle_note(session, taken_over[0].id, DELIVERY_SENT)
    async with world.bot.db.write() as session:
        assert await store_notes.lease_notes(session, later + LEASE * 2, lambda _guild: True) == []


async def test_a_scheduled_round_explains_and_names_the_round_after_it(world: World) -> None:
    """Weekly rounds: the round the due work runs on day 7 tells Bob why, and that the next runs on day 14."""
    await offer(world, world.alice, themes="career")
    await request(world, world.bob, themes="growth")
    await world.mod.slash(world.general, "pairing auto every_days", days=7)
    start = world.bot.clock()
    await world.env.advance_time(7 * DAY + 60)
    await tick(world)
    told = last_dm(world.bob).content
    following = int(start.timestamp() + 14 * DAY)
    assert "*personal growth*" in told and f"<t:{following}:F>" in told
    (note,) = await notes(world, NOTE_UNMATCHED)
    assert note.delivery == DELIVERY_SENT


async def test_a_mentee_who_lets_two_invitations_lapse_is_paused_too(world: World) -> None:
    """Two mentors say yes to Bob in turn and he answers neither: paused, told how to come back; neither
    mentor learns anything beyond the kind closing line."""
    carol = world.add_member("carol")
    await world.env.settle()
    await opted_in_pair(world)
    await offer(world, carol, languages="Tagalog")
    await world.mod.slash(world.general, "pairing create", mentor=world.alice, mentee=world.bob)
    await accept_as_mentor(world, world.alice)
    await world.env.advance_time(3 * DAY + 60)
    await tick(world)
    await world.mod.slash(world.general, "pairing create", mentor=carol, mentee=world.bob)
    await accept_as_mentor(world, carol)
    await world.env.advance_time(3 * DAY + 60)
    await tick(world)
    (request_row,) = await mentees(world)
    assert request_row.paused
    assert "`/mentor resume`" in last_dm(world.bob).content
    for mentor in (world.alice, carol):
        assert all("paused" not in m.content for m in dms(mentor))


async def test_a_settled_explanation_is_forgotten_after_90_days_and_never_sent_again(world: World) -> None:
    """Bob's unmatched explanation (his words about what he wanted) is kept 90 days after it was sent, then
    deleted by the due work, and never sent again; a pause note is kept, since it starts the next streak."""
    await offer(world, world.alice, themes="career")
    await request(world, world.bob, themes="growth")
    await run_round(world)
    (note,) = await notes(world, NOTE_UNMATCHED)
    told = len(dms(world.bob))
    async with world.bot.db.write() as session:
        session.add(
            MentorshipNote(
                guild_id=world.guild.id,
                user_id=world.alice.id,
                kind=NOTE_PAUSED,
                key="paused:test",
                created_at=note.created_at,
                delivery=DELIVERY_SENT,
            )
        )
    await world.env.advance_time(89 * DAY)
    assert (await tick(world))["mentorship"]["notes purged"] == 0
    assert len(await notes(world, NOTE_UNMATCHED)) == 1
    await world.env.advance_time(2 * DAY)
    assert (await tick(world))["mentorship"]["notes purged"] == 1
    assert await notes(world, NOTE_UNMATCHED) == []
    assert len(await notes(world, NOTE_PAUSED)) == 1
    await tick(world)
    assert len(dms(world.bob)) == told
