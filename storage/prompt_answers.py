"""Queries on anonymous answers and "This one was good" votes (storage/models/prompt_answers.py).
They take a session and never open one. `author_key` is computed by the caller (cogs/prompts/anonymous.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import dialect_insert, rowcount
from storage.models.prompt_answers import PromptAnswer, PromptVote

# --------------------------------------------------------------------------- anonymous answers


async def answers_since(session: AsyncSession, guild_id: int, author_key: str, since: datetime) -> list[datetime]:
    """When the writer sent answers after `since` (whatever became of them), oldest first: the daily limit
    counts these rows, so no separate record ties the writer's id to the time they answered."""
    found = await session.scalars(
        select(PromptAnswer.created_at)
        .where(
            PromptAnswer.guild_id == guild_id,
            PromptAnswer.author_key == author_key,
            PromptAnswer.created_at > since,
        )
        .order_by(PromptAnswer.created_at)
    )
    return list(found.all())


async def add_answer(
    session: AsyncSession,
    *,
    guild_id: int,
    prompt_id: int | None,
    channel_id: int,
    message_id: int,
    user_id: int,
    author_key: str,
    text: str,
    now: datetime,
) -> int:
    answer = PromptAnswer(
        guild_id=guild_id,
        prompt_id=prompt_id,
        channel_id=channel_id,
        message_id=message_id,
        user_id=user_id,
        author_key=author_key,
        text=text,
        status="pending",
        created_at=now,
    )
    session.add(answer)
    await session.flush()
    return answer.id


async def pending_answers(session: AsyncSession, guild_id: int, limit: int) -> tuple[Sequence[PromptAnswer], int]:
    """The oldest pending answers (at most `limit`) and how many are pending."""
    where = (PromptAnswer.guild_id == guild_id, PromptAnswer.status == "pending")
    total = int((await session.execute(select(func.count(PromptAnswer.id)).where(*where))).scalar_one())
    rows = (await session.scalars(select(PromptAnswer).where(*where).order_by(PromptAnswer.id).limit(limit))).all()
    return rows, total


async def count_pending(session: AsyncSession, guild_id: int) -> int:
    query = select(func.count(PromptAnswer.id)).where(
        PromptAnswer.guild_id == guild_id, PromptAnswer.status == "pending"
    )
    return int((await session.execute(query)).scalar_one())


async def get_answer(session: AsyncSession, guild_id: int, answer_id: int) -> PromptAnswer | None:
    answer = await session.get(PromptAnswer, answer_id)
    return answer if answer is not None and answer.guild_id == guild_id else None


async def posted_as(session: AsyncSession, guild_id: int, message_ids: Sequence[int]) -> list[int]:
    """The posted answers (status approved) shown by any of these messages."""
    found = await session.scalars(
        select(PromptAnswer.id).where(
            PromptAnswer.posted_message_id.in_(message_ids),
            PromptAnswer.guild_id == guild_id,
            PromptAnswer.status == "approved",
        )
    )
    return list(found.all())


async def move(
    session: AsyncSession, guild_id: int, answer_id: int, before: str, after: str, **values: Any
) -> PromptAnswer | None:
    """Move an answer from status `before` to `after` (with `values`) in one conditional update, so of two
    moderators clicking at once exactly one wins; the answer as it is now, or None if it wasn't `before`."""
    result = await session.execute(
        update(PromptAnswer)
        .where(PromptAnswer.id == answer_id, PromptAnswer.guild_id == guild_id, PromptAnswer.status == before)
        .values(status=after, **values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return None
    answer = await session.get(PromptAnswer, answer_id)
    if answer is not None:
        await session.refresh(answer)
    return answer


def _mine(guild_id: int, user_id: int, author_key: str) -> Any:
    """The writer's answers: pending ones carry their id, reviewed ones only their keyed hash."""
    return (
        PromptAnswer.guild_id == guild_id,
        or_(PromptAnswer.author_key == author_key, PromptAnswer.user_id == user_id),
    )


async def member_answers(session: AsyncSession, guild_id: int, user_id: int, author_key: str) -> Sequence[PromptAnswer]:
    query = select(PromptAnswer).where(*_mine(guild_id, user_id, author_key)).order_by(PromptAnswer.id)
    return (await session.scalars(query)).all()


async def delete_answers(session: AsyncSession, guild_id: int, user_id: int, author_key: str) -> int:
    return rowcount(await session.execute(delete(PromptAnswer).where(*_mine(guild_id, user_id, author_key))))


async def delete_answer(session: AsyncSession, guild_id: int, answer_id: int, user_id: int, author_key: str) -> bool:
    """Delete one of the writer's own answers; False when it isn't theirs (or is gone)."""
    result = await session.execute(
        delete(PromptAnswer).where(PromptAnswer.id == answer_id, *_mine(guild_id, user_id, author_key))
    )
    return rowcount(result) == 1


# --------------------------------------------------------------------------- "This one was good"


async def add_vote(
    session: AsyncSession, guild_id: int, message_id: int, user_id: int, prompt_id: int | None, now: datetime
) -> bool:
    """Count the member's vote on this posted prompt; False if they had already voted on it (the unique
    constraint decides, so two clicks at once count once)."""
    result = await session.execute(
        dialect_insert(session, PromptVote)
        .values(guild_id=guild_id, message_id=message_id, user_id=user_id, prompt_id=prompt_id, created_at=now)
        .on_conflict_do_nothing()
        .returning(PromptVote.id)
    )
    return result.scalar_one_or_none() is not None


async def votes_by_prompt(session: AsyncSession, guild_id: int, since: datetime | None = None) -> dict[int, int]:
    """Prompt id → "This one was good" votes (since `since`, if given)."""
    query = (
        select(PromptVote.prompt_id, func.count(PromptVote.id))
        .where(PromptVote.guild_id == guild_id, PromptVote.prompt_id.is_not(None))
        .group_by(PromptVote.prompt_id)
    )
    if since is not None:
        query = query.where(PromptVote.created_at >= since)
    return {int(prompt_id): int(count) for prompt_id, count in (await session.execute(query)).all() if prompt_id}


async def loved_first(session: AsyncSession, guild_id: int, prompt_ids: Sequence[int]) -> list[int]:
    """Of `prompt_ids`, those with the most "This one was good" votes (all of them when none has any): a
    schedule whose bank is exhausted brings these back first (storage/prompts/slots.py choose_prompt)."""
    if not prompt_ids:
        return []
    query = (
        select(PromptVote.prompt_id, func.count(PromptVote.id))
        .where(PromptVote.guild_id == guild_id, PromptVote.prompt_id.in_(prompt_ids))
        .group_by(PromptVote.prompt_id)
    )
    votes = {int(prompt_id): int(count) for prompt_id, count in (await session.execute(query)).all() if prompt_id}
    if not votes:
        return list(prompt_ids)
    most = max(votes.values())
    return [prompt_id for prompt_id in prompt_ids if votes.get(prompt_id, 0) == most]


async def export_votes(session: AsyncSession, guild_id: int, user_id: int) -> list[dict[str, Any]]:
    rows = (
        await session.scalars(
            select(PromptVote)
            .where(PromptVote.guild_id == guild_id, PromptVote.user_id == user_id)
            .order_by(PromptVote.id)
        )
    ).all()
    return [{"prompt": row.prompt_id, "at": row.created_at.isoformat()} for row in rows]


async def delete_votes(session: AsyncSession, guild_id: int, user_id: int) -> int:
    result = await session.execute(
        delete(PromptVote).where(PromptVote.guild_id == guild_id, PromptVote.user_id == user_id)
    )
    return rowcount(result)
