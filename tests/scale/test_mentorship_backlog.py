"""A mentorship backlog bigger than one batch (many pairings' check-ins due the same morning, many invitations
lapsing at once, a round owing many invitations) is worked through in one run, in short transactions of a batch
each, and nothing is done twice: every member gets one check-in, every lapsed invitation one notice, every
invitation one DM. The batches are shrunk to two so a handful of members is a backlog."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from simcord import MemberActor
from sqlalchemy import select

from bench.ratelimited import RateLimitedDiscord
from storage import mentorship as store
from storage.mentorship import followups as store_notes
from storage.models.mentorship import (
    ACCEPTED,
    ACTIVE,
    DELIVERY_DUE,
    DELIVERY_SENT,
    EXPIRED,
    NOTE_REMIND,
    PENDING_MENTOR,
    MentorshipCheckin,
    MentorshipNote,
    MentorshipPairing,
    MentorshipProposal,
)
from tests.conftest import World
from tests.features.test_mentorship_support import dms, offer, request, run_round

DAY = 24 * 3600


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLAIM_BATCH", "LEASE_BATCH", "EXPIRE_BATCH", "NOTICE_BATCH"):
        monkeypatch.setattr(store, name, 2)
    monkeypatch.setattr(store_notes, "NOTE_BATCH", 2)


async def seed(world: World, pairs: int, pending: int) -> list[MemberActor]:
    """`pairs` active pairings and `pending` invitations between members who are really in the server."""
    members = [world.add_member(f"member{n}") for n in range(2 * (pairs + pending))]
    await world.env.settle()
    couples = [(members[2 * n].id, members[2 * n + 1].id) for n in range(pairs + pending)]
    now = world.bot.clock()

    def proposal(mentor_id: int, mentee_id: int, status: str) -> MentorshipProposal:
        return MentorshipProposal(
            guild_id=world.guild.id,
            mentor_id=mentor_id,
            mentee_id=mentee_id,
            status=status,
            score=40,
            reason="You share a theme.",
            created_at=now,
            expires_at=now + timedelta(days=3),
        )

    async with world.bot.db.write() as session:
        accepted = [proposal(mentor, mentee, ACCEPTED) for mentor, mentee in couples[:pairs]]
        session.add_all(accepted)
        session.add_all(proposal(mentor, mentee, PENDING_MENTOR) for mentor, mentee in couples[pairs:])
        await session.flush()
        session.add_all(
            MentorshipPairing(
                guild_id=world.guild.id,
                proposal_id=p.id,
                mentor_id=p.mentor_id,
                mentee_id=p.mentee_id,
                status=ACTIVE,
                started_at=now,
                checkins_sent=0,
                next_checkin_at=now + timedelta(days=14),
            )
            for p in accepted
        )
    return members[: 2 * pairs]


async def test_a_backlog_of_checkins_bigger_than_a_batch_goes_in_one_run_each_once(
    world: World, small_batches: None
) -> None:
    paired = await seed(world, pairs=5, pending=0)
    await world.env.advance_time(14 * DAY + 60)
    results = await world.bot.run_due_jobs()
    assert results["mentorship"]["checkins"] == 10
    assert (await world.bot.run_due_jobs())["mentorship"]["checkins"] == 0
    async with world.bot.db.read() as session:
        rows = (await session.scalars(select(MentorshipCheckin))).all()
    assert sorted(row.user_id for row in rows) == sorted(member.id for member in paired)
    for member in paired:
        assert len([m for m in dms(member) if "How is it going" in (m.content or "")]) == 1


async def test_a_backlog_of_lapsing_invitations_bigger_than_a_batch_lapses_in_one_run(
    world: World, small_batches: None
) -> None:
    await seed(world, pairs=0, pending=5)
    await world.env.advance_time(3 * DAY + 60)
    results = await world.bot.run_due_jobs()
    assert results["mentorship"]["expired"] == 5
    async with world.bot.db.read() as session:
        statuses = (await session.scalars(select(MentorshipProposal.status))).all()
    assert statuses == [EXPIRED] * 5
    assert (await world.bot.run_due_jobs())["mentorship"]["expired"] == 0


async def test_a_round_owing_more_invitations_than_a_batch_sends_each_once(world: World, small_batches: None) -> None:
    """A round proposes five pairs: its five invitations go out in batches of two, in the round itself, each once."""
    mentors_ = [world.add_member(f"mentor{n}") for n in range(5)]
    mentees_ = [world.add_member(f"mentee{n}") for n in range(5)]
    await world.env.settle()
    for mentor in mentors_:
        await offer(world, mentor)
    for mentee in mentees_:
        await request(world, mentee)
    await run_round(world)
    async with world.bot.db.read() as session:
        statuses = (await session.scalars(select(MentorshipProposal.notice))).all()
    assert statuses == [None] * 5  # every owed invitation settled
    invited = [m for m in mentors_ if any("mentor" in (dm.content or "").lower() for dm in dms(m))]
    assert len(invited) == 5
    assert all(len(dms(m)) == 1 for m in mentors_)
    await world.bot.run_due_jobs()
    assert all(len(dms(m)) == 1 for m in mentors_)


async def test_a_round_leaving_more_mentees_unmatched_than_a_batch_explains_to_each_once(
    world: World, small_batches: None
) -> None:
    """One mentor covering *career*, five mentees wanting *growth*: each of the five hears why, once, though
    the explanations go two at a time."""
    await offer(world, world.alice, themes="career")
    wanting = [world.add_member(f"mentee{n}") for n in range(5)]
    await world.env.settle()
    for mentee in wanting:
        await request(world, mentee, themes="growth")
    await run_round(world)
    await world.bot.run_due_jobs()
    for mentee in wanting:
        assert len([dm for dm in dms(mentee) if "personal growth" in (dm.content or "")]) == 1


# ---------------------------------------------------------------- reminders a day before invitations lapse


@pytest.fixture
def small_reminder_batches(small_batches: None, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Reminders are owed two invitations per write; returns how many each write owed, as they happen."""
    monkeypatch.setattr(store_notes, "REMIND_BATCH", 2)
    owe = store_notes.owe_reminders
    writes: list[int] = []

    async def counted(*args: Any, **kwargs: Any) -> tuple[int, int | None]:
        owed, after = await owe(*args, **kwargs)
        writes.append(owed)
        return owed, after

    monkeypatch.setattr(store_notes, "owe_reminders", counted)
    return writes


async def invited_mentors(world: World, count: int, guild_id: int | None = None) -> list[MemberActor]:
    """`count` invitations waiting for their mentor, lapsing in three days (guild_id: another guild's, whose
    members need not exist; then no actors are returned)."""
    now = world.bot.clock()
    if guild_id is None:
        actors = [world.add_member(f"invited{n}") for n in range(2 * count)]
        await world.env.settle()
        couples = [(actors[2 * n].id, actors[2 * n + 1].id) for n in range(count)]
    else:
        actors, couples = [], [(20_000 + n, 30_000 + n) for n in range(count)]
    async with world.bot.db.write() as session:
        session.add_all(
            MentorshipProposal(
                guild_id=world.guild.id if guild_id is None else guild_id,
                mentor_id=mentor_id,
                mentee_id=mentee_id,
                status=PENDING_MENTOR,
                score=40,
                reason="You share a theme.",
                created_at=now,
                expires_at=now + timedelta(days=3),
            )
            for mentor_id, mentee_id in couples
        )
    return actors[::2]


async def reminders(world: World) -> list[MentorshipNote]:
    async with world.bot.db.read() as session:
        query = select(MentorshipNote).where(MentorshipNote.kind == NOTE_REMIND).order_by(MentorshipNote.id)
        return list((await session.scalars(query)).all())


def reminded(member: MemberActor) -> int:
    return len([dm for dm in dms(member) if "gentle reminder" in (dm.content or "")])


async def test_more_invitations_lapsing_tomorrow_than_a_batch_are_each_reminded_once(
    world: World, small_reminder_batches: list[int]
) -> None:
    """Five invitations lapse in a day: their reminders are owed two invitations per write, all in one run, and
    each mentor is reminded once."""
    mentors_ = await invited_mentors(world, 5)
    await world.env.advance_time(2 * DAY + 60)
    assert (await world.bot.run_due_jobs())["mentorship"]["reminders"] == 5
    assert small_reminder_batches == [2, 2, 1]
    assert (await world.bot.run_due_jobs())["mentorship"]["reminders"] == 0
    assert [note.delivery for note in await reminders(world)] == [DELIVERY_SENT] * 5
    assert [reminded(mentor) for mentor in mentors_] == [1] * 5


async def test_a_reminder_discord_fails_mid_batch_is_sent_after_its_backoff_once(
    world: World, small_reminder_batches: list[int]
) -> None:
    """Three reminders owed at once; Discord answers one DM with a 500 (they go out side by side: whichever is
    first). The other two go in the same run, that one a minute later; each mentor is reminded once."""
    mentors_ = await invited_mentors(world, 3)
    await world.env.advance_time(2 * DAY + 60)
    world.env.inject_error("POST", "/channels/*/messages", status=500)
    result = (await world.bot.run_due_jobs())["mentorship"]
    assert (result["reminders"], result["notes"]) == (3, 2)
    owed = await reminders(world)
    assert sorted((note.delivery, note.attempts) for note in owed) == [(DELIVERY_DUE, 1)] + [(DELIVERY_SENT, 0)] * 2
    assert (await world.bot.run_due_jobs())["mentorship"]["notes"] == 0  # waits its backoff
    await world.env.advance_time(61)
    assert (await world.bot.run_due_jobs())["mentorship"]["notes"] == 1
    await world.env.advance_time(3600)
    result = (await world.bot.run_due_jobs())["mentorship"]
    assert (result["reminders"], result["notes"]) == (0, 0)
    assert [reminded(mentor) for mentor in mentors_] == [1] * 3


async def test_another_shards_invitations_never_fill_a_reminder_batch(
    world: World, small_reminder_batches: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another guild's three invitations lapsing tomorrow come first by id: this process owes its own five
    reminders in three writes of its own invitations, and none for the other guild (its owner's business)."""
    other = world.guild.id + 1
    await invited_mentors(world, 3, guild_id=other)
    mentors_ = await invited_mentors(world, 5)
    monkeypatch.setattr(world.bot, "owns_guild", lambda guild_id: guild_id == world.guild.id)
    await world.env.advance_time(2 * DAY + 60)
    assert (await world.bot.run_due_jobs())["mentorship"]["reminders"] == 5
    assert small_reminder_batches == [2, 2, 1]
    assert {note.guild_id for note in await reminders(world)} == {world.guild.id}
    assert [reminded(mentor) for mentor in mentors_] == [1] * 5


async def test_a_backlog_of_checkins_goes_out_side_by_side_at_discords_pace(world: World) -> None:
    """Twenty check-in DMs owed the same morning, each two requests of 100 ms round trip to a Discord that enforces
    its limits: they go a few at a time (far sooner than one after another), no request is refused with a 429, and
    every member gets exactly one."""
    paired = await seed(world, pairs=10, pending=0)
    await world.env.advance_time(14 * DAY + 60)
    fake = RateLimitedDiscord(world.env.backend, latency=0.1)
    fake.install(world.bot)
    in_flight = most = 0
    through_fake = world.bot.http.request

    async def counted(route: Any, **kwargs: Any) -> Any:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            return await through_fake(route, **kwargs)
        finally:
            in_flight -= 1

    world.bot.http.request = counted  # type: ignore[method-assign]
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await world.bot.run_due_jobs())["mentorship"]["checkins"] == 20
    took = loop.time() - started
    assert most > 1
    assert took < 20 * 2 * 0.1 / 2  # on the event loop's clock: at least twice as fast as one at a time
    assert (fake.counts.global_429, fake.counts.route_429) == (0, 0)
    for member in paired:
        assert len([m for m in dms(member) if "How is it going" in (m.content or "")]) == 1
