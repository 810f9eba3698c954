"""Queries of the cultural calendar: its prompts in a guild's bank, the occasions a guild follows, and occasion
posts claimed and leased exactly once (as storage/prompts/ does for schedule slots). They take a session;
they never open one."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import dialect_insert, rowcount
from storage.models.occasions import GuildOccasion, OccasionBank, OccasionPost
from storage.models.prompts import Prompt
from storage.post_leases import LEASE, PostLeases

# The statuses of a post that used its prompt (a dropped claim never reached anyone).
USED = ("claimed", "posted")


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    return dialect_insert(session, model).on_conflict_do_nothing()


# --------------------------------------------------------------------------- the calendar's prompts


async def calendar_seeded(session: AsyncSession, guild_id: int) -> bool:
    return await session.get(OccasionBank, guild_id) is not None


async def ensure_calendar_prompts(
    session: AsyncSession, guild_id: int, now: datetime, rows: Iterable[tuple[str, str, str, str]]
) -> bool:
    """Put the calendar's prompts (occasion, theme, text, key) in the guild's bank once; True if it did now.

    A prompt whose text the bank already has (a moderator added it by hand) is left as it is."""
    claimed = await session.execute(
        _insert(session, OccasionBank).values(guild_id=guild_id, seeded_at=now).returning(OccasionBank.guild_id)
    )
    if claimed.first() is None:
        return False
    values = [
        {
            "guild_id": guild_id,
            "occasion": occasion,
            "theme": theme,
            "text": text,
            "text_key": key,
            "source": "default",
            "suggested_by_id": None,
            "created_at": now,
        }
        for occasion, theme, text, key in rows
    ]
    if values:
        await session.execute(_insert(session, Prompt), values)
    return True


async def choose_prompt(session: AsyncSession, guild_id: int, keys: Sequence[str]) -> Prompt | None:
    """One of the occasions' prompts: one never posted for them if any is left, otherwise the one posted longest
    ago (so last year's prompt comes back only when it is the only one)."""
    ids = (
        (await session.execute(select(Prompt.id).where(Prompt.guild_id == guild_id, Prompt.occasion.in_(keys))))
        .scalars()
        .all()
    )
    if not ids:
        return None
    last_used = dict(
        (
            await session.execute(
                select(OccasionPost.prompt_id, func.max(OccasionPost.day))
                .where(
                    OccasionPost.guild_id == guild_id,
                    OccasionPost.prompt_id.in_(ids),
                    OccasionPost.status.in_(USED),
                )
                .group_by(OccasionPost.prompt_id)
            )
        ).all()
    )
    oldest = min(last_used.get(prompt_id, date.min) for prompt_id in ids)
    return await session.get(Prompt, random.choice([i for i in ids if last_used.get(i, date.min) == oldest]))


# --------------------------------------------------------------------------- the occasions a guild follows


async def guild_occasions(session: AsyncSession, guild_id: int) -> Sequence[GuildOccasion]:
    query = select(GuildOccasion).where(GuildOccasion.guild_id == guild_id).order_by(GuildOccasion.id)
    return (await session.execute(query)).scalars().all()


async def turn_off(session: AsyncSession, guild_id: int, keys: Sequence[str]) -> list[str]:
    """Forget the guild's settings for these occasions and drop their unposted claims; the keys that were on."""
    found = (
        (
            await session.execute(
                select(GuildOccasion.occasion).where(
                    GuildOccasion.guild_id == guild_id, GuildOccasion.occasion.in_(keys)
                )
            )
        )
        .scalars()
        .all()
    )
    if found:
        await session.execute(
            delete(GuildOccasion).where(GuildOccasion.guild_id == guild_id, GuildOccasion.occasion.in_(found))
        )
        await _drop_claims(session, guild_id, found)
    return list(found)


async def pause(session: AsyncSession, guild_id: int, keys: Sequence[str], reason: str) -> bool:
    """Pause these occasions of the guild and drop their unposted claims; False if none was running."""
    result = await session.execute(
        update(GuildOccasion)
        .where(GuildOccasion.guild_id == guild_id, GuildOccasion.occasion.in_(keys), GuildOccasion.paused.is_(False))
        .values(paused=True, paused_reason=reason[:300])
        .execution_options(synchronize_session=False)
    )
    await _drop_claims(session, guild_id, keys)
    return rowcount(result) > 0


async def _drop_claims(session: AsyncSession, guild_id: int, keys: Sequence[str]) -> None:
    claims = (
        (
            await session.execute(
                select(OccasionPost).where(OccasionPost.guild_id == guild_id, OccasionPost.status == "claimed")
            )
        )
        .scalars()
        .all()
    )
    dropped = [post.id for post in claims if set(post.keys) & set(keys)]
    if dropped:
        await session.execute(
            update(OccasionPost)
            .where(OccasionPost.id.in_(dropped), OccasionPost.status == "claimed")
            .values(status="dropped", lease_until=None, lease_owner=None)
            .execution_options(synchronize_session=False)
        )


async def due_occasions(session: AsyncSession, now: datetime) -> Sequence[GuildOccasion]:
    """Running occasions whose next post is due, in a fixed order (so competing processes lock rows alike)."""
    query = select(GuildOccasion).where(GuildOccasion.paused.is_(False), GuildOccasion.next_at <= now)
    return (await session.execute(query.order_by(GuildOccasion.next_at, GuildOccasion.id))).scalars().all()


# --------------------------------------------------------------------------- claims, leases, posting


async def claim(
    session: AsyncSession,
    row: GuildOccasion,
    *,
    family: str,
    day: date,
    keys: Sequence[str],
    due_at: datetime,
    now: datetime,
) -> int | None:
    """Claim the post of `family` on `day` in the guild, with a prompt of `keys`; its id, or None if it was claimed
    already (by another process, by a restart, or by another occasion of the family falling due first)."""
    prompt = await choose_prompt(session, row.guild_id, keys)
    result = await session.execute(
        _insert(session, OccasionPost)
        .values(
            guild_id=row.guild_id,
            family=family,
            day=day,
            occasions=",".join(keys),
            channel_id=row.channel_id,
            thread=row.thread,
            prompt_id=prompt.id if prompt else None,
            status="claimed",
            due_at=due_at,
            claimed_at=now,
        )
        .returning(OccasionPost.id)
    )
    claimed = result.scalar_one_or_none()
    if claimed is not None:
        return claimed
    # A claim dropped when the occasion paused or was turned off comes back if it is on again within its window
    # (a conditional update, so of two racing runs one revives it).
    revived = await session.execute(
        update(OccasionPost)
        .where(
            OccasionPost.guild_id == row.guild_id,
            OccasionPost.family == family,
            OccasionPost.day == day,
            OccasionPost.status == "dropped",
        )
        .values(
            status="claimed",
            occasions=",".join(keys),
            channel_id=row.channel_id,
            thread=row.thread,
            prompt_id=prompt.id if prompt else None,
            due_at=due_at,
            claimed_at=now,
            attempts=0,
            retry_at=None,
            last_error=None,
            lease_until=None,
            lease_owner=None,
        )
        .returning(OccasionPost.id)
        .execution_options(synchronize_session=False)
    )
    return revived.scalar_one_or_none()


_posts = PostLeases(OccasionPost)
renew_lease = _posts.renew
release = _posts.release
record_thread = _posts.record_thread


async def lease(
    session: AsyncSession, now: datetime, owner: str, *, threads: bool, owns_guild: Callable[[int], bool]
) -> list[int]:
    """Lease for `owner` every free claim due for a try: unposted ones, or (with `threads`) posted ones whose thread
    is still to be opened. A conditional update on the previous holder and an expired lease, so exactly one of
    any number of racing processes takes each."""
    status = "posted" if threads else "claimed"
    query = (
        select(OccasionPost.id, OccasionPost.lease_owner, OccasionPost.guild_id)
        .where(OccasionPost.status == status, _posts.free(now), _posts.retry_due(now))
        .order_by(OccasionPost.due_at, OccasionPost.id)
    )
    if threads:
        query = query.where(OccasionPost.thread_state == "pending")
    taken = []
    for found, previous, guild_id in (await session.execute(query)).all():
        if not owns_guild(guild_id):
            continue
        if await _posts.take(session, found, status, previous, owner, now):
            taken.append(found)
    return taken


async def mark_posted(session: AsyncSession, post_id: int, owner: str, message_id: int, now: datetime) -> None:
    """Record the posted message; a post with a thread keeps `owner`'s lease while its thread is opened."""
    post = await session.get(OccasionPost, post_id)
    thread = bool(post and post.thread)
    await session.execute(
        update(OccasionPost)
        .where(OccasionPost.id == post_id)
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


async def post_details(session: AsyncSession, post_id: int) -> tuple[OccasionPost, Prompt | None] | None:
    post = await session.get(OccasionPost, post_id)
    if post is None:
        return None
    prompt = await session.get(Prompt, post.prompt_id) if post.prompt_id is not None else None
    return post, prompt
