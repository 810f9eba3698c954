"""Rules every command obeys, checked over the whole command tree."""

from __future__ import annotations

import importlib

import discord
import pytest
from discord import app_commands

from bot import EXTENSIONS, LanternBot

MEMBER_GROUPS = {"intro", "mentor", "circle", "prompt", "resource", "privacy"}
MEMBER_COMMANDS = {"about", "View intro", "support", "Report to moderators"}


def walk(bot: LanternBot) -> list[app_commands.Command | app_commands.Group]:
    found: list[app_commands.Command | app_commands.Group] = []
    stack = list(bot.tree.get_commands())
    while stack:
        item = stack.pop()
        if isinstance(item, app_commands.ContextMenu):
            continue
        found.append(item)
        if isinstance(item, app_commands.Group):
            stack.extend(item.commands)
    return found


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_every_extension_imports_and_has_setup(extension: str) -> None:
    """Each listed extension imports cleanly and exposes setup(bot)."""
    module = importlib.import_module(extension)
    assert callable(module.setup)


async def test_command_names_are_unique(loaded_bot: LanternBot) -> None:
    """No two top-level commands share a name, and no group has two children with one name."""
    names = [c.name for c in loaded_bot.tree.get_commands(type=discord.AppCommandType.chat_input)]
    assert len(names) == len(set(names))
    for item in walk(loaded_bot):
        if isinstance(item, app_commands.Group):
            children = [c.name for c in item.commands]
            assert len(children) == len(set(children)), item.qualified_name


async def test_every_command_and_option_is_described(loaded_bot: LanternBot) -> None:
    """Members read a description for every command and every option."""
    for item in walk(loaded_bot):
        assert item.description and item.description != "…", f"/{item.qualified_name} has no description"
        if isinstance(item, app_commands.Command):
            for parameter in item.parameters:
                assert parameter.description and parameter.description != "…", (
                    f"/{item.qualified_name} option {parameter.name} has no description"
                )


async def test_every_command_is_guild_only(loaded_bot: LanternBot) -> None:
    """All of Lantern works inside a server only."""
    for item in loaded_bot.tree.get_commands():
        assert item.guild_only, f"{item.name} is not guild-only"


async def test_moderator_groups_are_hidden_from_members(loaded_bot: LanternBot) -> None:
    """Every top-level command that is not a member command requires Manage Server by default."""
    for item in loaded_bot.tree.get_commands():
        if item.name in MEMBER_GROUPS or item.name in MEMBER_COMMANDS:
            assert item.default_permissions is None, f"{item.name} should be visible to members"
        else:
            assert item.default_permissions is not None, f"{item.name} is visible to members"
            assert item.default_permissions.manage_guild, f"{item.name} should need Manage Server"
