"""The circles funnel for moderators: how many opted in, were invited, said yes, formed, lasted and rated.
They take a session; they never open one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.circles import (
    ENDED,
    FORMED,
    LEFT,
    YES,
    Circle,
    CircleCheckin,
    CircleInvite,
    CircleProfile,
)

LASTED_DAYS = (30, 60, 90)


async def funnel_stages(session: AsyncSession, guild_id: int, now: datetime) -> list[tuple[str, int]]:
    """The chart's funnel, one place (member and circle) per invitation after "opted in": invited, said yes,
    in a circle that formed, still in it 30 / 60 / 90 days after it formed (of the circles old enough to
    tell), and rated it at a check-in."""
    opted = int(
        await session.scalar(select(func.count()).select_from(CircleProfile).where(CircleProfile.guild_id == guild_id))
        or 0
    )
    rows = (
        await session.execute(
            select(CircleInvite.status, CircleInvite.left_at, Circle.status, Circle.formed_at, Circle.decided_at)
            .join(Circle, Circle.id == CircleInvite.circle_id)
            .where(CircleInvite.guild_id == guild_id)
        )
    ).all()
    invited = len(rows)
    accepted = sum(answer in (YES, LEFT) for answer, *_ in rows)
    # (formed at, left at, ended at) of each place in a circle that formed
    formed = [
        (formed_at, left_at, None if status == FORMED else decided_at)
        for answer, left_at, status, formed_at, decided_at in rows
        if answer in (YES, LEFT) and formed_at is not None
    ]

    def lasted(days: int) -> int:
        span = timedelta(days=days)
        return sum(
            at + span <= now
            and (left_at is None or left_at >= at + span)
            and (ended_at is None or ended_at >= at + span)
            for at, left_at, ended_at in formed
        )

    rated_places = len(
        (
            await session.execute(
                select(CircleCheckin.circle_id, CircleCheckin.user_id)
                .where(CircleCheckin.guild_id == guild_id, CircleCheckin.rating.is_not(None))
                .distinct()
            )
        ).all()
    )
    return [
        ("Opted in", opted),
        ("Invited", invited),
        ("Said yes", accepted),
        ("Formed", len(formed)),
        *((f"Active at {days} days", lasted(days)) for days in LASTED_DAYS),
        ("Rated", rated_places),
    ]


async def funnel(session: AsyncSession, guild_id: int) -> dict[str, int]:
    async def count(query: Any) -> int:
        return int(await session.scalar(query) or 0)

    invites = select(func.count()).select_from(CircleInvite).where(CircleInvite.guild_id == guild_id)
    circles = select(func.count()).select_from(Circle).where(Circle.guild_id == guild_id)
    return {
        "opted in": await count(
            select(func.count()).select_from(CircleProfile).where(CircleProfile.guild_id == guild_id)
        ),
        "invited": await count(invites),
        "accepted": await count(invites.where(CircleInvite.status.in_((YES, LEFT)))),
        "circles proposed": await count(circles),
        "circles formed": await count(circles.where(Circle.status.in_((FORMED, ENDED)))),
        "circles active": await count(circles.where(Circle.status == FORMED)),
        "members who left a circle": await count(invites.where(CircleInvite.status == LEFT)),
        "check-in answers": await count(
            select(func.count())
            .select_from(CircleCheckin)
            .where(CircleCheckin.guild_id == guild_id, CircleCheckin.rating.is_not(None))
        ),
        "check-ins rated 2 or less": await count(
            select(func.count())
            .select_from(CircleCheckin)
            .where(CircleCheckin.guild_id == guild_id, CircleCheckin.rating <= 2)
        ),
    }
