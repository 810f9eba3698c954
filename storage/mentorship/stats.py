"""Counts for `/pairing stats`: proposals and pairings per week, and the funnel from offers to ratings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.mentorship._common import Pairing, Proposal
from storage.models.mentorship import ACTIVE, ENDED, PENDING, MenteeProfile, MentorProfile, MentorshipCheckin


async def weekly_counts(session: AsyncSession, guild_id: int, since: datetime) -> dict[str, list[tuple[date, int]]]:
    """Proposals made and pairings started per week (weeks starting on Monday, UTC) since `since`."""

    def by_week(moments: Sequence[datetime]) -> list[tuple[date, int]]:
        weeks: dict[date, int] = {}
        for moment in moments:
            day = moment.date()
            week = day - timedelta(days=day.weekday())
            weeks[week] = weeks.get(week, 0) + 1
        return sorted(weeks.items())

    proposed = (
        await session.scalars(
            select(Proposal.created_at).where(Proposal.guild_id == guild_id, Proposal.created_at >= since)
        )
    ).all()
    started = (
        await session.scalars(
            select(Pairing.started_at).where(Pairing.guild_id == guild_id, Pairing.started_at >= since)
        )
    ).all()
    return {"Proposals": by_week(proposed), "Pairings started": by_week(started)}


async def funnel(session: AsyncSession, guild_id: int) -> dict[str, Any]:
    async def count(model: Any, *where: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    ratings = dict(
        (
            await session.execute(
                select(MentorshipCheckin.rating, func.count())
                .join(Pairing, Pairing.id == MentorshipCheckin.pairing_id)
                .where(Pairing.guild_id == guild_id, MentorshipCheckin.rating.is_not(None))
                .group_by(MentorshipCheckin.rating)
            )
        ).all()
    )
    return {
        "offers": await count(MentorProfile, MentorProfile.guild_id == guild_id),
        "requests": await count(MenteeProfile, MenteeProfile.guild_id == guild_id),
        "proposals": await count(Proposal, Proposal.guild_id == guild_id),
        "accepted": await count(Pairing, Pairing.guild_id == guild_id),
        "active": await count(Pairing, Pairing.guild_id == guild_id, Pairing.status == ACTIVE),
        "ended": await count(Pairing, Pairing.guild_id == guild_id, Pairing.status == ENDED),
        "pending": await count(Proposal, Proposal.guild_id == guild_id, Proposal.status.in_(PENDING)),
        "ratings": {int(k): int(v) for k, v in ratings.items() if k is not None},
    }
