"""PostgreSQL's pooled connections: a connection the server closed never fails a unit of work, and a connection in
use is not pinged before each one (storage/database.py, `_check_on_checkout`).

Each test gets its own database (`pg_url`); they are skipped without LANTERN_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from storage import database
from storage.database import Database

CONCURRENT = 4  # units of work held open at once, so the pool holds this many connections


async def _fill_pool(db: Database) -> set[int]:
    """Run CONCURRENT units of work side by side (reads and writes); the server pids of their connections."""
    pids: set[int] = set()
    started = asyncio.Event()
    waiting = 0

    async def one(index: int) -> None:
        nonlocal waiting
        unit = db.write() if index % 2 else db.read()
        async with unit as session:
            pids.add((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            waiting += 1
            if waiting == CONCURRENT:
                started.set()
            await started.wait()  # every connection checked out at once

    await asyncio.gather(*(one(index) for index in range(CONCURRENT)))
    return pids


async def _terminate(url: str, pids: set[int]) -> None:
    """What a PostgreSQL restart does to the pool's connections: end their server processes, and wait until
    they are gone."""
    admin = make_url(url)
    connection = await asyncpg.connect(
        user=admin.username, password=admin.password, host=admin.host, port=admin.port or 5432, database=admin.database
    )
    try:
        for pid in pids:
            await connection.execute("SELECT pg_terminate_backend($1)", pid)
        deadline = time.monotonic() + 10
        while await connection.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = any($1::int[])", list(pids)):
            assert time.monotonic() < deadline, "the terminated backends are still there"
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    await asyncio.sleep(0.05)  # the closed sockets reach the pool's connections


def _count_pings(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    pings: list[Any] = []
    dialect = db.writer.sync_engine.dialect
    ping = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return pings


async def test_units_of_work_after_postgresql_ends_every_pooled_connection_succeed(pg_url: str) -> None:
    """After the server ends every pooled connection (as a restart does), the next reads and writes all
    succeed, on new connections."""
    db = Database(pg_url)
    try:
        before = await _fill_pool(db)
        assert len(before) == CONCURRENT
        await _terminate(pg_url, before)

        after = await _fill_pool(db)

        assert len(after) == CONCURRENT
        assert not after & before
    finally:
        await db.dispose()


async def test_a_connection_in_use_is_not_pinged_before_each_unit_of_work(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection back in the pool a moment ago goes straight to the next unit of work: no ping, whose three
    round trips on asyncpg are half of a short unit of work's."""
    db = Database(pg_url)
    pings = _count_pings(db, monkeypatch)
    statements: list[str] = []
    event.listen(db.writer.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    try:
        for _ in range(5):
            async with db.write() as session:
                await session.execute(text("SELECT 1"))
            async with db.rows() as connection:
                await connection.execute(text("SELECT 2"))

        assert pings == []
        assert statements == ["SELECT 1", "SELECT 2"] * 5
    finally:
        await db.dispose()


async def test_a_connection_idle_for_long_is_pinged_and_a_dead_one_replaced(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection idle for PING_AFTER_IDLE is pinged before use (a network may have dropped it without a
    word); one whose ping fails is replaced and the unit of work runs on a new connection."""
    monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.0)
    db = Database(pg_url)
    pings = _count_pings(db, monkeypatch)
    try:
        async with db.write() as session:
            first: int = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with db.write() as session:
            again: int = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert again == first
        assert len(pings) == 1

        def failing(_dbapi_connection: Any) -> bool:
            raise ConnectionResetError("dropped by the network")

        monkeypatch.setattr(db.writer.sync_engine.dialect, "do_ping", failing)
        async with db.write() as session:
            replaced: int = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert replaced != first
    finally:
        await db.dispose()
