"""Queries on the prompt bank, suggestions, schedules and claimed slots. They take a session; they never open one."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.database import dialect_insert, rowcount
from storage.models.guild import GuildSettings
from storage.models.prompts import Prompt, PromptBank, PromptPost, PromptSchedule, PromptSuggestion
from storage.prompt_answers import loved_first

LEASE = timedelta(minutes=2)


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING, for this session's dialect."""
    return dialect_insert(session, model).on_conflict_do_nothing()


# --------------------------------------------------------------------------- the bank


async def bank_seeded(session: AsyncSession, guild_id: int) -> bool:
    return await session.get(PromptBank, guild_id) is not None


async def ensure_bank(
    session: AsyncSession, guild_id: int, now: datetime, defaults: Iterable[tuple[str, str, str]]
) -> bool:
    """Seed the guild's bank with `defaults` (theme, text, key) the first time it is used. True if it seeded now."""
    claimed = await session.execute(
        _insert(session, PromptBank).values(guild_id=guild_id, seeded_at=now).returning(PromptBank.guild_id)
    )
    if claimed.first() is None:
        return False
    rows = [
        {
            "guild_id": guild_id,
            "theme": theme,
            "text": text,
            "text_key": key,
            "source": "default",
            "suggested_by_id": None,
            "created_at": now,
        }
        for theme, text, key in defaults
    ]
    await session.execute(_insert(session, Prompt), rows)
    return True


async def add_prompt(
    session: AsyncSession,
    guild_id: int,
    text: str,
    theme: str,
    *,
    key: str,
    source: str,
    now: datetime,
    suggested_by_id: int | None = None,
) -> int | None:
    """Insert a prompt; its id, or None when the bank already has the same prompt."""
    result = await session.execute(
        _insert(session, Prompt)
        .values(
            guild_id=guild_id,
            theme=theme,
            text=text,
            text_key=key,
            source=source,
            suggested_by_id=suggested_by_id,
            created_at=now,
        )
        .returning(Prompt.id)
    )
    return result.scalar_one_or_none()


async def find_duplicate(session: AsyncSession, guild_id: int, key: str) -> Prompt | None:
    return (
        await session.execute(select(Prompt).where(Prompt.guild_id == guild_id, Prompt.text_key == key))
    ).scalar_one_or_none()


def _bank(guild_id: int, theme: str | None) -> Select[Prompt]:
    query = select(Prompt).where(Prompt.guild_id == guild_id)
    return query.where(Prompt.theme == theme) if theme else query


# A page of the bank with the bank's size alongside (one statement; built once, as `/prompts list` is hot).
_PAGE = (
    select(Prompt, func.count().over())
    .where(Prompt.guild_id == bindparam("guild_id"))
    .order_by(Prompt.id)
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)
_PAGE_OF_THEME = _PAGE.where(Prompt.theme == bindparam("theme"))


async def count_prompts(session: AsyncSession, guild_id: int, theme: str | None = None) -> int:
    query = select(func.count()).select_from(_bank(guild_id, theme).subquery())
    return int((await session.execute(query)).scalar_one())


async def prompt_page(
    session: AsyncSession, guild_id: int, theme: str | None, *, offset: int, limit: int
) -> tuple[list[Prompt], int]:
    """The bank's prompts from `offset` in id order (at most `limit`), and how many the bank holds."""
    params: dict[str, object] = {"guild_id": guild_id, "offset": offset, "limit": limit}
    if theme:
        params["theme"] = theme
    rows = (await session.execute(_PAGE_OF_THEME if theme else _PAGE, params)).all()
    if rows:
        return [prompt for prompt, _ in rows], int(rows[0][1])
    return [], await count_prompts(session, guild_id, theme) if offset else 0


async def search_prompts(session: AsyncSession, guild_id: int, typed: str, limit: int = 25) -> Sequence[Prompt]:
    """Prompts whose id is `typed` (with or without #) or whose text contains it, for autocomplete."""
    query = _bank(guild_id, None)
    typed = typed.strip().lstrip("#")
    if typed.isdigit():
        query = query.where(or_(Prompt.id == int(typed), Prompt.text.contains(typed)))
    elif typed:
        query = query.where(Prompt.text.icontains(typed))
    return (await session.execute(query.order_by(Prompt.id).limit(limit))).scalars().all()


async def get_prompt(session: AsyncSession, guild_id: int, prompt_id: int) -> Prompt | None:
    prompt = await session.get(Prompt, prompt_id)
    return prompt if prompt is not None and prompt.guild_id == guild_id else None


async def delete_prompt(session: AsyncSession, prompt: Prompt) -> None:
    await session.delete(prompt)
    await session.flush()


async def random_prompt(session: AsyncSession, guild_id: int, themes: Iterable[str] = ()) -> Prompt | None:
    query = select(Prompt.id).where(Prompt.guild_id == guild_id, Prompt.occasion.is_(None))  # not the calendar's
    themes = tuple(themes)
    if themes:
        query = query.where(Prompt.theme.in_(themes))
    ids = (await session.execute(query)).scalars().all()
    return await session.get(Prompt, random.choice(ids)) if ids else None


# --------------------------------------------------------------------------- suggestions


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
_ADD_SUGGESTION = insert(PromptSuggestion).returning(PromptSuggestion.id)


async def suggestion_checks(session: AsyncSession, guild_id: int, user_id: int, key: str) -> tuple[bool, int]:
    """Whether the bank already has a prompt with this text key, and how many of the member's suggestions
    are waiting for review."""
    params = {"guild_id": guild_id, "user_id": user_id, "key": key}
    row = (await session.execute(_SUGGESTION_CHECKS, params)).one()
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


# --------------------------------------------------------------------------- schedules


async def guild_schedules(session: AsyncSession, guild_id: int) -> Sequence[PromptSchedule]:
    query = select(PromptSchedule).where(PromptSchedule.guild_id == guild_id).order_by(PromptSchedule.id)
    return (await session.execute(query)).scalars().all()


async def count_schedules(session: AsyncSession, guild_id: int) -> int:
    query = select(func.count(PromptSchedule.id)).where(PromptSchedule.guild_id == guild_id)
    return int((await session.execute(query)).scalar_one())


async def add_schedule(session: AsyncSession, schedule: PromptSchedule) -> int:
    session.add(schedule)
    await session.flush()
    return schedule.id


async def get_schedule(session: AsyncSession, guild_id: int, schedule_id: int) -> PromptSchedule | None:
    schedule = await session.get(PromptSchedule, schedule_id)
    return schedule if schedule is not None and schedule.guild_id == guild_id else None


async def due_schedules(
    session: AsyncSession, now: datetime, *, after_id: int = 0, limit: int | None = None
) -> Sequence[PromptSchedule]:
    """Unpaused schedules whose next run is due, in id order (so competing processes lock rows alike).

    With `limit`, one batch: the first `limit` due schedules whose id is above `after_id`. A caller claims a
    large backlog batch by batch (a short write each), so the single SQLite writer is never held for long."""
    query = select(PromptSchedule).where(
        PromptSchedule.paused.is_(False), PromptSchedule.next_run_at <= now, PromptSchedule.id > after_id
    )
    query = query.order_by(PromptSchedule.id)
    if limit is not None:
        query = query.limit(limit)
    return (await session.execute(query)).scalars().all()


async def choose_prompt(session: AsyncSession, schedule: PromptSchedule) -> tuple[Prompt | None, int]:
    """A prompt not yet used in the schedule's current cycle; a new cycle starts when all are used."""
    # The calendar's prompts are posted on their occasions only (cogs/prompts/occasions.py).
    eligible = select(Prompt.id).where(Prompt.guild_id == schedule.guild_id, Prompt.occasion.is_(None))
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


def _lease_free(now: datetime) -> ColumnElement[bool]:
    """No process holds the claim: never leased, released, or its lease ran out (its holder died or stalled)."""
    return or_(PromptPost.lease_until.is_(None), PromptPost.lease_until < now)


def _retry_due(now: datetime) -> ColumnElement[bool]:
    return or_(PromptPost.retry_at.is_(None), PromptPost.retry_at <= now)


async def guild_timezones(session: AsyncSession, guild_ids: Iterable[int]) -> dict[int, str]:
    """The timezone of each of these guilds that has settings (one statement for a batch of schedules)."""
    query = select(GuildSettings.guild_id, GuildSettings.timezone).where(GuildSettings.guild_id.in_(set(guild_ids)))
    return {guild_id: zone for guild_id, zone in await session.execute(query)}


async def claim_slots(session: AsyncSession, claims: Sequence[tuple[PromptSchedule, datetime]], now: datetime) -> int:
    """Claim many (schedule, slot) at once, each as `claim_slot` would; how many were new (not claimed before).

    Built for a backlog: the guilds' banks, the prompts each schedule used in its cycle, the claims and the
    superseding are a handful of statements for the whole batch, not a handful per schedule."""
    if not claims:
        return 0
    guild_ids = {schedule.guild_id for schedule, _ in claims}
    schedule_ids = [schedule.id for schedule, _ in claims]
    bank_rows = await session.execute(
        select(Prompt.guild_id, Prompt.id, Prompt.theme).where(
            Prompt.guild_id.in_(guild_ids),
            Prompt.occasion.is_(None),  # not the calendar's
        )
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


async def _take(
    session: AsyncSession, post_id: int, status: str, previous: str | None, owner: str, now: datetime
) -> bool:
    """Lease one claim for `owner`: a conditional update on its status, its previous holder and an expired
    (or absent) lease, so that of any number of processes racing for it exactly one wins."""
    conditions = [PromptPost.id == post_id, PromptPost.status == status, _lease_free(now)]
    conditions.append(PromptPost.lease_owner.is_not_distinct_from(previous))
    if status == "posted":
        conditions.append(PromptPost.thread_state == "pending")
    result = await session.execute(
        update(PromptPost)
        .where(*conditions)
        .values(lease_until=now + LEASE, lease_owner=owner)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def lease_claims(
    session: AsyncSession,
    now: datetime,
    owner: str,
    schedule_id: int | None = None,
    *,
    post_id: int | None = None,
    owns_guild: Callable[[int], bool] | None = None,
) -> list[int]:
    """Lease for `owner` every unposted claim that is free and not backing off (of unpaused schedules); their ids.

    With `owns_guild`, only claims of guilds it accepts (this process's shards). Rows are taken in a
    fixed order (slot, id) so two processes leasing at once never deadlock. A drain of a backlog leases
    batch by batch instead (`lease_claim_batch`).
    """
    query = (
        select(PromptPost.id, PromptPost.lease_owner, PromptSchedule.guild_id)
        .join(PromptSchedule, PromptSchedule.id == PromptPost.schedule_id)
        .where(
            PromptPost.status == "claimed",
            PromptSchedule.paused.is_(False),
            _lease_free(now),
            _retry_due(now),
        )
        .order_by(PromptPost.slot, PromptPost.id)
    )
    if schedule_id is not None:
        query = query.where(PromptPost.schedule_id == schedule_id)
    if post_id is not None:
        query = query.where(PromptPost.id == post_id)
    taken = []
    for found, previous, guild_id in (await session.execute(query)).all():
        if owns_guild is not None and not owns_guild(guild_id):
            continue
        if await _take(session, found, "claimed", previous, owner, now):
            taken.append(found)
    return taken


async def lease_claim_batch(
    session: AsyncSession,
    now: datetime,
    owner: str,
    *,
    limit: int,
    after: tuple[datetime, int] | None = None,
    owns_guild: Callable[[int], bool] | None = None,
    claimed_since: datetime | None = None,
    claimed_before: datetime | None = None,
) -> tuple[list[int], tuple[datetime, int] | None]:
    """One batch of a backlog: lease for `owner` the next `limit` free, due, unposted claims after `after`
    (the (slot, id) where the previous batch stopped), in one conditional update. Returns their ids and where
    this batch stopped (None when nothing was left), so a drain leases only what it can post within the lease
    and never comes back in the same run to a claim that failed earlier in it.

    PostgreSQL: rows another process is leasing at this moment are skipped, not waited for (no deadlock, no
    queue); SQLite has one writer at a time anyway. The update repeats every condition, so a claim taken or
    posted meanwhile is left alone: of any number of processes racing for a claim, exactly one wins it.
    `claimed_since` / `claimed_before` take only the claims made from / before a moment (a run's own claims
    while it is still claiming, the older ones once it is done)."""
    query = (
        select(PromptPost.id, PromptPost.slot, PromptSchedule.guild_id)
        .join(PromptSchedule, PromptSchedule.id == PromptPost.schedule_id)
        .where(PromptPost.status == "claimed", PromptSchedule.paused.is_(False), _lease_free(now), _retry_due(now))
        .order_by(PromptPost.slot, PromptPost.id)
        .limit(limit)
        .with_for_update(of=PromptPost, skip_locked=True)
    )
    if after is not None:
        slot, last_id = after
        query = query.where(or_(PromptPost.slot > slot, and_(PromptPost.slot == slot, PromptPost.id > last_id)))
    if claimed_since is not None:
        query = query.where(PromptPost.claimed_at >= claimed_since)
    if claimed_before is not None:
        query = query.where(PromptPost.claimed_at < claimed_before)
    rows = (await session.execute(query)).all()
    if not rows:
        return [], None
    stopped = (rows[-1].slot, rows[-1].id)
    found = [row.id for row in rows if owns_guild is None or owns_guild(row.guild_id)]
    if not found:
        return [], stopped
    result = await session.execute(
        update(PromptPost)
        .where(PromptPost.id.in_(found), PromptPost.status == "claimed", _lease_free(now), _retry_due(now))
        .values(lease_until=now + LEASE, lease_owner=owner)
        .returning(PromptPost.id)
        .execution_options(synchronize_session=False)
    )
    won = set(result.scalars().all())
    return [post_id for post_id in found if post_id in won], stopped


async def lease_threads(
    session: AsyncSession, now: datetime, owner: str, *, owns_guild: Callable[[int], bool] | None = None
) -> list[int]:
    """Lease for `owner` every posted claim whose thread is still to be opened and is due for another try."""
    query = (
        select(PromptPost.id, PromptPost.lease_owner, PromptSchedule.guild_id)
        .join(PromptSchedule, PromptSchedule.id == PromptPost.schedule_id)
        .where(PromptPost.status == "posted", PromptPost.thread_state == "pending", _lease_free(now), _retry_due(now))
        .order_by(PromptPost.slot, PromptPost.id)
    )
    taken = []
    for found, previous, guild_id in (await session.execute(query)).all():
        if owns_guild is not None and not owns_guild(guild_id):
            continue
        if await _take(session, found, "posted", previous, owner, now):
            taken.append(found)
    return taken


async def renew_lease(session: AsyncSession, post_id: int, owner: str, now: datetime) -> bool:
    """Extend `owner`'s lease on an unposted claim just before posting it; False if it no longer holds the claim
    (its lease ran out and another process took it over, or the claim was skipped or dropped)."""
    result = await session.execute(
        update(PromptPost)
        .where(PromptPost.id == post_id, PromptPost.status == "claimed", PromptPost.lease_owner == owner)
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def waiting_claims(session: AsyncSession, schedule_ids: Sequence[int]) -> dict[int, PromptPost]:
    """For each schedule, its unposted claim that failed at least once (the newest), to show why it waits."""
    query = (
        select(PromptPost)
        .where(PromptPost.schedule_id.in_(schedule_ids), PromptPost.status == "claimed", PromptPost.attempts > 0)
        .order_by(PromptPost.slot)
    )
    return {post.schedule_id: post for post in (await session.execute(query)).scalars().all()}


# The claim, its schedule and its prompt in one statement (built once: a drain reads it for every post).
_CLAIM_DETAILS = (
    select(PromptPost, PromptSchedule, Prompt)
    .join(PromptSchedule, PromptSchedule.id == PromptPost.schedule_id)
    .outerjoin(Prompt, Prompt.id == PromptPost.prompt_id)
    .where(PromptPost.id == bindparam("post_id"))
)


async def claim_details(session: AsyncSession, post_id: int) -> tuple[PromptPost, PromptSchedule, Prompt | None] | None:
    """The claim, its schedule and its prompt; None if the schedule was removed meanwhile (with its claims)."""
    row = (await session.execute(_CLAIM_DETAILS, {"post_id": post_id})).first()
    if row is None:
        return None
    post, schedule, prompt = row
    return post, schedule, prompt


async def mark_posted(
    session: AsyncSession, post_id: int, owner: str, message_id: int, now: datetime, *, thread: bool
) -> None:
    """Record the posted message. With `thread`, the thread is pending and `owner` keeps the lease to open it."""
    await session.execute(
        update(PromptPost)
        .where(PromptPost.id == post_id)
        .values(
            status="posted",
            message_id=message_id,
            posted_at=now,
            attempts=0,
            retry_at=None,
            last_error=None,
            thread_state="pending" if thread else None,
            lease_until=now + LEASE if thread else None,
            lease_owner=owner if thread else None,
        )
        .execution_options(synchronize_session=False)
    )


async def release_claim(
    session: AsyncSession, post_id: int, owner: str, *, attempts: int, retry_at: datetime, error: str
) -> bool:
    """Leave a claim unposted and free, to be tried again from `retry_at`; False if `owner` no longer held it."""
    result = await session.execute(
        update(PromptPost)
        .where(PromptPost.id == post_id, PromptPost.status == "claimed", PromptPost.lease_owner == owner)
        .values(lease_until=None, lease_owner=None, attempts=attempts, retry_at=retry_at, last_error=error[:300])
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def record_thread(
    session: AsyncSession,
    post_id: int,
    owner: str,
    state: str,
    *,
    thread_id: int | None = None,
    attempts: int | None = None,
    retry_at: datetime | None = None,
    error: str | None = None,
) -> bool:
    """Record what became of a posted claim's thread (open, pending with a retry time, failed, gone) and free it;
    False if `owner` no longer held it."""
    values: dict[str, object] = {
        "thread_state": state,
        "retry_at": retry_at,
        "last_error": error[:300] if error else None,
        "lease_until": None,
        "lease_owner": None,
    }
    if thread_id is not None:
        values["thread_id"] = thread_id
    if attempts is not None:
        values["attempts"] = attempts
    result = await session.execute(
        update(PromptPost)
        .where(PromptPost.id == post_id, PromptPost.status == "posted", PromptPost.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def pause_schedule(session: AsyncSession, schedule_id: int, reason: str) -> bool:
    """Pause a schedule and drop its unposted claims. False if it was already paused or is gone."""
    result = await session.execute(
        update(PromptSchedule)
        .where(PromptSchedule.id == schedule_id, PromptSchedule.paused.is_(False))
        .values(paused=True, paused_reason=reason)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(PromptPost)
        .where(PromptPost.schedule_id == schedule_id, PromptPost.status == "claimed")
        .values(status="dropped", lease_until=None, lease_owner=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


# --------------------------------------------------------------------------- privacy


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
