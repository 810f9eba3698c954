"""Embeds, persistent buttons and the result pager of the resource library."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import discord

from core.text import NO_MENTIONS, truncate
from core.ui import LanternView, PersistentButton
from storage.models.resources import HELPED, SAVED, Resource

if TYPE_CHECKING:
    from cogs.resources.cog import Resources

COLOUR = 0x4F9D69
PAGE_SIZE = 5


def _escape(text: str) -> str:
    return discord.utils.escape_markdown(text).replace("[", "\\[").replace("]", "\\]")


def theme_names(resource: Resource, labels: Mapping[str, str]) -> str:
    return ", ".join(labels.get(key, key) for key in resource.theme_keys)


def resource_embed(resource: Resource, labels: Mapping[str, str]) -> discord.Embed:
    """The library card posted in the resources channel."""
    embed = discord.Embed(
        title=truncate(resource.title, 256),
        url=resource.url,
        description=truncate(resource.description, 1000) or None,
        colour=COLOUR,
    )
    if resource.theme_keys:
        embed.add_field(name="Themes", value=truncate(theme_names(resource, labels), 1024), inline=True)
    if resource.tag_list:
        embed.add_field(name="Tags", value=truncate(", ".join(resource.tag_list), 1024), inline=True)
    embed.set_footer(text=f"Resource #{resource.id} · helped {resource.helped_count} · saved {resource.saved_count}")
    return embed


class VoteButton(PersistentButton, template=r"resource:(?P<kind>helped|saved):(?P<id>[0-9]{1,19})"):
    """ "Helped me" or "Save" on a library card; each click toggles the member's vote."""

    def __init__(self, kind: str, resource_id: int, count: int = 0) -> None:
        label = f"Helped me ({count})" if kind == HELPED else f"Save ({count})"
        emoji = "💡" if kind == HELPED else "🔖"
        style = discord.ButtonStyle.success if kind == HELPED else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(label=label, emoji=emoji, style=style, custom_id=f"resource:{kind}:{resource_id}")
        )
        self.kind = kind
        self.resource_id = resource_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> VoteButton:
        return cls(match["kind"], int(match["id"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).toggle_vote(interaction, self.kind, self.resource_id)


def resource_view(resource: Resource) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(HELPED, resource.id, resource.helped_count))
    view.add_item(VoteButton(SAVED, resource.id, resource.saved_count))
    return view


class ReviewButton(PersistentButton, template=r"resource:review:(?P<action>approve|reject):(?P<id>[0-9]{1,19})"):
    """Approve or reject one pending submission (shown only to moderators, in /resources review)."""

    def __init__(self, action: str, resource_id: int) -> None:
        approve = action == "approve"
        super().__init__(
            discord.ui.Button(
                label=f"{'Approve' if approve else 'Reject'} #{resource_id}",
                style=discord.ButtonStyle.success if approve else discord.ButtonStyle.danger,
                custom_id=f"resource:review:{action}:{resource_id}",
            )
        )
        self.action = action
        self.resource_id = resource_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> ReviewButton:
        return cls(match["action"], int(match["id"]))

    async def handle(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).review(interaction, self.action, self.resource_id)


def cog_of(interaction: discord.Interaction) -> Resources:
    return interaction.client.get_cog("Resources")  # type: ignore[attr-defined,return-value]


def review_message(pending: Sequence[Resource], total: int, labels: Mapping[str, str]) -> dict[str, Any]:
    """Content, embeds and buttons of the review queue (the oldest five)."""
    if not pending:
        return {"content": "Nothing is waiting for review.", "embeds": [], "view": None}
    embeds = []
    view = discord.ui.View(timeout=None)
    for resource in pending:
        embed = resource_embed(resource, labels)
        embed.set_footer(text=f"Resource #{resource.id} · shared by user {resource.submitter_id or 'unknown'}")
        embed.add_field(name="Link", value=truncate(resource.url, 1024), inline=False)
        embeds.append(embed)
        view.add_item(ReviewButton("approve", resource.id))
        view.add_item(ReviewButton("reject", resource.id))
    more = f" (showing the oldest {len(pending)})" if total > len(pending) else ""
    return {"content": f"{total} waiting for review{more}.", "embeds": embeds, "view": view}


def result_line(resource: Resource, labels: Mapping[str, str]) -> str:
    line = f"**[{_escape(truncate(resource.title, 150))}]({resource.url})** · #{resource.id}"
    details = []
    if resource.theme_keys:
        details.append(theme_names(resource, labels))
    if resource.tag_list:
        details.append(", ".join(resource.tag_list))
    details.append(f"helped {resource.helped_count}")
    line += "\n" + _escape(" · ".join(details))
    if resource.description:
        line += "\n> " + _escape(truncate(" ".join(resource.description.split()), 160))
    return line


def results_embed(title: str, rows: Sequence[Resource], labels: Mapping[str, str], page: int) -> discord.Embed:
    embed = discord.Embed(
        title=truncate(title, 256), description="\n\n".join(result_line(r, labels) for r in rows), colour=COLOUR
    )
    embed.set_footer(text=f"Page {page + 1}")
    return embed


# (page number) -> (rows on that page, whether a next page exists)
PageLoader = Callable[[int], Awaitable[tuple[Sequence[Resource], bool]]]


class Pager(LanternView):
    """Previous/Next over a list of results, for the member who asked (ephemeral, not persistent)."""

    def __init__(self, owner_id: int, title: str, labels: Mapping[str, str], load: PageLoader) -> None:
        super().__init__(timeout=900)
        self.owner_id = owner_id
        self.title = title
        self.labels = labels
        self.load = load
        self.page = 0

    async def render(self) -> tuple[discord.Embed, bool]:
        rows, has_next = await self.load(self.page)
        self.previous.disabled = self.page == 0
        self.next.disabled = not has_next
        return results_embed(self.title, rows, self.labels, self.page), bool(rows)

    async def send(self, interaction: discord.Interaction, empty: str) -> None:
        embed, any_rows = await self.render()
        if not any_rows:
            await interaction.response.send_message(empty, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        view = self if not (self.previous.disabled and self.next.disabled) else discord.utils.MISSING
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        await super().interaction_check(interaction)
        return interaction.user.id == self.owner_id

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        self.page = max(self.page + step, 0)
        embed, _ = await self.render()
        await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, _button: discord.ui.Button[Pager]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.primary)
    async def next(self, interaction: discord.Interaction, _button: discord.ui.Button[Pager]) -> None:
        await self._turn(interaction, 1)


def list_loader(rows: Sequence[Resource]) -> PageLoader:
    async def load(page: int) -> tuple[Sequence[Resource], bool]:
        start = page * PAGE_SIZE
        return rows[start : start + PAGE_SIZE], len(rows) > start + PAGE_SIZE

    return load
