"""Modals, the paginated bank list and the persistent review buttons of the prompts feature."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from cogs.prompts import bank
from core import moderators
from core.errors import NotAllowed
from core.text import NO_MENTIONS, truncate, unlink
from core.ui import PersistentButton, PersistentForm, show_form
from storage import prompts as queries

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.prompts.cog import PromptsCog

log = logging.getLogger(__name__)

PAGE_SIZE = 10
REVIEW_BATCH = 5

PURPOSES = {"add": "Add a prompt", "suggest": "Suggest a prompt"}


class PromptModal(PersistentForm, template=r"prompts:modal:(?P<purpose>add|suggest)"):
    """Prompt text and theme, for `/prompts add` or `/prompt suggest` (the custom id says which); the
    cog's `_added` or `_suggested` does the rest, so a restarted process answers it the same way."""

    def __init__(self, purpose: str, *, theme: str = "") -> None:
        super().__init__(title=PURPOSES[purpose], custom_id=f"prompts:modal:{purpose}")
        self.purpose = purpose
        self.text = self.add_field(
            "Prompt",
            discord.ui.TextInput(
                custom_id="text",
                style=discord.TextStyle.paragraph,
                min_length=bank.PROMPT_MIN,
                max_length=bank.PROMPT_MAX,
                placeholder="An open question anyone can answer at the depth they choose",
            ),
            description=f"{bank.PROMPT_MIN} to {bank.PROMPT_MAX} characters.",
        )
        self.theme = self.add_field(
            "Theme",
            discord.ui.TextInput(
                custom_id="theme",
                max_length=80,
                default=theme or None,
                placeholder="A theme name, e.g. Identity exploration or career",
            ),
            description="One of this server's themes, by name. The command's theme option fills it in.",
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        cog = cast("PromptsCog | None", cast("LanternBot", interaction.client).get_cog("PromptsCog"))
        if cog is None:
            raise NotAllowed("Prompts are switched off right now, so I couldn't save that. Please try again later.")
        if self.purpose == "add":
            # Discord shows /prompts add to moderators only, but a form's submission isn't checked again.
            await moderators.require(
                interaction, "prompts", "Only the server's moderators can add prompts to the bank."
            )
            await cog._added(interaction, self.text.value, self.theme.value)
        else:
            await cog._suggested(interaction, self.text.value, self.theme.value)


# --------------------------------------------------------------------------- the bank list


async def list_page(bot: LanternBot, guild_id: int, theme: str | None, page: int) -> tuple[discord.Embed, int, int]:
    """The embed of `page` (clamped to the pages there are), the number of pages, and the page shown."""
    page = max(page, 0)
    labels = (await bot.db.guild_config(guild_id)).theme_labels
    async with bot.db.rows() as reader:  # plain columns only: a connection, no ORM session
        rows, total = await queries.prompt_page(reader, guild_id, theme, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        if page >= pages:  # past the end (the bank shrank since the buttons were drawn): the last page
            page = pages - 1
            rows, total = await queries.prompt_page(reader, guild_id, theme, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    title = f"Prompts: {labels.get(theme, theme)}" if theme else "Prompts"
    lines = [f"`#{p.id}` **{labels.get(p.theme, p.theme)}**: {truncate(unlink(p.text), 160)}" for p in rows]
    embed = discord.Embed(title=title, description="\n".join(lines) or "The bank is empty.", colour=0xE8A33D)
    embed.set_footer(text=f"Page {page + 1} of {pages} · {total} prompts")
    return embed, pages, page


NO_THEME = "-"
MAX_PAGE = 99_999


class PromptPageButton(PersistentButton, template=r"prompts:pg:(?P<page>[0-9]{1,5}):(?P<theme>[^:]{1,32})"):
    """Previous or Next on the ephemeral bank list; the page and the theme filter live in the custom id."""

    def __init__(self, page: int, theme: str | None, *, previous: bool = False, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Previous" if previous else "Next",
                style=discord.ButtonStyle.secondary,
                custom_id=f"prompts:pg:{page}:{theme or NO_THEME}",
                disabled=disabled,
            )
        )
        self.page, self.theme = page, theme

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PromptPageButton:
        theme = None if match["theme"] == NO_THEME else match["theme"]
        button = cast(discord.ui.Button[Any], item)  # the item is the Button this class was built with
        return cls(min(int(match["page"]), MAX_PAGE), theme, previous=button.label == "Previous")

    async def handle(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        bot = cast("LanternBot", interaction.client)
        embed, view = await list_message(bot, interaction.guild_id, self.theme, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


async def list_message(
    bot: LanternBot, guild_id: int, theme: str | None, page: int
) -> tuple[discord.Embed, discord.ui.View]:
    """One page of the bank list with its Previous/Next buttons (nothing is kept in memory)."""
    embed, pages, page = await list_page(bot, guild_id, theme, page)
    view = discord.ui.View(timeout=None)
    view.add_item(PromptPageButton(max(page - 1, 0), theme, previous=True, disabled=page <= 0))
    view.add_item(PromptPageButton(page + 1, theme, disabled=page >= pages - 1 or page >= MAX_PAGE))
    return embed, view


# --------------------------------------------------------------------------- review


async def _require_moderator(interaction: discord.Interaction) -> None:
    """Those who may use /prompts review suggestions (a server's Integrations grants included: core.moderators)."""
    await moderators.require(interaction, "prompts", "Only the server's moderators can review suggestions.")


async def _tell_suggester(bot: LanternBot, user_id: int, text: str) -> bool:
    """DM the suggester; False when their DMs are closed or they can't be found."""
    try:
        user = bot.get_user(user_id) or await bot.fetch_user(user_id)
        await user.send(text, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as error:
        log.info("could not DM suggester %s: %s", user_id, error)
        return False
    return True


async def decide(
    interaction: discord.Interaction, suggestion_id: int, *, approve: bool, reason: str | None = None
) -> None:
    """Approve (the prompt joins the bank, credited) or reject a suggestion, and tell the suggester."""
    await _require_moderator(interaction)
    bot = cast("LanternBot", interaction.client)
    guild = interaction.guild
    assert guild is not None
    now = bot.clock()
    reason = bank.clean_text(reason)[:300] if reason and reason.strip() else None
    async with bot.db.write() as session:
        suggestion = await queries.decide_suggestion(
            session, guild.id, suggestion_id, "approved" if approve else "rejected", now, reason
        )
        if suggestion is None:
            raise NotAllowed(f"Suggestion #{suggestion_id} was already reviewed. `/prompts review` shows what's left.")
        prompt_id = None
        if approve:
            await queries.ensure_bank(session, guild.id, now, bank.seed_rows())
            prompt_id = await queries.add_prompt(
                session,
                guild.id,
                suggestion.text,
                suggestion.theme,
                key=bank.text_key(suggestion.text),
                source="suggested",
                now=now,
                suggested_by_id=suggestion.user_id,
            )
            if prompt_id is None:
                existing = await queries.find_duplicate(session, guild.id, bank.text_key(suggestion.text))
                prompt_id = existing.id if existing else None
            suggestion.prompt_id = prompt_id
        user_id, text = suggestion.user_id, suggestion.text
    quoted = f"“{truncate(unlink(text), 200)}”"
    if approve:
        message = f"Your prompt suggestion {quoted} was approved in **{guild.name}**. Thank you for adding it!"
    else:
        message = f"Your prompt suggestion {quoted} wasn't added in **{guild.name}** this time."
        if reason:
            message += f" The moderators said: {reason}"
    told = await _tell_suggester(bot, user_id, message)
    verb = "Approved" if approve else "Rejected"
    reply = f"{verb} suggestion #{suggestion_id}" + (f"; it's prompt #{prompt_id} now." if approve else ".")
    reply += f" I told <@{user_id}>." if told else f" I couldn't DM <@{user_id}> (their DMs are closed)."
    await interaction.response.send_message(reply, ephemeral=True, allowed_mentions=NO_MENTIONS)
    detail = f"Suggestion #{suggestion_id} by <@{user_id}>: {truncate(unlink(text), 300)}"
    if reason:
        detail += f"\nReason: {reason}"
    await bot.modlog.post(guild.id, f"Prompt suggestion {verb.lower()}", detail, actor=interaction.user)


class ApproveButton(PersistentButton, template=r"prompts:approve:(?P<suggestion_id>\d+)"):
    def __init__(self, suggestion_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Approve #{suggestion_id}",
                style=discord.ButtonStyle.success,
                custom_id=f"prompts:approve:{suggestion_id}",
            )
        )
        self.suggestion_id = suggestion_id

    async def handle(self, interaction: discord.Interaction) -> None:
        await decide(interaction, self.suggestion_id, approve=True)


class RejectButton(PersistentButton, template=r"prompts:reject:(?P<suggestion_id>\d+)"):
    def __init__(self, suggestion_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Reject #{suggestion_id}",
                style=discord.ButtonStyle.danger,
                custom_id=f"prompts:reject:{suggestion_id}",
            )
        )
        self.suggestion_id = suggestion_id

    async def handle(self, interaction: discord.Interaction) -> None:
        await decide(interaction, self.suggestion_id, approve=False)


class RejectReasonModal(PersistentForm, template=r"prompts:rejectwhy-modal:(?P<suggestion_id>\d{1,18})"):
    """The reason a moderator gives for rejecting; the suggestion's id is in the custom id."""

    def __init__(self, suggestion_id: int) -> None:
        super().__init__(
            title=f"Reject suggestion #{suggestion_id}", custom_id=f"prompts:rejectwhy-modal:{suggestion_id}"
        )
        self.suggestion_id = suggestion_id
        self.reason = self.add_field(
            "Reason",
            discord.ui.TextInput(custom_id="reason", style=discord.TextStyle.paragraph, max_length=300),
            description="I DM it to the member who suggested the prompt and note it in the mod-log.",
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await decide(interaction, self.suggestion_id, approve=False, reason=self.reason.value)


class RejectWithReasonButton(PersistentButton, template=r"prompts:rejectwhy:(?P<suggestion_id>\d+)"):
    def __init__(self, suggestion_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Reject with reason…",
                style=discord.ButtonStyle.secondary,
                custom_id=f"prompts:rejectwhy:{suggestion_id}",
            )
        )
        self.suggestion_id = suggestion_id

    async def handle(self, interaction: discord.Interaction) -> None:
        await _require_moderator(interaction)
        await show_form(interaction, RejectReasonModal(self.suggestion_id))


def review_view(suggestion_ids: list[int]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for row, suggestion_id in enumerate(suggestion_ids[:REVIEW_BATCH]):
        for button in (ApproveButton, RejectButton, RejectWithReasonButton):
            item = button(suggestion_id)
            item.item.row = row
            view.add_item(item)
    return view


DYNAMIC_ITEMS = (ApproveButton, RejectButton, RejectWithReasonButton, PromptPageButton)
FORMS = (PromptModal, RejectReasonModal)
