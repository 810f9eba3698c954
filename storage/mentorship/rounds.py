"""A round of matching: who is in its pool, and the guild's schedule of rounds, each leased (ROUND_LEASE)
and completed in the transaction that creates its proposals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import rowcount
from storage.mentorship._common import Pairing, PairKey, Proposal, _departed, _update, paged
from storage.mentorship.blocks import exclusions, protected_pairs
from storage.models.mentorship import ACTIVE, PENDING, MenteeProfile, MentorProfile, MentorshipSchedule


@dataclass(frozen=True)
class Pool:
    mentors: list[tuple[MentorProfile, int]]  # (profile, places left this round)
    mentees: list[MenteeProfile]
    exclusions: set[tuple[int, int]]  # (mentor user id, mentee user id)


def _not_paused(model: Any, now: datetime) -> Any:
    return or_(model.paused.is_(False), and_(model.paused_until.is_not(None), model.paused_until <= now))


async def round_pool(session: AsyncSession, guild_id: int, now: datetime, pair_key: PairKey) -> Pool:
    """Who may be proposed now: opted in, not paused, mentors with places left, mentees unattached.
    Exclusions include the protections kept after an erasure (`pair_key` recognises those pairs)."""
    pending_as_mentor = (
        select(Proposal.mentor_id, func.count().label("n"))
        .where(Proposal.guild_id == guild_id, Proposal.status.in_(PENDING))
        .group_by(Proposal.mentor_id)
    )
    pending = {mentor: n for mentor, n in (await session.execute(pending_as_mentor)).all()}
    mentors = []
    for profile in await paged(
        session,
        select(MentorProfile).where(
            MentorProfile.guild_id == guild_id,
            _not_paused(MentorProfile, now),
            MentorProfile.user_id.not_in(_departed(guild_id)),
        ),
        MentorProfile.id,
    ):
        left = profile.capacity - profile.active_count - pending.get(profile.user_id, 0)
        if left > 0:
            mentors.append((profile, left))
    busy = select(Proposal.mentee_id).where(Proposal.guild_id == guild_id, Proposal.status.in_(PENDING))
    paired = select(Pairing.mentee_id).where(Pairing.guild_id == guild_id, Pairing.status == ACTIVE)
    mentees = await paged(
        session,
        select(MenteeProfile).where(
            MenteeProfile.guild_id == guild_id,
            _not_paused(MenteeProfile, now),
            MenteeProfile.user_id.not_in(busy),
            MenteeProfile.user_id.not_in(paired),
            MenteeProfile.user_id.not_in(_departed(guild_id)),
        ),
        MenteeProfile.id,
    )
    excluded = await exclusions(session, guild_id)

    def members() -> set[int]:
        return {profile.user_id for profile, _places in mentors} | {profile.user_id for profile in mentees}

    excluded |= await protected_pairs(session, guild_id, members, pair_key)
    return Pool(mentors=mentors, mentees=mentees, exclusions=excluded)


# ---------------------------------------------------------------- schedules


async def set_schedule(session: AsyncSession, guild_id: int, every_days: int, first_at: datetime) -> None:
    schedule = await session.get(MentorshipSchedule, guild_id)
    if schedule is None:
        session.add(
            MentorshipSchedule(guild_id=guild_id, every_days=every_days, next_round_at=first_at, updated_at=first_at)
        )
    else:
        schedule.every_days, schedule.next_round_at, schedule.updated_at = every_days, first_at, first_at
    await session.flush()


async def next_round(session: AsyncSession, guild_id: int) -> datetime | None:
    """When the guild's next scheduled round runs, or None when rounds run only when a moderator starts one."""
    schedule = await session.get(MentorshipSchedule, guild_id, populate_existing=True)
    return schedule.next_round_at if schedule is not None else None


async def drop_schedule(session: AsyncSession, guild_id: int) -> bool:
    result = await session.execute(delete(MentorshipSchedule).where(MentorshipSchedule.guild_id == guild_id))
    return bool(rowcount(result))


ROUND_LEASE = timedelta(minutes=15)  # a round of a large pool runs its engine in a worker process


@dataclass
class RoundClaim:
    """A scheduled round this process leased: it completes with `complete_round` (in the transaction that
    creates the round's proposals) or, if it can't run now, `release_round`."""

    guild_id: int
    due_at: datetime
    lease_until: datetime
    following: datetime


async def claim_due_rounds(
    session: AsyncSession, now: datetime, advance: Any, owns: Callable[[int], bool] = lambda _guild_id: True
) -> list[RoundClaim]:
    """Lease each due scheduled round. Exactly one caller wins a round; a lease left by a process that died
    runs out and the next run takes it over. Only guilds this process `owns` (its shards) are claimed, so
    no other process's round is taken and dropped."""
    due = (
        await session.scalars(
            select(MentorshipSchedule).where(
                MentorshipSchedule.next_round_at <= now,
                or_(MentorshipSchedule.lease_until.is_(None), MentorshipSchedule.lease_until <= now),
            )
        )
    ).all()
    claimed = []
    for schedule in due:
        if not owns(schedule.guild_id):
            continue
        lease = now + ROUND_LEASE
        held = (
            MentorshipSchedule.lease_until.is_(None)
            if schedule.lease_until is None
            else MentorshipSchedule.lease_until == schedule.lease_until
        )
        if await _update(
            session,
            update(MentorshipSchedule)
            .where(
                MentorshipSchedule.guild_id == schedule.guild_id,
                MentorshipSchedule.next_round_at == schedule.next_round_at,
                held,
            )
            .values(lease_until=lease),
        ):
            following = advance(schedule.next_round_at, schedule.every_days, now)
            claimed.append(RoundClaim(schedule.guild_id, schedule.next_round_at, lease, following))
    return claimed


async def complete_round(session: AsyncSession, claim: RoundClaim, now: datetime) -> bool:
    """Move the schedule on and drop the lease, if this claim still holds it (False: another process took it
    over, and this transaction must not create the round's proposals)."""
    return bool(
        await _update(
            session,
            update(MentorshipSchedule)
            .where(
                MentorshipSchedule.guild_id == claim.guild_id,
                MentorshipSchedule.next_round_at == claim.due_at,
                MentorshipSchedule.lease_until == claim.lease_until,
            )
            .values(next_round_at=claim.following, last_round_at=now, lease_until=None),
        )
    )


async def release_round(session: AsyncSession, claim: RoundClaim, retry_at: datetime) -> None:
    """The round couldn't run now (Discord failed, the guild is in an outage): it is tried again at `retry_at`."""
    await _update(
        session,
        update(MentorshipSchedule)
        .where(MentorshipSchedule.guild_id == claim.guild_id, MentorshipSchedule.lease_until == claim.lease_until)
        .values(lease_until=retry_at),
    )
