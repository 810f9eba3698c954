"""Mentorship rounds and the privacy purge are, like prompts, done only by the process holding the guild."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Departure
from storage.models.mentorship import MentorshipSchedule
from tests.conftest import World

DAY = 24 * 3600


async def test_a_scheduled_round_of_another_shard_is_not_claimed(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that doesn't own the guild leaves its due round untouched; the owner then runs it."""
    await world.mod.slash(world.general, "pairing auto every_days", days=7)
    async with world.bot.db.read() as session:
        before = await session.scalar(select(MentorshipSchedule.next_round_at))
    await world.env.advance_time(8 * DAY)
    monkeypatch.setattr(world.bot, "owns_guild", lambda guild_id: False)
    await world.bot.run_due_jobs()
    async with world.bot.db.read() as session:
        assert await session.scalar(select(MentorshipSchedule.next_round_at)) == before
    monkeypatch.undo()
    await world.bot.run_due_jobs()
    async with world.bot.db.read() as session:
        assert await session.scalar(select(MentorshipSchedule.next_round_at)) > before


async def test_the_retention_purge_of_another_shard_is_left_to_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A departed member's data is erased by the process holding the guild, not by another one."""
    world.guild.remove_member(world.bob)
    await world.env.settle()
    await world.env.advance_time(31 * DAY)
    monkeypatch.setattr(world.bot, "owns_guild", lambda guild_id: False)
    await world.bot.run_due_jobs()
    async with world.bot.db.read() as session:
        assert await session.scalar(select(Departure.user_id)) == world.bob.id
    monkeypatch.undo()
    await world.bot.run_due_jobs()
    async with world.bot.db.read() as session:
        assert await session.scalar(select(Departure.user_id)) is None
