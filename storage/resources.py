"""Queries on the resource library. They take a session (result lists: a session or a connection); they never
open one.

Search (`search`, the one function the cog and bench/ call) lives in storage/search.py and is
re-exported here, with `Listed`, the plain rows of a result list (search, browse, saved).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.search_text import index_text
from storage.database import Reader, dialect_name, rowcount
from storage.models.guild import GuildSettings
from storage.models.resources import APPROVED, HELPED, PENDING, SAVED, TAG, THEME, Resource, ResourceLabel, ResourceVote
from storage.search import LISTED, SEARCH_CANDIDATES, SEARCH_LIMIT, Listed, listed, search

__all__ = ["SEARCH_CANDIDATES", "SEARCH_LIMIT", "Listed", "search"]


async def get_resource(session: AsyncSession, guild_id: int, resource_id: int) -> Resource | None:
    resource = await session.get(Resource, resource_id)
    return resource if resource is not None and resource.guild_id == guild_id else None


async def find_by_canonical(session: AsyncSession, guild_id: int, canonical: str) -> Resource | None:
    return await session.scalar(
        select(Resource).where(Resource.guild_id == guild_id, Resource.canonical_url == canonical)
    )


async def add_resource(
    session: AsyncSession,
    *,
    guild_id: int,
    url: str,
    canonical_url: str,
    title: str,
    description: str,
    themes: Sequence[str],
    tags: Sequence[str],
    submitter_id: int | None,
    approved: bool,
    now: datetime,
) -> Resource | None:
    """Insert a resource and its labels; None if the guild already has this canonical URL."""
    resource = Resource(
        guild_id=guild_id,
        url=url,
        canonical_url=canonical_url,
        title=title,
        description=description,
        themes=",".join(themes),
        tags=",".join(tags),
        status=APPROVED if approved else PENDING,
        submitter_id=submitter_id,
        created_at=now,
        approved_at=now if approved else None,
        helped_count=0,
        saved_count=0,
    )
    try:
        async with session.begin_nested():
            session.add(resource)
            await session.flush()
    except IntegrityError:
        return None
    session.add_all(
        [ResourceLabel(resource_id=resource.id, guild_id=guild_id, kind=THEME, value=key) for key in themes]
        + [ResourceLabel(resource_id=resource.id, guild_id=guild_id, kind=TAG, value=tag) for tag in tags]
    )
    await session.flush()
    return resource


async def existing_canonicals(session: AsyncSession, guild_id: int, canonicals: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(canonicals), 400):
        chunk = canonicals[start : start + 400]
        rows = await session.scalars(
            select(Resource.canonical_url).where(Resource.guild_id == guild_id, Resource.canonical_url.in_(chunk))
        )
        found.update(rows)
    return found


async def pending(session: AsyncSession, guild_id: int, limit: int) -> tuple[list[Resource], int]:
    """The oldest `limit` submissions waiting for review, and how many wait in all."""
    rows = await session.scalars(
        select(Resource)
        .where(Resource.guild_id == guild_id, Resource.status == PENDING)
        .order_by(Resource.created_at, Resource.id)
        .limit(limit)
    )
    total = await session.scalar(select(func.count()).where(Resource.guild_id == guild_id, Resource.status == PENDING))
    return list(rows), int(total or 0)


async def pending_from(session: AsyncSession, guild_id: int, submitter_id: int) -> int:
    """How many of the member's submissions wait for review."""
    found = await session.scalar(
        select(func.count()).where(
            Resource.guild_id == guild_id, Resource.submitter_id == submitter_id, Resource.status == PENDING
        )
    )
    return int(found or 0)


async def approve(
    session: AsyncSession, guild_id: int, resource_id: int, now: datetime, *, card: tuple[int, int] | None = None
) -> Resource | None:
    """Move a pending resource into the library, with its card's (channel id, message id) when it was posted
    first; None if it is not pending any more (claimed once)."""
    placed = {"channel_id": card[0], "message_id": card[1]} if card is not None else {}
    result = await session.execute(
        update(Resource)
        .where(Resource.id == resource_id, Resource.guild_id == guild_id, Resource.status == PENDING)
        .values(status=APPROVED, approved_at=now, **placed)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return None
    resource = await session.get(Resource, resource_id, populate_existing=True)
    return resource


async def delete_resource(
    session: AsyncSession,
    guild_id: int,
    resource_id: int,
    *,
    status: str | None = None,
    submitter_id: int | None = None,
) -> Resource | None:
    """Delete a resource (votes and labels go with it); the deleted row, or None if nothing matched."""
    resource = await get_resource(session, guild_id, resource_id)
    if resource is None or (status is not None and resource.status != status):
        return None
    if submitter_id is not None and resource.submitter_id != submitter_id:
        return None
    await session.execute(delete(Resource).where(Resource.id == resource_id))
    return resource


async def set_message(session: AsyncSession, resource_id: int, channel_id: int, message_id: int) -> None:
    await session.execute(
        update(Resource).where(Resource.id == resource_id).values(channel_id=channel_id, message_id=message_id)
    )


async def _recount(session: AsyncSession, resource_ids: Sequence[int]) -> None:
    for resource_id in resource_ids:
        counts = dict(
            (
                await session.execute(
                    select(ResourceVote.kind, func.count())
                    .where(ResourceVote.resource_id == resource_id)
                    .group_by(ResourceVote.kind)
                )
            ).all()
        )
        await session.execute(
            update(Resource)
            .where(Resource.id == resource_id)
            .values(helped_count=counts.get(HELPED, 0), saved_count=counts.get(SAVED, 0))
        )


async def toggle_vote(
    session: AsyncSession, guild_id: int, resource_id: int, user_id: int, kind: str, now: datetime
) -> tuple[Resource, bool] | None:
    """Add the member's vote of `kind`, or take it back if they had one. (resource, now_on), or None."""
    resource = await get_resource(session, guild_id, resource_id)
    if resource is None or resource.status != APPROVED:
        return None
    removed = await session.execute(
        delete(ResourceVote).where(
            ResourceVote.resource_id == resource_id, ResourceVote.user_id == user_id, ResourceVote.kind == kind
        )
    )
    now_on = rowcount(removed) == 0
    if now_on:
        session.add(
            ResourceVote(resource_id=resource_id, guild_id=guild_id, user_id=user_id, kind=kind, created_at=now)
        )
        await session.flush()
    await _recount(session, [resource_id])
    await session.refresh(resource)
    return resource, now_on


def _label_filter(kind: str, param: str) -> Any:
    return Resource.id.in_(
        select(ResourceLabel.resource_id).where(
            ResourceLabel.guild_id == bindparam("guild_id"),
            ResourceLabel.kind == kind,
            ResourceLabel.value == bindparam(param),
        )
    )


@cache
def _browse_statement(theme: bool, tag: bool, most_helpful: bool) -> Any:
    """The browse query for this shape, built once (`/resource browse` is hot: building a statement costs the
    event loop more than running it); parameters `guild_id`, `theme`, `tag`, `offset`, `limit`."""
    query = select(*LISTED).where(Resource.guild_id == bindparam("guild_id"), Resource.status == APPROVED)
    if theme:
        query = query.where(_label_filter(THEME, "theme"))
    if tag:
        query = query.where(_label_filter(TAG, "tag"))
    if most_helpful:
        query = query.order_by(Resource.helped_count.desc(), Resource.id.desc())
    else:
        query = query.order_by(Resource.created_at.desc(), Resource.id.desc())
    return query.offset(bindparam("offset")).limit(bindparam("limit"))


async def browse(
    reader: Reader,
    guild_id: int,
    *,
    theme: str | None = None,
    tag: str | None = None,
    most_helpful: bool = False,
    offset: int = 0,
    limit: int = 5,
) -> list[Listed]:
    statement = _browse_statement(bool(theme), bool(tag), most_helpful)
    params = {"guild_id": guild_id, "theme": theme, "tag": tag, "offset": offset, "limit": limit}
    return listed(await reader.execute(statement, params))


async def saved_by(reader: Reader, guild_id: int, user_id: int, *, offset: int = 0, limit: int = 5) -> list[Listed]:
    query = (
        select(*LISTED)
        .join(ResourceVote, ResourceVote.resource_id == Resource.id)
        .where(ResourceVote.guild_id == guild_id, ResourceVote.user_id == user_id, ResourceVote.kind == SAVED)
        .order_by(ResourceVote.created_at.desc(), ResourceVote.id.desc())
    )
    return listed(await reader.execute(query.offset(offset).limit(limit)))


async def own_or_all(
    session: AsyncSession, guild_id: int, typed: str, *, submitter_id: int | None, limit: int = 25
) -> list[Resource]:
    """Resources for an autocomplete: by id when digits are typed, else titles containing the text as typed
    (ignoring ASCII case) or as search folds it (`index_text`: any case, no accents, so `doi song` and `đời`
    find `Đời sống` on either backend). Both tests are kept: a word half typed may fold to something its title's
    fold does not contain (`stori` is not in `story`)."""
    query = select(Resource).where(Resource.guild_id == guild_id)
    if submitter_id is not None:
        query = query.where(Resource.submitter_id == submitter_id)
    typed = typed.strip()
    if typed.isdigit():
        query = query.where(Resource.id == int(typed))
    elif typed:
        matches: list[ColumnElement[bool]] = [Resource.title.icontains(typed, autoescape=True)]
        if folded := index_text(typed):
            matches.append(Resource.search_title.contains(folded, autoescape=True))
        query = query.where(or_(*matches))
    return list(await session.scalars(query.order_by(Resource.id.desc()).limit(limit)))


async def library_rows(session: AsyncSession, guild_id: int) -> list[Resource]:
    query = (
        select(Resource)
        .where(Resource.guild_id == guild_id, Resource.status == APPROVED)
        .order_by(Resource.created_at, Resource.id)
    )
    return list(await session.scalars(query))


# Search -----------------------------------------------------------------------------------------
# The implementation lives in storage/search.py; `search` is re-exported here for the cog.

# Privacy ----------------------------------------------------------------------------------------


async def member_data(session: AsyncSession, guild_id: int, user_id: int) -> dict[str, Any]:
    shared = await session.scalars(
        select(Resource).where(Resource.guild_id == guild_id, Resource.submitter_id == user_id).order_by(Resource.id)
    )
    votes = await session.execute(
        select(ResourceVote.kind, Resource.id, Resource.title, Resource.url)
        .join(Resource, Resource.id == ResourceVote.resource_id)
        .where(ResourceVote.guild_id == guild_id, ResourceVote.user_id == user_id)
        .order_by(ResourceVote.id)
    )
    votes_by_kind: dict[str, list[dict[str, Any]]] = {HELPED: [], SAVED: []}
    for kind, resource_id, title, url in votes:
        votes_by_kind.setdefault(kind, []).append({"resource": resource_id, "title": title, "url": url})
    return {
        "shared": [
            {
                "id": r.id,
                "url": r.url,
                "title": r.title,
                "description": r.description,
                "themes": r.theme_keys,
                "tags": r.tag_list,
                "status": r.status,
                "shared_at": r.created_at.isoformat(),
            }
            for r in shared
        ],
        "helped_me": votes_by_kind[HELPED],
        "saved": votes_by_kind[SAVED],
    }


async def shared_cards_to_remove(session: AsyncSession, guild_id: int, user_id: int) -> list[tuple[int, int]]:
    """(channel_id, message_id) of the member's posted resources that an erasure will remove
    (only when the guild chose not to keep shared resources)."""
    settings = await session.get(GuildSettings, guild_id)
    if settings is None or settings.keep_shared_resources:
        return []
    rows = await session.execute(
        select(Resource.channel_id, Resource.message_id).where(
            Resource.guild_id == guild_id, Resource.submitter_id == user_id, Resource.message_id.is_not(None)
        )
    )
    return [
        (channel_id, message_id) for channel_id, message_id in rows if channel_id is not None and message_id is not None
    ]


async def forget_member(session: AsyncSession, guild_id: int, user_id: int) -> int:
    """Remove the member's votes and pending submissions. Their approved resources stay, anonymously,
    unless the guild chose not to keep shared resources (`GuildSettings.keep_shared_resources`)."""
    settings = await session.get(GuildSettings, guild_id)
    if settings is not None and not settings.keep_shared_resources:
        removed = await session.execute(
            delete(Resource).where(Resource.guild_id == guild_id, Resource.submitter_id == user_id)
        )
        if rowcount(removed) and dialect_name(session) == "sqlite":
            # FTS5 keeps a deleted row's words in its index segments until they are merged: merge them now.
            await session.execute(text("INSERT INTO resources_fts (resources_fts) VALUES ('optimize')"))
    voted = list(
        await session.scalars(
            select(ResourceVote.resource_id).where(ResourceVote.guild_id == guild_id, ResourceVote.user_id == user_id)
        )
    )
    votes = await session.execute(
        delete(ResourceVote).where(ResourceVote.guild_id == guild_id, ResourceVote.user_id == user_id)
    )
    pending_rows = await session.execute(
        delete(Resource).where(
            Resource.guild_id == guild_id, Resource.submitter_id == user_id, Resource.status == PENDING
        )
    )
    anonymised = await session.execute(
        update(Resource)
        .where(and_(Resource.guild_id == guild_id, Resource.submitter_id == user_id))
        .values(submitter_id=None)
    )
    await _recount(session, sorted(set(voted)))
    return sum(rowcount(r) for r in (votes, pending_rows, anonymised))
