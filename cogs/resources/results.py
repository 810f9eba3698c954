"""Result lists of the library: a page of `/resource search`, `browse` or `saved`, shown or turned in place.

`ResultLists` is the part of the `Resources` cog (cog.py) that the commands and the buttons under a list
(Previous/Next, Link: views.py) share. Everything a page needs travels in its button and the message, so the
pages turn after a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from cogs.resources.urls import short_link, stored_uri
from cogs.resources.views import PAGE_SIZE, Listing, query_from, results_message, search_title
from core.errors import NotAllowed
from core.search_text import parse_query
from core.text import NO_MENTIONS
from storage import resources as store
from storage.models.resources import APPROVED
from storage.resources import Listed

if TYPE_CHECKING:
    from bot import LanternBot

MESSAGE_LIMIT = 2000  # Discord's limit for a message's text; a stored link is at most MAX_URL_LENGTH (2000)


class ResultLists:
    """Showing and turning the pages of a result list, and the whole link of one result."""

    bot: LanternBot

    async def theme_labels(self, guild_id: int) -> dict[str, str]:  # pragma: no cover - Resources'
        raise NotImplementedError

    async def turn_page(self, interaction: discord.Interaction, listing: Listing, page: int) -> None:
        """Previous/Next on a result list (a PageButton): everything needed is in the button and the message."""
        metadata = interaction.message.interaction_metadata if interaction.message else None
        if metadata is not None and metadata.user.id != interaction.user.id:
            raise NotAllowed("These results belong to the member who asked for them. Run the command yourself.")
        query = None
        if listing.mode == "search":
            # The query is read back from the results embed the bot wrote; it is only ever re-run as the same
            # search, scoped to this guild.
            query = query_from(interaction.message)
            if query is None or not parse_query(query):
                raise NotAllowed("I can't turn the page of these results. Run `/resource search` again.")
        await self.show_results(interaction, listing, page, query=query, edit=True)

    async def show_results(
        self,
        interaction: discord.Interaction,
        listing: Listing,
        page: int,
        *,
        query: str | None = None,
        edit: bool = False,
    ) -> None:
        """Send (or, from a page button, edit in place) one page of a result list, ephemerally."""
        guild_id = interaction.guild_id or 0
        rows, has_next, page = await self.result_page(guild_id, interaction.user.id, listing, page, query)
        if not rows:
            empty = self.empty_text(listing, query)
            if edit:
                await interaction.response.edit_message(content=empty, embed=None, view=None)
            else:
                await interaction.response.send_message(empty, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        labels = await self.theme_labels(guild_id)
        embed, view = results_message(self.results_title(listing, labels, query), rows, labels, listing, page, has_next)
        if edit:
            await interaction.response.edit_message(embed=embed, view=view)
        elif view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def result_page(
        self, guild_id: int, user_id: int, listing: Listing, page: int, query: str | None
    ) -> tuple[list[Listed], bool, int]:
        """The rows on `page`, whether another page follows, and the page shown (the list may have shrunk)."""
        # Plain rows on a plain connection (`Database.rows()`): a result page needs no ORM objects.
        if listing.mode == "search":
            async with self.bot.db.rows() as connection:
                # Up to this page and one more result: enough to clamp the page and to know whether another
                # follows, and the rows beyond it are never loaded (the order is total, so the page is the same).
                found = await store.search(
                    connection,
                    guild_id,
                    parse_query(query or ""),
                    theme=listing.theme,
                    tag=listing.tag,
                    limit=min(store.SEARCH_LIMIT, (page + 1) * PAGE_SIZE + 1),
                )
            page = min(page, max(len(found) - 1, 0) // PAGE_SIZE)
            start = page * PAGE_SIZE
            return found[start : start + PAGE_SIZE], len(found) > start + PAGE_SIZE, page
        async with self.bot.db.rows() as connection:
            if listing.mode == "saved":
                rows = await store.saved_by(connection, guild_id, user_id, offset=page * PAGE_SIZE, limit=PAGE_SIZE + 1)
            else:
                rows = await store.browse(
                    connection,
                    guild_id,
                    theme=listing.theme,
                    tag=listing.tag,
                    most_helpful=listing.sort == "most helpful",
                    offset=page * PAGE_SIZE,
                    limit=PAGE_SIZE + 1,
                )
        if not rows and page > 0:  # emptied since the list was shown: start again from the first page
            return await self.result_page(guild_id, user_id, listing, 0, query)
        return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE, page

    async def send_link(self, interaction: discord.Interaction, resource_id: int) -> None:
        """The Link button under a result list: the whole link of a resource, privately."""
        async with self.bot.db.read() as session:
            resource = await store.get_resource(session, interaction.guild_id or 0, resource_id)
        if resource is None or resource.status != APPROVED:
            raise NotAllowed("That resource isn't in the library any more.")
        link = stored_uri(resource.url)
        text = f"“{discord.utils.escape_markdown(resource.title)}”: {link}"
        if len(text) > MESSAGE_LIMIT:  # the link alone fits (stored links are at most 2,000 characters as URIs)
            text = link if len(link) <= MESSAGE_LIMIT else f"{short_link(link, 200)} (too long to send whole)"
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @staticmethod
    def results_title(listing: Listing, labels: dict[str, str], query: str | None) -> str:
        if listing.mode == "search":
            return search_title(query or "")
        if listing.mode == "saved":
            return "Your saved resources"
        theme = f" · {labels.get(listing.theme, listing.theme)}" if listing.theme else ""
        return f"The library{theme} · {listing.sort}"

    @staticmethod
    def empty_text(listing: Listing, query: str | None) -> str:
        if listing.mode == "search":
            return (
                f"I found nothing for `{discord.utils.escape_markdown(query or '')}`. Try other words, "
                "or `/resource browse theme:` to see what the library has on a theme."
            )
        if listing.mode == "saved":
            return "You haven't saved anything yet. Press **Save** on a resource to keep it here."
        return "Nothing here yet. Share something helpful with `/resource share`."
