"""Queries on guild configuration. They take a session; they never open one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from config import default_theme_pairs, default_themes
from core.themes import ThemeChange, ThemeRow
from storage import guild_cache
from storage.database import dialect_insert, rowcount
from storage.models import GuildSettings, GuildTheme

# The two reads nearly every interaction makes, built once: building a statement costs more of the event
# loop's time than running it (measured: 0.8 ms against 0.6 ms a read on the benchmark machine).
SETTINGS = select(GuildSettings).where(GuildSettings.guild_id == bindparam("guild_id"))
ENABLED_THEMES = (
    select(GuildTheme.key, GuildTheme.label)
    .where(GuildTheme.guild_id == bindparam("guild_id"), GuildTheme.enabled.is_(True))
    .order_by(GuildTheme.position, GuildTheme.key)
)


async def get_settings(session: AsyncSession, guild_id: int) -> GuildSettings | None:
    return (await session.execute(SETTINGS, {"guild_id": guild_id})).scalar_one_or_none()


async def ensure_settings(session: AsyncSession, guild_id: int, now: datetime) -> GuildSettings:
    """The guild's settings row, created with defaults (and the default themes) on first use. Two first uses at
    once (two moderators' first `/setup`) both get the row: the second INSERT does nothing (on PostgreSQL it waits
    for the first to commit) and reads the row the first wrote."""
    settings = await get_settings(session, guild_id)
    if settings is not None:
        return settings
    values = {"guild_id": guild_id, "created_at": now, "updated_at": now}
    if rowcount(await session.execute(dialect_insert(session, GuildSettings).values(values).on_conflict_do_nothing())):
        await _store_default_themes(session, guild_id)
    settings = await get_settings(session, guild_id)
    assert settings is not None
    return settings


@lru_cache(maxsize=64)
def _update(columns: tuple[str, ...]) -> Any:
    """UPDATE of these columns and `updated_at` on the settings table, returning the whole row as written, built
    once per set of columns (a Core statement: no ORM bulk-update machinery, and nothing in the session to
    synchronise). Parameters `guild` and `set_<column>`."""
    table = cast(Table, GuildSettings.__table__)
    return (
        update(table)
        .where(table.c.guild_id == bindparam("guild"))
        .values({name: bindparam(f"set_{name}", type_=table.c[name].type) for name in (*columns, "updated_at")})
        .returning(*table.c)
    )


async def update_settings(
    session: AsyncSession, guild_id: int, now: datetime, values: Mapping[InstrumentedAttribute[Any], object]
) -> None:
    """Set these columns of the guild's settings row (created with defaults on first use). One UPDATE when
    the row exists: cheaper for the event loop than loading the row and flushing it. The row it returns updates
    the per-process copy at commit (storage/guild_cache.py), so the guild's next interactions don't read the
    configuration again."""
    chosen = {column.key: value for column, value in values.items()}
    statement = _update(tuple(sorted(chosen)))
    params = {"guild": guild_id, "set_updated_at": now, **{f"set_{name}": value for name, value in chosen.items()}}
    row = (await session.execute(statement, params)).first()
    if row is None:
        await ensure_settings(session, guild_id, now)
        await session.execute(statement, params)
        return
    guild_cache.settings_written(session, guild_id, row)


async def enabled_themes(session: AsyncSession, guild_id: int) -> list[tuple[str, str]]:
    """(key, label) of the guild's enabled themes, in order; the defaults if it has none yet."""
    rows = (await session.execute(ENABLED_THEMES, {"guild_id": guild_id})).all()
    if rows:
        return [(key, label) for key, label in rows]
    return list(default_theme_pairs())


ALL_THEMES = (
    select(GuildTheme.key, GuildTheme.label, GuildTheme.enabled)
    .where(GuildTheme.guild_id == bindparam("guild_id"))
    .order_by(GuildTheme.position, GuildTheme.key)
)


async def _stored_themes(session: AsyncSession, guild_id: int) -> list[ThemeRow]:
    rows = (await session.execute(ALL_THEMES, {"guild_id": guild_id})).all()
    return [ThemeRow(key, label, bool(enabled)) for key, label, enabled in rows]


async def _store_default_themes(session: AsyncSession, guild_id: int) -> list[ThemeRow]:
    """Store the default themes (all on) as the guild's; them."""
    themes = [ThemeRow(theme.key, theme.label, True) for theme in default_themes()]
    session.add_all(
        GuildTheme(guild_id=guild_id, key=row.key, label=row.label, enabled=row.enabled, position=index)
        for index, row in enumerate(themes)
    )
    await session.flush()
    return themes


async def all_themes(session: AsyncSession, guild_id: int) -> list[ThemeRow]:
    """Every theme of the guild, on or off, in order; the defaults (all on) if it has none yet."""
    return await _stored_themes(session, guild_id) or [
        ThemeRow(key, label, True) for key, label in default_theme_pairs()
    ]


async def save_theme(
    session: AsyncSession, guild_id: int, now: datetime, decide: Callable[[list[ThemeRow]], ThemeChange]
) -> ThemeChange:
    """Apply `decide`'s change to the guild's themes as they are once this transaction holds the guild: its
    settings row is updated first, so two changes to one guild's themes run one after the other (PostgreSQL's row
    lock; SQLite takes one writer at a time) and each decides on what the other wrote (two themes never end up
    with one name)."""
    await ensure_settings(session, guild_id, now)
    await session.execute(
        update(GuildSettings).where(GuildSettings.guild_id == guild_id).values(updated_at=now),
        execution_options={"synchronize_session": False},
    )
    # (a guild whose themes were never stored: the defaults it was shown, stored first)
    themes = await _stored_themes(session, guild_id) or await _store_default_themes(session, guild_id)
    change = decide(themes)
    row = change.row
    if change.before is None:
        session.add(
            GuildTheme(guild_id=guild_id, key=row.key, label=row.label, enabled=row.enabled, position=len(themes))
        )
    else:
        await session.execute(
            update(GuildTheme)
            .where(GuildTheme.guild_id == guild_id, GuildTheme.key == row.key)
            .values(label=row.label, enabled=row.enabled),
            execution_options={"synchronize_session": False},
        )
    await session.flush()
    return change
