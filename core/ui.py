"""Base classes for views, modals and persistent buttons that report errors through the funnel."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self, cast

import discord
from discord.ext import commands

from core import logcontext
from core.text import strip_control

if TYPE_CHECKING:
    from core.tree import LanternTree


async def funnel(interaction: discord.Interaction, error: BaseException) -> None:
    # The client is always the bot, built with tree_cls=LanternTree, whose on_error takes any exception.
    tree = cast("LanternTree", cast(commands.Bot, interaction.client).tree)
    await tree.on_error(interaction, error)


class LanternView(discord.ui.View):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        logcontext.bind(interaction)
        return True

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        await funnel(interaction, error)


class LanternModal(discord.ui.Modal):
    """A modal whose fields sit in Labels (type 18), as Discord's docs now ask, not in action rows."""

    def add_field(
        self, text: str, field: discord.ui.TextInput[Any], *, description: str | None = None
    ) -> discord.ui.TextInput[Any]:
        """Add `field` under a Label showing `text` (up to 45 characters) and `description` (up to 100)."""
        self.add_item(discord.ui.Label(text=text, description=description, component=field))
        return field

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        logcontext.bind(interaction)
        # Runs after discord.py filled the fields and before on_submit: no control characters reach it.
        # walk_children descends into each Label, so it reaches every TextInput.
        for child in self.walk_children():
            if isinstance(child, discord.ui.TextInput) and child._value is not None:
                child._value = strip_control(child._value)
        return True

    # discord.py's Modal.on_error itself drops BaseView.on_error's `item` argument; this matches Modal.
    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await funnel(interaction, error)


class PersistentButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"lantern:abstract-base"):
    """A button whose custom id carries the ids it needs, so it works after a restart.

    Subclasses declare `template=` and implement `handle(interaction)`.
    discord.py swallows errors from dynamic items; this routes them to the funnel.
    """

    async def callback(self, interaction: discord.Interaction) -> None:
        logcontext.bind(interaction)
        try:
            await self.handle(interaction)
        except Exception as error:
            await funnel(interaction, error)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        """Rebuild the button from its custom id: each named group of `template` is passed to the
        constructor by name, and groups made only of digits become ints. Override for anything else."""
        # Any: the values go to the subclass's own constructor, whose parameters mypy can't see from here.
        values: dict[str, Any] = {
            name: int(value) if value.isdigit() else value for name, value in match.groupdict().items()
        }
        return cls(**values)

    async def handle(self, interaction: discord.Interaction) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
