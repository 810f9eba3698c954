"""Owed messages are leased a batch at a time by one conditional update (storage/owed.py): of processes racing
for the same rows each row goes to exactly one; a row leased or settled by another is not taken; a dead
process's lease is taken over once it has run out. Real database, migrations applied, two `Database` handles
standing for two processes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from storage import Database
from storage.circles import checkins as store
from storage.models.circles import DELIVERY_DUE, DELIVERY_SENT, FORMED, Circle, CircleCheckin
from storage.owed import LEASE, take_leases

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
GUILD = 42


@pytest.fixture
def two(two_databases: tuple[Database, Database]) -> tuple[Database, Database]:
    return two_databases


async def owe(database: Database, count: int) -> None:
    """`count` check-in DMs owed now, in one formed circle (ids 1..count)."""
    async with database.write() as session:
        await session.execute(
            insert(Circle),
            [dict(id=1, guild_id=GUILD, status=FORMED, created_at=NOW, expires_at=NOW, checkins_sent=1)],
        )
        await session.execute(
            insert(CircleCheckin),
            [
                dict(circle_id=1, guild_id=GUILD, user_id=1000 + n, day=14, delivery=DELIVERY_DUE, send_after=NOW)
                for n in range(count)
            ],
        )


async def lease(database: Database, at: datetime, limit: int = 100) -> list[int]:
    async with database.write() as session:
        return [checkin.id for checkin in await store.lease_checkins(session, at, lambda guild: True, limit)]


async def test_processes_racing_for_the_same_rows_take_each_exactly_once(two: tuple[Database, Database]) -> None:
    first, second = two
    await owe(first, 30)
    batches = await asyncio.gather(*(lease(database, NOW, 10) for database in (first, second, first, second)))
    batches += await asyncio.gather(lease(first, NOW, 10), lease(second, NOW, 10))
    taken = [row for batch in batches for row in batch]
    assert sorted(taken) == list(range(1, 31))  # every row, none twice


async def test_a_row_leased_by_another_after_it_was_read_is_not_taken_again(two: tuple[Database, Database]) -> None:
    """The second process read the rows (ids 1-3 due) before the first leased them; its update finds them no longer
    due and takes none."""
    first, second = two
    await owe(first, 3)
    assert await lease(first, NOW) == [1, 2, 3]
    due = (CircleCheckin.delivery == DELIVERY_DUE, CircleCheckin.send_after <= NOW)
    async with second.write() as session:
        assert await take_leases(session, CircleCheckin, CircleCheckin.send_after, due, [1, 2, 3], NOW) == set()


async def test_a_leased_row_waits_out_its_lease_then_is_taken_over_once(two: tuple[Database, Database]) -> None:
    first, second = two
    await owe(first, 3)
    assert await lease(first, NOW) == [1, 2, 3]
    assert await lease(second, NOW + LEASE - timedelta(seconds=1)) == []  # the first process still holds them
    later = NOW + LEASE + timedelta(seconds=1)  # it died without settling them
    assert await lease(second, later) == [1, 2, 3]
    assert await lease(first, later) == []


async def test_a_settled_row_is_never_leased_again(two: tuple[Database, Database]) -> None:
    first, second = two
    await owe(first, 2)
    (one, other) = await lease(first, NOW)
    async with first.write() as session:
        await store.settle_checkin(session, one, DELIVERY_SENT)
    assert await lease(second, NOW + LEASE + timedelta(seconds=1)) == [other]


async def test_rows_of_guilds_another_process_owns_are_left_and_never_fill_a_batch(
    two: tuple[Database, Database],
) -> None:
    first, _ = two
    await owe(first, 4)
    async with first.write() as session:
        await session.execute(
            insert(Circle),
            [dict(id=2, guild_id=GUILD + 1, status=FORMED, created_at=NOW, expires_at=NOW, checkins_sent=1)],
        )
        await session.execute(
            insert(CircleCheckin),
            [dict(circle_id=2, guild_id=GUILD + 1, user_id=1, day=14, delivery=DELIVERY_DUE, send_after=NOW)],
        )
    async with first.write() as session:
        mine = await store.lease_checkins(session, NOW, lambda guild: guild == GUILD + 1, 2)
    assert [(checkin.id, checkin.guild_id) for checkin in mine] == [(5, GUILD + 1)]
