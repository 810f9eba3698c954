"""Members' prompt suggestions: the checks one must pass, adding it, the review queue and a moderator's
decision. They take a session; they never open one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Reader, rowcount
from storage.models.prompts import Prompt, PromptSuggestion


async def pending_suggestions(
    session: AsyncSession, guild_id: int, limit: int
) -> tuple[Sequence[PromptSuggestion], int]:
    base = select(PromptSuggestion).where(PromptSuggestion.guild_id == guild_id, PromptSuggestion.status == "pending")
    total = int((await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one())
    rows = (await session.execute(base.order_by(PromptSuggestion.id).limit(limit))).scalars().all()
    return rows, total


# Both checks a suggestion must pass, in one statement (built once: `/prompt suggest` is hot).
_SUGGESTION_CHECKS = select(
    select(Prompt.id)
    .where(Prompt.guild_id == bindparam("guild_id"), Prompt.text_key == bindparam("key"))
    .exists()
    .label("in_bank"),
    select(func.count(PromptSuggestion.id))
    .where(
        PromptSuggestion.guild_id == bindparam("guild_id"),
        PromptSuggestion.user_id == bindparam("user_id"),
        PromptSuggestion.status == "pending",
    )
    .scalar_subquery()
    .label("pending"),
)
# On the table, not the model: a plain Core INSERT, without the ORM's bulk INSERT machinery (status defaults to
# pending either way: a column default).
_SUGGESTIONS = cast(Table, PromptSuggestion.__table__)
_ADD_SUGGESTION = insert(_SUGGESTIONS).returning(_SUGGESTIONS.c.id)


async def suggestion_checks(reader: Reader, guild_id: int, user_id: int, key: str) -> tuple[bool, int]:
    """Whether the bank already has a prompt with this text key, and how many of the member's suggestions
    are waiting for review."""
    params = {"guild_id": guild_id, "user_id": user_id, "key": key}
    row = (await reader.execute(_SUGGESTION_CHECKS, params)).one()
    return bool(row.in_bank), int(row.pending)


async def add_suggestion(
    session: AsyncSession, guild_id: int, user_id: int, text: str, theme: str, now: datetime
) -> int:
    values = {"guild_id": guild_id, "user_id": user_id, "text": text, "theme": theme, "created_at": now}
    return int((await session.execute(_ADD_SUGGESTION, values)).scalar_one())


async def decide_suggestion(
    session: AsyncSession, guild_id: int, suggestion_id: int, status: str, now: datetime, reason: str | None = None
) -> PromptSuggestion | None:
    """Move a pending suggestion to `status`; None if it is unknown or already decided (by anyone)."""
    result = await session.execute(
        update(PromptSuggestion)
        .where(
            PromptSuggestion.id == suggestion_id,
            PromptSuggestion.guild_id == guild_id,
            PromptSuggestion.status == "pending",
        )
        .values(status=status, decided_at=now, reason=reason)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return None
    suggestion = await session.get(PromptSuggestion, suggestion_id)
    if suggestion is not None:
        await session.refresh(suggestion)
    return suggestion
