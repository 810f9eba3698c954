"""Migration 0704: intros that /intro find listed without asking become hidden, and their owners are to be told."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage import Database
from storage.migrate import alembic_config, upgrade_to_head

INSERT = (
    "INSERT INTO intros (guild_id, user_id, name, heritages, languages, location, story, discoverable, "
    "created_at, updated_at) VALUES (1, :user_id, 'x', 'Filipino', '', '', 'story', :discoverable, "
    "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
)


async def _check(url: str) -> None:
    database = Database(url)
    database.prepare()

    def to_0600(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0600")

    try:
        async with database.writer.connect() as connection:
            await connection.run_sync(to_0600)
            await connection.execute(text(INSERT), {"user_id": 10, "discoverable": True})  # listed without asking
            await connection.execute(text(INSERT), {"user_id": 20, "discoverable": False})  # had hidden themselves
            await connection.commit()
        await upgrade_to_head(database)
        async with database.reader.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT user_id, discoverable, find_notice_pending FROM intros ORDER BY user_id")
                )
            ).all()
        assert [(user, bool(found), bool(pending)) for user, found, pending in rows] == [
            (10, False, True),
            (20, False, False),
        ]
    finally:
        await database.dispose()


async def test_sqlite_upgrade_hides_every_intro_and_marks_who_to_tell(tmp_path: Any) -> None:
    """After the upgrade nobody is findable; only those who had been listed without asking are to be told."""
    await _check(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
async def test_postgres_upgrade_hides_every_intro_and_marks_who_to_tell(pg_url: str) -> None:
    """The same on PostgreSQL."""
    await _check(pg_url)
