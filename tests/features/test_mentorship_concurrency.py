"""Database invariants under concurrency: capacity, one answer per proposal, one proposal per pair."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage import mentorship as store
from storage.mentorship import proposals as proposals_module
from storage.models.mentorship import ACCEPTED, CANCELLED, NOTICE_INVITE, PENDING_MENTOR
from tests.conftest import World
from tests.features.test_mentorship_support import mentors, offer, pairings, proposals, request

EXPIRY = timedelta(days=3)


async def _proposed_to(world: World, count: int, capacity: int) -> list[int]:
    """Alice mentors with `capacity` places; `count` mentees each hold a proposal she accepted."""
    await offer(world, world.alice, capacity=capacity)
    people = [world.add_member(f"mentee{index}") for index in range(count)]
    await world.env.settle()
    for person in people:
        await request(world, person)
    ids = []
    now = world.bot.clock()
    async with world.bot.db.write() as session:
        for person in people:
            proposal = await store.create_proposal(
                session,
                world.guild.id,
                world.alice.id,
                person.id,
                score=50,
                reason="r",
                shared_themes="career",
                now=now,
                expiry=EXPIRY,
            )
            assert proposal is not None
            assert await store.mentor_accepts(session, proposal.id, now, EXPIRY)
            ids.append(proposal.id)
    return ids


async def _accept(world: World, proposal_id: int) -> str:
    async with world.bot.db.write() as session:
        outcome, _pairing = await store.mentee_accepts(session, proposal_id, world.bot.clock(), (14, 45))
    return outcome


async def test_two_mentees_accepting_at_once_never_exceed_capacity(world: World) -> None:
    """Two mentees accept the same one-place mentor at the same moment: exactly one pairing."""
    ids = await _proposed_to(world, 2, capacity=1)
    outcomes = await asyncio.gather(*(_accept(world, pid) for pid in ids))
    assert sorted(outcomes) == ["accepted", "full"]
    assert len(await pairings(world)) == 1
    assert (await mentors(world))[0].active_count == 1
    assert sorted(p.status for p in await proposals(world)) == [ACCEPTED, CANCELLED]


async def test_many_mentees_accepting_at_once_fill_exactly_the_capacity(world: World) -> None:
    """Eight accepting at once against three places: three pairings, five told the places filled."""
    ids = await _proposed_to(world, 8, capacity=3)
    outcomes = await asyncio.gather(*(_accept(world, pid) for pid in ids))
    assert outcomes.count("accepted") == 3 and outcomes.count("full") == 5
    assert len(await pairings(world)) == 3
    assert (await mentors(world))[0].active_count == 3


async def test_a_proposal_is_answered_only_once(world: World) -> None:
    """Two accepts of the same proposal at once (double click, two processes): one wins."""
    await offer(world, world.alice)
    await request(world, world.bob)
    now = world.bot.clock()
    async with world.bot.db.write() as session:
        proposal = await store.create_proposal(
            session,
            world.guild.id,
            world.alice.id,
            world.bob.id,
            score=1,
            reason="r",
            shared_themes="",
            now=now,
            expiry=EXPIRY,
        )
    assert proposal is not None

    async def mentor_yes() -> bool:
        async with world.bot.db.write() as session:
            return await store.mentor_accepts(session, proposal.id, now, EXPIRY)

    assert sorted(await asyncio.gather(mentor_yes(), mentor_yes())) == [False, True]
    assert sorted(await asyncio.gather(_accept(world, proposal.id), _accept(world, proposal.id))) == [
        "accepted",
        "stale",
    ]
    assert len(await pairings(world)) == 1


async def test_a_pair_is_proposed_at_most_once(world: World) -> None:
    """The unique constraint on (guild, mentor, mentee) refuses a second proposal for the same pair."""
    now = world.bot.clock()
    async with world.bot.db.write() as session:
        first = await store.create_proposal(
            session, world.guild.id, 1, 2, score=1, reason="r", shared_themes="", now=now, expiry=EXPIRY
        )
        second = await store.create_proposal(
            session, world.guild.id, 1, 2, score=1, reason="r", shared_themes="", now=now, expiry=EXPIRY
        )
    assert first is not None and second is None
    assert len(await proposals(world)) == 1


async def test_a_rounds_proposals_go_in_batches_and_skip_pairs_proposed_before(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round's proposals are inserted a batch at a time. A pair proposed meanwhile (by a moderator, say) is
    skipped, as the unique pair key wants, and only the proposals this round created come back."""
    monkeypatch.setattr(proposals_module, "ROUND_INSERT_BATCH", 2)
    now = world.bot.clock()
    async with world.bot.db.write() as session:
        earlier = await store.create_proposal(
            session, world.guild.id, 1, 12, score=1, reason="by hand", shared_themes="", now=now, expiry=EXPIRY
        )
    assert earlier is not None
    pairs = [
        store.NewProposal(mentor_id=1, mentee_id=10 + index, score=index, reason=f"why {index}", shared_themes="career")
        for index in range(5)
    ]
    async with world.bot.db.write() as session:
        created = await store.create_round_proposals(
            session, world.guild.id, pairs, now=now, expiry=EXPIRY, notice=NOTICE_INVITE
        )
    rows = {row.mentee_id: row for row in await proposals(world)}
    assert sorted(rows) == [10, 11, 12, 13, 14]
    assert created == sorted(rows[mentee].id for mentee in (10, 11, 13, 14))
    assert rows[12].reason == "by hand" and rows[12].notice is None
    for mentee in (10, 11, 13, 14):
        row = rows[mentee]
        assert (row.mentor_id, row.score, row.reason, row.shared_themes) == (
            1,
            mentee - 10,
            f"why {mentee - 10}",
            "career",
        )
        assert row.status == PENDING_MENTOR and row.notice == NOTICE_INVITE
        assert row.expires_at - row.created_at == EXPIRY
