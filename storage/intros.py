"""Queries on introductions. They take a session; they never open one.

INTERFACE used by mentorship: `intro_summary(session, guild_id, user_id) -> str | None`.
(stub until the intros feature lands)
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


async def intro_summary(session: AsyncSession, guild_id: int, user_id: int) -> str | None:
    """A short plain-text summary of a member's intro (name, heritages, languages, where, a line of
    their story), at most 400 characters; None if they have no intro."""
    return None
