"""A mentor's places: how many are left, whether a yes can be honoured, and closing the invitations their
places can no longer honour."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.mentorship._common import Proposal
from storage.mentorship.profiles import get_mentor
from storage.mentorship.proposals import cancel_proposal
from storage.models.mentorship import PENDING, PENDING_MENTEE


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
