"""The test world: a guild with Lantern's channels, a member or two and a moderator,
configured through `/setup` itself, on a real SQLite file with migrations applied.

Set LANTERN_TEST_BACKEND=postgres (and LANTERN_TEST_POSTGRES_URL) to run the whole suite
against PostgreSQL: every test then gets a fresh database of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
from simcord import ChannelHandle, Env, GuildHandle, MemberActor, RoleHandle

from bot import LanternBot, create_bot
from config import Settings

POSTGRES_URL = os.environ.get("LANTERN_TEST_POSTGRES_URL", "")
BACKEND = os.environ.get("LANTERN_TEST_BACKEND", "sqlite")


def _admin_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def create_postgres_database() -> str:
    """Create an empty PostgreSQL database and return its URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(POSTGRES_URL)
    name = f"lantern_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(
        user=base.username, password=base.password, host=base.host, port=base.port or 5432, database=base.database
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(POSTGRES_URL)
    name = make_url(url).database
    conn = await asyncpg.connect(
        user=base.username, password=base.password, host=base.host, port=base.port or 5432, database=base.database
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def postgres_url_required() -> str:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set LANTERN_TEST_POSTGRES_URL (.ci/run does) to run this test")
    return POSTGRES_URL


@pytest.fixture
async def pg_url(postgres_url_required: str) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    url = await create_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@pytest.fixture
async def db_url(tmp_path: Any) -> AsyncIterator[str]:
    """The database the bot under test uses: a SQLite file, or a fresh PostgreSQL database."""
    if BACKEND == "postgres":
        if not POSTGRES_URL:
            pytest.fail("LANTERN_TEST_BACKEND=postgres needs LANTERN_TEST_POSTGRES_URL")
        url = await create_postgres_database()
        try:
            yield url
        finally:
            await drop_postgres_database(url)
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'lantern.db'}"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        discord_token="test-token-not-real",
        database_url=db_url,
        scheduler_enabled=False,
        sync_commands_on_start=True,
        shard_count=1,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(autouse=True)
def fast_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """SimCord polls for quiet every 50 ms; 2 ms keeps the suite fast (private API, SimCord 3.2.1)."""
    from simcord.env import Env as _Env

    monkeypatch.setitem(_Env._settle_internal.__kwdefaults__, "idle", 0.002)


@pytest.fixture
def simcord_bot(settings: Settings) -> LanternBot:
    return create_bot(settings)


@dataclass
class World:
    env: Env
    settings: Settings
    guild: GuildHandle
    general: ChannelHandle
    intro: ChannelHandle
    welcome: ChannelHandle
    prompts: ChannelHandle
    resources: ChannelHandle
    mentorship: ChannelHandle
    modlog: ChannelHandle
    mod_role: RoleHandle
    alice: MemberActor
    bob: MemberActor
    mod: MemberActor
    old_bots: list[LanternBot] = field(default_factory=list)

    @property
    def bot(self) -> LanternBot:
        return self.env.bot  # type: ignore[return-value]

    async def restart(self) -> LanternBot:
        """Replace the bot with a brand-new one on the same database, as a process restart would."""
        old = self.bot
        await self.env.restart_bot(create_bot(self.settings))
        await old.close()
        self.old_bots.append(old)
        return self.bot

    def add_member(self, name: str, **kwargs: Any) -> MemberActor:
        return self.guild.add_member(self.env.create_user(name), **kwargs)


async def build_world(env: Env, settings: Settings, *, configure: bool = True) -> World:
    guild = env.create_guild("Lantern Community")
    mod_role = guild.create_role("Moderators", permissions=discord.Permissions(manage_guild=True))
    world = World(
        env=env,
        settings=settings,
        guild=guild,
        general=guild.create_text_channel("general"),
        intro=guild.create_text_channel("introductions"),
        welcome=guild.create_text_channel("welcome"),
        prompts=guild.create_text_channel("prompts"),
        resources=guild.create_text_channel("resources"),
        mentorship=guild.create_text_channel("mentorship"),
        modlog=guild.create_text_channel("mod-log"),
        mod_role=mod_role,
        alice=guild.add_member(env.create_user("alice")),
        bob=guild.add_member(env.create_user("bob")),
        mod=guild.add_member(env.create_user("stella"), roles=[mod_role]),
    )
    await env.settle()
    if configure:
        await world.mod.slash(
            world.general,
            "setup channels",
            intro=world.intro,
            welcome=world.welcome,
            prompts=world.prompts,
            resources=world.resources,
            mentorship=world.mentorship,
            modlog=world.modlog,
        )
    return world


@pytest.fixture
async def world(simcord_env: Env, settings: Settings) -> AsyncIterator[World]:
    """A configured guild: every feature channel set through `/setup channels`."""
    world = await build_world(simcord_env, settings)
    yield world
    await world.bot.close()


@pytest.fixture
async def bare_world(simcord_env: Env, settings: Settings) -> AsyncIterator[World]:
    """The same guild before any moderator has run `/setup`."""
    world = await build_world(simcord_env, settings, configure=False)
    yield world
    await world.bot.close()
