"""Queries on mentor pairing. They take a session; they never open one.

State changes are conditional updates (`WHERE status = …`) whose row count says whether this caller
won; a mentor's places are taken with one guarded statement (`active_count < capacity`), so two
mentees accepting at the same moment can't exceed it on SQLite or PostgreSQL.

Claims of due work, and what a process that dies between the claim and the message leaves behind:
- a check-in: `claim_due_checkins` moves the pairing on and writes one row per member, `delivery` "due";
  each DM is then leased (`lease_checkins`, LEASE) and settled (sent / held / gone / failed). A dead
  process's lease runs out and the next run takes it over, once. At least once: a DM sent just before a
  crash, not yet recorded, is sent again with the same nonce, which Discord drops within a few minutes.
- a proposal's expiry: one conditional update sets it expired *and* owes its lapse notice (`notice`);
  the notice is leased and settled like a check-in (an edit, so repeating it is harmless).
- a scheduled round: leased (`claim_due_rounds`, ROUND_LEASE); `complete_round` moves the schedule on in
  the transaction that creates its proposals (each owing its invitation, `notice`). A dead process's
  round is run by the next one after the lease, exactly once; a slow one whose lease was taken over
  rolls back instead of creating the proposals twice.
- a pause ending (`resume_due`): one update, no message.
- owed notes (a reminder before an invitation lapses, a pause after two lapses, an unmatched explanation,
  the did-you-meet nudge): storage/mentorship_followups.py, owed once by a unique key, leased like a check-in.
Not due work, so not covered here: the mentee's invitation after the mentor says yes, `/pairing create`'s
invitation and the pair thread are sent right after their commit (a crash in between loses the message:
the proposal lapses kindly after its days, the thread's absence is in the mod-log only if Discord refused).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import dialect_insert, rowcount
from storage.models import Departure
from storage.models.mentorship import (
    ACCEPTED,
    ACTIVE,
    CANCELLED,
    DECLINED,
    DELIVERY_DUE,
    DELIVERY_FAILED,
    DELIVERY_SENT,
    ENDED,
    EXPIRED,
    NOTICE_INVITE,
    NOTICE_LAPSED,
    PENDING,
    PENDING_MENTEE,
    PENDING_MENTOR,
    PROTECT_BLOCK,
    PROTECT_HISTORY,
    MenteeProfile,
    MentorProfile,
    MentorshipBlock,
    MentorshipCheckin,
    MentorshipPairing,
    MentorshipProposal,
    MentorshipProtection,
    MentorshipSchedule,
    ProtectionKeyCheck,
)

Proposal = MentorshipProposal
Pairing = MentorshipPairing
PairKey = Callable[[int, int, int], str]  # (guild, member, member) → keyed hash of the pair (core/protection.py)


async def _update(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return rowcount(result)


# ---------------------------------------------------------------- profiles


async def get_mentor(session: AsyncSession, guild_id: int, user_id: int) -> MentorProfile | None:
    return await session.scalar(
        select(MentorProfile).where(MentorProfile.guild_id == guild_id, MentorProfile.user_id == user_id)
    )


async def get_mentee(session: AsyncSession, guild_id: int, user_id: int) -> MenteeProfile | None:
    return await session.scalar(
        select(MenteeProfile).where(MenteeProfile.guild_id == guild_id, MenteeProfile.user_id == user_id)
    )


async def save_mentor(session: AsyncSession, guild_id: int, user_id: int, now: datetime, **values: Any) -> bool:
    """Create or replace the member's offer (every field given). True if it is new."""
    profile = await get_mentor(session, guild_id, user_id)
    created = profile is None
    if profile is None:
        profile = MentorProfile(guild_id=guild_id, user_id=user_id, created_at=now, active_count=0, paused=False)
        session.add(profile)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.updated_at = now
    await session.flush()
    return created


async def save_mentee(session: AsyncSession, guild_id: int, user_id: int, now: datetime, **values: Any) -> bool:
    """Create or replace the member's request (every field given). True if it is new."""
    profile = await get_mentee(session, guild_id, user_id)
    created = profile is None
    if profile is None:
        profile = MenteeProfile(guild_id=guild_id, user_id=user_id, created_at=now, paused=False)
        session.add(profile)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.updated_at = now
    await session.flush()
    return created


async def set_paused(session: AsyncSession, guild_id: int, user_id: int, paused: bool, until: datetime | None) -> int:
    """Pause (until a time, or until resumed) or resume both of a member's profiles; rows changed."""
    changed = 0
    for model in (MentorProfile, MenteeProfile):
        changed += await _update(
            session,
            update(model)
            .where(model.guild_id == guild_id, model.user_id == user_id)
            .values(paused=paused, paused_until=until if paused else None),
        )
    return changed


async def resume_due(session: AsyncSession, now: datetime) -> int:
    """Clear pauses whose time is up (they already count as resumed; this tidies the rows)."""
    changed = 0
    for model in (MentorProfile, MenteeProfile):
        changed += await _update(
            session,
            update(model)
            .where(model.paused.is_(True), model.paused_until.is_not(None), model.paused_until <= now)
            .values(paused=False, paused_until=None),
        )
    return changed


async def delete_profiles(session: AsyncSession, guild_id: int, user_id: int) -> int:
    removed = 0
    for model in (MentorProfile, MenteeProfile):
        result = await session.execute(delete(model).where(model.guild_id == guild_id, model.user_id == user_id))
        removed += rowcount(result)
    return removed


# ---------------------------------------------------------------- blocks


async def add_block(session: AsyncSession, guild_id: int, user_id: int, blocked_id: int, now: datetime) -> bool:
    """Record a block; False when it already existed."""
    statement = (
        dialect_insert(session, MentorshipBlock)
        .values(guild_id=guild_id, user_id=user_id, blocked_user_id=blocked_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["guild_id", "user_id", "blocked_user_id"])
    )
    result = await session.execute(statement)
    return bool(rowcount(result))


async def is_blocked(session: AsyncSession, guild_id: int, first: int, second: int) -> bool:
    found = await session.scalar(
        select(MentorshipBlock.id).where(
            MentorshipBlock.guild_id == guild_id,
            or_(
                and_(MentorshipBlock.user_id == first, MentorshipBlock.blocked_user_id == second),
                and_(MentorshipBlock.user_id == second, MentorshipBlock.blocked_user_id == first),
            ),
        )
    )
    return found is not None


# ---------------------------------------------------------------- protections kept after an erasure


async def keep_protections(session: AsyncSession, guild_id: int, user_id: int, pair_key: PairKey) -> int:
    """Before `user_id`'s rows go: keep, for every other member, what protects them from this member (a
    block they made, any earlier invitation or pairing of the two) as a keyed hash of the pair they own.
    Protections the eraser made are theirs and go with the rest. Returns the protections written."""
    kept: dict[tuple[int, str], datetime] = {}

    def keep(owner: int, kind: str, since: datetime) -> None:
        if owner != user_id and ((owner, kind) not in kept or since < kept[owner, kind]):
            kept[owner, kind] = since

    for owner, since in (
        await session.execute(
            select(MentorshipBlock.user_id, MentorshipBlock.created_at).where(
                MentorshipBlock.guild_id == guild_id, MentorshipBlock.blocked_user_id == user_id
            )
        )
    ).all():
        keep(owner, PROTECT_BLOCK, since)
    for mentor, mentee, since in (
        await session.execute(
            select(Proposal.mentor_id, Proposal.mentee_id, Proposal.created_at).where(
                Proposal.guild_id == guild_id, or_(Proposal.mentor_id == user_id, Proposal.mentee_id == user_id)
            )
        )
    ).all():
        keep(mentee if mentor == user_id else mentor, PROTECT_HISTORY, since)
    if not kept:
        return 0
    rows = [
        dict(
            guild_id=guild_id, owner_id=owner, pair_key=pair_key(guild_id, owner, user_id), kind=kind, created_at=since
        )
        for (owner, kind), since in sorted(kept.items())
    ]
    statement = (
        dialect_insert(session, MentorshipProtection)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["guild_id", "owner_id", "pair_key", "kind"])
    )
    return rowcount(await session.execute(statement))


async def delete_owned_protections(session: AsyncSession, guild_id: int, user_id: int) -> int:
    """The member's own kept protections (erased with the rest of their data)."""
    result = await session.execute(
        delete(MentorshipProtection).where(
            MentorshipProtection.guild_id == guild_id, MentorshipProtection.owner_id == user_id
        )
    )
    return rowcount(result)


async def owned_protections(session: AsyncSession, guild_id: int, user_id: int) -> list[MentorshipProtection]:
    return list(
        (
            await session.scalars(
                select(MentorshipProtection)
                .where(MentorshipProtection.guild_id == guild_id, MentorshipProtection.owner_id == user_id)
                .order_by(MentorshipProtection.created_at, MentorshipProtection.id)
            )
        ).all()
    )


async def is_protected(
    session: AsyncSession, guild_id: int, first: int, second: int, pair_key: PairKey, kinds: Sequence[str]
) -> bool:
    """Whether either member holds a kept protection of one of `kinds` against the other."""
    found = await session.scalar(
        select(MentorshipProtection.id).where(
            MentorshipProtection.guild_id == guild_id,
            MentorshipProtection.pair_key == pair_key(guild_id, first, second),
            MentorshipProtection.owner_id.in_((first, second)),
            MentorshipProtection.kind.in_(kinds),
        )
    )
    return found is not None


async def protected_pairs(
    session: AsyncSession, guild_id: int, members: set[int], pair_key: PairKey
) -> set[tuple[int, int]]:
    """Pairs of `members` that a kept protection forbids, in both orders. Only owners among `members`
    are looked at, and each is hashed with every other member: owners × members hashes."""
    by_owner: dict[int, set[str]] = {}
    for owner, key in (
        await session.execute(
            select(MentorshipProtection.owner_id, MentorshipProtection.pair_key).where(
                MentorshipProtection.guild_id == guild_id
            )
        )
    ).all():
        if owner in members:
            by_owner.setdefault(owner, set()).add(key)
    pairs: set[tuple[int, int]] = set()
    for owner, keys in by_owner.items():
        for other in members:
            if other != owner and pair_key(guild_id, owner, other) in keys:
                pairs.add((owner, other))
                pairs.add((other, owner))
    return pairs


async def check_key_fingerprint(session: AsyncSession, fingerprint: str, now: datetime) -> bool:
    """Record the protection key's fingerprint, or compare it with the recorded one. False when the key
    differs while protections made with the old key exist (they could no longer be recognised)."""
    check = await session.get(ProtectionKeyCheck, 1)
    if check is None:
        session.add(ProtectionKeyCheck(id=1, fingerprint=fingerprint, created_at=now))
        await session.flush()
        return True
    if check.fingerprint == fingerprint:
        return True
    if await session.scalar(select(MentorshipProtection.id).limit(1)) is not None:
        return False
    check.fingerprint, check.created_at = fingerprint, now  # nothing was hashed with the old key
    await session.flush()
    return True


# ---------------------------------------------------------------- the pool of a round


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
    for profile in (
        await session.scalars(
            select(MentorProfile)
            .where(
                MentorProfile.guild_id == guild_id,
                _not_paused(MentorProfile, now),
                MentorProfile.user_id.not_in(_departed(guild_id)),
            )
            .order_by(MentorProfile.id)
        )
    ).all():
        left = profile.capacity - profile.active_count - pending.get(profile.user_id, 0)
        if left > 0:
            mentors.append((profile, left))
    busy = select(Proposal.mentee_id).where(Proposal.guild_id == guild_id, Proposal.status.in_(PENDING))
    paired = select(Pairing.mentee_id).where(Pairing.guild_id == guild_id, Pairing.status == ACTIVE)
    mentees = list(
        (
            await session.scalars(
                select(MenteeProfile)
                .where(
                    MenteeProfile.guild_id == guild_id,
                    _not_paused(MenteeProfile, now),
                    MenteeProfile.user_id.not_in(busy),
                    MenteeProfile.user_id.not_in(paired),
                    MenteeProfile.user_id.not_in(_departed(guild_id)),
                )
                .order_by(MenteeProfile.id)
            )
        ).all()
    )
    excluded = await exclusions(session, guild_id)
    members = {profile.user_id for profile, _places in mentors} | {profile.user_id for profile in mentees}
    excluded |= await protected_pairs(session, guild_id, members, pair_key)
    return Pool(mentors=mentors, mentees=mentees, exclusions=excluded)


async def exclusions(session: AsyncSession, guild_id: int) -> set[tuple[int, int]]:
    """Every (mentor, mentee) ever proposed or paired, and every block in both directions."""
    pairs = {
        (mentor, mentee)
        for mentor, mentee in (
            await session.execute(select(Proposal.mentor_id, Proposal.mentee_id).where(Proposal.guild_id == guild_id))
        ).all()
    }
    for user, blocked in (
        await session.execute(
            select(MentorshipBlock.user_id, MentorshipBlock.blocked_user_id).where(MentorshipBlock.guild_id == guild_id)
        )
    ).all():
        pairs.add((user, blocked))
        pairs.add((blocked, user))
    return pairs


# ---------------------------------------------------------------- proposals


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
        notice=notice,
        notice_due_at=now if notice else None,
        notice_attempts=0,
        status=PENDING_MENTOR,
        score=score,
        reason=reason,
        shared_themes=shared_themes,
        forced=forced,
        declined_by=None,
        created_at=now,
        expires_at=now + expiry,
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


async def expire_due(session: AsyncSession, now: datetime) -> list[Proposal]:
    """Claim every pending proposal past its time; returns the ones this call expired."""
    due = (
        await session.scalars(
            select(Proposal).where(Proposal.status.in_(PENDING), Proposal.expires_at <= now).order_by(Proposal.id)
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


# ---------------------------------------------------------------- owed messages (leases)

# How long a process may take to send one owed message before another may take it over. discord.py's own
# retries of a 5xx or a rate limit fit in it; a takeover after a crash re-sends with the same nonce.
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 10  # with 1, 2, 4 … 30-minute waits: about 3 hours of Discord failing before giving up


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=1) * (2 ** min(max(attempts - 1, 0), 16)), timedelta(minutes=30))


async def lease_notices(
    session: AsyncSession, now: datetime, owns: Callable[[int], bool], ids: Sequence[int] | None = None
) -> list[Proposal]:
    """Take the lease on owed proposal messages (all due ones, or `ids`): exactly one caller wins each, and
    a lease left by a process that died is taken over once it has run out."""
    query = select(Proposal).where(Proposal.notice.is_not(None), Proposal.notice_due_at <= now)
    if ids is not None:
        query = query.where(Proposal.id.in_(list(ids)))
    leased = []
    for proposal in (await session.scalars(query.order_by(Proposal.id))).all():
        if not owns(proposal.guild_id):
            continue
        if await _update(
            session,
            update(Proposal)
            .where(Proposal.id == proposal.id, Proposal.notice_due_at == proposal.notice_due_at)
            .values(notice_due_at=now + LEASE),
        ):
            leased.append(proposal)
    return leased


async def settle_notice(session: AsyncSession, proposal_id: int, notice: str) -> None:
    """The owed message went (or can never go: the message is gone): nothing is owed any more."""
    await _update(
        session,
        update(Proposal)
        .where(Proposal.id == proposal_id, Proposal.notice == notice)
        .values(notice=None, notice_due_at=None, notice_attempts=0),
    )


async def retry_notice(session: AsyncSession, proposal_id: int, notice: str, now: datetime) -> bool:
    """Discord failed: try again after the backoff. False when it has failed MAX_ATTEMPTS times (given up)."""
    proposal = await session.get(Proposal, proposal_id, populate_existing=True)
    if proposal is None or proposal.notice != notice:
        return False
    attempts = proposal.notice_attempts + 1
    if attempts >= MAX_ATTEMPTS:
        proposal.notice, proposal.notice_due_at, proposal.notice_attempts = None, None, attempts
        return False
    proposal.notice_due_at, proposal.notice_attempts = now + _backoff(attempts), attempts
    return True


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


# ---------------------------------------------------------------- places


def _departed(guild_id: int) -> Any:
    """Members who left the server: out of the pool at once, though their data waits for the retention."""
    return select(Departure.user_id).where(Departure.guild_id == guild_id)


async def places_left(session: AsyncSession, guild_id: int, mentor_id: int) -> int:
    """The mentor's places not taken by a pairing nor held by an open invitation (what a round counts)."""
    profile = await get_mentor(session, guild_id, mentor_id)
    if profile is None:
        return 0
    pending = await session.scalar(
        select(func.count())
        .select_from(Proposal)
        .where(Proposal.guild_id == guild_id, Proposal.mentor_id == mentor_id, Proposal.status.in_(PENDING))
    )
    return profile.capacity - profile.active_count - int(pending or 0)


async def room_to_accept(session: AsyncSession, guild_id: int, mentor_id: int) -> bool:
    """Whether the mentor saying yes now can be honoured: a place free beyond the mentees already asked."""
    profile = await get_mentor(session, guild_id, mentor_id)
    if profile is None:
        return False
    asked = await session.scalar(
        select(func.count())
        .select_from(Proposal)
        .where(Proposal.guild_id == guild_id, Proposal.mentor_id == mentor_id, Proposal.status == PENDING_MENTEE)
    )
    return profile.active_count + int(asked or 0) < profile.capacity


async def cancel_proposal(session: AsyncSession, proposal_id: int) -> bool:
    """Withdraw one open invitation; False if it was answered or closed meanwhile."""
    return bool(
        await _update(
            session,
            update(Proposal).where(Proposal.id == proposal_id, Proposal.status.in_(PENDING)).values(status=CANCELLED),
        )
    )


async def cancel_beyond_capacity(session: AsyncSession, guild_id: int, mentor_id: int) -> list[Proposal]:
    """Close the mentor's open invitations that their places can no longer honour. Those furthest along
    (the mentee already asked) and then the oldest are kept; the rest are cancelled and returned."""
    profile = await get_mentor(session, guild_id, mentor_id)
    if profile is None:
        return []
    pending = (
        await session.scalars(
            select(Proposal).where(
                Proposal.guild_id == guild_id, Proposal.mentor_id == mentor_id, Proposal.status.in_(PENDING)
            )
        )
    ).all()
    ordered = sorted(pending, key=lambda p: (p.status != PENDING_MENTEE, p.id))
    keep = max(profile.capacity - profile.active_count, 0)
    return [proposal for proposal in ordered[keep:] if await cancel_proposal(session, proposal.id)]


# ---------------------------------------------------------------- pairings


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


async def claim_due_checkins(
    session: AsyncSession, now: datetime, days_of: dict[int, tuple[int, ...]]
) -> list[tuple[Pairing, int, list[MentorshipCheckin]]]:
    """Claim each active pairing's due check-in (one per call, no bursts): (pairing, day, rows).
    Only pairings of the guilds in `days_of` (those this process looks after) are claimed."""
    due = (
        await session.scalars(
            select(Pairing).where(Pairing.status == ACTIVE, Pairing.next_checkin_at <= now).order_by(Pairing.id)
        )
    ).all()
    claimed = []
    for pairing in due:
        if pairing.guild_id not in days_of:  # a guild another process (shard) looks after
            continue
        days = days_of[pairing.guild_id]
        sent = pairing.checkins_sent
        # Skip days that are already past (a bot that was down sends only the latest one).
        while sent + 1 < len(days) and pairing.started_at + timedelta(days=days[sent + 1]) <= now:
            sent += 1
        following = pairing.started_at + timedelta(days=days[sent + 1]) if sent + 1 < len(days) else None
        won = await _update(
            session,
            update(Pairing)
            .where(Pairing.id == pairing.id, Pairing.checkins_sent == pairing.checkins_sent)
            .values(checkins_sent=sent + 1, next_checkin_at=following),
        )
        if not won or sent >= len(days):
            continue
        rows = [
            MentorshipCheckin(
                pairing_id=pairing.id, user_id=user, day=days[sent], sent_at=now, delivery=DELIVERY_DUE, send_after=now
            )
            for user in (pairing.mentor_id, pairing.mentee_id)
        ]
        session.add_all(rows)
        await session.flush()
        claimed.append((pairing, days[sent], rows))
    return claimed


async def lease_checkins(
    session: AsyncSession, now: datetime, owns: Callable[[int], bool]
) -> list[tuple[MentorshipCheckin, Pairing]]:
    """Take the lease on check-in DMs that are due (new, or waiting out a backoff, or left by a process that
    died): exactly one caller wins each. Only guilds this process `owns` (its shards, and not in an outage)."""
    due = (
        await session.execute(
            select(MentorshipCheckin, Pairing)
            .join(Pairing, Pairing.id == MentorshipCheckin.pairing_id)
            .where(MentorshipCheckin.delivery == DELIVERY_DUE, MentorshipCheckin.send_after <= now)
            .order_by(MentorshipCheckin.id)
        )
    ).all()
    leased = []
    for checkin, pairing in due:
        if not owns(pairing.guild_id):
            continue
        if await _update(
            session,
            update(MentorshipCheckin)
            .where(
                MentorshipCheckin.id == checkin.id,
                MentorshipCheckin.delivery == DELIVERY_DUE,
                MentorshipCheckin.send_after == checkin.send_after,
            )
            .values(send_after=now + LEASE),
        ):
            leased.append((checkin, pairing))
    return leased


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
    checkin.send_after = now + _backoff(checkin.attempts)
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


# ---------------------------------------------------------------- stats


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
