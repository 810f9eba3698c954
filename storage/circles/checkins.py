"""Check-ins of formed circles: when they fall due, claiming them (one winner), leasing and settling each
member's DM (CHECKIN_BATCH at a time: the circles cog loops with core.jobs.in_batches), and their ratings.
They take a session; they never open one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.circles._common import _update
from storage.database import dialect_insert, rowcount
from storage.guilds import get_settings
from storage.models.circles import (
    DELIVERY_DUE,
    FORMED,
    YES,
    Circle,
    CircleCheckin,
    CircleInvite,
)
from storage.models.guild import DEFAULT_CHECKINS
from storage.owed import MAX_ATTEMPTS, OWED_PER_INSERT, backoff, lease_owed, owned_guilds


async def start_checkins(session: AsyncSession, circle_id: int, at: datetime | None) -> None:
    """When the circle's first check-in falls due (None: check-ins are off in this server)."""
    await _update(session, update(Circle).where(Circle.id == circle_id).values(next_checkin_at=at, checkins_sent=0))


async def checkin_days(session: AsyncSession, guild_id: int) -> tuple[int, ...]:
    """The server's check-in days (`/setup options pairing_checkins`, shared with mentor pairing)."""
    settings = await get_settings(session, guild_id)
    return settings.checkin_days if settings is not None else tuple(int(d) for d in DEFAULT_CHECKINS.split(","))


# A backlog (thousands of circles due the same morning) is claimed a batch of circles at a time, each batch its own
# short write, so the SQLite writer is never held for the whole backlog and members' writes go between batches.
CLAIM_BATCH = 200


async def claim_due_checkins(
    session: AsyncSession, now: datetime, owns: Callable[[int], bool], *, after_id: int = 0, limit: int = CLAIM_BATCH
) -> tuple[int, int]:
    """Claim the due check-ins of up to `limit` formed circles with ids after `after_id`: move each circle on (one
    winner) and owe each member a DM. Only circles of guilds this process `owns`, chosen in SQL before the limit,
    so another process's circles never fill a batch. Returns (circles looked at, the last one's id): fewer than
    `limit` means none is left. The caller passes the last id on, so a run visits each circle once, as a single
    pass did (a circle whose next day has passed too gets it on the next run).

    Plain statements, as mentorship's claim: one conditional `UPDATE` a circle, one `SELECT` of the members of
    every circle won and one `INSERT` for their DMs (ORM objects and a member query a circle took 2.5 ms a circle
    on SQLite: 5 s for a backlog of 2,000)."""
    is_due = (Circle.status == FORMED, Circle.next_checkin_at <= now, Circle.id > after_id)
    guilds = await owned_guilds(session, select(Circle.guild_id).where(*is_due), owns)
    if not guilds:
        return 0, after_id
    due = (
        await session.execute(
            select(
                Circle.id,
                Circle.guild_id,
                Circle.checkins_sent,
                Circle.next_checkin_at,
                Circle.decided_at,
                Circle.created_at,
            )
            .where(*is_due, Circle.guild_id.in_(guilds))
            .order_by(Circle.id)
            .limit(limit)
        )
    ).all()
    days_of = {guild_id: await checkin_days(session, guild_id) for guild_id in dict.fromkeys(row[1] for row in due)}
    table = cast(Table, Circle.__table__)
    move_on = (
        update(table)
        .where(table.c.id == bindparam("circle"), table.c.next_checkin_at == bindparam("was"))
        .values(checkins_sent=bindparam("sent"), next_checkin_at=bindparam("following"))
    )
    day_of: dict[int, tuple[int, int]] = {}  # circle won -> (its guild, the day that fell due)
    for circle_id, guild_id, sent, was, decided_at, created_at in due:
        days = days_of[guild_id]
        following = (decided_at or created_at) + timedelta(days=days[sent + 1]) if sent + 1 < len(days) else None
        won = rowcount(
            await session.execute(move_on, {"circle": circle_id, "was": was, "sent": sent + 1, "following": following})
        )
        if won and sent < len(days):
            day_of[circle_id] = (guild_id, days[sent])
    if day_of:
        await _owe(session, day_of, now)
    return len(due), due[-1][0] if due else after_id


async def _owe(session: AsyncSession, day_of: dict[int, tuple[int, int]], now: datetime) -> None:
    """Owe each remaining member of the circles in `day_of` the DM of the day that fell due."""
    members = await session.execute(
        select(CircleInvite.circle_id, CircleInvite.user_id)
        .where(CircleInvite.circle_id.in_(list(day_of)), CircleInvite.status == YES)
        .order_by(CircleInvite.circle_id, CircleInvite.user_id)
    )
    owed = [
        dict(
            circle_id=circle_id,
            guild_id=day_of[circle_id][0],
            user_id=user_id,
            day=day_of[circle_id][1],
            delivery=DELIVERY_DUE,
            send_after=now,
            attempts=0,
        )
        for circle_id, user_id in members
    ]
    table = cast(Table, CircleCheckin.__table__)
    for start in range(0, len(owed), OWED_PER_INSERT):
        await session.execute(
            dialect_insert(session, table).on_conflict_do_nothing(), owed[start : start + OWED_PER_INSERT]
        )


CHECKIN_BATCH = 100  # check-in DMs leased at once: each batch goes out well within its lease


async def lease_checkins(
    session: AsyncSession, now: datetime, owns: Callable[[int], bool], limit: int = CHECKIN_BATCH
) -> list[CircleCheckin]:
    """Take the lease on up to `limit` owed check-in DMs: exactly one caller wins each; a dead process's runs
    out. Only guilds this process `owns`, chosen before the limit so that other processes' DMs never fill the
    batch."""
    is_due = [CircleCheckin.delivery == DELIVERY_DUE, CircleCheckin.send_after <= now]
    return await lease_owed(session, CircleCheckin, CircleCheckin.send_after, is_due, owns, now, limit)


async def settle_checkin(session: AsyncSession, checkin_id: int, delivery: str) -> None:
    await _update(
        session,
        update(CircleCheckin)
        .where(CircleCheckin.id == checkin_id, CircleCheckin.delivery == DELIVERY_DUE)
        .values(delivery=delivery, send_after=None),
    )


async def retry_checkin(session: AsyncSession, checkin_id: int, now: datetime, failed: str) -> bool:
    checkin = await session.get(CircleCheckin, checkin_id, populate_existing=True)
    if checkin is None or checkin.delivery != DELIVERY_DUE:
        return False
    checkin.attempts += 1
    if checkin.attempts >= MAX_ATTEMPTS:
        checkin.delivery, checkin.send_after = failed, None
        return False
    checkin.send_after = now + backoff(checkin.attempts)
    return True


async def rate_checkin(
    session: AsyncSession, checkin_id: int, user_id: int, rating: int, now: datetime
) -> CircleCheckin | None:
    """Record a rating once; None if it isn't this member's or was already given."""
    if not await _update(
        session,
        update(CircleCheckin)
        .where(CircleCheckin.id == checkin_id, CircleCheckin.user_id == user_id, CircleCheckin.rating.is_(None))
        .values(rating=rating, answered_at=now),
    ):
        return None
    return await session.get(CircleCheckin, checkin_id, populate_existing=True)
