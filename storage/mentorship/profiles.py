"""Mentor offers and mentee requests: read, save, pause and resume, erase."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import rowcount
from storage.mentorship._common import _update
from storage.models.mentorship import MenteeProfile, MentorProfile


async def get_mentor(session: AsyncSession, guild_id: int, user_id: int) -> MentorProfile | None:
    return await session.scalar(
        select(MentorProfile).where(MentorProfile.guild_id == guild_id, MentorProfile.user_id == user_id)
    )


async def get_mentee(session: AsyncSession, guild_id: int, user_id: int) -> MenteeProfile | None:
    return await session.scalar(
        select(MenteeProfile).where(MenteeProfile.guild_id == guild_id, MenteeProfile.user_id == user_id)
    )


async def save_mentor(session: AsyncSession, guild_id: int, user_id: int, now: datetime, **values: Any) -> bool:
    """Create or replace the member's offer (every field given). True if it is new."""
    profile = await get_mentor(session, guild_id, user_id)
    created = profile is None
    if profile is None:
        profile = MentorProfile(guild_id=guild_id, user_id=user_id, created_at=now, active_count=0, paused=False)
        session.add(profile)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.updated_at = now
    await session.flush()
    return created


async def save_mentee(session: AsyncSession, guild_id: int, user_id: int, now: datetime, **values: Any) -> bool:
    """Create or replace the member's request (every field given). True if it is new."""
    profile = await get_mentee(session, guild_id, user_id)
    created = profile is None
    if profile is None:
        profile = MenteeProfile(guild_id=guild_id, user_id=user_id, created_at=now, paused=False)
        session.add(profile)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.updated_at = now
    await session.flush()
    return created


async def set_paused(session: AsyncSession, guild_id: int, user_id: int, paused: bool, until: datetime | None) -> int:
    """Pause (until a time, or until resumed) or resume both of a member's profiles; rows changed."""
    changed = 0
    for model in (MentorProfile, MenteeProfile):
        changed += await _update(
            session,
            update(model)
            .where(model.guild_id == guild_id, model.user_id == user_id)
            .values(paused=paused, paused_until=until if paused else None),
        )
    return changed


async def resume_due(session: AsyncSession, now: datetime) -> int:
    """Clear pauses whose time is up (they already count as resumed; this tidies the rows)."""
    changed = 0
    for model in (MentorProfile, MenteeProfile):
        changed += await _update(
            session,
            update(model)
            .where(model.paused.is_(True), model.paused_until.is_not(None), model.paused_until <= now)
            .values(paused=False, paused_until=None),
        )
    return changed


async def delete_profiles(session: AsyncSession, guild_id: int, user_id: int) -> int:
    removed = 0
    for model in (MentorProfile, MenteeProfile):
        result = await session.execute(delete(model).where(model.guild_id == guild_id, model.user_id == user_id))
        removed += rowcount(result)
    return removed
