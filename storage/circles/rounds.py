"""Scheduled rounds (leased, then moved on once they ran) and the members a round left out, each owed one
private message saying why (leased LEFT_OUT_BATCH at a time: the circles cog loops with core.jobs.in_batches).
They take a session; they never open one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.circles._common import _update
from storage.models.circles import (
    DELIVERY_DUE,
    CircleLeftOut,
    CircleSchedule,
)
from storage.owed import MAX_ATTEMPTS, backoff, lease_owed

ROUND_LEASE = timedelta(minutes=15)


async def set_schedule(
    session: AsyncSession, guild_id: int, every_days: int, first_at: datetime, now: datetime
) -> None:
    schedule = await session.get(CircleSchedule, guild_id)
    if schedule is None:
        session.add(CircleSchedule(guild_id=guild_id, every_days=every_days, next_round_at=first_at, updated_at=now))
    else:
        schedule.every_days, schedule.next_round_at, schedule.lease_until = every_days, first_at, None
        schedule.updated_at = now
    await session.flush()


async def drop_schedule(session: AsyncSession, guild_id: int) -> bool:
    return bool(await _update(session, delete(CircleSchedule).where(CircleSchedule.guild_id == guild_id)))


async def get_schedule(session: AsyncSession, guild_id: int) -> CircleSchedule | None:
    return await session.get(CircleSchedule, guild_id, populate_existing=True)


async def claim_due_rounds(session: AsyncSession, now: datetime, owns: Callable[[int], bool]) -> list[CircleSchedule]:
    """Lease every due round (one winner each); a dead process's lease runs out and the round is taken over."""
    due = (
        await session.scalars(
            select(CircleSchedule).where(
                CircleSchedule.next_round_at <= now,
                or_(CircleSchedule.lease_until.is_(None), CircleSchedule.lease_until <= now),
            )
        )
    ).all()
    claimed = []
    for schedule in due:
        if owns(schedule.guild_id) and await _update(
            session,
            update(CircleSchedule)
            .where(
                CircleSchedule.guild_id == schedule.guild_id,
                CircleSchedule.next_round_at == schedule.next_round_at,
                or_(CircleSchedule.lease_until.is_(None), CircleSchedule.lease_until <= now),
            )
            .values(lease_until=now + ROUND_LEASE),
        ):
            claimed.append(schedule)
    return claimed


async def complete_round(session: AsyncSession, guild_id: int, scheduled: datetime, following: datetime) -> None:
    """The round ran: the next one is at `following` (a schedule changed meanwhile is left as it is)."""
    await _update(
        session,
        update(CircleSchedule)
        .where(CircleSchedule.guild_id == guild_id, CircleSchedule.next_round_at == scheduled)
        .values(next_round_at=following, lease_until=None),
    )


async def owe_left_out(session: AsyncSession, guild_id: int, reasons: Sequence[tuple[int, str]], now: datetime) -> int:
    """Owe each member a real round left out one private message saying why (in the round's transaction)."""
    session.add_all(
        CircleLeftOut(guild_id=guild_id, user_id=user_id, reason=reason, created_at=now, send_after=now)
        for user_id, reason in reasons
    )
    await session.flush()
    return len(reasons)


async def get_left_out(session: AsyncSession, left_out_id: int) -> CircleLeftOut | None:
    return await session.get(CircleLeftOut, left_out_id)


LEFT_OUT_BATCH = 100  # left-out messages leased at once: each batch goes out well within its lease


async def lease_left_outs(
    session: AsyncSession, now: datetime, owns: Callable[[int], bool], limit: int = LEFT_OUT_BATCH
) -> list[CircleLeftOut]:
    """Take the lease on up to `limit` owed left-out messages: exactly one caller wins each; a dead process's
    runs out. Only guilds this process `owns`, chosen before the limit so that other processes' messages never
    fill the batch."""
    is_due = [CircleLeftOut.delivery == DELIVERY_DUE, CircleLeftOut.send_after <= now]
    return await lease_owed(session, CircleLeftOut, CircleLeftOut.send_after, is_due, owns, now, limit)


async def settle_left_out(session: AsyncSession, left_out_id: int, delivery: str) -> None:
    await _update(
        session,
        update(CircleLeftOut)
        .where(CircleLeftOut.id == left_out_id, CircleLeftOut.delivery == DELIVERY_DUE)
        .values(delivery=delivery, send_after=None),
    )


async def retry_left_out(session: AsyncSession, left_out_id: int, now: datetime, failed: str) -> bool:
    """Discord failed: try again after the backoff. False once it failed MAX_ATTEMPTS times (given up)."""
    item = await get_left_out(session, left_out_id)
    if item is None or item.delivery != DELIVERY_DUE:
        return False
    item.attempts += 1
    if item.attempts >= MAX_ATTEMPTS:
        item.delivery, item.send_after = failed, None
        return False
    item.send_after = now + backoff(item.attempts)
    return True
