"""Departures: who Lantern holds data for in a guild, and the retention clock of those who are gone.

A live leave event is only one way to go. A member can leave while Lantern is down, and a server can
remove Lantern altogether; reconciling the guild's members with the members Lantern holds data for
starts the retention of the ones who are gone and stops it for the ones who came back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, delete, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import dialect_insert, rowcount
from storage.guilds import ensure_settings
from storage.models import Base, Departure
from storage.models.guild import GuildSettings

# Columns naming the member a row belongs to (their data, not someone else's protection against them).
# A report names the reported member and the moderator who handled it: erasure removes both (storage/care.py),
# so a member who left while Lantern was down is found by them too.
OWNER_COLUMNS = frozenset(
    {
        "user_id",
        "member_id",
        "mentor_id",
        "mentee_id",
        "submitter_id",
        "suggested_by_id",
        "author_id",
        "owner_id",
        "reported_user_id",
        "handled_by_id",
    }
)


def _member_selects(guild_id: int) -> list[Select[Any]]:
    """One SELECT per (table, owner column) of every table that has a guild_id, departures aside."""
    selects: list[Select[Any]] = []
    for table in Base.metadata.sorted_tables:
        if table.name == Departure.__tablename__ or "guild_id" not in table.columns:
            continue
        for column in table.columns:
            if column.name in OWNER_COLUMNS and isinstance(column.type, Integer):
                selects.append(select(column.label("user_id")).where(table.c.guild_id == guild_id, column.is_not(None)))
    return selects


async def members_with_data(session: AsyncSession, guild_id: int) -> set[int]:
    """Every member some feature holds data about in this guild (found from the tables themselves, so a
    new feature's table counts without being listed here)."""
    selects = _member_selects(guild_id)
    if not selects:
        return set()
    rows: Sequence[Any] = (await session.scalars(union(*selects))).all()
    return {int(user_id) for user_id in rows}


async def departed(session: AsyncSession, guild_id: int) -> set[int]:
    return set((await session.scalars(select(Departure.user_id).where(Departure.guild_id == guild_id))).all())


async def start_retention(session: AsyncSession, guild_id: int, user_ids: Iterable[int], now: datetime) -> set[int]:
    """Start the retention clock of members who are gone (a clock already running is left alone).
    Returns the members whose clock this call started."""
    wanted = set(user_ids) - await departed(session, guild_id)
    if not wanted:
        return set()
    settings = await ensure_settings(session, guild_id, now)
    purge_after = now + timedelta(days=settings.retention_days)
    rows = [dict(guild_id=guild_id, user_id=user, left_at=now, purge_after=purge_after) for user in sorted(wanted)]
    statement = dialect_insert(session, Departure).values(rows).on_conflict_do_nothing()
    await session.execute(statement)
    return wanted


async def stop_retention(session: AsyncSession, guild_id: int, user_ids: Iterable[int]) -> int:
    """Members who are back: their data is theirs again."""
    users = set(user_ids)
    if not users:
        return 0
    result = await session.execute(
        delete(Departure).where(Departure.guild_id == guild_id, Departure.user_id.in_(users))
    )
    return rowcount(result)


async def guilds_with_settings(session: AsyncSession) -> list[int]:
    return list((await session.scalars(select(GuildSettings.guild_id))).all())
