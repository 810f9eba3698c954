"""A member's circle data: the protections kept for the others before it goes, its export and its erasure.
They take a session; they never open one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.circles._common import PairKey, _update
from storage.circles.members import mine
from storage.circles.profiles import delete_profile, get_profile
from storage.database import dialect_insert, rowcount
from storage.models.circles import (
    ENDED,
    FORMED,
    LEFT,
    PROTECT_PAST,
    YES,
    Circle,
    CircleCheckin,
    CircleInvite,
    CircleLeftOut,
    CircleProtection,
)


async def keep_protections(session: AsyncSession, guild_id: int, user_id: int, pair_key: PairKey, now: datetime) -> int:
    """Before the member's rows go: keep, for each member they shared a formed circle with, a hash of the pair."""
    mates = (
        await session.execute(
            select(CircleInvite.user_id, func.min(Circle.created_at))
            .join(Circle, Circle.id == CircleInvite.circle_id)
            .where(
                Circle.status.in_((FORMED, ENDED)),
                CircleInvite.status.in_((YES, LEFT)),
                CircleInvite.user_id != user_id,
                CircleInvite.circle_id.in_(
                    select(CircleInvite.circle_id).where(
                        CircleInvite.guild_id == guild_id,
                        CircleInvite.user_id == user_id,
                        CircleInvite.status.in_((YES, LEFT)),
                    )
                ),
            )
            .group_by(CircleInvite.user_id)
        )
    ).all()
    if not mates:
        return 0
    rows = [
        dict(
            guild_id=guild_id,
            owner_id=mate,
            pair_key=pair_key(guild_id, mate, user_id),
            kind=PROTECT_PAST,
            created_at=since,
        )
        for mate, since in sorted(mates)
    ]
    statement = (
        dialect_insert(session, CircleProtection)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["guild_id", "owner_id", "pair_key", "kind"])
    )
    return rowcount(await session.execute(statement))


async def export_member(session: AsyncSession, guild_id: int, user_id: int) -> dict[str, Any]:
    """The member's own profile, invitations and answers; never anyone else's answer."""
    profile = await get_profile(session, guild_id, user_id)
    kept = await session.scalar(
        select(func.count())
        .select_from(CircleProtection)
        .where(CircleProtection.guild_id == guild_id, CircleProtection.owner_id == user_id)
    )
    return {
        "circle_profile": None
        if profile is None
        else {
            "themes": profile.themes,
            "heritages": profile.heritages,
            "largest_circle": profile.size,
            "timezone": profile.timezone,
            "timezone_window_hours": profile.window_hours,
            "joined_at": profile.created_at.isoformat(),
        },
        "circle_invitations": [
            {
                "circle": circle.id,
                "invited_at": circle.created_at.isoformat(),
                "your_answer": invite.status,
                "answered_at": invite.answered_at.isoformat() if invite.answered_at else None,
                "circle_status": circle.status,
            }
            for invite, circle in await mine(session, guild_id, user_id)
        ],
        "circle_checkin_ratings": [
            {"circle": c.circle_id, "day": c.day, "rating": c.rating}
            for c in (
                await session.scalars(
                    select(CircleCheckin)
                    .where(CircleCheckin.guild_id == guild_id, CircleCheckin.user_id == user_id)
                    .order_by(CircleCheckin.id)
                )
            ).all()
        ],
        "circle_protections_kept_for_you": int(kept or 0),
        "circle_rounds_that_left_you_out": [
            {"at": item.created_at.isoformat(), "reason": item.reason, "message": item.delivery}
            for item in (
                await session.scalars(
                    select(CircleLeftOut)
                    .where(CircleLeftOut.guild_id == guild_id, CircleLeftOut.user_id == user_id)
                    .order_by(CircleLeftOut.id)
                )
            ).all()
        ],
    }


async def delete_member(session: AsyncSession, guild_id: int, user_id: int) -> int:
    removed = await delete_profile(session, guild_id, user_id)
    removed += await _update(
        session, delete(CircleCheckin).where(CircleCheckin.guild_id == guild_id, CircleCheckin.user_id == user_id)
    )
    removed += await _update(
        session, delete(CircleInvite).where(CircleInvite.guild_id == guild_id, CircleInvite.user_id == user_id)
    )
    removed += await _update(
        session,
        delete(CircleProtection).where(CircleProtection.guild_id == guild_id, CircleProtection.owner_id == user_id),
    )
    removed += await _update(
        session, delete(CircleLeftOut).where(CircleLeftOut.guild_id == guild_id, CircleLeftOut.user_id == user_id)
    )
    return removed
