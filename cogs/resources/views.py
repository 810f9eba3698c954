"""Embeds, persistent buttons and the stateless result pager of the resource library."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import discord
from discord.ext import commands

from cogs.resources.urls import short_link, stored_uri
from core.text import truncate, unlink
from core.ui import PersistentButton
from storage.models.resources import HELPED, SAVED, Resource
from storage.resources import Listed

if TYPE_CHECKING:
    from cogs.resources.cog import Resources

COLOUR = 0x4F9D69
PAGE_SIZE = 5
DESCRIPTION_LIMIT = 4096  # Discord's limits: an embed's description,
EMBEDS_TOTAL = 6000  # and the characters of all the embeds of one message together
ENTRY_SEPARATOR = "\n\n"
DETAILS_MAX = 300  # themes, tags and the helped count under a result's title
EMBED_URL = 2048  # an embed's link (discord-api-spec: RichEmbed.url, format "uri")
LINK_SHOWN_WHOLE = 300  # longer links are shortened in the review queue (the title still opens them)


def _escape(text: str) -> str:
    return unlink(discord.utils.escape_markdown(text))  # escape_markdown escapes some brackets, not all


def theme_names(resource: Resource | Listed, labels: Mapping[str, str]) -> str:
    return ", ".join(labels.get(key, key) for key in resource.theme_keys)


def card_link(url: str) -> str | None:
    """The card title's link: the stored link as a URI, or none when that is longer than an embed's link may be."""
    link = stored_uri(url)
    return link if len(link) <= EMBED_URL else None


def link_target(url: str) -> str:
    """The stored link as the target of a markdown link in Lantern's messages: a URI (no space or square bracket)
    with its parentheses escaped too, so a `)` a member typed cannot end the link early and leave text of theirs
    looking like a link of Lantern's (`…/x)[Verify](https://evil.example`)."""
    return stored_uri(url).replace("(", "%28").replace(")", "%29")


def resource_embed(resource: Resource, labels: Mapping[str, str]) -> discord.Embed:
    """The library card posted in the resources channel."""
    embed = discord.Embed(
        title=truncate(resource.title, 256),
        url=card_link(resource.url),
        description=truncate(unlink(resource.description), 1000) or None,
        colour=COLOUR,
    )
    if resource.theme_keys:
        embed.add_field(name="Themes", value=truncate(theme_names(resource, labels), 1024), inline=True)
    if resource.tag_list:
        embed.add_field(name="Tags", value=truncate(", ".join(resource.tag_list), 1024), inline=True)
    embed.set_footer(text=f"Resource #{resource.id} · helped {resource.helped_count} · saved {resource.saved_count}")
    return embed


class VoteButton(PersistentButton, template=r"resource:(?P<kind>helped|saved):(?P<resource_id>[0-9]{1,19})"):
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

    async def handle(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).toggle_vote(interaction, self.kind, self.resource_id)


def resource_view(resource: Resource) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(HELPED, resource.id, resource.helped_count))
    view.add_item(VoteButton(SAVED, resource.id, resource.saved_count))
    return view


class ReviewButton(
    PersistentButton, template=r"resource:review:(?P<action>approve|reject):(?P<resource_id>[0-9]{1,19})"
):
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

    async def handle(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).review(interaction, self.action, self.resource_id)


def cog_of(interaction: discord.Interaction) -> Resources:
    return cast("Resources", cast(commands.Bot, interaction.client).get_cog("Resources"))


def review_embed(resource: Resource, labels: Mapping[str, str]) -> discord.Embed:
    """A pending submission as a moderator sees it: the card, who shared it and the link (the title opens it)."""
    embed = resource_embed(resource, labels)
    embed.set_footer(text=f"Resource #{resource.id} · shared by user {resource.submitter_id or 'unknown'}")
    link = stored_uri(resource.url)
    if len(link) > LINK_SHOWN_WHOLE:  # the title links to it; the embed's url does not count towards the 6,000
        link = f"{_escape(short_link(link, 100))}\n{len(link):,} characters long: the title opens it."
    embed.add_field(name="Link", value=link, inline=False)
    return embed


def review_message(pending: Sequence[Resource], total: int, labels: Mapping[str, str]) -> dict[str, Any]:
    """Content, embeds and buttons of the review queue: the oldest few (up to five), as many as fit whole
    in one message (Discord allows 6,000 characters over all its embeds)."""
    if not pending:
        return {"content": "Nothing is waiting for review.", "embeds": [], "view": None}
    embeds: list[discord.Embed] = []
    view = discord.ui.View(timeout=None)
    size = 0
    for resource in pending:
        embed = review_embed(resource, labels)
        if embeds and size + len(embed) > EMBEDS_TOTAL:
            break
        size += len(embed)
        embeds.append(embed)
        view.add_item(ReviewButton("approve", resource.id))
        view.add_item(ReviewButton("reject", resource.id))
    more = f" (showing the oldest {len(embeds)})" if total > len(embeds) else ""
    return {"content": f"{total} waiting for review{more}.", "embeds": embeds, "view": view}


@dataclass(frozen=True)
class ResultEntry:
    """One resource in a result list: its head with the link inline or without it, and the lines below."""

    resource: Listed
    linked: str
    unlinked: str
    body: str


def _fit(text: str, limit: int) -> str:
    """`text` escaped for markdown and cut (with an ellipsis, before escaping) to at most `limit` characters."""
    if limit <= 0:
        return ""
    cut = len(text)
    while True:
        escaped = _escape(truncate(text, cut))
        if len(escaped) <= limit or cut <= 1:
            return escaped if len(escaped) <= limit else ""
        cut -= max(len(escaped) - limit, 1)


def result_entry(resource: Listed, labels: Mapping[str, str], room: int) -> ResultEntry:
    """The entry of `resource`; without its link it takes at most `room` characters (the description is
    cut to make room)."""
    title = _escape(truncate(resource.title, 150))
    linked = f"**[{title}]({link_target(resource.url)})** · #{resource.id}"
    unlinked = (
        f"**{title}** · #{resource.id}\n"
        f"{_escape(short_link(resource.url))} (a long link: **Link #{resource.id}** below sends it)"
    )
    details = []
    if resource.theme_keys:
        details.append(theme_names(resource, labels))
    if resource.tag_list:
        details.append(", ".join(resource.tag_list))
    details.append(f"helped {resource.helped_count}")
    body = "\n" + _fit(" · ".join(details), min(DETAILS_MAX, room - len(unlinked) - 1))
    if resource.description:
        quote = _fit(truncate(" ".join(resource.description.split()), 160), room - len(unlinked) - len(body) - 3)
        if quote:
            body += "\n> " + quote
    return ResultEntry(resource, linked, unlinked, body)


def result_lines(
    rows: Sequence[Listed], labels: Mapping[str, str], limit: int = DESCRIPTION_LIMIT
) -> tuple[list[str], list[Listed]]:
    """The entries of a result list within `limit` characters, and the resources whose link didn't fit.

    Links go inline, in order, while there is room; a link is never cut (a cut link opens the wrong page).
    A resource whose link is left out shows a short form of it and gets a Link button instead.
    """
    if not rows:
        return [], []
    room = (limit - len(ENTRY_SEPARATOR) * (len(rows) - 1)) // len(rows)
    entries = [result_entry(resource, labels, room) for resource in rows]
    lines = [entry.unlinked + entry.body for entry in entries]
    size = len(ENTRY_SEPARATOR.join(lines))
    unlinked = []
    for index, entry in enumerate(entries):
        grows = len(entry.linked) - len(entry.unlinked)
        if size + grows <= limit:
            lines[index] = entry.linked + entry.body
            size += grows
        else:
            unlinked.append(entry.resource)
    return lines, unlinked


def results_message(
    title: str, rows: Sequence[Listed], labels: Mapping[str, str], listing: Listing, page: int, has_next: bool
) -> tuple[discord.Embed, discord.ui.View | None]:
    """One page of a result list: the embed, and Previous/Next plus a Link button per link left out."""
    lines, unlinked = result_lines(rows, labels)
    embed = discord.Embed(title=truncate(title, 256), description=ENTRY_SEPARATOR.join(lines), colour=COLOUR)
    embed.set_footer(text=f"Page {page + 1}")
    return embed, pager_view(listing, page, has_next, links=[resource.id for resource in unlinked])


MAX_PAGE = 99_999  # five digits in a custom id
NO_FILTER = "-"
SORT_CODES = {"newest": "new", "most helpful": "top"}
SORT_NAMES = {code: name for name, code in SORT_CODES.items()}
SEARCH_PREFIX, SEARCH_SUFFIX = "Results for “", "”"


def search_title(query: str) -> str:
    """The results embed's title; the page buttons read the query back from it (see `query_from`)."""
    return f"{SEARCH_PREFIX}{query}{SEARCH_SUFFIX}"


def query_from(message: discord.Message | None, max_length: int = 200) -> str | None:
    """The search query shown on a results message, or None when it isn't one."""
    if message is None or not message.embeds:
        return None
    title = message.embeds[0].title or ""
    if not (title.startswith(SEARCH_PREFIX) and title.endswith(SEARCH_SUFFIX)):
        return None
    query = title[len(SEARCH_PREFIX) : -len(SEARCH_SUFFIX)]
    return query if 0 < len(query) <= max_length else None


@dataclass(frozen=True)
class Listing:
    """What a result list shows, all of it small enough for a button's custom id (100 characters).

    mode is search, browse or saved; theme a theme key, tag a normalised tag (no colons in either),
    sort "newest" or "most helpful". A search's query is too long for the id: it is read back from the
    results message.
    """

    mode: str
    theme: str | None = None
    tag: str | None = None
    sort: str = "newest"

    def custom_id(self, page: int) -> str:
        theme, tag = self.theme or NO_FILTER, self.tag or NO_FILTER
        return f"res:pg:{self.mode}:{page}:{theme}:{tag}:{SORT_CODES[self.sort]}"

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Listing:
        def value(group: str) -> str | None:
            return None if match[group] == NO_FILTER else match[group]

        return cls(match["mode"], value("theme"), value("tag"), SORT_NAMES[match["sort"]])


class PageButton(
    PersistentButton,
    template=(
        r"res:pg:(?P<mode>search|browse|saved):(?P<page>[0-9]{1,5}):"
        r"(?P<theme>[^:]{1,32}):(?P<tag>[^:]{1,40}):(?P<sort>new|top)"
    ),
):
    """Previous or Next on an ephemeral result list: the page and the filters live in the custom id."""

    def __init__(self, listing: Listing, page: int, *, label: str = "Next", disabled: bool = False) -> None:
        previous = label == "Previous"
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary if previous else discord.ButtonStyle.primary,
                custom_id=listing.custom_id(page),
                disabled=disabled,
            )
        )
        self.listing = listing
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PageButton:
        button = cast(discord.ui.Button[Any], item)  # the item is the Button this class was built with
        return cls(Listing.from_match(match), min(int(match["page"]), MAX_PAGE), label=button.label or "Next")

    async def handle(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).turn_page(interaction, self.listing, self.page)


class LinkButton(PersistentButton, template=r"res:link:(?P<resource_id>[0-9]{1,19})"):
    """Sends the whole link of a resource whose link was too long to show in a result list."""

    def __init__(self, resource_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Link #{resource_id}", style=discord.ButtonStyle.secondary, custom_id=f"res:link:{resource_id}"
            ),
            row=1,
        )
        self.resource_id = resource_id

    async def handle(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction).send_link(interaction, self.resource_id)


def pager_view(listing: Listing, page: int, has_next: bool, *, links: Sequence[int] = ()) -> discord.ui.View | None:
    """Previous/Next for `page` (none when everything fits on one page) and a Link button for each resource
    in `links`; None when there is no button at all. Nothing is kept in memory."""
    has_next = has_next and page < MAX_PAGE
    if page == 0 and not has_next and not links:
        return None
    view = discord.ui.View(timeout=None)
    if page > 0 or has_next:
        view.add_item(PageButton(listing, max(page - 1, 0), label="Previous", disabled=page == 0))
        view.add_item(PageButton(listing, page + 1, label="Next", disabled=not has_next))
    for resource_id in links[:5]:
        view.add_item(LinkButton(resource_id))
    return view
