"""Queries on peer circles. They take a session; they never open one.

Nothing is lost or doubled, as in storage/mentorship.py:
- a round creates its circles and owes each invitee an invitation (`delivery` "due") in one transaction;
  each DM is leased (`lease_invites`, LEASE) and settled (sent / held / gone / failed). A dead process's
  lease runs out and the next run takes it over, with the same nonce.
- answers are conditional updates on `status = invited` while the circle is still proposed; the decision
  is one conditional update of the circle (`proposed` → formed / unformed) that also owes what follows
  (`notice`: open the thread, or tell the yes-sayers kindly), leased and settled the same way.
- a check-in: `claim_due_checkins` moves the circle on (one winner) and owes each member a DM row, leased
  and settled like an invitation.
- a scheduled round: leased (`claim_due_rounds`, ROUND_LEASE) and moved on by `complete_round` after it ran;
  a dead process's round is run again after the lease, and members already invited are not in its pool.
Blocks are read from mentor pairing's confidential blocks (both ways), and its kept block protections.
Answers and the decision after each are not lost when two arrive at once: answers to one circle take turns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import dialect_insert, rowcount
from storage.guilds import get_settings
from storage.models import Departure
from storage.models.circles import (
    DELIVERY_DUE,
    ENDED,
    FORMED,
    INVITED,
    LAPSED,
    LEFT,
    NO,
    NOTICE_CLOSED,
    NOTICE_OPEN,
    PROPOSED,
    PROTECT_PAST,
    UNFORMED,
    YES,
    Circle,
    CircleCheckin,
    CircleInvite,
    CircleLeftOut,
    CircleProfile,
    CircleProtection,
    CircleSchedule,
)
from storage.models.guild import DEFAULT_CHECKINS
from storage.models.mentorship import PROTECT_BLOCK, MentorshipBlock, MentorshipProtection

PairKey = Callable[[int, int, int], str]
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 10
MIN_YES = 3


async def _update(session: AsyncSession, statement: Any) -> int:
    return rowcount(await session.execute(statement.execution_options(synchronize_session=False)))


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=1) * (2 ** min(max(attempts - 1, 0), 16)), timedelta(minutes=30))


# ---------------------------------------------------------------- profiles


async def get_profile(session: AsyncSession, guild_id: int, user_id: int) -> CircleProfile | None:
    return await session.scalar(
        select(CircleProfile).where(CircleProfile.guild_id == guild_id, CircleProfile.user_id == user_id)
    )


async def save_profile(session: AsyncSession, guild_id: int, user_id: int, now: datetime, **values: Any) -> bool:
    """Create or replace the member's opt-in (every field given). True if it is new."""
    profile = await get_profile(session, guild_id, user_id)
    created = profile is None
    if profile is None:
        profile = CircleProfile(guild_id=guild_id, user_id=user_id, created_at=now)
        session.add(profile)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.updated_at = now
    await session.flush()
    return created


async def delete_profile(session: AsyncSession, guild_id: int, user_id: int) -> int:
    return await _update(
        session, delete(CircleProfile).where(CircleProfile.guild_id == guild_id, CircleProfile.user_id == user_id)
    )


# ---------------------------------------------------------------- the pool of a round


@dataclass(frozen=True)
class Pool:
    profiles: list[CircleProfile]
    blocks: set[tuple[int, int]]  # either member blocked the other
    past: list[frozenset[int]]  # members who shared a circle (or a kept protection of two)


def _busy(guild_id: int) -> Any:
    """Members with an open invitation, or in a circle that is proposed or formed."""
    return (
        select(CircleInvite.user_id)
        .join(Circle, Circle.id == CircleInvite.circle_id)
        .where(
            CircleInvite.guild_id == guild_id,
            or_(
                and_(Circle.status == PROPOSED, CircleInvite.status.in_((INVITED, YES))),
                and_(Circle.status == FORMED, CircleInvite.status.in_((INVITED, YES))),
            ),
        )
    )


async def round_pool(session: AsyncSession, guild_id: int, pair_key: PairKey) -> Pool:
    """Who may be grouped now: opted in, still in the server, not already in an open or active circle."""
    profiles = list(
        (
            await session.scalars(
                select(CircleProfile)
                .where(
                    CircleProfile.guild_id == guild_id,
                    CircleProfile.user_id.not_in(select(Departure.user_id).where(Departure.guild_id == guild_id)),
                    CircleProfile.user_id.not_in(_busy(guild_id)),
                )
                .order_by(CircleProfile.id)
            )
        ).all()
    )
    members = {profile.user_id for profile in profiles}
    blocks: set[tuple[int, int]] = set()
    for user, blocked in (
        await session.execute(
            select(MentorshipBlock.user_id, MentorshipBlock.blocked_user_id).where(MentorshipBlock.guild_id == guild_id)
        )
    ).all():
        if user in members and blocked in members:
            blocks.add((min(user, blocked), max(user, blocked)))
    blocks |= await _kept(session, MentorshipProtection, guild_id, members, pair_key, PROTECT_BLOCK)
    past: list[frozenset[int]] = []
    by_circle: dict[int, set[int]] = {}
    for circle_id, user in (
        await session.execute(
            select(CircleInvite.circle_id, CircleInvite.user_id)
            .join(Circle, Circle.id == CircleInvite.circle_id)
            .where(
                CircleInvite.guild_id == guild_id,
                Circle.status.in_((FORMED, ENDED)),
                CircleInvite.status.in_((YES, LEFT)),
            )
        )
    ).all():
        by_circle.setdefault(circle_id, set()).add(user)
    past += [frozenset(users & members) for users in by_circle.values() if len(users & members) >= 2]
    past += [frozenset(pair) for pair in await _kept(session, CircleProtection, guild_id, members, pair_key, None)]
    return Pool(profiles=profiles, blocks=blocks, past=past)


async def _kept(
    session: AsyncSession, model: Any, guild_id: int, members: set[int], pair_key: PairKey, kind: str | None
) -> set[tuple[int, int]]:
    """Pairs of `members` that a kept protection (of `kind`) forbids: owners × members hashes."""
    query = select(model.owner_id, model.pair_key).where(model.guild_id == guild_id)
    if kind is not None:
        query = query.where(model.kind == kind)
    by_owner: dict[int, set[str]] = {}
    rows: Sequence[Any] = (await session.execute(query)).all()
    for owner, key in rows:
        if owner in members:
            by_owner.setdefault(int(owner), set()).add(str(key))
    pairs = set()
    for owner, keys in by_owner.items():
        for other in members:
            if other != owner and pair_key(guild_id, owner, other) in keys:
                pairs.add((min(owner, other), max(owner, other)))
    return pairs


# ---------------------------------------------------------------- circles and invitations


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


async def lease_invites(
    session: AsyncSession, now: datetime, owns: Callable[[int], bool], circle_ids: Sequence[int] | None = None
) -> list[CircleInvite]:
    """Take the lease on owed invitations: exactly one caller wins each; a dead process's runs out."""
    query = select(CircleInvite).where(CircleInvite.delivery == DELIVERY_DUE, CircleInvite.send_after <= now)
    if circle_ids is not None:
        query = query.where(CircleInvite.circle_id.in_(list(circle_ids)))
    leased = []
    for invite in (await session.scalars(query.order_by(CircleInvite.id))).all():
        if owns(invite.guild_id) and await _update(
            session,
            update(CircleInvite)
            .where(CircleInvite.id == invite.id, CircleInvite.send_after == invite.send_after)
            .values(send_after=now + LEASE),
        ):
            leased.append(invite)
    return leased


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
    invite.send_after = now + _backoff(invite.attempts)
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


async def lapse_due(session: AsyncSession, now: datetime) -> tuple[list[int], list[CircleInvite]]:
    """Decide every proposed circle whose invitations lapsed; close the unanswered invitations of formed
    circles that lapsed. Returns the circles decided and the invitations closed (to edit their buttons)."""
    due = (await session.scalars(select(Circle.id).where(Circle.status == PROPOSED, Circle.expires_at <= now))).all()
    decided = [circle_id for circle_id in due if await decide(session, circle_id, now, final=True)]
    late = (
        await session.scalars(
            select(CircleInvite)
            .join(Circle, Circle.id == CircleInvite.circle_id)
            .where(Circle.status.in_((FORMED, ENDED)), Circle.expires_at <= now, CircleInvite.status == INVITED)
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
    session: AsyncSession, now: datetime, owns: Callable[[int], bool], ids: Sequence[int] | None = None
) -> list[Circle]:
    query = select(Circle).where(Circle.notice.is_not(None), Circle.notice_due_at <= now)
    if ids is not None:
        query = query.where(Circle.id.in_(list(ids)))
    leased = []
    for circle in (await session.scalars(query.order_by(Circle.id))).all():
        if owns(circle.guild_id) and await _update(
            session,
            update(Circle)
            .where(Circle.id == circle.id, Circle.notice_due_at == circle.notice_due_at)
            .values(notice_due_at=now + LEASE),
        ):
            leased.append(circle)
    return leased


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
    circle.notice_due_at = now + _backoff(circle.notice_attempts)
    return True


# ---------------------------------------------------------------- scheduled rounds

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


# ---------------------------------------------------------------- check-ins


async def start_checkins(session: AsyncSession, circle_id: int, at: datetime | None) -> None:
    """When the circle's first check-in falls due (None: check-ins are off in this server)."""
    await _update(session, update(Circle).where(Circle.id == circle_id).values(next_checkin_at=at, checkins_sent=0))


async def checkin_days(session: AsyncSession, guild_id: int) -> tuple[int, ...]:
    """The server's check-in days (`/setup options pairing_checkins`, shared with mentor pairing)."""
    settings = await get_settings(session, guild_id)
    return settings.checkin_days if settings is not None else tuple(int(d) for d in DEFAULT_CHECKINS.split(","))


async def claim_due_checkins(session: AsyncSession, now: datetime, owns: Callable[[int], bool]) -> int:
    """Claim every due check-in of formed circles: move the circle on (one winner) and owe each member a DM."""
    due = (
        await session.scalars(
            select(Circle).where(Circle.status == FORMED, Circle.next_checkin_at <= now).order_by(Circle.id)
        )
    ).all()
    owed = 0
    for circle in due:
        if not owns(circle.guild_id):
            continue
        days = list(await checkin_days(session, circle.guild_id))
        sent = circle.checkins_sent
        start = circle.decided_at or circle.created_at
        following = start + timedelta(days=days[sent + 1]) if sent + 1 < len(days) else None
        if not await _update(
            session,
            update(Circle)
            .where(Circle.id == circle.id, Circle.next_checkin_at == circle.next_checkin_at)
            .values(checkins_sent=sent + 1, next_checkin_at=following),
        ):
            continue
        if sent >= len(days):
            continue
        members = await remaining(session, circle.id)
        if members:
            rows = [
                dict(
                    circle_id=circle.id,
                    guild_id=circle.guild_id,
                    user_id=user,
                    day=days[sent],
                    delivery=DELIVERY_DUE,
                    send_after=now,
                    attempts=0,
                )
                for user in sorted(members)
            ]
            statement = dialect_insert(session, CircleCheckin).values(rows).on_conflict_do_nothing()
            owed += rowcount(await session.execute(statement))
    return owed


async def lease_checkins(session: AsyncSession, now: datetime, owns: Callable[[int], bool]) -> list[CircleCheckin]:
    query = select(CircleCheckin).where(CircleCheckin.delivery == DELIVERY_DUE, CircleCheckin.send_after <= now)
    leased = []
    for checkin in (await session.scalars(query.order_by(CircleCheckin.id))).all():
        if owns(checkin.guild_id) and await _update(
            session,
            update(CircleCheckin)
            .where(CircleCheckin.id == checkin.id, CircleCheckin.send_after == checkin.send_after)
            .values(send_after=now + LEASE),
        ):
            leased.append(checkin)
    return leased


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
    checkin.send_after = now + _backoff(checkin.attempts)
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


# ---------------------------------------------------------------- a member's circles


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


# ---------------------------------------------------------------- members a round left out


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


async def lease_left_outs(session: AsyncSession, now: datetime, owns: Callable[[int], bool]) -> list[CircleLeftOut]:
    """Take the lease on owed left-out messages: exactly one caller wins each; a dead process's runs out."""
    query = select(CircleLeftOut).where(CircleLeftOut.delivery == DELIVERY_DUE, CircleLeftOut.send_after <= now)
    leased = []
    for item in (await session.scalars(query.order_by(CircleLeftOut.id))).all():
        if owns(item.guild_id) and await _update(
            session,
            update(CircleLeftOut)
            .where(CircleLeftOut.id == item.id, CircleLeftOut.send_after == item.send_after)
            .values(send_after=now + LEASE),
        ):
            leased.append(item)
    return leased


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
    item.send_after = now + _backoff(item.attempts)
    return True


# ---------------------------------------------------------------- privacy


async def keep_protections(session: AsyncSession, guild_id: int, user_id: int, pair_key: PairKey, now: datetime) -> int:
    """Before the member's rows go: keep, for each member they shared a formed circle with, a hash of the pair."""
    mates = (
        await session.execute(
            select(CircleInvite.user_id, func.min(Circle.created_at))
            .join(Circle, Circle.id == CircleInvite.circle_id)
            .where(
                Circle.status.in_((FORMED, ENDED)),
                CircleInvite.status.in_((YES, LEFT)),
                CircleInvite.user_id != user_id,
                CircleInvite.circle_id.in_(
                    select(CircleInvite.circle_id).where(
                        CircleInvite.guild_id == guild_id,
                        CircleInvite.user_id == user_id,
                        CircleInvite.status.in_((YES, LEFT)),
                    )
                ),
            )
            .group_by(CircleInvite.user_id)
        )
    ).all()
    if not mates:
        return 0
    rows = [
        dict(
            guild_id=guild_id,
            owner_id=mate,
            pair_key=pair_key(guild_id, mate, user_id),
            kind=PROTECT_PAST,
            created_at=since,
        )
        for mate, since in sorted(mates)
    ]
    statement = (
        dialect_insert(session, CircleProtection)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["guild_id", "owner_id", "pair_key", "kind"])
    )
    return rowcount(await session.execute(statement))


async def export_member(session: AsyncSession, guild_id: int, user_id: int) -> dict[str, Any]:
    """The member's own profile, invitations and answers; never anyone else's answer."""
    profile = await get_profile(session, guild_id, user_id)
    kept = await session.scalar(
        select(func.count())
        .select_from(CircleProtection)
        .where(CircleProtection.guild_id == guild_id, CircleProtection.owner_id == user_id)
    )
    return {
        "circle_profile": None
        if profile is None
        else {
            "themes": profile.themes,
            "heritages": profile.heritages,
            "largest_circle": profile.size,
            "timezone": profile.timezone,
            "timezone_window_hours": profile.window_hours,
            "joined_at": profile.created_at.isoformat(),
        },
        "circle_invitations": [
            {
                "circle": circle.id,
                "invited_at": circle.created_at.isoformat(),
                "your_answer": invite.status,
                "answered_at": invite.answered_at.isoformat() if invite.answered_at else None,
                "circle_status": circle.status,
            }
            for invite, circle in await mine(session, guild_id, user_id)
        ],
        "circle_checkin_ratings": [
            {"circle": c.circle_id, "day": c.day, "rating": c.rating}
            for c in (
                await session.scalars(
                    select(CircleCheckin)
                    .where(CircleCheckin.guild_id == guild_id, CircleCheckin.user_id == user_id)
                    .order_by(CircleCheckin.id)
                )
            ).all()
        ],
        "circle_protections_kept_for_you": int(kept or 0),
        "circle_rounds_that_left_you_out": [
            {"at": item.created_at.isoformat(), "reason": item.reason, "message": item.delivery}
            for item in (
                await session.scalars(
                    select(CircleLeftOut)
                    .where(CircleLeftOut.guild_id == guild_id, CircleLeftOut.user_id == user_id)
                    .order_by(CircleLeftOut.id)
                )
            ).all()
        ],
    }


async def delete_member(session: AsyncSession, guild_id: int, user_id: int) -> int:
    removed = await delete_profile(session, guild_id, user_id)
    removed += await _update(
        session, delete(CircleCheckin).where(CircleCheckin.guild_id == guild_id, CircleCheckin.user_id == user_id)
    )
    removed += await _update(
        session, delete(CircleInvite).where(CircleInvite.guild_id == guild_id, CircleInvite.user_id == user_id)
    )
    removed += await _update(
        session,
        delete(CircleProtection).where(CircleProtection.guild_id == guild_id, CircleProtection.owner_id == user_id),
    )
    removed += await _update(
        session, delete(CircleLeftOut).where(CircleLeftOut.guild_id == guild_id, CircleLeftOut.user_id == user_id)
    )
    return removed


# ---------------------------------------------------------------- the funnel


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
