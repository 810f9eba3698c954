"""Proposals (invitations) from creation to an answer, an expiry or a cancellation. Each change of state is a
conditional update whose row count says whether this caller won; a mentor's places are taken with one
guarded statement (`active_count < capacity`) in `mentee_accepts`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import dialect_insert, rowcount
from storage.mentorship._common import Pairing, Proposal, _update
from storage.models.mentorship import (
    ACCEPTED,
    ACTIVE,
    CANCELLED,
    DECLINED,
    EXPIRED,
    NOTICE_INVITE,
    NOTICE_LAPSED,
    PENDING,
    PENDING_MENTEE,
    PENDING_MENTOR,
    MentorProfile,
)


def _waiting_for_mentor(*, now: datetime, expiry: timedelta, notice: str | None, forced: bool) -> dict[str, Any]:
    """The columns a new proposal starts with, whoever proposes it (the pair and its score aside)."""
    return dict(
        notice=notice,
        notice_due_at=now if notice else None,
        notice_attempts=0,
        status=PENDING_MENTOR,
        forced=forced,
        created_at=now,
        expires_at=now + expiry,
    )


async def create_proposal(
    session: AsyncSession,
    guild_id: int,
    mentor_id: int,
    mentee_id: int,
    *,
    score: int,
    reason: str,
    shared_themes: str,
    now: datetime,
    expiry: timedelta,
    forced: bool = False,
    notice: str | None = None,
) -> Proposal | None:
    """A new proposal waiting for the mentor, or None if this pair was proposed before.

    A forced proposal (a moderator's) reuses a finished earlier one for the same pair. `notice`: the
    mentor's invitation is owed (NOTICE_INVITE), so it is sent even if this process dies before it."""
    values = dict(
        _waiting_for_mentor(now=now, expiry=expiry, notice=notice, forced=forced),
        score=score,
        reason=reason,
        shared_themes=shared_themes,
        declined_by=None,
        mentor_answered_at=None,
        mentee_answered_at=None,
        mentor_channel_id=None,
        mentor_message_id=None,
        mentee_channel_id=None,
        mentee_message_id=None,
    )
    statement = (
        dialect_insert(session, Proposal)
        .values(guild_id=guild_id, mentor_id=mentor_id, mentee_id=mentee_id, **values)
        .on_conflict_do_nothing(index_elements=["guild_id", "mentor_id", "mentee_id"])
    )
    inserted = rowcount(await session.execute(statement))
    where = and_(Proposal.guild_id == guild_id, Proposal.mentor_id == mentor_id, Proposal.mentee_id == mentee_id)
    if not inserted:
        if not forced:
            return None
        reopened = await _update(
            session,
            update(Proposal)
            .where(where, Proposal.status.in_((DECLINED, EXPIRED, CANCELLED, ACCEPTED)))
            .values(**values),
        )
        if not reopened:
            return None
    return await session.scalar(select(Proposal).where(where).execution_options(populate_existing=True))


ROUND_INSERT_BATCH = 100  # a round's proposals per executemany: about 20 ms of the event loop each at most


@dataclass(frozen=True, slots=True)
class NewProposal:
    """One pair a round proposes."""

    mentor_id: int
    mentee_id: int
    score: int
    reason: str
    shared_themes: str


async def create_round_proposals(
    session: AsyncSession,
    guild_id: int,
    pairs: Sequence[NewProposal],
    *,
    now: datetime,
    expiry: timedelta,
    notice: str | None,
) -> list[int]:
    """A round's proposals, waiting for their mentors, inserted `ROUND_INSERT_BATCH` at a time: the ids of
    those created. A pair proposed before is skipped, as `create_proposal` skips it (the unique pair key)."""
    common = dict(_waiting_for_mentor(now=now, expiry=expiry, notice=notice, forced=False), guild_id=guild_id)
    statement = (
        dialect_insert(session, Proposal.__table__)
        .on_conflict_do_nothing(index_elements=["guild_id", "mentor_id", "mentee_id"])
        .returning(Proposal.id)
    )
    created: list[int] = []
    for start in range(0, len(pairs), ROUND_INSERT_BATCH):
        rows = [
            dict(
                common,
                mentor_id=pair.mentor_id,
                mentee_id=pair.mentee_id,
                score=pair.score,
                reason=pair.reason,
                shared_themes=pair.shared_themes,
            )
            for pair in pairs[start : start + ROUND_INSERT_BATCH]
        ]
        created.extend((await session.execute(statement, rows)).scalars())
    return sorted(created)


async def get_proposal(session: AsyncSession, proposal_id: int) -> Proposal | None:
    return await session.scalar(
        select(Proposal).where(Proposal.id == proposal_id).execution_options(populate_existing=True)
    )


async def record_message(session: AsyncSession, proposal_id: int, role: str, channel_id: int, message_id: int) -> None:
    values = {f"{role}_channel_id": channel_id, f"{role}_message_id": message_id}
    await _update(session, update(Proposal).where(Proposal.id == proposal_id).values(**values))


async def mentor_accepts(session: AsyncSession, proposal_id: int, now: datetime, expiry: timedelta) -> bool:
    """pending_mentor → pending_mentee, owing the mentee's invitation; False if it was already answered or
    expired."""
    return bool(
        await _update(
            session,
            update(Proposal)
            .where(Proposal.id == proposal_id, Proposal.status == PENDING_MENTOR)
            .values(
                status=PENDING_MENTEE,
                mentor_answered_at=now,
                expires_at=now + expiry,
                notice=NOTICE_INVITE,  # the mentee's invitation is owed until it is sent (Flow.send_owed)
                notice_due_at=now,
                notice_attempts=0,
            ),
        )
    )


async def decline(session: AsyncSession, proposal_id: int, role: str, now: datetime) -> bool:
    status = PENDING_MENTOR if role == "mentor" else PENDING_MENTEE
    return bool(
        await _update(
            session,
            update(Proposal)
            .where(Proposal.id == proposal_id, Proposal.status == status)
            .values(status=DECLINED, declined_by=role, **{f"{role}_answered_at": now}),
        )
    )


async def mentee_accepts(
    session: AsyncSession, proposal_id: int, now: datetime, checkin_days: Sequence[int]
) -> tuple[str, Pairing | None]:
    """pending_mentee → accepted and a pairing, if the mentor still has a place.

    Returns ("accepted", pairing), ("full", None) when the mentor's places were taken meanwhile
    (the proposal is cancelled), or ("stale", None) when it was already answered or expired."""
    claimed = await _update(
        session,
        update(Proposal)
        .where(Proposal.id == proposal_id, Proposal.status == PENDING_MENTEE)
        .values(status=ACCEPTED, mentee_answered_at=now),
    )
    if not claimed:
        return "stale", None
    proposal = await get_proposal(session, proposal_id)
    assert proposal is not None
    took_place = await _update(
        session,
        update(MentorProfile)
        .where(
            MentorProfile.guild_id == proposal.guild_id,
            MentorProfile.user_id == proposal.mentor_id,
            MentorProfile.active_count < MentorProfile.capacity,
        )
        .values(active_count=MentorProfile.active_count + 1),
    )
    if not took_place:
        await _update(session, update(Proposal).where(Proposal.id == proposal_id).values(status=CANCELLED))
        return "full", None
    pairing = Pairing(
        guild_id=proposal.guild_id,
        proposal_id=proposal.id,
        mentor_id=proposal.mentor_id,
        mentee_id=proposal.mentee_id,
        status=ACTIVE,
        started_at=now,
        checkins_sent=0,
        next_checkin_at=now + timedelta(days=checkin_days[0]) if checkin_days else None,
    )
    session.add(pairing)
    await session.flush()
    return "accepted", pairing


EXPIRE_BATCH = 500  # proposals expired per transaction: a backlog goes in short writes


async def expire_due(session: AsyncSession, now: datetime, limit: int = EXPIRE_BATCH) -> list[Proposal]:
    """Claim up to `limit` pending proposals past their time; returns the ones this call expired (fewer than
    `limit`: none is left, but for one another process took at the same moment)."""
    due = (
        await session.scalars(
            select(Proposal)
            .where(Proposal.status.in_(PENDING), Proposal.expires_at <= now)
            .order_by(Proposal.id)
            .limit(limit)
        )
    ).all()
    claimed = []
    for proposal in due:
        if await _update(
            session,
            update(Proposal)
            .where(Proposal.id == proposal.id, Proposal.status == proposal.status)
            .values(status=EXPIRED, notice=NOTICE_LAPSED, notice_due_at=now, notice_attempts=0),
        ):
            claimed.append(proposal)
    return claimed


async def awaiting_answer(session: AsyncSession, guild_id: int, user_id: int) -> list[Proposal]:
    """Proposals waiting for this member's own answer (never ones waiting for the other person)."""
    return list(
        (
            await session.scalars(
                select(Proposal)
                .where(
                    Proposal.guild_id == guild_id,
                    or_(
                        and_(Proposal.mentor_id == user_id, Proposal.status == PENDING_MENTOR),
                        and_(Proposal.mentee_id == user_id, Proposal.status == PENDING_MENTEE),
                    ),
                )
                .order_by(Proposal.id)
            )
        ).all()
    )


async def pending_proposals(session: AsyncSession, guild_id: int) -> list[Proposal]:
    return list(
        (
            await session.scalars(
                select(Proposal)
                .where(Proposal.guild_id == guild_id, Proposal.status.in_(PENDING))
                .order_by(Proposal.id)
            )
        ).all()
    )


async def cancel_pending_for(session: AsyncSession, guild_id: int, user_id: int) -> list[Proposal]:
    pending = (
        await session.scalars(
            select(Proposal).where(
                Proposal.guild_id == guild_id,
                Proposal.status.in_(PENDING),
                or_(Proposal.mentor_id == user_id, Proposal.mentee_id == user_id),
            )
        )
    ).all()
    cancelled = []
    for proposal in pending:
        if await _update(
            session,
            update(Proposal).where(Proposal.id == proposal.id, Proposal.status.in_(PENDING)).values(status=CANCELLED),
        ):
            cancelled.append(proposal)
    return cancelled


async def cancel_between(session: AsyncSession, guild_id: int, first: int, second: int) -> list[Proposal]:
    """Cancel pending proposals between two members, in either role."""
    pending = (
        await session.scalars(
            select(Proposal).where(
                Proposal.guild_id == guild_id,
                Proposal.status.in_(PENDING),
                or_(
                    and_(Proposal.mentor_id == first, Proposal.mentee_id == second),
                    and_(Proposal.mentor_id == second, Proposal.mentee_id == first),
                ),
            )
        )
    ).all()
    return [
        proposal
        for proposal in pending
        if await _update(
            session,
            update(Proposal).where(Proposal.id == proposal.id, Proposal.status.in_(PENDING)).values(status=CANCELLED),
        )
    ]


async def cancel_proposal(session: AsyncSession, proposal_id: int) -> bool:
    """Withdraw one open invitation; False if it was answered or closed meanwhile."""
    return bool(
        await _update(
            session,
            update(Proposal).where(Proposal.id == proposal_id, Proposal.status.in_(PENDING)).values(status=CANCELLED),
        )
    )
