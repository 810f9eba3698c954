"""The simulated server Lantern runs in for tests, screenshots and the demo: a guild with Lantern's
channels, a member or two and a moderator, configured through `/setup` itself.

tests/conftest.py builds its `world` fixtures from here; tools/screenshots.py and tools/demo.py add
seeded members and content on top (tools/seed.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import discord
from pydantic import SecretStr
from simcord import ChannelHandle, Env, GuildHandle, MemberActor, RoleHandle

from bot import LanternBot, create_bot
from config import Settings


def make_settings(db_url: str) -> Settings:
    """Settings for a bot under SimCord: a fake token, no background scheduler, commands synced on start."""
    return Settings(
        discord_token=SecretStr("test-token-not-real"),
        database_url=db_url,
        scheduler_enabled=False,
        sync_commands_on_start=True,
        shard_count=1,
        freeze_heap_on_ready=False,  # tests build hundreds of bots in one process; frozen objects are never freed
        _env_file=None,  # type: ignore[call-arg]  # a pydantic-settings init option mypy only sees with its plugin
    )


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
        return cast(LanternBot, self.env.bot)

    async def restart(self) -> LanternBot:
        """Replace the bot with a brand-new one on the same database, as a process restart would."""
        old = self.bot
        await self.env.restart_bot(create_bot(self.settings))
        await old.close()
        self.old_bots.append(old)
        return self.bot

    def add_member(self, name: str, **kwargs: Any) -> MemberActor:
        return self.guild.add_member(self.env.create_user(name), **kwargs)


async def build_world(
    env: Env,
    settings: Settings,
    *,
    configure: bool = True,
    guild_name: str = "Lantern Community",
    names: tuple[str, str, str] = ("alice", "bob", "stella"),
    user_options: dict[str, dict[str, Any]] | None = None,
) -> World:
    """The guild with every feature channel; with `configure`, set up through `/setup channels`.

    `names` are the usernames of the two members and the moderator; `user_options` passes extra
    `env.create_user` options (a display name, an avatar) per username.
    """
    options = user_options or {}
    first, second, moderator = names

    def user(name: str) -> Any:
        return env.create_user(name, **options.get(name, {}))

    guild = env.create_guild(guild_name)
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
        alice=guild.add_member(user(first)),
        bob=guild.add_member(user(second)),
        mod=guild.add_member(user(moderator), roles=[mod_role]),
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
