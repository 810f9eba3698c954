"""Queries for rate limits (storage/models/limits.py). They take a session and never open one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.limits import RateLimitUse


def _member(guild_id: int, user_id: int, action: str) -> tuple[Any, ...]:
    return (RateLimitUse.guild_id == guild_id, RateLimitUse.user_id == user_id, RateLimitUse.action == action)


async def uses_since(
    session: AsyncSession, guild_id: int, user_id: int, action: str, since: datetime
) -> list[datetime]:
    """When the member used `action` after `since`, oldest first (a handful: older uses are pruned)."""
    found = await session.scalars(
        select(RateLimitUse.used_at)
        .where(*_member(guild_id, user_id, action), RateLimitUse.used_at > since)
        .order_by(RateLimitUse.used_at)
    )
    return list(found.all())


async def record_use(
    session: AsyncSession, guild_id: int, user_id: int, action: str, now: datetime, keep: timedelta
) -> None:
    """Count one use, and forget this member's uses of `action` older than `keep`."""
    await session.execute(
        delete(RateLimitUse).where(*_member(guild_id, user_id, action), RateLimitUse.used_at <= now - keep)
    )
    session.add(RateLimitUse(guild_id=guild_id, user_id=user_id, action=action, used_at=now))
    await session.flush()


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
