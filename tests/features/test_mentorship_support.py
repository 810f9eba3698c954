"""Helpers shared by the mentor-pairing feature tests (no tests here)."""

from __future__ import annotations

from typing import Any

import pytest
from simcord import MemberActor
from sqlalchemy import select

from cogs.mentorship import rules
from storage.models.mentorship import (
    MenteeProfile,
    MentorProfile,
    MentorshipBlock,
    MentorshipCheckin,
    MentorshipPairing,
    MentorshipProposal,
)
from tests.conftest import World

DAY = 24 * 3600
# A fresh worker process imports numpy and the engine before its first round: seconds on a loaded machine,
# longer than SimCord's default 5 s settle budget. Timing is not what these tests check.
WORKER_START_SETTLE = 60.0


def round_in_worker(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every round run in the worker process, with time for that process to start."""
    monkeypatch.setattr(rules, "INLINE_MATCH_LIMIT", 0)
    monkeypatch.setattr(world.env, "settle_timeout", WORKER_START_SETTLE)


async def offer(world: World, actor: MemberActor, **options: Any) -> Any:
    options = {"themes": "career, identity", "timezone": "Asia/Manila", **options}
    return await actor.slash(world.general, "mentor offer", **options)


async def request(world: World, actor: MemberActor, **options: Any) -> Any:
    options = {"themes": "career", "timezone": "Asia/Tokyo", **options}
    return await actor.slash(world.general, "mentor request", **options)


async def rows(world: World, model: Any) -> list[Any]:
    async with world.bot.db.read() as session:
        return list((await session.scalars(select(model).order_by(model.id))).all())


async def proposals(world: World) -> list[MentorshipProposal]:
    return await rows(world, MentorshipProposal)


async def pairings(world: World) -> list[MentorshipPairing]:
    return await rows(world, MentorshipPairing)


async def mentors(world: World) -> list[MentorProfile]:
    return await rows(world, MentorProfile)


async def mentees(world: World) -> list[MenteeProfile]:
    return await rows(world, MenteeProfile)


async def blocks(world: World) -> list[MentorshipBlock]:
    return await rows(world, MentorshipBlock)


async def checkins(world: World) -> list[MentorshipCheckin]:
    return await rows(world, MentorshipCheckin)


def dms(actor: MemberActor) -> list[Any]:
    channel = actor.user.dm_channel
    return list(channel.history()) if channel is not None else []


def last_dm(actor: MemberActor) -> Any:
    messages = dms(actor)
    assert messages, f"{actor.name} has no DM"
    return messages[-1]


def custom_ids(message: Any) -> list[str]:
    return [child.custom_id for row in message.components for child in row.children]


def button(message: Any, prefix: str) -> str:
    """The custom id of the message's button whose id starts with `prefix` (e.g. 'mentor:proposal')."""
    found = [cid for cid in custom_ids(message) if cid.startswith(prefix) or cid.endswith(prefix)]
    assert found, f"no button {prefix!r} in {custom_ids(message)}"
    return found[0]


async def opted_in_pair(world: World, mentor: MemberActor | None = None, mentee: MemberActor | None = None) -> None:
    """Alice offers to mentor career and identity; Bob asks for help with career."""
    await offer(world, mentor or world.alice, languages="English, Tagalog")
    await request(world, mentee or world.bob, languages="Tagalog")


async def run_round(world: World) -> Any:
    return await world.mod.slash(world.general, "pairing run")


async def accept_as_mentor(world: World, mentor: MemberActor) -> Any:
    dm = last_dm(mentor)
    return await mentor.user.click(dm, custom_id=button(dm, ":accept"))


async def matched(world: World) -> MentorshipPairing:
    """Alice and Bob opt in, a round proposes them, both accept: the pairing."""
    await opted_in_pair(world)
    await run_round(world)
    await accept_as_mentor(world, world.alice)
    dm = last_dm(world.bob)
    await world.bob.user.click(dm, custom_id=button(dm, ":accept"))
    (pairing,) = await pairings(world)
    return pairing
