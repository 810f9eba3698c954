"""Answers without discord.py's copy of the message they created: built only if someone reads it.

discord.py 2.7 sends every interaction callback (`send_message`, `defer`, `edit_message`, `send_modal`) with
`?with_response=1`, and `InteractionCallbackResponse._update` turns the message Discord returns into an
`InteractionMessage` (its author, embeds, components, flags, ...) for the callback's `.resource`. Lantern never reads
`.resource` (it edits and follows up through the interaction's own endpoints), yet in a burst of 200 interactions
that parse is about 5 % of the event loop's CPU before the last answer (docs/scale.md, "What the answer parse costs,
measured").

`install()` (called by the bot's `setup_hook`) puts `LazyCallbackResponse` in discord.py's place: the module global
that `InteractionResponse`'s methods call. It keeps everything the stock class sets (id, type, message id, flags)
and keeps the returned message's payload; `.resource` builds the `InteractionMessage` from it on first read, exactly
as discord.py would have. Nothing sent to Discord changes, and so nothing a member sees.

The guard: the class reimplements one step of discord.py's private code, written against discord.py `PINNED`.
`install()` refuses (and logs a warning) unless that is the version running and the class looks as it did then, so
an upgrade of discord.py falls back to the stock behaviour (answers correct, bursts slower) until this module is
checked against it.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING

import discord
import discord.interactions as interactions_module

if TYPE_CHECKING:
    from discord.interactions import InteractionCallbackResource
    from discord.types.interactions import InteractionCallback as InteractionCallbackPayload
    from discord.types.message import Message as MessagePayload

log = logging.getLogger(__name__)

PINNED = "2.7.1"  # the discord.py this module was written against (requirements.txt pins the same)
STOCK = discord.InteractionCallbackResponse  # the public class, at import: the one `install()` replaces
_EXPECTED_INIT = ("self", "data", "parent", "state", "type")


class LazyCallbackResponse(STOCK):
    """discord.py's `InteractionCallbackResponse`, whose `resource`, when it is a message, is built on first read."""

    __slots__ = ("_built", "_message_data")
    _built: InteractionCallbackResource | None  # the resource, once built (or as discord.py set it)
    _message_data: MessagePayload | None  # the returned message's payload, until `resource` is first read

    def _update(self, data: InteractionCallbackPayload) -> None:
        resource = data.get("resource")
        message = resource.get("message") if resource is not None else None
        if resource is None or message is None:  # no resource, or an activity: discord.py's own code, unchanged
            super()._update(data)
            return
        # discord.py's own code for everything but the message (the ids, flags and the resource's type).
        rest = {key: value for key, value in resource.items() if key != "message"}
        super()._update({**data, "resource": rest})  # type: ignore[typeddict-item]
        self._message_data = message

    @property
    def resource(self) -> InteractionCallbackResource | None:
        """The `InteractionMessage` the answer created (built now from the stored payload), the activity, or None."""
        message = self._message_data
        if message is not None:
            self._message_data = None
            parent = self._parent
            self._built = discord.InteractionMessage(
                state=interactions_module._InteractionMessageState(parent, self._state),  # type: ignore[arg-type]
                channel=parent.channel,  # type: ignore[arg-type]  # as discord.py passes it
                data=message,
            )
        return self._built

    @resource.setter
    def resource(self, value: InteractionCallbackResource | None) -> None:  # discord.py's `_update` sets it
        self._message_data = None
        self._built = value


def refusal() -> str | None:
    """Why `install()` would refuse in this process (the running discord.py is not what this module was written
    against), or None."""
    if discord.__version__ != PINNED:
        return f"discord.py {discord.__version__} is running, not {PINNED}"
    current = getattr(interactions_module, "InteractionCallbackResponse", None)
    if current is not STOCK and current is not LazyCallbackResponse:
        return "discord.interactions.InteractionCallbackResponse is not discord.py's own class"
    update = getattr(STOCK, "_update", None)
    if not callable(update) or list(inspect.signature(update).parameters) != ["self", "data"]:
        return "InteractionCallbackResponse._update(data) is not there"
    if "resource" not in getattr(STOCK, "__slots__", ()):
        return "InteractionCallbackResponse has no resource slot"
    if tuple(inspect.signature(STOCK.__init__).parameters) != _EXPECTED_INIT:
        return "InteractionCallbackResponse's constructor takes other arguments"
    if not inspect.isclass(getattr(interactions_module, "_InteractionMessageState", None)):
        return "discord.interactions._InteractionMessageState is not there"
    return None


def install() -> bool:
    """Put `LazyCallbackResponse` in discord.py's place (once a process; again is harmless). Returns whether it is
    installed; when the guard refuses, logs why and leaves discord.py as it is."""
    reason = refusal()
    if reason is not None:
        log.warning("answers keep discord.py's own callback parsing (slower bursts): %s (core/callbacks.py)", reason)
        return False
    interactions_module.InteractionCallbackResponse = LazyCallbackResponse  # type: ignore[misc,assignment]
    return True


def installed() -> bool:
    """Whether discord.py's callbacks are answered by `LazyCallbackResponse` in this process."""
    return getattr(interactions_module, "InteractionCallbackResponse", None) is LazyCallbackResponse


def uninstall() -> None:
    """Put discord.py's own class back (tests compare the two)."""
    if installed():
        interactions_module.InteractionCallbackResponse = STOCK  # type: ignore[misc]
