"""The command list Lantern registers, exactly as `./lantern sync` sends it, is within Discord's rules.

A sync replaces the whole list in one request, so one bad option refuses every command. These tests build
the payload the way discord.py's `CommandTree.sync` builds it (global, and for one guild as
`sync --guild` sends it), context menus included, and check it against the contract. The plugin checks
the same request again whenever a test's bot syncs through SimCord.
"""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from bot import LanternBot
from tests.conftest import World
from tests.contract.plugin import ContractLog
from tests.contract.rules import check_commands
from tests.contract.schema import schema_errors

GUILD_ID = 1234567890123456789


def contract(path: str, payload: list[dict[str, object]]) -> list[str]:
    return schema_errors("PUT", path, payload) + check_commands(payload, f"PUT {path}")


async def test_the_global_sync_payload_is_within_discords_rules(world: World) -> None:
    """What sync sends globally is what the contract passes, slash commands and the context menu alike."""
    payload = world.bot.command_payload()
    synced = [e.json for e in world.env.http_requests if e.method == "PUT" and e.path.endswith("/commands")]
    assert synced[-1] == payload  # the payload checked here is the one the bot really sent
    assert contract("/applications/1/commands", payload) == []
    assert {c["name"] for c in payload if c.get("type", 1) == 2} == {"View intro"}
    assert len(payload) >= 10


async def test_the_guild_sync_payload_is_within_discords_rules(world: World) -> None:
    """`sync --guild ID` copies the global commands to the guild: the same list, within the same rules."""
    global_names = sorted(c["name"] for c in world.bot.command_payload())
    payload = world.bot.command_payload(GUILD_ID)
    assert sorted(c["name"] for c in payload) == global_names
    assert contract(f"/applications/1/guilds/{GUILD_ID}/commands", payload) == []


async def test_a_bound_past_discords_largest_integer_is_caught(loaded_bot: LanternBot) -> None:
    """The defect that once refused every command (`Range[int, 1, 2**53]`) cannot pass the contract again."""

    @app_commands.command(name="pick", description="Pick a number")
    async def pick(interaction: discord.Interaction, number: app_commands.Range[int, 1, 2**53]) -> None:
        raise AssertionError("never run")

    loaded_bot.tree.add_command(pick)
    found = contract("/applications/1/commands", loaded_bot.command_payload())
    assert any("pick" in v and "9007199254740992" in v for v in found), found


async def test_the_plugin_refuses_what_discord_would_refuse(world: World, discord_contract: ContractLog) -> None:
    """A message past Discord's limits gets Discord's answer (400, 50035), names the rule, and posts nothing."""
    channel = world.bot.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    before = len(world.general.history())
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("x" * 2001)
    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert any(".content: 2001 characters" in v for v in discord_contract.take())
    assert len(world.general.history()) == before
    await channel.send("x" * 2000)
    assert len(world.general.history()) == before + 1
