"""A member's circles: listing them, withdrawing from all of them, and ending a circle left too small. They
take a session; they never open one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.circles._common import _update
from storage.circles.invites import decide
from storage.models.circles import (
    ENDED,
    FORMED,
    INVITED,
    LEFT,
    NO,
    PROPOSED,
    YES,
    Circle,
    CircleInvite,
)


async def mine(session: AsyncSession, guild_id: int, user_id: int) -> list[tuple[CircleInvite, Circle]]:
    """The member's invitations and circles, newest first."""
    rows = await session.execute(
        select(CircleInvite, Circle)
        .join(Circle, Circle.id == CircleInvite.circle_id)
        .where(CircleInvite.guild_id == guild_id, CircleInvite.user_id == user_id)
        .order_by(Circle.id.desc())
    )
    return [(invite, circle) for invite, circle in rows.all()]


@dataclass(frozen=True)
class Withdrawal:
    left: list[Circle]  # formed circles the member left (the others are told "a member left")
    declined: list[CircleInvite]  # open invitations closed (their buttons close)
    decided: list[int]  # circles decided because of it (owing their thread or closing message)


async def withdraw(session: AsyncSession, guild_id: int, user_id: int, now: datetime) -> Withdrawal:
    """The member leaves every circle (no-fault) and answers no to every open invitation."""
    left, declined, touched = [], [], set()
    for invite, circle in await mine(session, guild_id, user_id):
        if circle.status == FORMED and invite.status == YES:
            if await _update(
                session,
                update(CircleInvite)
                .where(CircleInvite.id == invite.id, CircleInvite.status == YES)
                .values(status=LEFT, left_at=now),
            ):
                left.append(circle)
        elif (
            (circle.status == PROPOSED and invite.status in (INVITED, YES))
            or (circle.status == FORMED and invite.status == INVITED)
        ) and await _update(
            session,
            update(CircleInvite)
            .where(CircleInvite.id == invite.id, CircleInvite.status.in_((INVITED, YES)))
            .values(status=NO, answered_at=now),
        ):
            declined.append(invite)
            touched.add(circle.id)
    decided = [circle_id for circle_id in sorted(touched) if await decide(session, circle_id, now)]
    return Withdrawal(left=left, declined=declined, decided=decided)


async def remaining(session: AsyncSession, circle_id: int) -> list[int]:
    """Members still in a formed circle."""
    return list(
        (
            await session.scalars(
                select(CircleInvite.user_id).where(CircleInvite.circle_id == circle_id, CircleInvite.status == YES)
            )
        ).all()
    )


async def end_if_small(session: AsyncSession, circle_id: int, now: datetime) -> bool:
    """A formed circle with fewer than two members left ends."""
    if len(await remaining(session, circle_id)) >= 2:
        return False
    return bool(
        await _update(
            session,
            update(Circle).where(Circle.id == circle_id, Circle.status == FORMED).values(status=ENDED, decided_at=now),
        )
    )
