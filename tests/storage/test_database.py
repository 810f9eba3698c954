"""Units of work and column types, on a real database file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from storage import Database
from storage.guilds import enabled_themes, ensure_settings
from storage.migrate import upgrade_to_head
from storage.models import GuildSettings, GuildTheme


@pytest.fixture
async def database(db_url: str) -> Any:
    database = Database(db_url)
    database.prepare()
    await upgrade_to_head(database)
    yield database
    await database.dispose()


async def test_datetimes_come_back_aware_utc(database: Database) -> None:
    """A datetime stored with any offset is read back as the same instant, aware, in UTC."""
    manila = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    async with database.write() as session:
        await ensure_settings(session, 42, manila)
    async with database.read() as session:
        settings = await session.get(GuildSettings, 42)
    assert settings.created_at == manila
    assert settings.created_at.tzinfo is not None
    assert settings.created_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(database: Database) -> None:
    """Storing a naive datetime is a programming error, caught at once."""
    with pytest.raises(Exception, match="naive datetime"):
        async with database.write() as session:
            session.add(GuildSettings(guild_id=7, created_at=datetime(2026, 1, 1), updated_at=datetime(2026, 1, 1)))  # noqa: DTZ001


async def test_a_failed_unit_of_work_leaves_nothing_behind(database: Database) -> None:
    """An exception inside write() rolls the whole transaction back."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(RuntimeError):
        async with database.write() as session:
            await ensure_settings(session, 99, now)
            raise RuntimeError("boom")
    async with database.read() as session:
        assert await session.get(GuildSettings, 99) is None
        assert (await session.execute(select(func.count()).select_from(GuildTheme))).scalar() == 0


async def test_new_guilds_get_the_default_themes_once(database: Database) -> None:
    """ensure_settings seeds the twelve default themes the first time only."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    async with database.write() as session:
        await ensure_settings(session, 5, now)
    async with database.write() as session:
        await ensure_settings(session, 5, now)
    async with database.read() as session:
        themes = await enabled_themes(session, 5)
    assert len(themes) == 12
    assert themes[0] == ("identity", "Identity exploration")


async def test_concurrent_writers_all_succeed(database: Database) -> None:
    """Two hundred read-then-write transactions at once: none fails with 'database is locked'."""
    now = datetime(2026, 1, 1, tzinfo=UTC)

    async def one(guild_id: int) -> None:
        async with database.write() as session:
            settings = await ensure_settings(session, guild_id, now)
            settings.timezone = "Asia/Tokyo"

    await asyncio.gather(*(one(1000 + i) for i in range(200)))
    async with database.read() as session:
        count = (await session.execute(select(func.count()).select_from(GuildSettings))).scalar()
    assert count == 200


async def test_a_write_through_a_read_session_fails(database: Database) -> None:
    """read() is for reading: on SQLite a write through it is refused instead of silently committed."""
    if database.dialect != "sqlite":
        pytest.skip("query_only is a SQLite guard (PostgreSQL reads run in autocommit): every default test run has it")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(Exception, match=r"readonly|read-only|query_only|attempt to write"):
        async with database.read() as session:
            await ensure_settings(session, 77, now)
    async with database.read() as session:
        assert await session.get(GuildSettings, 77) is None
