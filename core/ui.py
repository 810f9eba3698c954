"""Base classes for views, forms (modals) and persistent buttons that report errors through the funnel.

Forms survive a restart the way buttons do: a `PersistentForm`'s custom id carries everything it needs
(`lantern:modal:intro`, `prompts:rejectwhy-modal:12`), and one `FormRouter` answers every form
submission by rebuilding the form from that id, in a live process or a freshly started one. discord.py's
own modal store is never used: `show_form` stops the form before sending it, so discord.py doesn't keep
it, and a submission is handled exactly once, by the router.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

import discord
from discord.ext import commands

from core import answers, logcontext
from core.text import strip_control
from core.tree import send_ephemeral

if TYPE_CHECKING:
    from core.tree import LanternTree

log = logging.getLogger(__name__)

CUSTOM_ID_MAX = 100  # Discord's limit for a modal's custom_id


async def funnel(interaction: discord.Interaction, error: BaseException) -> None:
    # The client is always the bot, built with tree_cls=LanternTree, whose on_error takes any exception.
    tree = cast("LanternTree", cast(commands.Bot, interaction.client).tree)
    await tree.on_error(interaction, error)


class LanternView(discord.ui.View):
    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        logcontext.bind(interaction)
        answers.opened(interaction)
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


class _Persistent:
    """What a persistent button and a persistent select share: rebuilt from the custom id, errors to the funnel."""

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
        """Rebuild the item from its custom id: each named group of `template` is passed to the
        constructor by name, and groups made only of digits become ints. Override for anything else."""
        # Any: the values go to the subclass's own constructor, whose parameters mypy can't see from here.
        values: dict[str, Any] = {
            name: int(value) if value.isdigit() else value for name, value in match.groupdict().items()
        }
        return cls(**values)

    async def handle(self, interaction: discord.Interaction) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class PersistentButton(_Persistent, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"lantern:abstract-base"):
    """A button whose custom id carries the ids it needs, so it works after a restart.

    Subclasses declare `template=` and implement `handle(interaction)`.
    discord.py swallows errors from dynamic items; this routes them to the funnel.
    """


class PersistentSelect(
    _Persistent, discord.ui.DynamicItem[discord.ui.Select[Any]], template=r"lantern:abstract-select"
):
    """A select menu whose custom id carries the ids it needs, so it works after a restart; as `PersistentButton`.
    The chosen values are `self.item.values` in `handle`."""


class PersistentForm(LanternModal):
    """A form whose custom id carries its state, so any process can answer it (see `FormRouter`).

    Subclasses declare `template=` (a regular expression the custom id fully matches) and pass a
    matching `custom_id` to `__init__`; the router rebuilds them with `from_custom_id`. Open one with
    `show_form`, never `send_modal` directly. Fields are text inputs (the router fills only those).
    A custom id is plain text a client sends back: `on_submit` checks again what the command or button
    that opened the form checked (Manage Server, whose intro it is), never trusting the id for it.
    """

    template: ClassVar[re.Pattern[str]]

    def __init_subclass__(cls, *, template: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if template is not None:
            cls.template = re.compile(template)

    def __init__(self, *, title: str, custom_id: str) -> None:
        if len(custom_id) > CUSTOM_ID_MAX or not self.template.fullmatch(custom_id):
            raise ValueError(f"{type(self).__name__}: custom id {custom_id!r} doesn't fit {self.template.pattern!r}")
        # No timeout: nothing waits in memory for the answer, which may reach another process.
        super().__init__(title=title, timeout=None, custom_id=custom_id)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, match: re.Match[str]) -> Self:
        """Rebuild the form from its custom id: each named group of `template` is passed to the
        constructor by name, and groups made only of digits become ints. Override for anything else."""
        # Any: the values go to the subclass's own constructor, whose parameters mypy can't see from here.
        values: dict[str, Any] = {
            name: int(value) if value.isdigit() else value for name, value in match.groupdict().items()
        }
        return cls(**values)


async def show_form(interaction: discord.Interaction, form: PersistentForm) -> None:
    """Answer `interaction` with `form`. Stopped first, so discord.py doesn't keep it (send_modal stores only
    a form that isn't finished): its submission reaches the `FormRouter` alone, in this process or the next."""
    form.stop()
    await interaction.response.send_modal(form)


UNKNOWN_FORM = (
    "I don't know this form, so I couldn't save what you typed (it may be from an older version of me). "
    "Please open it again from the command or button you used."
)


def submitted_fields(components: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Each submitted field with a custom id: inside a Label (type 18, `component`), inside a legacy action
    row (type 1, `components`), or bare."""
    for component in components:
        if component.get("type") == 18:
            yield from submitted_fields([component["component"]])
        elif component.get("type") == 1:
            yield from submitted_fields(component.get("components", []))
        elif "custom_id" in component:
            yield component


class FormRouter:
    """Answers every form submission: finds the `PersistentForm` class whose template matches the custom id,
    rebuilds it, fills its text inputs from what was submitted, and runs `interaction_check` and
    `on_submit`, with errors to the funnel (via the form's `on_error`).

    Cogs register their form classes in `setup`, next to their dynamic items. An id no class matches (a
    retired or forged form) is answered with `UNKNOWN_FORM` and changes nothing. Not discord.py's modal
    store: it is memory (gone on restart, and after a form's timeout), keyed by custom id alone (2.7), so
    two members' forms with one stable id would overwrite each other there.
    """

    def __init__(self) -> None:
        self._forms: dict[str, type[PersistentForm]] = {}

    def register(self, *forms: type[PersistentForm]) -> None:
        for form in forms:
            self._forms[form.template.pattern] = form

    def find(self, custom_id: str) -> tuple[type[PersistentForm], re.Match[str]] | None:
        if len(custom_id) > CUSTOM_ID_MAX:
            return None
        for form in self._forms.values():
            match = form.template.fullmatch(custom_id)
            if match is not None:
                return form, match
        return None

    async def dispatch(self, interaction: discord.Interaction) -> None:
        """Handle one MODAL_SUBMIT interaction (the bot's `on_interaction` calls this)."""
        logcontext.bind(interaction)
        answers.opened(interaction)
        data = cast(dict[str, Any], interaction.data or {})  # a union of TypedDicts; custom_id and components
        custom_id = str(data.get("custom_id", ""))
        found = self.find(custom_id)
        if found is None:
            log.warning("a form I don't know was submitted: %r", custom_id[:CUSTOM_ID_MAX])
            await send_ephemeral(interaction, UNKNOWN_FORM)
            return
        cls, match = found
        try:
            form = await cls.from_custom_id(interaction, match)
        except Exception as error:
            await funnel(interaction, error)
            return
        form.stop()  # never listening in discord.py's store
        values = {str(field["custom_id"]): field.get("value") for field in submitted_fields(data.get("components", []))}
        for child in form.walk_children():
            if isinstance(child, discord.ui.TextInput) and child.custom_id in values:
                child._value = values[child.custom_id]  # what discord.py's Modal._refresh sets
        try:
            if await form.interaction_check(interaction):
                await form.on_submit(interaction)
        except Exception as error:
            await form.on_error(interaction, error)
