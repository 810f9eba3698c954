"""The intro form (modal) and the buttons around it. Buttons are DynamicItems: they survive restarts."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Self, cast

import discord

from cogs.intros.cards import checked_draft, intro_channel, load_intro, prefill, remove_intro, save_card
from cogs.intros.rules import FIELDS
from core import limits
from core.errors import InvalidInput, NotAllowed
from core.text import join_words
from core.themes import MAX_THEMES
from core.ui import PersistentButton, PersistentForm, PersistentSelect, show_form
from storage.intros import THEME, intro_tags, set_discoverable, set_themes, take_find_notice
from storage.models.intros import Intro

if TYPE_CHECKING:
    from bot import LanternBot


def _bot(interaction: discord.Interaction) -> LanternBot:
    return cast("LanternBot", interaction.client)


def _member(interaction: discord.Interaction) -> discord.Member:
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise NotAllowed("Introductions work inside a server, not in DMs.")
    return interaction.user


class IntroModal(PersistentForm, template=r"lantern:modal:intro"):
    """Five questions, each in a Label, pre-filled with the member's current answers when they edit.

    The custom id carries nothing else: the member and guild come with the submission, so a restarted
    process rebuilds the form as `IntroModal()` and saves what was typed."""

    def __init__(self, existing: Intro | None = None) -> None:
        super().__init__(
            title="Edit your introduction" if existing else "Introduce yourself", custom_id="lantern:modal:intro"
        )
        self.inputs: dict[str, discord.ui.TextInput[Any]] = {}
        for field in FIELDS:
            self.inputs[field.key] = self.add_field(
                field.label,
                discord.ui.TextInput(
                    custom_id=field.key,
                    placeholder=field.placeholder,
                    style=discord.TextStyle.paragraph if field.paragraph else discord.TextStyle.short,
                    required=field.required,
                    max_length=field.max_length,
                    default=getattr(existing, field.key, None) or None,
                ),
                description=field.description or None,
            )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        member = _member(interaction)
        draft = await checked_draft(_bot(interaction), member, {key: item.value for key, item in self.inputs.items()})
        await limits.check(_bot(interaction), limits.INTRO_WRITE, member.guild.id, member.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        saved = await save_card(_bot(interaction), member, draft)
        notice = await take_notice(_bot(interaction), member)
        choice = notice or discoverability_text(saved.discoverable)
        text = f"{saved.headline}\n{choice}\n{THEMES_ASK}"
        view = await own_intro_view(_bot(interaction), member, saved.discoverable)
        await interaction.followup.send(text, view=view, ephemeral=True)


async def open_intro_modal(interaction: discord.Interaction) -> None:
    """Show the form, pre-filled if the member already has an intro (refused if no intro channel is set)."""
    member = _member(interaction)
    bot = _bot(interaction)
    await intro_channel(bot, member.guild)
    await limits.check(bot, limits.INTRO_WRITE, member.guild.id, member.id)  # before they fill the form in
    existing = await load_intro(bot, member.guild.id, member.id)
    form = IntroModal(existing)
    await prefill(bot, member, form.inputs)  # the answers kept from a refused form, if any
    await show_form(interaction, form)


def discoverability_text(discoverable: bool) -> str:
    if discoverable:
        return "Members can find you with `/intro find`. You can change that here at any time."
    return (
        "You're hidden from `/intro find`, and stay hidden unless you say yes. Would you like members who share "
        "your heritages, languages or themes to find you? Only those are searched, never your story or where you are."
    )


FIND_NOTICE = (
    "One change to tell you about: `/intro find` used to list every introduction unless its writer opted out. "
    "That isn't the choice we promised, so you're now hidden from it until you say yes. If you'd like members "
    "who share your heritages or languages to find you, press the button; nothing else about your card changes."
)


async def take_notice(bot: LanternBot, member: discord.Member) -> str | None:
    """The one-time note for a member whose intro migration 0704 hid, or None (already told, or not hidden)."""
    async with bot.db.write() as session:
        pending = await take_find_notice(session, member.guild.id, member.id)
    return FIND_NOTICE if pending else None


async def send_notice(interaction: discord.Interaction, member: discord.Member) -> None:
    """After an /intro command has answered: tell the member once, privately, that they are hidden now."""
    notice = await take_notice(_bot(interaction), member)
    if notice is not None:
        await interaction.followup.send(notice, view=discoverable_view(member.id, False), ephemeral=True)


def discoverable_view(user_id: int, discoverable: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DiscoverableButton(user_id, not discoverable))
    return view


THEMES_ASK = (
    "Pick the themes you'd like to talk about below, if you like: members who share them find you in "
    "`/intro find` (only while you're findable). They aren't shown on your card."
)


def intro_controls(
    user_id: int, discoverable: bool, offered: Sequence[tuple[str, str]], chosen: Collection[str]
) -> discord.ui.View:
    """The member's own controls: the findable button, and the themes they'd like to talk about (`offered`: the
    server's themes that are on; `chosen` ticked)."""
    view = discoverable_view(user_id, discoverable)
    view.add_item(ThemesSelect(user_id, offered, chosen))
    return view


async def own_intro_view(bot: LanternBot, member: discord.Member, discoverable: bool) -> discord.ui.View:
    """`intro_controls` with the member's themes as stored."""
    offered = (await bot.db.guild_config(member.guild.id)).themes
    intro = await load_intro(bot, member.guild.id, member.id)
    return intro_controls(member.id, discoverable, offered, intro_tags(intro, THEME) if intro is not None else ())


class ThemesSelect(PersistentSelect, template=r"intro:themes:(?P<user_id>\d+)"):
    """The themes a member would like to talk about: `/intro find` counts the ones two members share. Choosing
    none clears them. A theme turned off since it was chosen is not offered, and stays chosen."""

    def __init__(self, user_id: int, offered: Sequence[tuple[str, str]] = (), chosen: Collection[str] = ()) -> None:
        self.user_id = user_id
        options = [
            discord.SelectOption(label=label, value=key, default=key in chosen) for key, label in offered[:MAX_THEMES]
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"intro:themes:{user_id}",
                placeholder="Themes you'd like to talk about (optional)",
                options=options or [discord.SelectOption(label="No themes", value="-")],
                min_values=0,
                max_values=max(1, len(options)),
            )
        )

    async def handle(self, interaction: discord.Interaction) -> None:
        check_owner(interaction, self.user_id)
        member = _member(interaction)
        bot = _bot(interaction)
        config = await bot.db.guild_config(member.guild.id)
        offered = dict(config.themes)
        picked = set(self.item.values)
        if not picked <= offered.keys():  # a menu shown before a moderator turned the theme off
            raise InvalidInput(
                "That theme", "isn't one this server offers any more", "`/intro show` shows the themes there are now."
            )
        async with bot.db.write() as session:
            intro = await set_themes(session, member.guild.id, member.id, picked, offered=offered.keys())
            if intro is None:
                raise NotAllowed("You don't have an introduction any more. `/intro write` opens the form.")
            chosen, discoverable = intro_tags(intro, THEME), intro.discoverable
        labels = config.theme_labels
        if chosen:
            said = f"Saved: you'd like to talk about {join_words([labels.get(key, key) for key in chosen])}."
        else:
            said = "Saved: no themes."
        if chosen and not discoverable:
            said += " They count in `/intro find` once you say yes to being found."
        view = intro_controls(member.id, discoverable, config.themes, chosen)
        await interaction.response.edit_message(content=said, view=view)


class IntroduceButton(PersistentButton, template=r"intro:write"):
    """On the welcome message: opens the same form as /intro write, for whoever clicks it."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Introduce yourself", emoji="👋", style=discord.ButtonStyle.primary, custom_id="intro:write"
            )
        )

    async def handle(self, interaction: discord.Interaction) -> None:
        await open_intro_modal(interaction)


def check_owner(interaction: discord.Interaction, user_id: int) -> None:
    """Buttons on a member's own messages work for that member only."""
    if interaction.user.id != user_id:
        raise NotAllowed("That button belongs to someone else's introduction.")


class DiscoverableButton(PersistentButton, template=r"intro:find:(?P<user_id>\d+):(?P<value>[01])"):
    """Sets whether the member appears in /intro find (the label says what a click does)."""

    def __init__(self, user_id: int, value: bool) -> None:
        self.user_id, self.value = user_id, value
        super().__init__(
            discord.ui.Button(
                label="Yes, show me in /intro find" if value else "Hide me from /intro find",
                style=discord.ButtonStyle.success if value else discord.ButtonStyle.secondary,
                custom_id=f"intro:find:{user_id}:{int(value)}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["user_id"]), match["value"] == "1")

    async def handle(self, interaction: discord.Interaction) -> None:
        check_owner(interaction, self.user_id)
        member = _member(interaction)
        bot = _bot(interaction)
        async with bot.db.write() as session:
            intro = await set_discoverable(session, member.guild.id, member.id, self.value)
            if intro is None:
                raise NotAllowed("You don't have an introduction any more. `/intro write` opens the form.")
            chosen = intro_tags(intro, THEME)
        offered = (await bot.db.guild_config(member.guild.id)).themes
        await interaction.response.edit_message(
            content=f"Saved. {discoverability_text(self.value)}",
            view=intro_controls(member.id, self.value, offered, chosen),
        )


class DeleteIntroButton(PersistentButton, template=r"intro:delete:(?P<user_id>\d+)"):
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        super().__init__(
            discord.ui.Button(
                label="Delete my introduction", style=discord.ButtonStyle.danger, custom_id=f"intro:delete:{user_id}"
            )
        )

    async def handle(self, interaction: discord.Interaction) -> None:
        check_owner(interaction, self.user_id)
        member = _member(interaction)
        await limits.check(_bot(interaction), limits.INTRO_DELETE, member.guild.id, member.id)
        removed = await remove_intro(_bot(interaction), member.guild.id, member.id)
        if removed:
            await limits.record_now(_bot(interaction), limits.INTRO_DELETE, member.guild.id, member.id)
        text = (
            "Your introduction and its card are deleted. `/intro write` starts a new one whenever you like."
            if removed
            else "There was nothing to delete: you have no introduction here."
        )
        await interaction.response.edit_message(content=text, view=None)


class KeepIntroButton(PersistentButton, template=r"intro:keep:(?P<user_id>\d+)"):
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        super().__init__(
            discord.ui.Button(label="Keep it", style=discord.ButtonStyle.secondary, custom_id=f"intro:keep:{user_id}")
        )

    async def handle(self, interaction: discord.Interaction) -> None:
        check_owner(interaction, self.user_id)
        await interaction.response.edit_message(content="Kept: nothing changed.", view=None)


def confirm_delete_view(user_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DeleteIntroButton(user_id))
    view.add_item(KeepIntroButton(user_id))
    return view


DYNAMIC_ITEMS = (IntroduceButton, DiscoverableButton, DeleteIntroButton, KeepIntroButton, ThemesSelect)
FORMS = (IntroModal,)
