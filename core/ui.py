"""Base classes for views, modals and persistent buttons that report errors through the funnel."""

from __future__ import annotations

import re
from typing import Any, Self

import discord

from core import logcontext


async def funnel(interaction: discord.Interaction, error: BaseException) -> None:
    await interaction.client.tree.on_error(interaction, error)  # type: ignore[attr-defined,arg-type]


class LanternView(discord.ui.View):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        logcontext.bind(interaction)
        return True

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        await funnel(interaction, error)


class LanternModal(discord.ui.Modal):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        logcontext.bind(interaction)
        return True

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await funnel(interaction, error)


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"lantern:abstract-base"):
    """A button whose custom id carries the ids it needs, so it works after a restart.

    Subclasses declare `template=` and implement `handle(interaction)`.
    discord.py swallows errors from dynamic items; this routes them to the funnel.
    """

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        logcontext.bind(interaction)
        try:
            await self.handle(interaction)
        except Exception as error:
            await funnel(interaction, error)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> Self:
        """Rebuild the button from its custom id: each named group of `template` is passed to the
        constructor by name, and groups made only of digits become ints. Override for anything else."""
        values = {name: int(value) if value.isdigit() else value for name, value in match.groupdict().items()}
        return cls(**values)

    async def handle(self, interaction: discord.Interaction) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
