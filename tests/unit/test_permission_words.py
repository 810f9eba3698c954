"""core/permissions.py and the error funnel name permissions in Discord's words, and only the missing ones."""

from __future__ import annotations

import discord
from discord import app_commands

from core import permissions
from core.tree import describe_error


def test_words_are_discords_own_names() -> None:
    """Attribute names become the names Edit Channel → Permissions shows."""
    assert [permissions.word(n) for n in ("embed_links", "send_messages_in_threads", "manage_guild")] == [
        "Embed Links",
        "Send Messages in Threads",
        "Manage Server",
    ]


def test_the_funnel_names_the_permissions_the_check_found_missing() -> None:
    """A failed permission check names exactly what it found missing, not a fixed permission."""
    member = describe_error(app_commands.MissingPermissions(["manage_messages"]))
    assert member == "You need the Manage Messages permission for that."
    bot = describe_error(app_commands.BotMissingPermissions(["send_messages", "embed_links"]))
    assert (
        bot == "I'm missing a permission I need here: Send Messages and Embed Links. Please ask an admin to grant it."
    )


def test_discord_said_repeats_status_text_and_code() -> None:
    """What Discord answered, briefly, for a mod-log line."""

    class Response:
        status = 503
        reason = "Service Unavailable"

    error = discord.HTTPException(Response(), {"message": "upstream connect error", "code": 0})  # type: ignore[arg-type]
    assert permissions.discord_said(error) == "Discord answered 503: upstream connect error"
