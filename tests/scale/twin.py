"""The same small world, built identically in two SimCord Envs (two bot processes on one database).

SimCord's snowflakes come from its virtual clock (which starts at 2026-01-01T00:00Z in every Env) and a
per-millisecond sequence, so two Envs that start the same bot and then create the same things in the same
order get the same ids. The guild id is pinned anyway; the test checks the channel ids agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord
from simcord import ChannelHandle, Env, GuildHandle, MemberActor

from config import Settings
from tools.world import make_settings

GUILD_ID = 1_300_000_000_000_000_001


def twin_settings(database_url: str) -> Settings:
    return make_settings(database_url)


@dataclass
class Twin:
    guild: GuildHandle
    general: ChannelHandle
    prompts: ChannelHandle
    mod: MemberActor


async def build_twin(env: Env) -> Twin:
    guild = env.create_guild("Lantern Community", id=GUILD_ID)
    general = guild.create_text_channel("general")
    prompts = guild.create_text_channel("prompts")
    mod_role = guild.create_role("Moderators", permissions=discord.Permissions(manage_guild=True))
    mod = guild.add_member(env.create_user("stella"), roles=[mod_role])
    await env.settle()
    return Twin(guild, general, prompts, mod)


def prompt_posts_in(channel: ChannelHandle) -> list[discord.Message]:
    return [m for m in channel.history() if m.embeds and (m.embeds[0].footer.text or "").startswith("Prompt #")]
