"""Engine and unit-of-work factory.

On SQLite, writers are serialised: one writer connection whose transactions start with
`BEGIN IMMEDIATE` (a deferred read-then-write transaction cannot upgrade its lock under load:
see shared/MEASURED.md), while readers use their own pool under WAL, in autocommit. On PostgreSQL one pool
serves both, reads in autocommit too; invariants are kept by constraints and conditional statements.

A pooled PostgreSQL connection is checked before each unit of work without a round trip (`_check_on_checkout`):
one the server closed (a restart, `pg_terminate_backend`, an idle timeout) is replaced before the unit of work
runs on it, and only one that sat idle for PING_AFTER_IDLE is pinged, for a network that dropped it silently.
SQLAlchemy's `pool_pre_ping` pinged every checkout, and on asyncpg a ping is three round trips (`BEGIN`, an
empty statement, `ROLLBACK`): half of a short unit of work's six (docs/scale.md, "Due work at scale").
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Result, event, exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import guild_cache, sqlite_driver
from storage.guild_cache import GuildConfig, GuildConfigCache

log = logging.getLogger(__name__)

# A pooled PostgreSQL connection idle this long is pinged before use: a connection the server closed is noticed
# without one (its socket is closed), but a network that dropped it silently (a NAT or firewall timeout) is not.
PING_AFTER_IDLE = 60.0  # seconds
_CHECKED_IN_AT = "lantern_checked_in_at"  # in each pool entry's info: when it last went back to the pool
# Connections kept in the pools: SQLite's readers (the writer is one), PostgreSQL's for reads and writes. All are
# kept open: with a pool of a few plus "overflow" connections, every burst of interactions opened the overflow
# ones (a thread and six PRAGMAs each on SQLite; a server session and its setup on PostgreSQL) and closed them
# when it ended (docs/scale.md, "Bursts, fourth pass").
READERS = 8
CONNECTIONS = 20

# What a query function running only Core statements reads through: a session, or `Database.rows()`'s connection.
Reader = AsyncSession | AsyncConnection


def rowcount(result: Result[Any]) -> int:
    """The rows an INSERT, UPDATE or DELETE matched. `session.execute()` is typed as returning a `Result`;
    for those statements it is a `CursorResult`, which has `rowcount`."""
    return cast(CursorResult[Any], result).rowcount


def dialect_name(reader: Reader) -> str:
    """The backend a session or `Database.rows()`'s connection talks to: "sqlite" or "postgresql"."""
    return reader.dialect.name if isinstance(reader, AsyncConnection) else reader.get_bind().dialect.name


def dialect_insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT for this session's backend, so `on_conflict_do_nothing()` and `returning()` are available
    on SQLite and PostgreSQL alike."""
    if dialect_name(session) == "postgresql":
        return pg_insert(model)
    return sqlite_insert(model)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for PostgreSQL, memory or URI databases)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _checkpoint(path: Path, busy_timeout_ms: int) -> bool:
    """Copy the write-ahead log into the database file and truncate it; True if another connection kept it busy."""
    connection = sqlite3.connect(path, timeout=busy_timeout_ms / 1000)
    try:
        busy, _frames, _copied = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return bool(busy)
    finally:
        connection.close()


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int, writer: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN, so we choose its kind.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # Deleted rows are overwritten with zeros, not left in free space: erased words leave the file.
        cursor.execute("PRAGMA secure_delete=ON")
        if not writer:
            cursor.execute("PRAGMA query_only=ON")  # a write through read() fails loudly
        cursor.close()

    if not writer:
        # Readers run in autocommit: under WAL each statement reads a consistent snapshot, and no
        # BEGIN/ROLLBACK round trips to the driver's thread are spent on them.
        return

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engines(url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> tuple[AsyncEngine, AsyncEngine]:
    """Return (writer, reader) engines for `url`; on PostgreSQL both share one pool."""
    if url.startswith("sqlite"):
        # One trip to aiosqlite's thread per statement instead of four (storage/sqlite_driver.py).
        writer = create_async_engine(
            url, echo=echo, pool_size=1, max_overflow=0, pool_timeout=60, module=sqlite_driver.dbapi()
        )
        _configure_sqlite(writer, busy_timeout_ms=busy_timeout_ms, writer=True)
        # Eight readers kept open, none opened for a burst and closed after it (READERS).
        reader = create_async_engine(
            url, echo=echo, pool_size=READERS, max_overflow=0, pool_reset_on_return=None, module=sqlite_driver.dbapi()
        )
        _configure_sqlite(reader, busy_timeout_ms=busy_timeout_ms, writer=False)
        return writer, reader
    engine = create_async_engine(url, echo=echo, pool_size=CONNECTIONS, max_overflow=0)
    _check_on_checkout(engine)
    # Reads in autocommit, as SQLite's readers: each statement sees a consistent snapshot of its own, and a read of
    # one statement is one round trip instead of three (BEGIN, the statement, ROLLBACK when the pool takes the
    # connection back). Same pool; asyncpg's autocommit is a flag on the connection, set and reset without a trip.
    return engine, engine.execution_options(isolation_level="AUTOCOMMIT")


def _check_on_checkout(engine: AsyncEngine) -> None:
    """Replace a pooled connection the server closed before a unit of work runs on it, without a round trip;
    ping only one idle for PING_AFTER_IDLE seconds. Raising `DisconnectionError` at checkout makes the pool
    reconnect and check again; a failed ping, like SQLAlchemy's own pre-ping, replaces every older connection."""
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise exc.DisconnectionError("the server closed this connection while it was in the pool")
        checked_in_at = record.info.pop(_CHECKED_IN_AT, None)  # a connection made just now has none
        if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.InvalidatePoolError(f"an idle connection failed its ping: {error}") from error


class Database:
    """The bot's handle on storage: `write()` and `read()` are units of work."""

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_ms: int = 5000,
        clock: Callable[[], datetime] = _utcnow,
        cache_size: int = guild_cache.MAX_GUILDS,
    ) -> None:
        self.url = url
        self.busy_timeout_ms = busy_timeout_ms
        self.writer, self.reader = create_engines(url, busy_timeout_ms=busy_timeout_ms)
        self.config_cache = GuildConfigCache(clock, max_guilds=cache_size)
        # The cache rides in each write session's info, where the listeners in storage.guild_cache find it (they
        # watch write sessions only).
        self._write_sessions = async_sessionmaker(
            self.writer,
            expire_on_commit=False,
            info={guild_cache.INFO_KEY: self.config_cache},
            sync_session_class=guild_cache.WriteSession,
        )
        self._read_sessions = async_sessionmaker(self.reader, expire_on_commit=False)

    def prepare(self) -> None:
        """Create the SQLite file's folder if it is missing (the only filesystem side effect)."""
        path = sqlite_path(self.url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    @property
    def kind(self) -> str:
        return "SQLite" if self.writer.dialect.name == "sqlite" else "PostgreSQL"

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction that may write; commits on success, rolls back on error."""
        async with self._write_sessions.begin() as session:
            yield session

    @asynccontextmanager
    async def rows(self) -> AsyncIterator[AsyncConnection]:
        """A read-only unit of work on a plain connection, for the hottest reads of plain columns: no ORM session
        to build and close (measured on the benchmark machine: 337 function calls and about 0.3 ms of the loop
        for a one-statement read, against 492 and 0.5 ms through `read()`). Query functions that run only Core
        statements accept either (`Reader`)."""
        async with self.reader.connect() as connection:
            yield connection

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """One read-only unit of work (never commits; autocommit reads, on SQLite on a query-only connection)."""
        async with self._read_sessions() as session:
            yield session

    async def scrub(self) -> None:
        """After an erasure, make what was deleted unreadable from the files too (SQLite).

        With `secure_delete` the deleted rows are zeroed in the pages written to the write-ahead log; the
        log itself still holds earlier copies of those pages until a checkpoint copies the new ones into
        the database file and empties it. PostgreSQL: see PRIVACY.md (dead tuples wait for VACUUM)."""
        path = sqlite_path(self.url)
        if path is None:
            return
        busy = await asyncio.to_thread(_checkpoint, path, self.busy_timeout_ms)
        if busy:
            log.warning("the write-ahead log of %s was in use; erased rows leave it at the next checkpoint", path)

    async def guild_config(self, guild_id: int) -> GuildConfig:
        """The guild's mod-log channel and enabled themes, from this process's copy when it has one."""
        found = self.config_cache.get(guild_id)
        if found is not None:
            return found
        generation = self.config_cache.generation
        async with self.rows() as connection:
            config = await guild_cache.load_guild_config(connection, guild_id)
        self.config_cache.store(guild_id, config, generation)
        return config

    async def dispose(self) -> None:
        await self.writer.dispose()
        if self.reader.pool is not self.writer.pool:
            await self.reader.dispose()
