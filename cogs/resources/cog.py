"""/resource (members): share, search, browse, saved, remove; and the library's shared actions.

The result lists the searches show (and their page and Link buttons) are in results.py; the moderators'
`/resources` group is in moderation.py, the buttons and forms in views.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, cast

import discord
from discord import app_commands
from discord.ext import commands

from cogs.intros.tags import normalise_tag
from cogs.resources import cards, library
from cogs.resources.results import ResultLists
from cogs.resources.urls import MAX_URL_LENGTH
from cogs.resources.views import (
    LinkButton,
    Listing,
    PageButton,
    ReviewButton,
    VoteButton,
    resource_embed,
    resource_view,
)
from core import limits
from core.channels import configured_channel
from core.errors import InvalidInput, NotAllowed, NotFound
from core.privacy import PrivacyProvider
from core.search_text import parse_query, typed_in
from core.text import NO_MENTIONS, truncate
from storage import resources as store
from storage.guilds import get_settings
from storage.models.resources import HELPED, PENDING, Resource

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.resources.moderation import ResourceModeration

log = logging.getLogger(__name__)

FEATURE = "The resource library"


UNSAVED_LOG = "Nothing was added to the library; the member was asked to share it again once it's fixed."


def unsaved_text(failure: cards.CardNotPosted) -> str:
    """What a member reads when their share couldn't be posted (and so wasn't kept)."""
    if failure.tells_moderators:
        return (
            f"{failure.problem()}, so I haven't saved your link. I've told the moderators; please share it again "
            "once they've fixed it."
        )
    return f"{failure.problem()}, so I haven't saved your link. Please share it again in a few minutes."


def theme_choices(known: Sequence[tuple[str, str]], current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=label, value=key) for key, label in known if typed_in(current, key, label)][:25]


def themes_list_choices(known: Sequence[tuple[str, str]], current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for a comma-separated themes field: keep what is typed, complete the last entry."""
    *done, last = current.split(",") if current else [""]
    lookup = {key.casefold(): key for key, _ in known} | {label.casefold(): key for key, label in known}
    chosen = [lookup[entry.strip().casefold()] for entry in done if entry.strip().casefold() in lookup]
    choices = []
    for choice in theme_choices([(k, lbl) for k, lbl in known if k not in chosen], last):
        value = ", ".join([*chosen, choice.value])
        if len(value) <= 100:
            choices.append(app_commands.Choice(name=truncate(value, 100), value=value))
    return choices


class Resources(ResultLists, commands.Cog):
    """The shared library of articles, books, organisations and communities."""

    resource = app_commands.Group(name="resource", description="The shared resource library", guild_only=True)

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        self.cards = cards.CardPoster(bot)

    # Helpers shared with the moderator cog and the buttons -----------------------------------

    async def theme_labels(self, guild_id: int) -> dict[str, str]:
        return (await self.bot.db.guild_config(guild_id)).theme_labels

    async def resolve_theme(self, guild_id: int, theme: str | None) -> str | None:
        if not theme or not theme.strip():
            return None
        known = (await self.bot.db.guild_config(guild_id)).themes
        keys = library.parse_themes(theme, known)
        if not keys:  # only commas: no theme named at all
            raise InvalidInput(
                "The theme", f"`{theme.strip()[:80]}` names no theme", "Pick a theme from the list as you type."
            )
        return keys[0]

    def link_to(self, resource: Resource, guild_id: int) -> str:
        if resource.channel_id and resource.message_id:
            return f"https://discord.com/channels/{guild_id}/{resource.channel_id}/{resource.message_id}"
        return f"`/resource search` for #{resource.id}"

    async def tell(self, user_id: int | None, text: str) -> bool:
        """DM a member, trying again after a transient failure; closed DMs (or a member who left) are not a
        failure."""
        if not user_id:
            return False
        try:
            found = self.bot.get_user(user_id)
            user = found if found is not None else await cards.with_retries(lambda: self.bot.fetch_user(user_id))
            await cards.with_retries(lambda: user.send(text, allowed_mentions=NO_MENTIONS))
        except (discord.HTTPException, *cards.CONNECTION_ERRORS) as error:
            log.info("could not DM user %s about a resource: %s", user_id, error)
            return False
        return True

    # /resource share ------------------------------------------------------------------------

    @resource.command(name="share", description="Share a link with the library (moderators may review it first)")
    @app_commands.describe(
        url="The link, starting with https:// (up to 2000 characters)",
        title="A short name for it (up to 150 characters)",
        description="What it is and why it helps (up to 1000 characters)",
        themes="Themes it fits, comma-separated; pick from the list as you type",
        tags="Free tags, comma-separated, like 'books, tagalog' (up to 200 characters)",
    )
    async def share(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, MAX_URL_LENGTH],
        title: app_commands.Range[str, 1, library.MAX_TITLE],
        description: app_commands.Range[str, 1, library.MAX_DESCRIPTION] | None = None,
        themes: app_commands.Range[str, 1, 200] | None = None,
        tags: app_commands.Range[str, 1, library.MAX_TAGS_TEXT] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        known = (await self.bot.db.guild_config(guild.id)).themes
        async with self.bot.db.read() as session:
            await limits.check_in(session, limits.RESOURCE_SHARE, guild.id, interaction.user.id, self.bot.clock())
            settings = await get_settings(session, guild.id)
            waiting = await store.pending_from(session, guild.id, interaction.user.id)
        review = settings.review_resources if settings is not None else True
        if review and waiting >= limits.MAX_PENDING_RESOURCES:
            raise NotAllowed(
                f"You have {waiting} links waiting for a moderator's review already. I'll take more once they've "
                "looked at those; I send you a DM about each one."
            )
        draft = library.validate(url, title, description, themes, tags, known)
        channel = None
        if not review:
            async with self.bot.db.read() as session:
                channel = await configured_channel(
                    session, guild, "resources_channel_id", feature=FEATURE, option="resources"
                )
            try:
                what = cards.shared_what(draft.title, interaction.user.id)
                await self.cards.refuse_unpostable(guild, channel, what, UNSAVED_LOG)
            except cards.CardNotPosted as failure:
                raise NotAllowed(unsaved_text(failure)) from None
        async with self.bot.db.write() as session:
            existing = await store.find_by_canonical(session, guild.id, draft.canonical_url)
            added = None
            if existing is None:
                added = await store.add_resource(
                    session,
                    guild_id=guild.id,
                    url=draft.url,
                    canonical_url=draft.canonical_url,
                    title=draft.title,
                    description=draft.description,
                    themes=draft.themes,
                    tags=draft.tags,
                    submitter_id=interaction.user.id,
                    approved=not review,
                    now=self.bot.clock(),
                )
                if added is None:  # shared by someone else a moment ago
                    existing = await store.find_by_canonical(session, guild.id, draft.canonical_url)
                elif review:  # with review off, the share counts once its card is posted
                    await limits.record(session, limits.RESOURCE_SHARE, guild.id, interaction.user.id, self.bot.clock())
        if added is None:
            assert existing is not None
            await interaction.response.send_message(self.duplicate_text(existing, guild.id), ephemeral=True)
            return
        if review:
            await interaction.response.send_message(
                f"Thank you! “{discord.utils.escape_markdown(added.title)}” is waiting for a moderator's review. "
                "I'll send you a DM when it's decided.",
                ephemeral=True,
            )
            return
        assert channel is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            message = await self.cards.publish(guild, added, channel, UNSAVED_LOG)
        except Exception as error:
            # Nothing stays in the library that nobody can see: the share is undone, whatever went wrong.
            async with self.bot.db.write() as session:
                await store.delete_resource(session, guild.id, added.id)
            if isinstance(error, cards.CardNotPosted):
                raise NotAllowed(unsaved_text(error)) from None
            raise
        async with self.bot.db.write() as session:
            await store.set_message(session, added.id, channel.id, message.id)
            await limits.record(session, limits.RESOURCE_SHARE, guild.id, interaction.user.id, self.bot.clock())
        added.channel_id, added.message_id = channel.id, message.id
        await interaction.followup.send(
            f"Added “{discord.utils.escape_markdown(added.title)}” to the library: {self.link_to(added, guild.id)}",
            ephemeral=True,
        )

    def duplicate_text(self, existing: Resource, guild_id: int) -> str:
        title = discord.utils.escape_markdown(existing.title)
        if existing.status == PENDING:
            return f"That link was already shared as “{title}” (#{existing.id}) and is waiting for review."
        return f"That link is already in the library as “{title}” (#{existing.id}): {self.link_to(existing, guild_id)}"

    @share.autocomplete("themes")
    async def share_themes_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        known = (await self.bot.db.guild_config(interaction.guild_id or 0)).themes
        return themes_list_choices(known, current)

    # /resource search, browse, saved ----------------------------------------------------------

    @resource.command(name="search", description="Search the library by words in titles, descriptions and tags")
    @app_commands.describe(
        query="Words to look for (up to 200 characters)",
        theme="Only resources with this theme",
        tag="Only resources with this tag",
    )
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 200],
        theme: app_commands.Range[str, 1, 80] | None = None,
        tag: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        guild_id = interaction.guild_id or 0
        if not parse_query(query):
            raise InvalidInput(f"The search `{query}`", "has no words in it", "Type a word or two, like `identity`.")
        theme_key = await self.resolve_theme(guild_id, theme)
        listing = Listing("search", theme_key, normalise_tag(tag) if tag else None)
        await self.show_results(interaction, listing, 0, query=query)

    @resource.command(name="browse", description="Browse the library, newest or most helpful first")
    @app_commands.describe(
        theme="Only resources with this theme", tag="Only resources with this tag", sort="Which come first"
    )
    async def browse(
        self,
        interaction: discord.Interaction,
        theme: app_commands.Range[str, 1, 80] | None = None,
        tag: app_commands.Range[str, 1, 40] | None = None,
        sort: Literal["newest", "most helpful"] = "newest",
    ) -> None:
        theme_key = await self.resolve_theme(interaction.guild_id or 0, theme)
        listing = Listing("browse", theme_key, normalise_tag(tag) if tag else None, sort)
        await self.show_results(interaction, listing, 0)

    @resource.command(name="saved", description="The resources you saved")
    async def saved(self, interaction: discord.Interaction) -> None:
        await self.show_results(interaction, Listing("saved"), 0)

    @search.autocomplete("theme")
    @browse.autocomplete("theme")
    async def theme_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        known = (await self.bot.db.guild_config(interaction.guild_id or 0)).themes
        return theme_choices(known, current)

    # /resource remove -----------------------------------------------------------------------

    @resource.command(name="remove", description="Remove a resource you shared")
    @app_commands.describe(resource="The resource (pick from the list as you type its title)")
    async def remove(self, interaction: discord.Interaction, resource: app_commands.Range[int, 1]) -> None:
        guild_id = interaction.guild_id or 0
        async with self.bot.db.write() as session:
            removed = await store.delete_resource(session, guild_id, resource, submitter_id=interaction.user.id)
        if removed is None:
            raise NotFound(
                "a resource you shared with the number", str(resource), "Pick one from the list as you type."
            )
        await interaction.response.send_message(
            f"Removed “{discord.utils.escape_markdown(removed.title)}” from the library.", ephemeral=True
        )
        await self.cards.unpost(interaction, removed)

    @remove.autocomplete("resource")
    async def own_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        async with self.bot.db.read() as session:
            rows = await store.own_or_all(session, interaction.guild_id or 0, current, submitter_id=interaction.user.id)
        return [app_commands.Choice(name=truncate(f"#{r.id} {r.title}", 100), value=r.id) for r in rows]

    # Buttons ----------------------------------------------------------------------------------

    async def toggle_vote(self, interaction: discord.Interaction, kind: str, resource_id: int) -> None:
        guild_id = interaction.guild_id or 0
        async with self.bot.db.write() as session:
            outcome = await store.toggle_vote(
                session, guild_id, resource_id, interaction.user.id, kind, self.bot.clock()
            )
        if outcome is None:
            raise NotAllowed("That resource isn't in the library any more.")
        resource, now_on = outcome
        labels = await self.theme_labels(guild_id)
        try:
            await interaction.response.edit_message(
                embed=resource_embed(resource, labels), view=resource_view(resource)
            )
        except discord.HTTPException:
            # The member's click shows them nothing: take the vote back, so the count is what they see.
            async with self.bot.db.write() as session:
                await store.toggle_vote(session, guild_id, resource_id, interaction.user.id, kind, self.bot.clock())
            raise
        if kind == HELPED:
            text = "Glad it helped! I've counted it." if now_on else "I've taken back your “helped me”."
        else:
            text = "Saved. `/resource saved` lists your bookmarks." if now_on else "Removed from your saved resources."
        await interaction.followup.send(text, ephemeral=True)

    async def review(self, interaction: discord.Interaction, action: str, resource_id: int) -> None:
        # Only moderators see /resources review, and its message is ephemeral: Discord accepts clicks on
        # these buttons only from them (Integrations overrides included), so no home-made role check.
        moderation = cast("ResourceModeration", self.bot.get_cog("ResourceModeration"))
        await moderation.review_action(interaction, action, resource_id)


async def setup(bot: LanternBot) -> None:
    from cogs.resources.moderation import ResourceModeration

    await bot.add_cog(Resources(bot))
    await bot.add_cog(ResourceModeration(bot))
    bot.add_dynamic_items(VoteButton, ReviewButton, PageButton, LinkButton)
    bot.privacy.register(
        PrivacyProvider(
            name="Resources",
            summary="The links you shared, and the resources you marked “helped me” or saved.",
            tables=("resources", "resource_labels", "resource_votes"),
            export=store.member_data,
            delete=store.forget_member,
            cleanup=cards.remove_shared_cards,
        )
    )
