"""Pairings (a mentor and a mentee who both said yes) and their check-ins: claimed when due, each DM leased
and settled like an owed message, rated once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import rowcount
from storage.mentorship._common import Pairing, _update
from storage.models.mentorship import (
    ACTIVE,
    DELIVERY_DUE,
    DELIVERY_FAILED,
    DELIVERY_SENT,
    ENDED,
    MentorProfile,
    MentorshipCheckin,
)
from storage.owed import MAX_ATTEMPTS, OWED_PER_INSERT, backoff, owned_guilds, take_leases


async def get_pairing(session: AsyncSession, pairing_id: int) -> Pairing | None:
    return await session.scalar(
        select(Pairing).where(Pairing.id == pairing_id).execution_options(populate_existing=True)
    )


async def set_thread(session: AsyncSession, pairing_id: int, thread_id: int) -> None:
    await _update(session, update(Pairing).where(Pairing.id == pairing_id).values(thread_id=thread_id))


async def pairings(
    session: AsyncSession, guild_id: int, *, user_id: int | None = None, status: str | None = ACTIVE
) -> list[Pairing]:
    statement = select(Pairing).where(Pairing.guild_id == guild_id).order_by(Pairing.id)
    if status is not None:
        statement = statement.where(Pairing.status == status)
    if user_id is not None:
        statement = statement.where(or_(Pairing.mentor_id == user_id, Pairing.mentee_id == user_id))
    return list((await session.scalars(statement)).all())


async def ended_with_feedback(session: AsyncSession, guild_id: int, since: datetime, limit: int) -> list[Pairing]:
    """The guild's pairings ended since `since` whose member left feedback for the moderators (`/mentor end`),
    newest first. An erased member's pairings are deleted, feedback and all."""
    statement = (
        select(Pairing)
        .where(
            Pairing.guild_id == guild_id,
            Pairing.status == ENDED,
            Pairing.feedback.is_not(None),
            Pairing.ended_at >= since,
        )
        .order_by(Pairing.ended_at.desc(), Pairing.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


async def end_pairing(
    session: AsyncSession, pairing_id: int, *, ended_by: str, now: datetime, feedback: str | None = None
) -> Pairing | None:
    """active → ended, freeing the mentor's place; None if it had already ended."""
    ended = await _update(
        session,
        update(Pairing)
        .where(Pairing.id == pairing_id, Pairing.status == ACTIVE)
        .values(status=ENDED, ended_at=now, ended_by=ended_by, feedback=feedback, next_checkin_at=None),
    )
    if not ended:
        return None
    pairing = await get_pairing(session, pairing_id)
    assert pairing is not None
    await _update(
        session,
        update(MentorProfile)
        .where(
            MentorProfile.guild_id == pairing.guild_id,
            MentorProfile.user_id == pairing.mentor_id,
            MentorProfile.active_count > 0,
        )
        .values(active_count=MentorProfile.active_count - 1),
    )
    return pairing


# A backlog (thousands of pairings due the same morning) is claimed and leased in batches, each in a short
# transaction of its own, so finding due work stays quick and members' interactions go between them.
CLAIM_BATCH = 500
LEASE_BATCH = 100


async def claim_due_checkins(
    session: AsyncSession, now: datetime, days_of: dict[int, tuple[int, ...]], limit: int = CLAIM_BATCH
) -> int:
    """Claim the due check-in of up to `limit` active pairings (one per pairing, no bursts): each pairing moves on
    (one caller wins it) and its mentor and mentee are owed the day's DM. Only pairings of the guilds in `days_of`
    (those this process looks after) are claimed. Returns how many due pairings were looked at: fewer than
    `limit` means none is left.

    Plain statements, not ORM objects: one conditional `UPDATE` a pairing and one `INSERT` for all the DMs owed
    (a pairing and two flushed rows at a time took 1.2 s for 500 pairings on SQLite, 3 % of their DMs' drain)."""
    if not days_of:
        return 0
    due = (
        await session.execute(
            select(
                Pairing.id,
                Pairing.guild_id,
                Pairing.mentor_id,
                Pairing.mentee_id,
                Pairing.started_at,
                Pairing.checkins_sent,
            )
            .where(Pairing.status == ACTIVE, Pairing.next_checkin_at <= now, Pairing.guild_id.in_(list(days_of)))
            .order_by(Pairing.id)
            .limit(limit)
        )
    ).all()
    table = cast(Table, Pairing.__table__)
    move_on = (
        update(table)
        .where(table.c.id == bindparam("pairing"), table.c.checkins_sent == bindparam("was"))
        .values(checkins_sent=bindparam("sent"), next_checkin_at=bindparam("following"))
    )
    owed = []
    for pairing_id, guild_id, mentor_id, mentee_id, started_at, was in due:
        days = days_of[guild_id]
        sent = was
        # Skip days that are already past (a bot that was down sends only the latest one).
        while sent + 1 < len(days) and started_at + timedelta(days=days[sent + 1]) <= now:
            sent += 1
        following = started_at + timedelta(days=days[sent + 1]) if sent + 1 < len(days) else None
        won = rowcount(
            await session.execute(
                move_on, {"pairing": pairing_id, "was": was, "sent": sent + 1, "following": following}
            )
        )
        if won and sent < len(days):
            owed += [
                dict(
                    pairing_id=pairing_id,
                    user_id=user,
                    day=days[sent],
                    sent_at=now,
                    delivery=DELIVERY_DUE,
                    send_after=now,
                )
                for user in (mentor_id, mentee_id)
            ]
    for start in range(0, len(owed), OWED_PER_INSERT):
        await session.execute(insert(cast(Table, MentorshipCheckin.__table__)), owed[start : start + OWED_PER_INSERT])
    return len(due)


async def lease_checkins(
    session: AsyncSession, now: datetime, owns: Callable[[int], bool], limit: int = LEASE_BATCH
) -> list[tuple[MentorshipCheckin, Pairing]]:
    """Take the lease on up to `limit` check-in DMs that are due (new, or waiting out a backoff, or left by a
    process that died): exactly one caller wins each. Only guilds this process `owns` (its shards, and not in
    an outage), chosen before the limit so that other processes' DMs never fill the batch."""
    is_due = (MentorshipCheckin.delivery == DELIVERY_DUE, MentorshipCheckin.send_after <= now)
    due_guilds = select(Pairing.guild_id).join(MentorshipCheckin, Pairing.id == MentorshipCheckin.pairing_id)
    owned = await owned_guilds(session, due_guilds.where(*is_due), owns)
    if not owned:
        return []
    due = (
        await session.execute(
            select(MentorshipCheckin, Pairing)
            .join(Pairing, Pairing.id == MentorshipCheckin.pairing_id)
            .where(*is_due, Pairing.guild_id.in_(owned))
            .order_by(MentorshipCheckin.id)
            .limit(limit)
            .with_for_update(of=MentorshipCheckin, skip_locked=True)
        )
    ).all()
    won = await take_leases(
        session, MentorshipCheckin, MentorshipCheckin.send_after, is_due, [checkin.id for checkin, _ in due], now
    )
    return [(checkin, pairing) for checkin, pairing in due if checkin.id in won]


async def settle_checkin(session: AsyncSession, checkin_id: int, delivery: str, now: datetime) -> None:
    """Where the check-in's DM ended up (sent, held, gone, failed); a sent one records when it went."""
    values: dict[str, Any] = {"delivery": delivery, "send_after": None}
    if delivery == DELIVERY_SENT:
        values["sent_at"] = now
    await _update(
        session,
        update(MentorshipCheckin)
        .where(MentorshipCheckin.id == checkin_id, MentorshipCheckin.delivery == DELIVERY_DUE)
        .values(**values),
    )


async def retry_checkin(session: AsyncSession, checkin_id: int, now: datetime) -> bool:
    """Discord failed: try again after the backoff. False when it has failed MAX_ATTEMPTS times (given up)."""
    checkin = await session.get(MentorshipCheckin, checkin_id, populate_existing=True)
    if checkin is None or checkin.delivery != DELIVERY_DUE:
        return False
    checkin.attempts += 1
    if checkin.attempts >= MAX_ATTEMPTS:
        checkin.delivery, checkin.send_after = DELIVERY_FAILED, None
        return False
    checkin.send_after = now + backoff(checkin.attempts)
    return True


async def rate_checkin(
    session: AsyncSession, checkin_id: int, user_id: int, rating: int, now: datetime
) -> MentorshipCheckin | None:
    """Record a rating once; None if it was already given or isn't this member's."""
    rated = await _update(
        session,
        update(MentorshipCheckin)
        .where(
            MentorshipCheckin.id == checkin_id, MentorshipCheckin.user_id == user_id, MentorshipCheckin.rating.is_(None)
        )
        .values(rating=rating, answered_at=now),
    )
    if not rated:
        return None
    return await session.get(MentorshipCheckin, checkin_id)
