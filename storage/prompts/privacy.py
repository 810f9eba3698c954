"""A member's prompt data: their suggestions and the prompts credited to them, exported and erased. They
take a session; they never open one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import rowcount
from storage.models.prompts import Prompt, PromptSuggestion


async def export_member(session: AsyncSession, guild_id: int, user_id: int) -> dict[str, Any]:
    suggestions = (
        (
            await session.execute(
                select(PromptSuggestion)
                .where(PromptSuggestion.guild_id == guild_id, PromptSuggestion.user_id == user_id)
                .order_by(PromptSuggestion.id)
            )
        )
        .scalars()
        .all()
    )
    prompts = (
        (
            await session.execute(
                select(Prompt).where(Prompt.guild_id == guild_id, Prompt.suggested_by_id == user_id).order_by(Prompt.id)
            )
        )
        .scalars()
        .all()
    )
    return {
        "suggestions": [
            {
                "id": s.id,
                "text": s.text,
                "theme": s.theme,
                "status": s.status,
                "reason": s.reason,
                "created_at": s.created_at.isoformat(),
            }
            for s in suggestions
        ],
        "prompts_credited_to_you": [{"id": p.id, "text": p.text, "theme": p.theme} for p in prompts],
    }


async def delete_member(session: AsyncSession, guild_id: int, user_id: int) -> int:
    """Delete the member's suggestions and remove their name from approved prompts (which stay in the bank)."""
    deleted = await session.execute(
        delete(PromptSuggestion).where(PromptSuggestion.guild_id == guild_id, PromptSuggestion.user_id == user_id)
    )
    anonymised = await session.execute(
        update(Prompt)
        .where(Prompt.guild_id == guild_id, Prompt.suggested_by_id == user_id)
        .values(suggested_by_id=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(deleted) + rowcount(anonymised)
