"""The answers of an intro form I refused, kept a day so that the next form opens with them (issue 17).

Queries take a session; they never open one. Deleted when an intro is saved (storage.intros), by
/privacy delete and /intro delete (storage.intros.delete_member), and by the due job after DRAFT_KEEP.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import dialect_insert, rowcount
from storage.models.intros import IntroFormDraft

DRAFT_KEEP = timedelta(hours=24)  # how long the answers of a refused form are kept
DRAFT_FIELDS = ("name", "heritages", "languages", "location", "story")


async def keep_draft(
    session: AsyncSession, guild_id: int, user_id: int, values: Mapping[str, str | None], now: datetime
) -> None:
    """Keep what the member typed (replacing an older draft), for the next form to open with."""
    answers = {name: values.get(name) or "" for name in DRAFT_FIELDS}
    statement = dialect_insert(session, IntroFormDraft).values(
        guild_id=guild_id, user_id=user_id, **answers, kept_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(index_elements=["guild_id", "user_id"], set_={**answers, "kept_at": now})
    )


async def get_draft(session: AsyncSession, guild_id: int, user_id: int, now: datetime) -> dict[str, str] | None:
    """The member's kept answers, unless they are older than DRAFT_KEEP."""
    draft = await session.scalar(
        select(IntroFormDraft).where(
            IntroFormDraft.guild_id == guild_id,
            IntroFormDraft.user_id == user_id,
            IntroFormDraft.kept_at > now - DRAFT_KEEP,
        )
    )
    return {name: getattr(draft, name) for name in DRAFT_FIELDS} if draft is not None else None


async def drop_draft(session: AsyncSession, guild_id: int, user_id: int) -> int:
    result = await session.execute(
        delete(IntroFormDraft).where(IntroFormDraft.guild_id == guild_id, IntroFormDraft.user_id == user_id)
    )
    return rowcount(result)


async def expire_drafts(session: AsyncSession, now: datetime) -> int:
    """Delete every draft kept longer than DRAFT_KEEP; how many went."""
    result = await session.execute(delete(IntroFormDraft).where(IntroFormDraft.kept_at <= now - DRAFT_KEEP))
    return rowcount(result)
