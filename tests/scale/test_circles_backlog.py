"""A circles backlog bigger than one batch (a round owing many invitations, many circles deciding at once) is
worked through in one run, a batch at a time, each leased within its own lease, and nothing is done twice:
every member gets one invitation, every formed circle one thread. A failure mid-batch waits its backoff without
holding back the rest, and another process's guilds never fill a batch. The batches are shrunk to two so a
handful of members is a backlog."""

from __future__ import annotations

import pytest
from simcord import MemberActor
from sqlalchemy import select, update

from cogs.circles.flow import EXPIRY
from engine.circles import REASON_TEXT, LeftOutReason
from storage import circles as store
from storage.circles import checkins as store_checkins
from storage.circles import invites as store_invites
from storage.circles import rounds as store_rounds
from storage.models.circles import (
    DELIVERY_DUE,
    DELIVERY_SENT,
    FORMED,
    YES,
    Circle,
    CircleCheckin,
    CircleInvite,
    CircleLeftOut,
)
from tests.conftest import World
from tests.features.test_circles import form, four_in_pool, join, rows
from tests.features.test_mentorship_support import DAY, dms

MINUTE = 60
NO_ONE_NEAR = REASON_TEXT[LeftOutReason.NO_ONE_IN_WINDOW]


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_invites, "INVITE_BATCH", 2)
    monkeypatch.setattr(store_invites, "NOTICE_BATCH", 2)


async def formed_circles(world: World, count: int, guild_id: int | None = None) -> list[int]:
    """`count` circles of three members who all said yes, each owing its thread (guild_id: another guild's,
    whose members need not exist)."""
    guild = world.guild.id if guild_id is None else guild_id
    if guild_id is None:
        members = [world.add_member(f"circler{n}").id for n in range(3 * count)]
        await world.env.settle()
    else:
        members = [10_000 + n for n in range(3 * count)]
    now = world.bot.clock()
    proposed = [store.Proposed(tuple(members[3 * n : 3 * n + 3]), 1, "career", "") for n in range(count)]
    async with world.bot.db.write() as session:
        ids = await store.create_circles(session, guild, proposed, now, EXPIRY)
        await session.execute(
            update(CircleInvite)
            .where(CircleInvite.circle_id.in_(ids))
            .values(status=YES, delivery=DELIVERY_SENT, send_after=None)
        )
    async with world.bot.db.write() as session:
        assert [await store.decide(session, circle_id, now) for circle_id in ids] == [FORMED] * count
    return ids


async def circles(world: World, ids: list[int]) -> list[Circle]:
    return [circle for circle in await rows(world, Circle) if circle.id in ids]


async def test_a_round_owing_more_invitations_than_a_batch_sends_each_once(world: World, small_batches: None) -> None:
    """Four invited to one circle: the invitations go two at a time, all in the round itself, each once."""
    actors = await four_in_pool(world)
    await form(world)
    assert [invite.delivery for invite in await rows(world, CircleInvite)] == [DELIVERY_SENT] * 4
    assert all(len(dms(actor)) == 1 and "peer circle of 4 members" in dms(actor)[0].content for actor in actors)
    assert (await world.bot.run_due_jobs())["circles"]["invites"] == 0
    assert all(len(dms(actor)) == 1 for actor in actors)


async def test_more_circles_deciding_at_once_than_a_batch_each_open_one_thread(
    world: World, small_batches: None
) -> None:
    """Five circles formed at once: their five threads open in one run, two at a time, each once."""
    ids = await formed_circles(world, 5)
    assert (await world.bot.run_due_jobs())["circles"]["notices"] == 5
    assert (await world.bot.run_due_jobs())["circles"]["notices"] == 0
    found = await circles(world, ids)
    assert [circle.notice for circle in found] == [None] * 5
    threads = [circle.thread_id for circle in found]
    assert None not in threads and len(set(threads)) == 5
    assert sorted(thread.id for thread in world.mentorship.threads) == sorted(threads)


async def test_a_notice_that_fails_mid_batch_is_made_after_its_backoff_and_the_rest_in_the_same_run(
    world: World, small_batches: None
) -> None:
    """Three circles formed; opening one thread (whichever is first: a batch's notices go side by side) gets
    Discord's 500. The other two open in the same run (the next batch too), that one a minute later; each circle
    gets one thread."""
    ids = await formed_circles(world, 3)
    world.env.inject_error("POST", "/channels/*/threads", status=500)
    assert (await world.bot.run_due_jobs())["circles"]["notices"] == 2
    found = await circles(world, ids)
    [failed] = [circle for circle in found if circle.notice is not None]
    assert (failed.notice, failed.notice_attempts, failed.thread_id) == ("open", 1, None)
    assert all(circle.thread_id is not None for circle in found if circle is not failed)
    assert (await world.bot.run_due_jobs())["circles"]["notices"] == 0  # waits its backoff
    await world.env.advance_time(MINUTE + 1)
    assert (await world.bot.run_due_jobs())["circles"]["notices"] == 1
    await world.env.advance_time(60 * MINUTE)
    assert (await world.bot.run_due_jobs())["circles"]["notices"] == 0
    found = await circles(world, ids)
    assert all(circle.notice is None for circle in found)
    assert sorted(thread.id for thread in world.mentorship.threads) == sorted(c.thread_id for c in found)
    assert len(world.mentorship.threads) == 3


async def test_another_shards_owed_circles_never_fill_a_batch(
    world: World, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's guild owes three threads and nine invitations, leased first by id; this process's five
    circles still all open in one run, and the other guild's work is left untouched for its owner."""
    other = world.guild.id + 1
    theirs = await formed_circles(world, 3, guild_id=other)
    async with world.bot.db.write() as session:  # and their invitations are owed again (a round just ran)
        await session.execute(
            update(CircleInvite)
            .where(CircleInvite.guild_id == other)
            .values(delivery=DELIVERY_DUE, send_after=world.bot.clock())
        )
    before = {circle.id: circle.notice_due_at for circle in await circles(world, theirs)}
    ours = await formed_circles(world, 5)
    monkeypatch.setattr(world.bot, "owns_guild", lambda guild_id: guild_id == world.guild.id)
    result = (await world.bot.run_due_jobs())["circles"]
    assert (result["notices"], result["invites"]) == (5, 0)
    assert all(circle.thread_id is not None for circle in await circles(world, ours))
    assert {circle.id: circle.notice_due_at for circle in await circles(world, theirs)} == before
    async with world.bot.db.read() as session:
        owed = (await session.scalars(select(CircleInvite.delivery).where(CircleInvite.guild_id == other))).all()
    assert owed == [DELIVERY_DUE] * 9


async def test_another_shards_owed_invitations_never_fill_a_batch(
    world: World, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another guild's three owed invitations come first by id; the due work still sends all four of this
    process's owed invitations in one run, in batches of two, and leaves the other guild's to its owner."""
    other = world.guild.id + 1
    actors = [world.add_member(f"invitee{n}") for n in range(4)]
    await world.env.settle()
    now = world.bot.clock()
    async with world.bot.db.write() as session:  # rounds whose process died before sending a single invitation
        await store.create_circles(session, other, [store.Proposed((1, 2, 3), 1, "career", "")], now, EXPIRY)
        members = tuple(actor.id for actor in actors)
        await store.create_circles(session, world.guild.id, [store.Proposed(members, 1, "career", "")], now, EXPIRY)
    monkeypatch.setattr(world.bot, "owns_guild", lambda guild_id: guild_id == world.guild.id)
    assert (await world.bot.run_due_jobs())["circles"]["invites"] == 4
    assert (await world.bot.run_due_jobs())["circles"]["invites"] == 0
    assert all(len(dms(actor)) == 1 and "peer circle of 4 members" in dms(actor)[0].content for actor in actors)
    deliveries = {(invite.guild_id, invite.delivery) for invite in await rows(world, CircleInvite)}
    assert deliveries == {(other, DELIVERY_DUE), (world.guild.id, DELIVERY_SENT)}


async def test_more_circles_lapsing_at_once_than_a_batch_are_each_decided_once(
    world: World, small_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five circles nobody answered and five formed circles each with one invitation unanswered lapse together:
    with two per write, all ten are settled in one run (five unformed, five invitations closed), once."""
    monkeypatch.setattr(store_invites, "LAPSE_BATCH", 2)
    silent = [world.add_member(f"silent{n}").id for n in range(15)]
    late = [world.add_member(f"late{n}").id for n in range(20)]
    await world.env.settle()
    now = world.bot.clock()
    async with world.bot.db.write() as session:
        unanswered = [store.Proposed(tuple(silent[3 * n : 3 * n + 3]), 1, "career", "") for n in range(5)]
        four = [store.Proposed(tuple(late[4 * n : 4 * n + 4]), 1, "career", "") for n in range(5)]
        await store.create_circles(session, world.guild.id, unanswered, now, EXPIRY)
        formed = await store.create_circles(session, world.guild.id, four, now, EXPIRY)
        await session.execute(update(CircleInvite).values(delivery=DELIVERY_SENT, send_after=None))
        await session.execute(
            update(CircleInvite)
            .where(CircleInvite.circle_id.in_(formed), CircleInvite.user_id.not_in(late[3::4]))
            .values(status=YES)
        )
    async with world.bot.db.write() as session:
        assert [await store.decide(session, circle_id, now) for circle_id in formed] == [FORMED] * 5
    await world.env.advance_time(EXPIRY.total_seconds() + 60)
    assert (await world.bot.run_due_jobs())["circles"]["lapsed"] == 10
    assert (await world.bot.run_due_jobs())["circles"]["lapsed"] == 0
    statuses = sorted(circle.status for circle in await rows(world, Circle))
    assert statuses == ["formed"] * 5 + ["unformed"] * 5
    invites = await rows(world, CircleInvite)
    assert {invite.status for invite in invites if invite.user_id in late[3::4]} == {"lapsed"}
    assert {invite.status for invite in invites if invite.user_id in silent} == {"lapsed"}


# ------------------------------------------------------------ check-ins


@pytest.fixture
def small_checkin_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_checkins, "CHECKIN_BATCH", 2)


def checkin_dms(actor: MemberActor) -> list[str]:
    return [message.content for message in dms(actor) if "How is it going" in message.content]


async def circles_at_their_first_checkin(world: World, count: int) -> list[MemberActor]:
    """`count` formed circles of three, their threads open, fourteen days on: each member owes a check-in."""
    actors = [world.add_member(f"checked{n}") for n in range(3 * count)]
    await world.env.settle()
    now = world.bot.clock()
    proposed = [store.Proposed(tuple(a.id for a in actors[3 * n : 3 * n + 3]), 1, "career", "") for n in range(count)]
    async with world.bot.db.write() as session:
        ids = await store.create_circles(session, world.guild.id, proposed, now, EXPIRY)
        await session.execute(
            update(CircleInvite)
            .where(CircleInvite.circle_id.in_(ids))
            .values(status=YES, delivery=DELIVERY_SENT, send_after=None)
        )
    async with world.bot.db.write() as session:
        assert [await store.decide(session, circle_id, now) for circle_id in ids] == [FORMED] * count
    assert (await world.bot.run_due_jobs())["circles"]["notices"] == count
    await world.env.advance_time(14 * DAY + 60)
    return actors


async def test_more_checkins_due_at_once_than_a_batch_each_go_once(world: World, small_checkin_batches: None) -> None:
    """Two circles of three reach day 14 together: their six check-ins go out in one run, two at a time, each
    once."""
    actors = await circles_at_their_first_checkin(world, 2)
    assert len(actors) == 6
    assert (await world.bot.run_due_jobs())["circles"]["checkins"] == 6
    assert (await world.bot.run_due_jobs())["circles"]["checkins"] == 0
    assert all(len(checkin_dms(actor)) == 1 for actor in actors)
    assert [checkin.delivery for checkin in await rows(world, CircleCheckin)] == [DELIVERY_SENT] * 6


async def test_a_checkin_that_fails_mid_batch_is_sent_after_its_backoff_and_the_rest_in_the_same_run(
    world: World, small_checkin_batches: None
) -> None:
    """Opening the first member's DM gets Discord's 500: the other five check-ins go in the same run (the next
    batches too), the first a minute later; each member gets one."""
    actors = await circles_at_their_first_checkin(world, 2)
    world.env.inject_error("POST", "/users/@me/channels", status=500)
    assert (await world.bot.run_due_jobs())["circles"]["checkins"] == 5
    first, *others = await rows(world, CircleCheckin)
    assert (first.delivery, first.attempts) == (DELIVERY_DUE, 1)
    assert [checkin.delivery for checkin in others] == [DELIVERY_SENT] * 5
    assert (await world.bot.run_due_jobs())["circles"]["checkins"] == 0  # waits its backoff
    await world.env.advance_time(MINUTE + 1)
    assert (await world.bot.run_due_jobs())["circles"]["checkins"] == 1
    assert all(len(checkin_dms(actor)) == 1 for actor in actors)


async def test_another_shards_owed_checkins_never_fill_a_batch(
    world: World, small_checkin_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another guild's three owed check-ins come first by id; this process's six still all go in one run, and
    the other guild's are left untouched for their owner."""
    other = world.guild.id + 1
    (theirs,) = await formed_circles(world, 1, guild_id=other)
    now = world.bot.clock()
    async with world.bot.db.write() as session:
        session.add_all(
            CircleCheckin(circle_id=theirs, guild_id=other, user_id=10_000 + n, day=14, send_after=now, attempts=0)
            for n in range(3)
        )
    monkeypatch.setattr(world.bot, "owns_guild", lambda guild_id: guild_id == world.guild.id)
    actors = await circles_at_their_first_checkin(world, 2)
    assert (await world.bot.run_due_jobs())["circles"]["checkins"] == 6
    assert all(len(checkin_dms(actor)) == 1 for actor in actors)
    owed = {(checkin.guild_id, checkin.delivery, checkin.send_after) for checkin in await rows(world, CircleCheckin)}
    assert owed == {(other, DELIVERY_DUE, now), (world.guild.id, DELIVERY_SENT, None)}


async def test_more_circles_due_at_once_than_a_claim_batch_are_each_moved_on_once(
    world: World, small_checkin_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three circles reach day 14 together and circles are claimed two per write: all three are moved on to their
    next check-in in one run and each of the nine members gets one check-in."""
    monkeypatch.setattr(store_checkins, "CLAIM_BATCH", 2)
    actors = await circles_at_their_first_checkin(world, 3)
    assert (await world.bot.run_due_jobs())["circles"]["checkins"] == 9
    assert (await world.bot.run_due_jobs())["circles"]["checkins"] == 0
    assert all(len(checkin_dms(actor)) == 1 for actor in actors)
    moved_on = [(circle.checkins_sent, circle.next_checkin_at is not None) for circle in await rows(world, Circle)]
    assert moved_on == [(1, True)] * 3


async def test_another_shards_due_circles_never_fill_a_claim_batch(
    world: World, small_checkin_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another guild's two due circles come first by id and circles are claimed two per write: this process's
    circles still all get their check-ins in one run, and the other guild's are left as they were for their
    owner (not moved on, nothing owed)."""
    monkeypatch.setattr(store_checkins, "CLAIM_BATCH", 2)
    other = world.guild.id + 1
    theirs = await formed_circles(world, 2, guild_id=other)
    due = world.bot.clock()
    async with world.bot.db.write() as session:
        await session.execute(update(Circle).where(Circle.id.in_(theirs)).values(next_checkin_at=due))
    monkeypatch.setattr(world.bot, "owns_guild", lambda guild_id: guild_id == world.guild.id)
    actors = await circles_at_their_first_checkin(world, 2)
    assert (await world.bot.run_due_jobs())["circles"]["checkins"] == 6
    assert all(len(checkin_dms(actor)) == 1 for actor in actors)
    untouched = [(c.checkins_sent, c.next_checkin_at) for c in await circles(world, theirs)]
    assert untouched == [(0, due)] * 2
    assert {checkin.guild_id for checkin in await rows(world, CircleCheckin)} == {world.guild.id}


# ------------------------------------------------------------ members a round left out


@pytest.fixture
def small_left_out_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_rounds, "LEFT_OUT_BATCH", 2)


def left_out_dms(actor: MemberActor) -> list[str]:
    return [message.content for message in dms(actor) if NO_ONE_NEAR in message.content]


async def left_out(world: World, count: int, guild_id: int | None = None) -> list[MemberActor]:
    """`count` members in the pool a round left out, each owed the message saying why (guild_id: another
    guild's, whose members need not exist)."""
    now = world.bot.clock()
    if guild_id is not None:
        async with world.bot.db.write() as session:
            reasons = [(10_000 + n, LeftOutReason.NO_ONE_IN_WINDOW.value) for n in range(count)]
            await store.owe_left_out(session, guild_id, reasons, now)
        return []
    actors = [world.add_member(f"alone{n}") for n in range(count)]
    await world.env.settle()
    for actor in actors:
        await join(world, actor)
    async with world.bot.db.write() as session:
        reasons = [(actor.id, LeftOutReason.NO_ONE_IN_WINDOW.value) for actor in actors]
        await store.owe_left_out(session, world.guild.id, reasons, now)
    return actors


async def test_more_members_left_out_than_a_batch_are_each_told_once(
    world: World, small_left_out_batches: None
) -> None:
    """A round left five members out: the five messages go in one run, two at a time, each once."""
    actors = await left_out(world, 5)
    assert (await world.bot.run_due_jobs())["circles"]["left out"] == 5
    assert (await world.bot.run_due_jobs())["circles"]["left out"] == 0
    assert all(len(left_out_dms(actor)) == 1 for actor in actors)
    assert [item.delivery for item in await rows(world, CircleLeftOut)] == [DELIVERY_SENT] * 5


async def test_a_left_out_message_that_fails_mid_batch_is_sent_after_its_backoff_and_the_rest_in_the_same_run(
    world: World, small_left_out_batches: None
) -> None:
    """Opening one member's DM (whichever is first: a batch's messages go side by side) gets Discord's 500: the
    other four messages go in the same run (the next batches too), that one a minute later; each member is told
    once."""
    actors = await left_out(world, 5)
    world.env.inject_error("POST", "/users/@me/channels", status=500)
    assert (await world.bot.run_due_jobs())["circles"]["left out"] == 4
    found = await rows(world, CircleLeftOut)
    assert sorted((item.delivery, item.attempts) for item in found) == [(DELIVERY_DUE, 1)] + [(DELIVERY_SENT, 0)] * 4
    assert (await world.bot.run_due_jobs())["circles"]["left out"] == 0  # waits its backoff
    await world.env.advance_time(MINUTE + 1)
    assert (await world.bot.run_due_jobs())["circles"]["left out"] == 1
    assert all(len(left_out_dms(actor)) == 1 for actor in actors)


async def test_another_shards_left_out_messages_never_fill_a_batch(
    world: World, small_left_out_batches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another guild's three owed messages come first by id: a batch of two still holds only this process's,
    the due work tells all five of this process's members in one run, and the other guild's are left untouched
    for their owner."""
    other = world.guild.id + 1
    await left_out(world, 3, guild_id=other)
    actors = await left_out(world, 5)

    def owns(guild_id: int) -> bool:
        return guild_id == world.guild.id

    async with world.bot.db.write() as session:
        first = await store_rounds.lease_left_outs(session, world.bot.clock(), owns, 2)
        assert [item.guild_id for item in first] == [world.guild.id] * 2
        await session.execute(update(CircleLeftOut).values(send_after=world.bot.clock()))  # the lease given back
    monkeypatch.setattr(world.bot, "owns_guild", owns)
    assert (await world.bot.run_due_jobs())["circles"]["left out"] == 5
    assert all(len(left_out_dms(actor)) == 1 for actor in actors)
    owed = {(item.guild_id, item.delivery) for item in await rows(world, CircleLeftOut)}
    assert owed == {(other, DELIVERY_DUE), (world.guild.id, DELIVERY_SENT)}
