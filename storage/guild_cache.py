"""Per-process copies of the guild configuration that nearly every interaction reads.

The mod-log channel and the enabled themes are read by most commands and by every mod-log post, and
change a few times in a guild's life. Reading them costs a unit of work each time (about 0.6 ms of the
event loop per read on the benchmark machine, more than the rest of a simple command), so the process
keeps a copy per guild: the whole settings row and the support settings too, so that `/setup show`
reads nothing.

Why a copy stays right: the database is still the source of truth, and the copy is dropped whenever it
may differ from it.

* Every write session of this process that touches `guild_settings`, `guild_themes` or `care_support` (an ORM flush of
  those rows, or an INSERT, UPDATE or DELETE statement on those tables) drops the guild's copy (or all
  copies, when the statement names no single guild) once the transaction has committed.
* Except when the session's only such statement was `storage.guilds.update_settings`'s UPDATE of one guild's
  settings row, which returns the row as written (`settings_written`): then that guild's copy takes the new row at
  commit, and the other guilds' copies stay. Dropping it made every interaction of the guild in flight read the
  configuration again (a quarter of the interactions in the load benchmark's bursts, where `/setup options` is one
  in eight; docs/scale.md, "Bursts, second pass").
* A read that started before such a commit does not store what it read (a generation counter), so a
  copy can't be older than the last commit this process made.
* A guild's interactions and due work reach only the process that holds its shard (see
  `LanternBot.owns_guild`), so writes from another process are not expected; copies also expire after
  `MAX_AGE` as a backstop for a write made elsewhere (a misconfigured second process, a manual fix).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, event, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from config import default_theme_pairs
from core.lru import LRU
from storage.models import GuildSettings, GuildTheme
from storage.models.care import CareSupport

MAX_AGE = timedelta(minutes=5)
MAX_GUILDS = 5000  # the default of CACHE_SIZE: the least recently used guild's copy goes first
INFO_KEY = "guild_config_cache"
_DIRTY_KEY = "guild_config_dirty"
_MARKS_KEY = "guild_config_marks"  # how many statements or flushes of the session touched the tables below
_WRITTEN_KEY = "guild_config_written"  # (guild id, settings row) from update_settings, while it is the only mark
_EVERY_GUILD = -1
_MODELS = (GuildSettings, GuildTheme, CareSupport)
_TABLES = frozenset(model.__table__ for model in _MODELS)
_SETTINGS_COLUMNS = tuple(GuildSettings.__table__.columns)
_SETTINGS_KEYS = tuple(column.key for column in _SETTINGS_COLUMNS)


@dataclass(frozen=True, slots=True)
class SupportRow:
    """The guild's support settings as stored (`storage.models.care.CareSupport`)."""

    channel_id: int | None
    people: str | None
    helplines: str | None  # JSON, or None for the default directory


@dataclass(frozen=True, slots=True)
class GuildConfig:
    """What most interactions need to know about their guild."""

    modlog_channel_id: int | None
    themes: tuple[tuple[str, str], ...]  # (key, label) of the enabled themes, in order
    settings: tuple[tuple[str, Any], ...] | None = None  # the settings row, (column, value); None before /setup
    support: SupportRow | None = None  # None until /setup support
    themes_off: tuple[tuple[str, str], ...] = ()  # (key, label) of the themes turned off (`/setup themes`)

    @property
    def theme_labels(self) -> dict[str, str]:
        """Every theme's label by key, the ones turned off too (what members chose earlier keeps its name)."""
        return dict(self.themes_off) | dict(self.themes)

    def settings_row(self) -> GuildSettings | None:
        """A detached copy of the settings row (never added to a session), or None before the first /setup."""
        return None if self.settings is None else GuildSettings(**dict(self.settings))


# The settings row with its support settings and themes, in one statement: no row when the guild has no settings
# yet, one row with no theme when it has settings but no theme.
_CONFIG = (
    select(
        *_SETTINGS_COLUMNS,
        CareSupport.guild_id,
        CareSupport.channel_id,
        CareSupport.people,
        CareSupport.helplines,
        GuildTheme.enabled,
        GuildTheme.key,
        GuildTheme.label,
    )
    .select_from(GuildSettings)
    .outerjoin(GuildTheme, GuildTheme.guild_id == GuildSettings.guild_id)
    .outerjoin(CareSupport, CareSupport.guild_id == GuildSettings.guild_id)
    .where(GuildSettings.guild_id == bindparam("guild_id"))
    .order_by(GuildTheme.position, GuildTheme.key)
)
_WIDTH = len(_SETTINGS_COLUMNS)
_MODLOG = _SETTINGS_COLUMNS.index(GuildSettings.__table__.c.modlog_channel_id)


async def load_guild_config(reader: AsyncSession | AsyncConnection, guild_id: int) -> GuildConfig:
    rows = (await reader.execute(_CONFIG, {"guild_id": guild_id})).all()
    themes = tuple((row[-2], row[-1]) for row in rows if row[-2] is not None and row[-3])
    themes_off = tuple((row[-2], row[-1]) for row in rows if row[-2] is not None and not row[-3])
    # As `storage.guilds.enabled_themes`: the default themes until the guild has any enabled.
    if not rows:
        return GuildConfig(None, themes or default_theme_pairs())
    first = rows[0]
    settings = tuple((column.key, value) for column, value in zip(_SETTINGS_COLUMNS, first[:_WIDTH], strict=True))
    support_guild, channel_id, people, helplines = first[_WIDTH : _WIDTH + 4]
    return GuildConfig(
        first[_MODLOG],
        themes or default_theme_pairs(),
        settings,
        None if support_guild is None else SupportRow(channel_id, people, helplines),
        themes_off,
    )


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

    def settings_changed(self, guild_id: int, settings: tuple[tuple[str, Any], ...]) -> None:
        """A commit changed only this guild's settings row, to `settings`: its copy takes the row (keeping its
        themes, its support settings and its age, so MAX_AGE still counts from the last full load), other guilds'
        copies stay, and reads that overlapped the commit are not kept, as after `invalidate`."""
        found = self._copies.get(guild_id) if self.get(guild_id) is not None else None  # get drops an expired copy
        self.invalidate({guild_id})
        if found is None or found[1].settings is None:
            return
        stored_at, config = found
        changed = replace(config, modlog_channel_id=settings[_MODLOG][1], settings=settings)
        self._copies[guild_id] = (stored_at, changed)


# --------------------------------------------------------------------------- noticing writes


class WriteSession(Session):
    """The session class of `Database.write()`: the listeners below watch these only. Read sessions (most units
    of work) carry no listener, so each of their statements skips SQLAlchemy's per-execute event state."""


def _mark(session: Session, guild_ids: set[int]) -> None:
    if INFO_KEY in session.info:
        session.info.setdefault(_DIRTY_KEY, set()).update(guild_ids)
        session.info[_MARKS_KEY] = session.info.get(_MARKS_KEY, 0) + 1


def settings_written(session: AsyncSession, guild_id: int, row: Sequence[Any]) -> None:
    """Called by `storage.guilds.update_settings` with the row its UPDATE returned (every column of the settings
    table, in order). If that UPDATE is the only statement of the session to have touched the configuration
    tables so far, and nothing else does before the commit, the guild's copy takes the row at commit instead of
    being dropped with every other guild's (see the module's docstring)."""
    if session.info.get(_MARKS_KEY) == 1:
        session.info[_WRITTEN_KEY] = (guild_id, tuple(zip(_SETTINGS_KEYS, row, strict=True)))


@event.listens_for(WriteSession, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    touched = {obj.guild_id for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, _MODELS)}
    if touched:
        _mark(session, {_EVERY_GUILD if guild_id is None else guild_id for guild_id in touched})


@event.listens_for(WriteSession, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table: Any = getattr(state.statement, "table", None)
    if table is None or table in _TABLES:  # a textual statement may touch anything
        _mark(state.session, {_EVERY_GUILD})


@event.listens_for(WriteSession, "after_commit")
def _after_commit(session: Session) -> None:
    dirty = session.info.pop(_DIRTY_KEY, None)
    marks = session.info.pop(_MARKS_KEY, 0)
    written = session.info.pop(_WRITTEN_KEY, None)
    if written is not None and marks == 1:
        session.info[INFO_KEY].settings_changed(*written)
    elif dirty:
        session.info[INFO_KEY].invalidate(dirty)


@event.listens_for(WriteSession, "after_rollback")
def _after_rollback(session: Session) -> None:
    for key in (_DIRTY_KEY, _MARKS_KEY, _WRITTEN_KEY):
        session.info.pop(key, None)
