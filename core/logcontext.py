"""Structured log context: every log line written while handling an interaction names its guild,
user and command (or button/modal), without each call site passing them.

`bind(interaction)` is called at the entry of every interaction (the tree's and the UI base classes'
`interaction_check`, which run in the handler's own task); `ContextFilter` adds the fields to records.
The text is written when a line is logged, not at `bind`: most interactions log nothing, and in a burst of
200 every step on the event loop before an answer delays the others' answers (docs/scale.md, "Bursts").
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any, cast

import discord

_context: ContextVar[str | discord.Interaction] = ContextVar("lantern_log_context", default="-")


def describe(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        what = f"/{interaction.command.qualified_name}"
    else:
        data = cast(dict[str, Any], interaction.data or {})  # a union of TypedDicts; only custom_id is read
        what = f"{interaction.type.name}:{data.get('custom_id', '?')}"
    return f"guild={interaction.guild_id or '-'} user={interaction.user.id} cmd={what}"


def bind(interaction: discord.Interaction) -> None:
    _context.set(interaction)  # described when a line is logged (`current`)


def bind_text(text: str) -> None:
    """For work that isn't an interaction (a due job): e.g. bind_text("job=prompts")."""
    _context.set(text)


def current() -> str:
    bound = _context.get()
    return bound if isinstance(bound, str) else describe(bound)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.context = current()
        return True
