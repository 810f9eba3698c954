"""`/prompts stats`: which prompt threads were posted, and their replies grouped by theme. No discord import.

How replies are counted (no Message Content intent, and no new table):
Lantern already stores the starter message id of every scheduled prompt it posts (`PromptPost.message_id`),
and a thread opened from a message has that message's id. When a moderator asks for stats, the cog reads
`message_count` (replies, not counting the starter) of those threads from Discord: one request for the
guild's active threads, then the prompt channels' archived threads, newest first, until the window is
covered. Listening to `on_message` would also work (message events arrive without the content intent,
just with empty text) but would cost a database write per message in every thread, for a number Discord
already keeps. Limits: threads members deleted, and posts of a schedule that was removed, are not counted;
`/prompt random` posts have no thread and are not counted either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.charts import OTHER
from storage.models.prompts import Prompt, PromptPost, PromptSchedule

MAX_THREADS = 500  # the most recent prompt threads a chart looks at


@dataclass(frozen=True, slots=True)
class PostedThread:
    thread_id: int
    channel_id: int
    theme: str | None  # None when the prompt was since removed from the bank
    prompt_id: int | None = None  # for "Prompts people love" (cogs/prompts/loved.py)


async def posted_threads(
    session: AsyncSession, guild_id: int, since: datetime, limit: int = MAX_THREADS
) -> list[PostedThread]:
    """Scheduled prompts posted (with a thread) in the guild since `since`, newest first."""
    rows = await session.execute(
        select(PromptPost.message_id, PromptSchedule.channel_id, Prompt.theme, Prompt.id)
        .join(PromptSchedule, PromptPost.schedule_id == PromptSchedule.id)
        .outerjoin(Prompt, PromptPost.prompt_id == Prompt.id)
        .where(
            PromptSchedule.guild_id == guild_id,
            PromptSchedule.thread.is_(True),
            PromptPost.status == "posted",
            PromptPost.message_id.is_not(None),
            PromptPost.posted_at >= since,
        )
        .order_by(PromptPost.posted_at.desc())
        .limit(limit)
    )
    return [
        PostedThread(int(message_id), int(channel_id), theme, prompt_id)
        for message_id, channel_id, theme, prompt_id in rows
        if message_id is not None  # the query already excludes these; this tells the type checker
    ]


def replies_by_theme(
    threads: Iterable[PostedThread], counts: Mapping[int, int], labels: Mapping[str, str]
) -> dict[str, list[int]]:
    """Theme label → reply count of each thread found. Threads Discord no longer has are skipped."""
    grouped: dict[str, list[int]] = defaultdict(list)
    for thread in threads:
        if thread.thread_id not in counts:
            continue
        label = labels.get(thread.theme, thread.theme) if thread.theme else OTHER
        grouped[label or OTHER].append(max(counts[thread.thread_id], 0))
    return dict(grouped)
