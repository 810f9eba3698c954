"""Queries for rate limits (storage/models/limits.py). They take a session and never open one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Reader
from storage.models.limits import RateLimitUse

# The statements every limited command runs, built once (building a statement costs the event loop more than
# running it, docs/scale.md), on the table rather than the model: plain Core statements, without the ORM's bulk
# DELETE and INSERT machinery. Parameters `guild_id`, `user_id`, `action`, and `since` or `used_at`.
_TABLE = cast(Table, RateLimitUse.__table__)
_OF_MEMBER = (
    _TABLE.c.guild_id == bindparam("guild_id"),
    _TABLE.c.user_id == bindparam("user_id"),
    _TABLE.c.action == bindparam("action"),
)
_USES = select(_TABLE.c.used_at).where(*_OF_MEMBER).order_by(_TABLE.c.used_at)
_FORGET = delete(_TABLE).where(*_OF_MEMBER, _TABLE.c.used_at <= bindparam("since"))
_RECORD = insert(_TABLE)


async def uses(reader: Reader, guild_id: int, user_id: int, action: str) -> list[datetime]:
    """When the member used `action`, oldest first (a handful: each new use prunes the old ones)."""
    params = {"guild_id": guild_id, "user_id": user_id, "action": action}
    return list((await reader.scalars(_USES, params)).all())


async def record_use(
    session: AsyncSession,
    guild_id: int,
    user_id: int,
    action: str,
    now: datetime,
    keep: timedelta,
    *,
    forget: bool = True,
) -> None:
    """Count one use, and forget this member's uses of `action` older than `keep` (two Core statements: no
    object to flush). `forget=False` when the caller has just read that there are none (one statement, one
    trip fewer while the single SQLite writer is held)."""
    member = {"guild_id": guild_id, "user_id": user_id, "action": action}
    if forget:
        await session.execute(_FORGET, {**member, "since": now - keep})
    await session.execute(_RECORD, {**member, "used_at": now})


async def export_member(session: AsyncSession, guild_id: int, user_id: int) -> dict[str, Any]:
    rows = (
        await session.scalars(
            select(RateLimitUse)
            .where(RateLimitUse.guild_id == guild_id, RateLimitUse.user_id == user_id)
            .order_by(RateLimitUse.used_at)
        )
    ).all()
    return {"recent_uses": [{"action": row.action, "at": row.used_at.isoformat()} for row in rows]}


async def delete_member(session: AsyncSession, guild_id: int, user_id: int) -> int:
    result = await session.execute(
        delete(RateLimitUse).where(RateLimitUse.guild_id == guild_id, RateLimitUse.user_id == user_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)
