"""Posting a claimed slot: leasing claims (one process wins each; a dead one's lease runs out), the claim's
details, and recording what became of the post and its thread. They take a session; they never open one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.prompts import Prompt, PromptPost, PromptSchedule
from storage.post_leases import LEASE, PostLeases

_posts = PostLeases(PromptPost)
_lease_free = _posts.free
_retry_due = _posts.retry_due
_take = _posts.take
renew_lease = _posts.renew
release_claim = _posts.release
record_thread = _posts.record_thread


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


# Posted claims recorded together (`mark_posted_many`): one statement, executed for each.
_MARK_POSTED = (
    update(cast(Table, PromptPost.__table__))
    .where(PromptPost.__table__.c.id == bindparam("post_id"))
    .values(
        status="posted",
        message_id=bindparam("posted_message"),
        posted_at=bindparam("posted_at_"),
        attempts=0,
        retry_at=None,
        last_error=None,
        thread_state=bindparam("thread_state_"),
        lease_until=bindparam("lease_until_"),
        lease_owner=bindparam("lease_owner_"),
    )
)


async def mark_posted_many(session: AsyncSession, posted: Sequence[tuple[int, str, int, datetime, bool]]) -> None:
    """`mark_posted` for each (post_id, owner, message_id, now, thread), in one statement executed for each."""
    if not posted:
        return
    await session.execute(
        _MARK_POSTED,
        [
            {
                "post_id": post_id,
                "posted_message": message_id,
                "posted_at_": now,
                "thread_state_": "pending" if thread else None,
                "lease_until_": now + LEASE if thread else None,
                "lease_owner_": owner if thread else None,
            }
            for post_id, owner, message_id, now, thread in posted
        ],
    )
