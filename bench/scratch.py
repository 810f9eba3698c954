"""A scratch PostgreSQL database for a benchmark: made on the server of a URL, migrated, dropped when the run ends."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any


async def migrate(url: str) -> None:
    """Lantern's migrations applied to the database at `url` (any backend)."""
    from storage import Database
    from storage.migrate import upgrade_to_head

    database = Database(url)
    database.prepare()
    try:
        await upgrade_to_head(database)
    finally:
        await database.dispose()


def asyncpg_params(url: str) -> dict[str, Any]:
    """asyncpg's connection arguments for the server of `url` (no database)."""
    from sqlalchemy.engine import make_url

    base = make_url(url)
    return {"user": base.username, "password": base.password, "host": base.host, "port": base.port or 5432}


async def create_postgres(url: str, prefix: str = "lantern_bench") -> tuple[str, Callable[[], Awaitable[None]]]:
    """A new empty database on the server of `url`: its SQLAlchemy URL, and a coroutine function dropping it."""
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    params = asyncpg_params(url)

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(**params, database=base.database)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    await admin(f'CREATE DATABASE "{name}"')

    async def drop() -> None:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return base.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False), drop
