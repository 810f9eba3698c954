"""Claiming a schedule's slot: choosing its prompt (no repeat within a cycle), claiming one slot or a
backlog of them exactly once, and skipping the older claims a newer one supersedes. They take a session;
they never open one."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.database import rowcount
from storage.models.prompts import Prompt, PromptPost, PromptSchedule
from storage.prompt_answers import loved_first
from storage.prompts.bank import _insert, drawable
from storage.prompts.leases import _lease_free


async def choose_prompt(session: AsyncSession, schedule: PromptSchedule) -> tuple[Prompt | None, int]:
    """A prompt not yet used in the schedule's current cycle; a new cycle starts when all are used."""
    eligible = select(Prompt.id).where(Prompt.guild_id == schedule.guild_id, drawable())
    if schedule.theme_keys:
        eligible = eligible.where(Prompt.theme.in_(schedule.theme_keys))
    all_ids = (await session.execute(eligible)).scalars().all()
    if not all_ids:
        return None, schedule.cycle
    used = select(PromptPost.prompt_id).where(
        PromptPost.schedule_id == schedule.id,
        PromptPost.cycle == schedule.cycle,
        PromptPost.prompt_id.is_not(None),
        PromptPost.status.not_in(("dropped", "skipped")),
    )
    unused = (await session.execute(eligible.where(Prompt.id.not_in(used)))).scalars().all()
    if not unused:
        schedule.cycle += 1
        unused = all_ids
    if schedule.cycle > 1:  # the bank was used up once: prompts people said were good come back first
        unused = await loved_first(session, schedule.guild_id, unused)
    return await session.get(Prompt, random.choice(unused)), schedule.cycle


async def claim_slot(session: AsyncSession, schedule: PromptSchedule, slot: datetime, now: datetime) -> int | None:
    """Claim (schedule, slot) with a prompt; the claim's id, or None if another run already claimed it.

    A new claim supersedes the schedule's older unposted claims that nobody is posting right now (they become
    "skipped"), so however long Discord or the bot was down, one catch-up post is made, not one per day."""
    prompt, cycle = await choose_prompt(session, schedule)
    result = await session.execute(
        _insert(session, PromptPost)
        .values(
            schedule_id=schedule.id,
            slot=slot,
            prompt_id=prompt.id if prompt else None,
            cycle=cycle,
            status="claimed",
            claimed_at=now,
        )
        .returning(PromptPost.id)
    )
    post_id = result.scalar_one_or_none()
    if post_id is not None:
        await skip_superseded(session, now, schedule.id)
    return post_id


async def claim_slots(session: AsyncSession, claims: Sequence[tuple[PromptSchedule, datetime]], now: datetime) -> int:
    """Claim many (schedule, slot) at once, each as `claim_slot` would; how many were new (not claimed before).

    Built for a backlog: the guilds' banks, the prompts each schedule used in its cycle, the claims and the
    superseding are a handful of statements for the whole batch, not a handful per schedule."""
    if not claims:
        return 0
    guild_ids = {schedule.guild_id for schedule, _ in claims}
    schedule_ids = [schedule.id for schedule, _ in claims]
    bank_rows = await session.execute(
        select(Prompt.guild_id, Prompt.id, Prompt.theme).where(Prompt.guild_id.in_(guild_ids), drawable())
    )
    banks: dict[int, list[tuple[int, str]]] = {}
    for guild_id, bank_id, theme in bank_rows:
        banks.setdefault(guild_id, []).append((bank_id, theme))
    used_rows = await session.execute(
        select(PromptPost.schedule_id, PromptPost.prompt_id)
        .join(PromptSchedule, PromptSchedule.id == PromptPost.schedule_id)
        .where(
            PromptPost.schedule_id.in_(schedule_ids),
            PromptPost.cycle == PromptSchedule.cycle,
            PromptPost.prompt_id.is_not(None),
            PromptPost.status.not_in(("dropped", "skipped")),
        )
    )
    used: dict[int, set[int]] = {}
    for schedule_id, used_id in used_rows:
        if used_id is not None:
            used.setdefault(schedule_id, set()).add(used_id)
    values = []
    for schedule, slot in claims:
        themes = set(schedule.theme_keys)
        all_ids = [found for found, theme in banks.get(schedule.guild_id, ()) if not themes or theme in themes]
        prompt_id: int | None = None
        if all_ids:
            taken = used.get(schedule.id, set())
            unused = [found for found in all_ids if found not in taken]
            if not unused:  # a new cycle starts when all are used
                schedule.cycle += 1
                unused = all_ids
            if schedule.cycle > 1:  # as choose_prompt: prompts people said were good come back first
                unused = await loved_first(session, schedule.guild_id, unused)
            prompt_id = random.choice(unused)
        values.append(
            {
                "schedule_id": schedule.id,
                "slot": slot,
                "prompt_id": prompt_id,
                "cycle": schedule.cycle,
                "status": "claimed",
                "claimed_at": now,
            }
        )
    inserted = await session.execute(_insert(session, PromptPost).returning(PromptPost.schedule_id), values)
    new = len(inserted.all())
    if new:
        await skip_superseded(session, now, schedule_ids=schedule_ids)
    return new


async def skip_superseded(
    session: AsyncSession, now: datetime, schedule_id: int | None = None, *, schedule_ids: Sequence[int] = ()
) -> int:
    """Mark "skipped" every unposted claim that has a newer claimed or posted slot in its schedule and that no
    process is posting right now (a conditional update); how many. A claim being posted keeps its lease: if its
    post fails it is skipped by a later sweep."""
    newer = aliased(PromptPost)
    query = (
        update(PromptPost)
        .where(
            PromptPost.status == "claimed",
            _lease_free(now),
            exists().where(
                newer.schedule_id == PromptPost.schedule_id,
                newer.slot > PromptPost.slot,
                newer.status.in_(("claimed", "posted")),
            ),
        )
        .values(status="skipped", lease_until=None, lease_owner=None)
        .execution_options(synchronize_session=False)
    )
    if schedule_id is not None:
        query = query.where(PromptPost.schedule_id == schedule_id)
    if schedule_ids:
        query = query.where(PromptPost.schedule_id.in_(list(schedule_ids)))
    return rowcount(await session.execute(query))
