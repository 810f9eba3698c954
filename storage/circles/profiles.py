"""Members' circle opt-ins (profiles), and the pool a round groups: who is opted in, still here and free,
who blocked whom, and who already shared a circle. They take a session; they never open one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.circles._common import PairKey, _update
from storage.models import Departure
from storage.models.circles import (
    ENDED,
    FORMED,
    INVITED,
    LEFT,
    PROPOSED,
    YES,
    Circle,
    CircleInvite,
    CircleProfile,
    CircleProtection,
)
from storage.models.mentorship import PROTECT_BLOCK, MentorshipBlock, MentorshipProtection


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
