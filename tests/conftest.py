"""The test world: a guild with Lantern's channels, a member or two and a moderator,
configured through `/setup` itself, on a real SQLite file with migrations applied
(built by tools/world.py, which the screenshots and the demo share).

Set LANTERN_TEST_BACKEND=postgres (and LANTERN_TEST_POSTGRES_URL) to run the whole suite
against PostgreSQL: every test then gets a fresh database of its own, a copy of one migrated once per run
(`CREATE DATABASE … TEMPLATE`: 0.05 s against 1 s to create and migrate each, ~30 minutes of a CI run). Tests
of migrations themselves take an empty one (`pg_url`, `empty_db_url`).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from simcord import Env

from bot import EXTENSIONS, LanternBot, create_bot
from config import Settings
from tools.world import World, build_world, make_settings

__all__ = ["World", "build_world"]  # feature tests import World from here

# Every request the bot sends in any test is checked against Discord's published rules.
pytest_plugins = ["tests.contract.plugin"]

POSTGRES_URL = os.environ.get("LANTERN_TEST_POSTGRES_URL", "")
BACKEND = os.environ.get("LANTERN_TEST_BACKEND", "sqlite")


def _admin_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def _admin_connection() -> Any:
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(POSTGRES_URL)
    return await asyncpg.connect(
        user=base.username, password=base.password, host=base.host, port=base.port or 5432, database=base.database
    )


_template: str | None = None  # the migrated database this run's test databases are copied from


async def _migrated_template() -> str:
    """The name of a database migrated to head, made on first use; dropped when the run ends."""
    global _template
    if _template is None:
        from storage import Database
        from storage.migrate import upgrade_to_head

        url = await create_postgres_database(migrated=False)
        database = Database(url)
        try:
            await upgrade_to_head(database)
        finally:
            await database.dispose()  # a template with a connection open can't be copied
        from sqlalchemy.engine import make_url

        _template = make_url(url).database
    return _template


async def create_postgres_database(*, migrated: bool = False) -> str:
    """Create a PostgreSQL database and return its URL: empty, or a copy of one migrated to head."""
    from sqlalchemy.engine import make_url

    template = await _migrated_template() if migrated else None
    name = f"lantern_test_{uuid.uuid4().hex[:12]}"
    conn = await _admin_connection()
    try:
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _template is not None:
        from sqlalchemy.engine import make_url

        asyncio.run(drop_postgres_database(make_url(POSTGRES_URL).set(database=_template).render_as_string()))


async def drop_postgres_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    conn = await _admin_connection()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def postgres_url_required() -> str:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set LANTERN_TEST_POSTGRES_URL (.ci/run does) to run this test")
    return POSTGRES_URL


@pytest.fixture
async def pg_url(postgres_url_required: str) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    url = await create_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)


async def _test_database(tmp_path: Any, *, migrated: bool) -> AsyncIterator[str]:
    if BACKEND == "postgres":
        if not POSTGRES_URL:
            pytest.fail("LANTERN_TEST_BACKEND=postgres needs LANTERN_TEST_POSTGRES_URL")
        url = await create_postgres_database(migrated=migrated)
        try:
            yield url
        finally:
            await drop_postgres_database(url)
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'lantern.db'}"


@pytest.fixture
async def db_url(tmp_path: Any) -> AsyncIterator[str]:
    """The database the bot under test uses: a SQLite file, or a fresh PostgreSQL database (already migrated:
    the bot finds it at head, as it would after its first start)."""
    async for url in _test_database(tmp_path, migrated=True):
        yield url


@pytest.fixture
async def empty_db_url(tmp_path: Any) -> AsyncIterator[str]:
    """An empty database of the backend under test, for tests of the migrations themselves."""
    async for url in _test_database(tmp_path, migrated=False):
        yield url


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture(autouse=True)
def fast_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """SimCord polls for quiet every 50 ms; 2 ms keeps the suite fast (private API, SimCord 3.2.1)."""
    from simcord.env import Env as _Env

    monkeypatch.setitem(_Env._settle_internal.__kwdefaults__, "idle", 0.002)


@pytest.fixture
def simcord_bot(settings: Settings) -> LanternBot:
    return create_bot(settings)


@pytest.fixture
async def loaded_bot(settings: Settings) -> AsyncIterator[LanternBot]:
    """A bot with every extension loaded (its command tree complete), never logged in."""
    bot = create_bot(settings)
    for extension in EXTENSIONS:
        await bot.load_extension(extension)
    yield bot
    await bot.db.dispose()


@pytest.fixture
async def world(simcord_env: Env, settings: Settings) -> AsyncIterator[World]:
    """A configured guild: every feature channel set through `/setup channels`."""
    world = await build_world(simcord_env, settings)
    yield world
    await world.bot.close()


@pytest.fixture
async def bare_world(simcord_env: Env, settings: Settings) -> AsyncIterator[World]:
    """The same guild before any moderator has run `/setup`."""
    world = await build_world(simcord_env, settings, configure=False)
    yield world
    await world.bot.close()
