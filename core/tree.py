"""The one error funnel: every app command, button and modal failure ends here."""

from __future__ import annotations

import logging
from typing import Any, cast

import discord
from discord import app_commands

from core import answers, logcontext, permissions
from core.errors import LanternError
from core.text import clean_options, join_words

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side and I couldn't finish that. I've logged it for the server's admins."


def describe_error(error: BaseException) -> str | None:
    """The member-facing sentence for an expected error, or None for an unexpected one."""
    if isinstance(error, LanternError):
        return error.user_message()
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command works inside a server, not in DMs."
    if isinstance(error, app_commands.MissingPermissions):  # the permissions Discord's check found missing
        needed = join_words([permissions.word(name) for name in error.missing_permissions])
        return f"You need the {needed} permission for that."
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = join_words([permissions.word(name) for name in error.missing_permissions])
        return f"I'm missing a permission I need here: {missing}. Please ask an admin to grant it."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"That was used a moment ago. Please try again in {error.retry_after:.0f} seconds."
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't understand `{error.value}` there. Please pick a value from the list."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that here."
    return None


def unwrap(error: BaseException) -> BaseException:
    while isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return error


async def send_ephemeral(interaction: discord.Interaction, content: str) -> None:
    """Reply privately whether or not the interaction was already answered."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())
        else:
            await interaction.response.send_message(
                content, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException:
        log.warning("could not deliver an error message for interaction %s", interaction.id)


async def report(interaction: discord.Interaction, error: BaseException, *, where: str) -> None:
    error = unwrap(error)
    message = describe_error(error)
    if message is None:
        log.error(
            "unexpected error in %s (guild=%s user=%s)",
            where,
            interaction.guild_id,
            interaction.user.id if interaction.user else None,
            exc_info=error,
        )
        message = APOLOGY
    await send_ephemeral(interaction, message)


def where(interaction: discord.Interaction) -> str:
    """A short name for what the member was doing, for logs."""
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data = cast(dict[str, Any], interaction.data or {})  # a union of TypedDicts; only custom_id is read
    return f"{interaction.type.name} {data.get('custom_id', '?')}"


class LanternTree(app_commands.CommandTree[Any]):
    """Passed to the bot as `tree_cls`. Buttons and modals route their errors here too."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        logcontext.bind(interaction)  # runs in the command's own task: its log lines name it
        answers.opened(interaction)
        # Runs before discord.py reads the options: every command sees text without control characters.
        data = cast(dict[str, Any], interaction.data or {})  # a union of TypedDicts; options are read and cleaned
        clean_options(data.get("options", []))
        return True

    async def on_error(self, interaction: discord.Interaction, error: BaseException) -> None:
        await report(interaction, error, where=where(interaction))
