"""The guild's prompt bank: seeding it with the defaults, adding, finding, paging, searching and removing
prompts, and a random one. They take a session; they never open one."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.database import Reader, dialect_insert
from storage.models import GuildTheme
from storage.models.prompts import Prompt, PromptBank


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING, for this session's dialect."""
    return dialect_insert(session, model).on_conflict_do_nothing()


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


class PageLine(NamedTuple):
    """A prompt as the bank list shows it."""

    id: int
    theme: str
    text: str


# A page of the bank with the bank's size alongside (one statement of plain columns: no Prompt objects; built
# once, as `/prompts list` is hot). The size is a subquery, not `count(*) OVER ()`: the window made PostgreSQL
# read and keep every row of the bank for each page, and misled its planner into walking the primary key of
# all guilds' prompts (34 ms a page of a bank of 80,000, 12 ms of one of 1,000 beside it); the subquery counts
# off the index on guild_id (6 ms and 0.5 ms; docs/scale.md, bench/orders.py).
_COUNTED = aliased(Prompt)


def _page(theme: bool) -> Select[Any]:
    counted = select(func.count()).select_from(_COUNTED).where(_COUNTED.guild_id == bindparam("guild_id"))
    page = select(Prompt.id, Prompt.theme, Prompt.text).where(Prompt.guild_id == bindparam("guild_id"))
    if theme:
        counted = counted.where(_COUNTED.theme == bindparam("theme"))
        page = page.where(Prompt.theme == bindparam("theme"))
    size = counted.scalar_subquery()
    return page.add_columns(size).order_by(Prompt.id).offset(bindparam("offset")).limit(bindparam("limit"))


_PAGE = _page(theme=False)
_PAGE_OF_THEME = _page(theme=True)


async def count_prompts(reader: Reader, guild_id: int, theme: str | None = None) -> int:
    query = select(func.count()).select_from(_bank(guild_id, theme).subquery())
    return int((await reader.execute(query)).scalar_one())


async def prompt_page(
    reader: Reader, guild_id: int, theme: str | None, *, offset: int, limit: int
) -> tuple[list[PageLine], int]:
    """The bank's prompts from `offset` in id order (at most `limit`), and how many the bank holds (plain
    columns: `Database.rows()` will do)."""
    params: dict[str, object] = {"guild_id": guild_id, "offset": offset, "limit": limit}
    if theme:
        params["theme"] = theme
    rows = (await reader.execute(_PAGE_OF_THEME if theme else _PAGE, params)).all()
    if rows:
        return [PageLine(*row[:3]) for row in rows], int(rows[0][3])
    return [], await count_prompts(reader, guild_id, theme) if offset else 0


async def search_prompts(session: AsyncSession, guild_id: int, typed: str, limit: int = 25) -> Sequence[Prompt]:
    """Prompts whose id is `typed` (with or without #) or whose text contains it, for autocomplete."""
    query = _bank(guild_id, None)
    typed = typed.strip().lstrip("#")
    if typed.isdigit():
        query = query.where(or_(Prompt.id == int(typed), Prompt.text.contains(typed, autoescape=True)))
    elif typed:  # (autoescape: a typed % or _ is that character, not a LIKE wildcard)
        query = query.where(Prompt.text.icontains(typed, autoescape=True))
    return (await session.execute(query.order_by(Prompt.id).limit(limit))).scalars().all()


async def get_prompt(session: AsyncSession, guild_id: int, prompt_id: int) -> Prompt | None:
    prompt = await session.get(Prompt, prompt_id)
    return prompt if prompt is not None and prompt.guild_id == guild_id else None


async def delete_prompt(session: AsyncSession, prompt: Prompt) -> None:
    await session.delete(prompt)
    await session.flush()


def drawable() -> ColumnElement[bool]:
    """A prompt `/prompt random` and schedules may draw: not the calendar's (those are posted on their occasions
    only, cogs/prompts/occasions.py), and not of a theme its guild turned off (`/setup themes`: never drawn for it
    again). A prompt with no theme is always on."""
    theme_off = exists().where(
        GuildTheme.guild_id == Prompt.guild_id, GuildTheme.key == Prompt.theme, GuildTheme.enabled.is_(False)
    )
    return and_(Prompt.occasion.is_(None), ~theme_off)


async def random_prompt(session: AsyncSession, guild_id: int, themes: Iterable[str] = ()) -> Prompt | None:
    query = select(Prompt.id).where(Prompt.guild_id == guild_id, drawable())
    themes = tuple(themes)
    if themes:
        query = query.where(Prompt.theme.in_(themes))
    ids = (await session.execute(query)).scalars().all()
    return await session.get(Prompt, random.choice(ids)) if ids else None
