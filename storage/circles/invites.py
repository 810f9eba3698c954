"""A round's circles and their invitations: creating them, leasing and settling each invitation's DM, the
members' answers, the decision (formed or unformed) and the notice it owes, and lapsing. They take a
session; they never open one. Owed invitations and notices are leased a batch at a time (INVITE_BATCH,
NOTICE_BATCH; the circles cog loops with core.jobs.in_batches), so a round of thousands is never leased at
once for longer than its sending takes; lapsed circles are decided LAPSE_BATCH per write."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.circles._common import _update
from storage.models.circles import (
    DELIVERY_DUE,
    ENDED,
    FORMED,
    INVITED,
    LAPSED,
    NO,
    NOTICE_CLOSED,
    NOTICE_OPEN,
    PROPOSED,
    UNFORMED,
    YES,
    Circle,
    CircleInvite,
)
from storage.owed import MAX_ATTEMPTS, backoff, lease_owed

MIN_YES = 3


@dataclass(frozen=True)
class Proposed:
    members: tuple[int, ...]
    points: int
    starter_themes: str
    starter_heritages: str


async def create_circles(
    session: AsyncSession, guild_id: int, proposed: Sequence[Proposed], now: datetime, expiry: timedelta
) -> list[int]:
    """The round's circles, each owing every member an invitation. Returns their ids."""
    ids = []
    for item in proposed:
        circle = Circle(
            guild_id=guild_id,
            status=PROPOSED,
            points=item.points,
            starter_themes=item.starter_themes[:400],
            starter_heritages=item.starter_heritages[:400],
            created_at=now,
            expires_at=now + expiry,
        )
        session.add(circle)
        await session.flush()
        for user in item.members:
            session.add(
                CircleInvite(
                    circle_id=circle.id,
                    guild_id=guild_id,
                    user_id=user,
                    status=INVITED,
                    delivery=DELIVERY_DUE,
                    send_after=now,
                    attempts=0,
                )
            )
        ids.append(circle.id)
    await session.flush()
    return ids


async def get_circle(session: AsyncSession, circle_id: int) -> Circle | None:
    return await session.get(Circle, circle_id, populate_existing=True)


async def get_invite(session: AsyncSession, invite_id: int) -> CircleInvite | None:
    return await session.get(CircleInvite, invite_id, populate_existing=True)


async def invites_of(session: AsyncSession, circle_id: int) -> list[CircleInvite]:
    return list(
        (
            await session.scalars(
                select(CircleInvite).where(CircleInvite.circle_id == circle_id).order_by(CircleInvite.user_id)
            )
        ).all()
    )


INVITE_BATCH = 100  # invitations leased at once: each batch goes out well within its lease
NOTICE_BATCH = 100  # decided circles' notices leased at once (a thread and its edits, or a kind closing line each)


async def lease_invites(
    session: AsyncSession,
    now: datetime,
    owns: Callable[[int], bool],
    circle_ids: Sequence[int] | None = None,
    limit: int = INVITE_BATCH,
) -> list[CircleInvite]:
    """Take the lease on up to `limit` owed invitations (or owed ones of `circle_ids`): exactly one caller wins
    each; a dead process's runs out. Only guilds this process `owns`, chosen before the limit so that other
    processes' invitations never fill the batch."""
    is_due = [CircleInvite.delivery == DELIVERY_DUE, CircleInvite.send_after <= now]
    if circle_ids is not None:
        is_due.append(CircleInvite.circle_id.in_(list(circle_ids)))
    return await lease_owed(session, CircleInvite, CircleInvite.send_after, is_due, owns, now, limit)


async def settle_invite(
    session: AsyncSession, invite_id: int, delivery: str, channel_id: int | None = None, message_id: int | None = None
) -> None:
    await _update(
        session,
        update(CircleInvite)
        .where(CircleInvite.id == invite_id, CircleInvite.delivery == DELIVERY_DUE)
        .values(delivery=delivery, send_after=None, channel_id=channel_id, message_id=message_id),
    )


async def retry_invite(session: AsyncSession, invite_id: int, now: datetime, failed: str) -> bool:
    """Discord failed: try again after the backoff. False once it failed MAX_ATTEMPTS times (given up)."""
    invite = await get_invite(session, invite_id)
    if invite is None or invite.delivery != DELIVERY_DUE:
        return False
    invite.attempts += 1
    if invite.attempts >= MAX_ATTEMPTS:
        invite.delivery, invite.send_after = failed, None
        return False
    invite.send_after = now + backoff(invite.attempts)
    return True


async def answer(session: AsyncSession, invite_id: int, yes: bool, now: datetime) -> bool:
    """Record the member's answer while the invitation is open (the circle proposed, or already formed by
    the others' yeses, and not lapsed); False if answered or closed meanwhile."""
    # Answers to one circle take turns (PostgreSQL row lock; SQLite writes one at a time anyway), so the
    # decision after each answer sees every answer before it: two last yeses at once still form the circle.
    circle_id = await session.scalar(select(CircleInvite.circle_id).where(CircleInvite.id == invite_id))
    if circle_id is None:
        return False
    await session.execute(select(Circle.id).where(Circle.id == circle_id).with_for_update())
    still_open = select(Circle.id).where(Circle.status.in_((PROPOSED, FORMED)), Circle.expires_at > now)
    return bool(
        await _update(
            session,
            update(CircleInvite)
            .where(
                CircleInvite.id == invite_id,
                CircleInvite.status == INVITED,
                CircleInvite.circle_id.in_(still_open),
            )
            .values(status=YES if yes else NO, answered_at=now),
        )
    )


def forms(yes: int, invited: int) -> bool:
    """A circle forms with at least three yeses, and a majority of those invited."""
    return yes >= MIN_YES and yes * 2 > invited


async def decide(session: AsyncSession, circle_id: int, now: datetime, *, final: bool = False) -> str | None:
    """Decide a proposed circle as soon as its outcome is certain (or, `final`, once it lapsed): formed when
    enough said yes (those who haven't answered may still join until it lapses), unformed when enough can no
    longer say yes. Either owes what follows (its thread, or its kind closing message). The new status, or
    None if not (yet) decided here."""
    invites = await invites_of(session, circle_id)
    total = len(invites)
    yes = sum(invite.status == YES for invite in invites)
    waiting = sum(invite.status == INVITED for invite in invites)
    if forms(yes, total):
        status, notice = FORMED, NOTICE_OPEN
    elif final or not forms(yes + waiting, total):
        status, notice = UNFORMED, NOTICE_CLOSED
    else:
        return None
    if not await _update(
        session,
        update(Circle)
        .where(Circle.id == circle_id, Circle.status == PROPOSED)
        .values(
            status=status,
            decided_at=now,
            formed_at=now if status == FORMED else None,
            notice=notice,
            notice_due_at=now,
            notice_attempts=0,
        ),
    ):
        return None
    if status == UNFORMED:  # nothing left to answer
        await _update(
            session,
            update(CircleInvite)
            .where(CircleInvite.circle_id == circle_id, CircleInvite.status == INVITED)
            .values(status=LAPSED),
        )
    return status


LAPSE_BATCH = 100  # lapsed circles decided (and late invitations closed) per write


async def lapse_due(
    session: AsyncSession, now: datetime, limit: int = LAPSE_BATCH
) -> tuple[list[int], list[CircleInvite]]:
    """Decide up to `limit` proposed circles whose invitations lapsed; close up to `limit` unanswered
    invitations of formed circles that lapsed. Returns the circles decided and the invitations closed (to edit
    their buttons); fewer than `limit` of each: none are left."""
    due = (
        await session.scalars(
            select(Circle.id)
            .where(Circle.status == PROPOSED, Circle.expires_at <= now)
            .order_by(Circle.id)
            .limit(limit)
        )
    ).all()
    decided = [circle_id for circle_id in due if await decide(session, circle_id, now, final=True)]
    late = (
        await session.scalars(
            select(CircleInvite)
            .join(Circle, Circle.id == CircleInvite.circle_id)
            .where(Circle.status.in_((FORMED, ENDED)), Circle.expires_at <= now, CircleInvite.status == INVITED)
            .order_by(CircleInvite.id)
            .limit(limit)
        )
    ).all()
    closed = [
        invite
        for invite in late
        if await _update(
            session,
            update(CircleInvite)
            .where(CircleInvite.id == invite.id, CircleInvite.status == INVITED)
            .values(status=LAPSED),
        )
    ]
    return decided, closed


async def lease_notices(
    session: AsyncSession,
    now: datetime,
    owns: Callable[[int], bool],
    ids: Sequence[int] | None = None,
    limit: int = NOTICE_BATCH,
) -> list[Circle]:
    """Take the lease on up to `limit` owed notices of decided circles (or owed ones among `ids`): exactly one
    caller wins each; a dead process's runs out. Only guilds this process `owns`, chosen before the limit so
    that other processes' circles never fill the batch."""
    is_due = [Circle.notice.is_not(None), Circle.notice_due_at <= now]
    if ids is not None:
        is_due.append(Circle.id.in_(list(ids)))
    return await lease_owed(session, Circle, Circle.notice_due_at, is_due, owns, now, limit)


async def settle_notice(session: AsyncSession, circle_id: int, thread_id: int | None = None) -> None:
    values: dict[str, Any] = {"notice": None, "notice_due_at": None}
    if thread_id is not None:
        values["thread_id"] = thread_id
    await _update(session, update(Circle).where(Circle.id == circle_id).values(**values))


async def retry_notice(session: AsyncSession, circle_id: int, now: datetime) -> bool:
    circle = await get_circle(session, circle_id)
    if circle is None or circle.notice is None:
        return False
    circle.notice_attempts += 1
    if circle.notice_attempts >= MAX_ATTEMPTS:
        circle.notice, circle.notice_due_at = None, None
        return False
    circle.notice_due_at = now + backoff(circle.notice_attempts)
    return True
