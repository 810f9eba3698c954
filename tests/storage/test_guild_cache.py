"""The per-process copies of guild configuration (storage/guild_cache.py): right after every commit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, text, update

from config import default_themes
from storage import Database
from storage.care import save_support
from storage.guild_cache import MAX_AGE, GuildConfig, GuildConfigCache, SupportRow
from storage.guilds import ensure_settings, get_settings, update_settings
from storage.migrate import upgrade_to_head
from storage.models import GuildSettings, GuildTheme

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULTS = tuple((theme.key, theme.label) for theme in default_themes())


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def database(db_url: str, clock: Clock) -> Any:
    database = Database(db_url, clock=clock)
    database.prepare()
    await upgrade_to_head(database)
    yield database
    await database.dispose()


@pytest.fixture
def reads(database: Database) -> Iterator[list[str]]:
    """Every statement that loads a guild's configuration (on PostgreSQL the read engine is the writer too)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "guild_themes.label" in statement:
            seen.append(statement)

    event.listen(database.reader.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(database.reader.sync_engine, "before_cursor_execute", record)


async def configured(database: Database, guild_id: int, modlog: int | None = 555) -> None:
    async with database.write() as session:
        settings = await ensure_settings(session, guild_id, NOW)
        settings.modlog_channel_id = modlog


async def test_a_guild_without_settings_has_no_modlog_and_the_default_themes(database: Database) -> None:
    """Before any /setup, the mod-log is unset and the themes are the defaults."""
    assert await database.guild_config(7) == GuildConfig(None, DEFAULTS)


async def test_the_second_read_is_served_from_the_copy(database: Database, reads: list[str]) -> None:
    """One statement loads the mod-log channel and the themes; the next read runs none."""
    await configured(database, 1)
    first = await database.guild_config(1)
    assert first.modlog_channel_id == 555
    assert first.themes == DEFAULTS
    assert len(reads) == 1
    assert await database.guild_config(1) == first
    assert len(reads) == 1


async def test_a_committed_orm_change_is_seen_at_once(database: Database) -> None:
    """Changing the settings row through the ORM drops the copy when the transaction commits."""
    await configured(database, 1)
    await database.guild_config(1)
    async with database.write() as session:
        settings = await get_settings(session, 1)
        assert settings is not None
        settings.modlog_channel_id = 777
    assert (await database.guild_config(1)).modlog_channel_id == 777


async def test_a_committed_update_statement_on_themes_is_seen_at_once(database: Database) -> None:
    """An UPDATE statement on guild_themes (not a flush) drops the copies too."""
    await configured(database, 1)
    await database.guild_config(1)
    async with database.write() as session:
        await session.execute(update(GuildTheme).where(GuildTheme.key == "career").values(label="Work and careers"))
    assert ("career", "Work and careers") in (await database.guild_config(1)).themes


async def test_a_deleted_guild_reads_as_unconfigured(database: Database) -> None:
    """Deleting the settings row (the guild's themes go with it) leaves no copy behind."""
    await configured(database, 1)
    await database.guild_config(1)
    async with database.write() as session:
        await session.execute(delete(GuildSettings).where(GuildSettings.guild_id == 1))
    assert await database.guild_config(1) == GuildConfig(None, DEFAULTS)


async def test_a_textual_write_drops_every_copy(database: Database) -> None:
    """A raw SQL write may touch anything, so no copy survives it."""
    await configured(database, 1)
    await database.guild_config(1)
    async with database.write() as session:
        await session.execute(text("UPDATE guild_settings SET modlog_channel_id = 999"))
    assert (await database.guild_config(1)).modlog_channel_id == 999


async def test_a_rolled_back_change_keeps_the_copy(database: Database, reads: list[str]) -> None:
    """A write that fails changes nothing, so the copy stays and stays right."""
    await configured(database, 1)
    before = await database.guild_config(1)
    with pytest.raises(RuntimeError):
        async with database.write() as session:
            settings = await get_settings(session, 1)
            assert settings is not None
            settings.modlog_channel_id = 777
            await session.flush()
            raise RuntimeError("the handler failed")
    statements = len(reads)
    assert await database.guild_config(1) == before
    assert len(reads) == statements


async def test_other_guilds_keep_their_copies(database: Database, reads: list[str]) -> None:
    """A change to one guild's settings leaves other guilds' copies alone."""
    await configured(database, 1)
    await configured(database, 2, modlog=222)
    await database.guild_config(1)
    await database.guild_config(2)
    await configured(database, 1, modlog=111)
    statements = len(reads)
    assert (await database.guild_config(2)).modlog_channel_id == 222
    assert len(reads) == statements
    assert (await database.guild_config(1)).modlog_channel_id == 111


def test_a_read_that_overlapped_a_commit_is_not_kept() -> None:
    """What a read saw before a commit is not stored once the commit has dropped the copies."""
    cache = GuildConfigCache(Clock())
    generation = cache.generation  # the read starts
    cache.invalidate({1})  # a commit lands meanwhile
    cache.store(1, GuildConfig(555, DEFAULTS), generation)  # the read finishes with what it saw
    assert cache.get(1) is None


def test_copies_expire(clock: Clock) -> None:
    """A copy older than MAX_AGE is read again (a backstop for writes made by another process)."""
    cache = GuildConfigCache(clock)
    cache.store(1, GuildConfig(555, DEFAULTS), cache.generation)
    clock.now += MAX_AGE - timedelta(seconds=1)
    assert cache.get(1) == GuildConfig(555, DEFAULTS)
    clock.now += timedelta(seconds=1)
    assert cache.get(1) is None


async def test_the_whole_settings_row_comes_with_the_copy_and_changes_at_once(
    database: Database, reads: list[str]
) -> None:
    """/setup show reads the settings row from the copy: an UPDATE of any column is seen at the next read."""
    await configured(database, 1)
    first = (await database.guild_config(1)).settings_row()
    assert first is not None
    assert (first.guild_id, first.timezone, first.modlog_channel_id, first.retention_days) == (1, "UTC", 555, 30)
    statements = len(reads)
    async with database.write() as session:
        await update_settings(session, 1, NOW, {GuildSettings.timezone: "Asia/Manila"})
    again = (await database.guild_config(1)).settings_row()
    assert again is not None
    assert again.timezone == "Asia/Manila"
    assert len(reads) == statements  # the copy took the row the UPDATE returned


async def test_support_settings_come_with_the_copy_and_changes_at_once(database: Database) -> None:
    """The support settings ride in the copy too; saving them (an ORM flush) drops it."""
    await configured(database, 1)
    assert (await database.guild_config(1)).support is None
    async with database.write() as session:
        await save_support(session, 1, NOW, channel_id=42, people="the mods", helplines=None)
    assert (await database.guild_config(1)).support == SupportRow(42, "the mods", None)
    async with database.write() as session:
        await save_support(session, 1, NOW, people=None, helplines='[["Line", "https://example.org"]]')
    assert (await database.guild_config(1)).support == SupportRow(42, None, '[["Line", "https://example.org"]]')


async def test_a_settings_update_refreshes_the_copy_without_a_read(database: Database, reads: list[str]) -> None:
    """`update_settings` alone: the guild's copy takes the row it wrote (the same as reading it again), and other
    guilds keep their copies, with no statement to load either."""
    await configured(database, 1)
    await configured(database, 2, modlog=222)
    await database.guild_config(1)
    other = await database.guild_config(2)
    statements = len(reads)
    async with database.write() as session:
        await update_settings(
            session, 1, NOW, {GuildSettings.timezone: "Asia/Manila", GuildSettings.modlog_channel_id: 9}
        )
    copy = await database.guild_config(1)
    assert await database.guild_config(2) == other
    assert len(reads) == statements
    database.config_cache.invalidate({1})
    assert copy == await database.guild_config(1)
    assert copy.modlog_channel_id == 9
    settings = copy.settings_row()
    assert settings is not None
    assert settings.timezone == "Asia/Manila"


async def test_a_settings_update_beside_another_config_write_drops_the_copy(database: Database) -> None:
    """When the same transaction also changes the themes, the copy is read again: the row alone would miss it."""
    await configured(database, 1)
    await database.guild_config(1)
    async with database.write() as session:
        await session.execute(update(GuildTheme).where(GuildTheme.key == "career").values(label="Work and careers"))
        await update_settings(session, 1, NOW, {GuildSettings.timezone: "Asia/Manila"})
    config = await database.guild_config(1)
    assert ("career", "Work and careers") in config.themes
    async with database.write() as session:
        await update_settings(session, 1, NOW, {GuildSettings.timezone: "Asia/Tokyo"})
        await session.execute(update(GuildTheme).where(GuildTheme.key == "career").values(label="Careers"))
    config = await database.guild_config(1)
    assert ("career", "Careers") in config.themes
    settings = config.settings_row()
    assert settings is not None
    assert settings.timezone == "Asia/Tokyo"


async def test_a_rolled_back_settings_update_keeps_the_copy(database: Database, reads: list[str]) -> None:
    """A settings update that fails leaves the copy as it was, and the next transaction starts with no marks."""
    await configured(database, 1)
    before = await database.guild_config(1)
    with pytest.raises(RuntimeError):
        async with database.write() as session:
            await update_settings(session, 1, NOW, {GuildSettings.timezone: "Asia/Manila"})
            raise RuntimeError("the handler failed")
    assert await database.guild_config(1) == before
    async with database.write() as session:
        await update_settings(session, 1, NOW, {GuildSettings.timezone: "Asia/Tokyo"})
    statements = len(reads)
    settings = (await database.guild_config(1)).settings_row()
    assert settings is not None
    assert settings.timezone == "Asia/Tokyo"
    assert len(reads) == statements
