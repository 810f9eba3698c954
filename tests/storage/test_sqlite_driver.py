"""The one-trip SQLite adapter (storage/sqlite_driver.py): same results as SQLAlchemy's, fewer trips."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import func, insert, select, text, update

from storage import Database
from storage.guilds import ensure_settings
from storage.migrate import upgrade_to_head
from storage.models import GuildSettings, GuildTheme

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def database(tmp_path: Any) -> Any:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    database.prepare()
    await upgrade_to_head(database)
    yield database
    await database.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call queued to an aiosqlite thread, by function name."""
    calls: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(fn, "__name__", type(fn).__name__))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


async def test_a_write_is_one_trip_per_statement_plus_begin_and_commit(database: Database, trips: list[str]) -> None:
    async with database.write() as session:  # warm: the pool has its connection
        await ensure_settings(session, 1, NOW)
    trips.clear()
    async with database.write() as session:
        await session.execute(update(GuildSettings).where(GuildSettings.guild_id == 1).values(timezone="Asia/Manila"))
    # BEGIN IMMEDIATE with the UPDATE, then COMMIT; no ROLLBACK when the pool takes the connection back.
    assert trips == ["_run", "commit"]
    async with database.read() as session:
        assert (await session.get(GuildSettings, 1)).timezone == "Asia/Manila"


async def test_a_read_is_one_trip(database: Database, trips: list[str]) -> None:
    async with database.write() as session:
        await ensure_settings(session, 1, NOW)
    async with database.read() as session:  # warm: the reader pool has a connection
        await session.get(GuildSettings, 1)
    trips.clear()
    async with database.read() as session:
        keys = (await session.execute(select(GuildTheme.key).where(GuildTheme.guild_id == 1))).scalars().all()
    assert len(keys) == 12
    assert trips == ["_run"]


async def test_rowcount_lastrowid_and_executemany(database: Database) -> None:
    async with database.write() as session:
        await ensure_settings(session, 1, NOW)
        await ensure_settings(session, 2, NOW)
        await ensure_settings(session, 3, NOW)
        result = await session.execute(update(GuildTheme).where(GuildTheme.guild_id == 1).values(enabled=False))
        assert result.rowcount == 12  # type: ignore[attr-defined]
        # executemany: one trip for all the rows
        await session.execute(
            insert(GuildTheme),
            [{"guild_id": 3, "key": f"extra{i}", "label": f"L{i}", "enabled": True, "position": i} for i in range(5)],
        )
    async with database.read() as session:
        count = (await session.execute(select(func.count()).select_from(GuildTheme))).scalar()
        disabled = (await session.execute(select(func.count()).where(GuildTheme.enabled.is_(False)))).scalar()
    assert (count, disabled) == (41, 12)


async def test_an_error_rolls_back_and_the_writer_carries_on(database: Database) -> None:
    async with database.write() as session:
        await ensure_settings(session, 1, NOW)
    with pytest.raises(Exception, match="NOT NULL"):
        async with database.write() as session:
            await session.execute(
                update(GuildSettings).where(GuildSettings.guild_id == 1).values(timezone="Asia/Tokyo")
            )
            await session.execute(text("INSERT INTO guild_settings (guild_id) SELECT guild_id FROM guild_settings"))
    async with database.write() as session:  # the writer is free and its transaction was rolled back
        assert (await session.get(GuildSettings, 1)).timezone == "UTC"
        await session.execute(update(GuildSettings).where(GuildSettings.guild_id == 1).values(timezone="Asia/Seoul"))
    async with database.read() as session:
        assert (await session.get(GuildSettings, 1)).timezone == "Asia/Seoul"


async def test_readers_still_refuse_writes(database: Database) -> None:
    with pytest.raises(Exception, match=r"readonly|query_only|attempt to write"):
        async with database.read() as session:
            await session.execute(text("DELETE FROM guild_settings"))


async def test_a_unit_of_work_that_runs_nothing_costs_no_trip(database: Database, trips: list[str]) -> None:
    async with database.write():  # warm
        pass
    trips.clear()
    async with database.write():
        pass
    assert trips == []


async def test_a_locked_database_fails_the_first_statement_and_the_writer_recovers(tmp_path: Any) -> None:
    """The BEGIN rides with the first statement, so a lock held elsewhere surfaces there, inside the unit of
    work; nothing is left open, and the next unit of work succeeds once the lock is gone."""
    import sqlite3

    path = tmp_path / "locked.db"
    database = Database(f"sqlite+aiosqlite:///{path}", busy_timeout_ms=0)
    database.prepare()
    await upgrade_to_head(database)
    try:
        async with database.write() as session:
            await ensure_settings(session, 1, NOW)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(Exception, match="locked"):
            async with database.write() as session:
                await session.execute(update(GuildSettings).values(timezone="Asia/Tokyo"))
        other.execute("ROLLBACK")
        other.close()
        async with database.write() as session:
            await session.execute(update(GuildSettings).values(timezone="Asia/Seoul"))
        async with database.read() as session:
            assert (await session.get(GuildSettings, 1)).timezone == "Asia/Seoul"
    finally:
        await database.dispose()
