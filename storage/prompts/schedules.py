"""Prompt schedules: listing, adding, finding and pausing them, which are due, and their guilds' timezones.
They take a session; they never open one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import rowcount
from storage.models.guild import GuildSettings
from storage.models.prompts import PromptPost, PromptSchedule


async def guild_schedules(session: AsyncSession, guild_id: int) -> Sequence[PromptSchedule]:
    query = select(PromptSchedule).where(PromptSchedule.guild_id == guild_id).order_by(PromptSchedule.id)
    return (await session.execute(query)).scalars().all()


async def count_schedules(session: AsyncSession, guild_id: int) -> int:
    query = select(func.count(PromptSchedule.id)).where(PromptSchedule.guild_id == guild_id)
    return int((await session.execute(query)).scalar_one())


async def add_schedule(session: AsyncSession, schedule: PromptSchedule) -> int:
    session.add(schedule)
    await session.flush()
    return schedule.id


async def get_schedule(session: AsyncSession, guild_id: int, schedule_id: int) -> PromptSchedule | None:
    schedule = await session.get(PromptSchedule, schedule_id)
    return schedule if schedule is not None and schedule.guild_id == guild_id else None


async def due_schedules(
    session: AsyncSession, now: datetime, *, after_id: int = 0, limit: int | None = None
) -> Sequence[PromptSchedule]:
    """Unpaused schedules whose next run is due, in id order (so competing processes lock rows alike).

    With `limit`, one batch: the first `limit` due schedules whose id is above `after_id`. A caller claims a
    large backlog batch by batch (a short write each), so the single SQLite writer is never held for long."""
    query = select(PromptSchedule).where(
        PromptSchedule.paused.is_(False), PromptSchedule.next_run_at <= now, PromptSchedule.id > after_id
    )
    query = query.order_by(PromptSchedule.id)
    if limit is not None:
        query = query.limit(limit)
    return (await session.execute(query)).scalars().all()


async def guild_timezones(session: AsyncSession, guild_ids: Iterable[int]) -> dict[int, str]:
    """The timezone of each of these guilds that has settings (one statement for a batch of schedules)."""
    query = select(GuildSettings.guild_id, GuildSettings.timezone).where(GuildSettings.guild_id.in_(set(guild_ids)))
    return {guild_id: zone for guild_id, zone in await session.execute(query)}


async def pause_schedule(session: AsyncSession, schedule_id: int, reason: str) -> bool:
    """Pause a schedule and drop its unposted claims. False if it was already paused or is gone."""
    result = await session.execute(
        update(PromptSchedule)
        .where(PromptSchedule.id == schedule_id, PromptSchedule.paused.is_(False))
        .values(paused=True, paused_reason=reason)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(PromptPost)
        .where(PromptPost.schedule_id == schedule_id, PromptPost.status == "claimed")
        .values(status="dropped", lease_until=None, lease_owner=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1
