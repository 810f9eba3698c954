"""Posting a library card, or saying truthfully why it couldn't be posted.

Before anything is stored, `check_postable` reads Lantern's permissions in the library channel. At post
time a transient failure (a 5xx, a 429, a dropped connection) is tried again a few times, quickly; a 403,
a deleted channel or a failure that outlasts the attempts raises `CardNotPosted`, whose `why` names the
missing permission only when `permissions_for` shows it is missing (core/permissions.py) and otherwise
repeats what Discord said. The callers then undo what they stored, so nothing in the library is left
without a card that nobody can see.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import aiohttp
import discord

from core import permissions
from core.text import NO_MENTIONS, join_words, unlink

log = logging.getLogger(__name__)
T = TypeVar("T")

NEEDED = permissions.POST_EMBED
# Pauses between attempts after a transient failure: three attempts within a few seconds. discord.py has
# already retried a 500/502/504 itself before we see it; a 503, a 429 or a dropped connection we retry here.
RETRY_DELAYS: tuple[float, ...] = (1.0, 3.0)

PERMISSION = "permission"  # Lantern lacks a permission in the channel (permissions_for says so)
REFUSED = "refused"  # Discord answered 403 although the permissions look right
GONE = "gone"  # the channel was deleted
UNAVAILABLE = "unavailable"  # Discord kept failing (5xx, 429, connection)


@dataclass(eq=False)
class CardNotPosted(Exception):
    """The library card could not be posted in `channel`."""

    kind: str
    channel: discord.TextChannel
    why: str  # for moderators, in plain words: "I need Embed Links in #resources", or what Discord said
    lacking: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.why

    @property
    def tells_moderators(self) -> bool:
        """Whether moderators can fix it (and are told in the mod-log); Discord's outages they can't."""
        return self.kind != UNAVAILABLE

    def problem(self) -> str:
        """What went wrong, for the member or moderator who was acting."""
        where = self.channel.mention
        if self.kind == PERMISSION:
            return (
                f"I can't post in the library channel {where} right now: I'm missing {join_words(self.lacking)} there"
            )
        if self.kind == REFUSED:
            return f"Discord didn't let me post in the library channel {where} just now"
        if self.kind == GONE:
            return "The library channel was deleted"
        return f"Discord kept failing when I posted the card in {where}"


def shared_what(title: str, submitter_id: int | None) -> str:
    """A shared link as the mod-log names it."""
    by = f", shared by <@{submitter_id}>" if submitter_id else ""
    return f"“{unlink(title)}”{by}"


def check_postable(channel: discord.TextChannel) -> CardNotPosted | None:
    """A refusal before anything is stored, if Lantern lacks what a card needs in `channel`."""
    lacking = permissions.missing_for_me(channel, *NEEDED)
    if not lacking:
        return None
    return CardNotPosted(PERMISSION, channel, permissions.describe(channel, lacking), lacking)


def transient(error: BaseException) -> bool:
    """A failure worth trying again in a moment."""
    if isinstance(error, discord.HTTPException):
        return error.status >= 500 or error.status == 429
    return isinstance(error, aiohttp.ClientError | TimeoutError | OSError)


async def with_retries(call: Callable[[], Awaitable[T]]) -> T:
    """`call()`, tried again after each transient failure while RETRY_DELAYS last; then the last error."""
    delays = iter(RETRY_DELAYS)
    while True:
        try:
            return await call()
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
            delay = next(delays, None)
            if not transient(error) or delay is None:
                raise
            log.info("a library card request failed (%s); trying again in %.0f s", error, delay)
            await asyncio.sleep(delay)


def failed(channel: discord.TextChannel, error: BaseException, *needed: str) -> str:
    """Why a request in `channel` failed, truthfully (core/permissions.py)."""
    if isinstance(error, discord.HTTPException):
        return permissions.refusal(channel, error, *needed)
    return f"my connection to Discord failed ({type(error).__name__})"


async def send_card(channel: discord.TextChannel, embed: discord.Embed, view: discord.ui.View) -> discord.Message:
    """Post the card, trying again after transient failures; CardNotPosted when it can't be posted."""
    try:
        return await with_retries(lambda: channel.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS))
    except discord.Forbidden as error:
        lacking = permissions.missing_for_me(channel, *NEEDED)
        kind = PERMISSION if lacking else REFUSED
        raise CardNotPosted(kind, channel, failed(channel, error, *NEEDED), lacking) from error
    except discord.NotFound as error:
        raise CardNotPosted(GONE, channel, f"the channel {channel.mention} was deleted") from error
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
        if not transient(error):
            raise
        raise CardNotPosted(UNAVAILABLE, channel, failed(channel, error)) from error


async def take_down(channel: discord.TextChannel, message_id: int) -> str | None:
    """Delete a card (Lantern's own message: View Channel is all it needs). None once it is gone, else why
    it is still up."""
    try:
        await with_retries(channel.get_partial_message(message_id).delete)
    except discord.NotFound:
        return None
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
        return failed(channel, error, "view_channel")
    return None
