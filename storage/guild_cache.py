"""Per-process copies of the guild configuration that nearly every interaction reads.

The mod-log channel and the enabled themes are read by most commands and by every mod-log post, and
change a few times in a guild's life. Reading them costs a unit of work each time (about 0.6 ms of the
event loop per read on the benchmark machine, more than the rest of a simple command), so the process
keeps a copy per guild.

Why a copy stays right: the database is still the source of truth, and the copy is dropped whenever it
may differ from it.

* Every write session of this process that touches `guild_settings` or `guild_themes` (an ORM flush of
  those rows, or an INSERT, UPDATE or DELETE statement on those tables) drops the guild's copy (or all
  copies, when the statement names no single guild) once the transaction has committed.
* A read that started before such a commit does not store what it read (a generation counter), so a
  copy can't be older than the last commit this process made.
* A guild's interactions and due work reach only the process that holds its shard (see
  `LanternBot.owns_guild`), so writes from another process are not expected; copies also expire after
  `MAX_AGE` as a backstop for a write made elsewhere (a misconfigured second process, a manual fix).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from config import default_theme_pairs
from core.lru import LRU
from storage.models import GuildSettings, GuildTheme

MAX_AGE = timedelta(minutes=5)
MAX_GUILDS = 5000  # the default of CACHE_SIZE: the least recently used guild's copy goes first
INFO_KEY = "guild_config_cache"
_DIRTY_KEY = "guild_config_dirty"
_EVERY_GUILD = -1
_TABLES = frozenset({GuildSettings.__table__, GuildTheme.__table__})


@dataclass(frozen=True, slots=True)
class GuildConfig:
    """What most interactions need to know about their guild."""

    modlog_channel_id: int | None
    themes: tuple[tuple[str, str], ...]  # (key, label) of the enabled themes, in order

    @property
    def theme_labels(self) -> dict[str, str]:
        return dict(self.themes)


# The settings row with its enabled themes, in one statement: no row when the guild has no settings yet,
# one row with no theme when it has settings but no enabled theme.
_CONFIG = (
    select(GuildSettings.modlog_channel_id, GuildTheme.key, GuildTheme.label)
    .outerjoin(GuildTheme, and_(GuildTheme.guild_id == GuildSettings.guild_id, GuildTheme.enabled.is_(True)))
    .where(GuildSettings.guild_id == bindparam("guild_id"))
    .order_by(GuildTheme.position, GuildTheme.key)
)


async def load_guild_config(session: AsyncSession, guild_id: int) -> GuildConfig:
    rows = (await session.execute(_CONFIG, {"guild_id": guild_id})).all()
    themes = tuple((key, label) for _, key, label in rows if key is not None)
    # As `storage.guilds.enabled_themes`: the default themes until the guild has any enabled.
    return GuildConfig(rows[0][0] if rows else None, themes or default_theme_pairs())


class GuildConfigCache:
    """Copies of `GuildConfig` by guild id; see the module's docstring for why they stay right."""

    def __init__(
        self, clock: Callable[[], datetime], *, max_age: timedelta = MAX_AGE, max_guilds: int = MAX_GUILDS
    ) -> None:
        self._clock = clock
        self._max_age = max_age
        self._copies: LRU[int, tuple[datetime, GuildConfig]] = LRU(max_guilds)
        self.generation = 0  # moves on every invalidation; a read stores its result only if it hasn't moved

    def get(self, guild_id: int) -> GuildConfig | None:
        found = self._copies.get(guild_id)
        if found is None:
            return None
        stored_at, config = found
        if self._clock() - stored_at >= self._max_age:
            del self._copies[guild_id]
            return None
        return config

    def store(self, guild_id: int, config: GuildConfig, generation: int) -> None:
        """Keep `config`, read while the cache was at `generation`, unless a commit has come since."""
        if generation == self.generation:
            self._copies[guild_id] = (self._clock(), config)

    def invalidate(self, guild_ids: set[int]) -> None:
        self.generation += 1
        if _EVERY_GUILD in guild_ids:
            self._copies.clear()
            return
        for guild_id in guild_ids:
            self._copies.pop(guild_id, None)


# --------------------------------------------------------------------------- noticing writes


def _mark(session: Session, guild_ids: set[int]) -> None:
    if INFO_KEY in session.info:
        session.info.setdefault(_DIRTY_KEY, set()).update(guild_ids)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    touched = {
        obj.guild_id
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, GuildSettings | GuildTheme)
    }
    if touched:
        _mark(session, {_EVERY_GUILD if guild_id is None else guild_id for guild_id in touched})


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table: Any = getattr(state.statement, "table", None)
    if table is None or table in _TABLES:  # a textual statement may touch anything
        _mark(state.session, {_EVERY_GUILD})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    dirty = session.info.pop(_DIRTY_KEY, None)
    if dirty:
        session.info[INFO_KEY].invalidate(dirty)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_DIRTY_KEY, None)
