"""Introductions: /intro write, show, find and delete; the welcome on join; clean-up on leave."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from cogs.intros.cards import card_embed, delete_card, expire_kept_answers, load_intro, remove_intro
from cogs.intros.rules import FIND_LIMIT, Match, rank, shared_words
from cogs.intros.tags import LANGUAGE, normalise_tag, normalise_tags, tag_label
from cogs.intros.views import (
    DYNAMIC_ITEMS,
    FORMS,
    THEMES_ASK,
    IntroduceButton,
    confirm_delete_view,
    discoverability_text,
    intro_controls,
    open_intro_modal,
    send_notice,
    take_notice,
)
from core import limits, permissions
from core.errors import InvalidInput
from core.options import render_welcome
from core.privacy import PrivacyProvider
from core.search_text import folded_name
from core.text import NO_MENTIONS, fit_lines, join_words, truncate, unlink
from core.themes import theme_table
from storage.guilds import get_settings
from storage.intros import (
    HERITAGE,
    THEME,
    CardRef,
    delete_member,
    export_member,
    find_candidates,
    get_intro,
    intro_tags,
    listed_intros,
    tag_counts,
)

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

WELCOME_NEEDS = ("view_channel", "send_messages")  # the welcome is text with a button, no embed
NO_INTRO_SELF = "You haven't introduced yourself yet. `/intro write` opens the form."


def _guild_member(interaction: discord.Interaction) -> discord.Member:
    assert interaction.guild is not None and isinstance(interaction.user, discord.Member)
    return interaction.user


NO_THEMES_TIP = (
    "You haven't picked any themes you'd like to talk about: `/intro show` has the menu, and members who pick the "
    "same ones are found by them."
)


class Intros(commands.Cog, name="Introductions"):
    """Member introductions and finding kin."""

    intro = app_commands.Group(
        name="intro",
        description="Introduce yourself and find people who share your heritages, languages and themes",
        guild_only=True,
    )

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        self.view_menu = app_commands.guild_only()(
            app_commands.ContextMenu(name="View intro", callback=self.view_intro_menu)
        )

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.view_menu)
        self.bot.jobs.register("intro-kept-answers", lambda now: expire_kept_answers(self.bot, now))

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.view_menu.name, type=self.view_menu.type)
        self.bot.jobs.unregister("intro-kept-answers")

    # ------------------------------------------------------------------ commands

    @intro.command(name="write", description="Write or edit your introduction card")
    async def write(self, interaction: discord.Interaction) -> None:
        await open_intro_modal(interaction)

    @intro.command(name="show", description="Show a member's introduction, privately")
    @app_commands.describe(member="Whose introduction to show (yours if left empty)")
    async def show(self, interaction: discord.Interaction, member: discord.Member | None = None) -> None:
        await self._show(interaction, member or _guild_member(interaction))

    async def view_intro_menu(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await self._show(interaction, member)

    async def _show(self, interaction: discord.Interaction, member: discord.Member) -> None:
        intro = await load_intro(self.bot, member.guild.id, member.id)
        if intro is None:
            text = (
                NO_INTRO_SELF
                if member.id == interaction.user.id
                else f"{unlink(member.display_name)} hasn't written an introduction yet."
            )
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        embed = card_embed(member, intro, intro.updated_at)
        if member.id != interaction.user.id:
            await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        # Their own card: whether they can be found, the button to change it, and their themes.
        notice = await take_notice(self.bot, member)
        await interaction.response.send_message(
            notice or f"{discoverability_text(intro.discoverable)}\n{THEMES_ASK}",
            embed=embed,
            view=intro_controls(
                member.id,
                intro.discoverable,
                (await self.bot.db.guild_config(member.guild.id)).themes,
                intro_tags(intro, THEME),
            ),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @intro.command(name="delete", description="Delete your introduction and its card")
    async def delete(self, interaction: discord.Interaction) -> None:
        member = _guild_member(interaction)
        if await load_intro(self.bot, member.guild.id, member.id) is None:
            await interaction.response.send_message("You don't have an introduction to delete.", ephemeral=True)
            return
        await limits.check(self.bot, limits.INTRO_DELETE, member.guild.id, member.id)
        await interaction.response.send_message(
            "Delete your introduction? Its card is removed from the intro channel and I forget what you wrote.",
            view=confirm_delete_view(member.id),
            ephemeral=True,
        )

    @intro.command(name="find", description="Find members who chose to be found and share heritages, languages, themes")
    @app_commands.describe(
        heritage="A heritage or culture, e.g. Filipino (leave all empty to use your own intro)",
        language="A language, e.g. Tagalog",
        keyword="Part of a heritage, language or theme members chose to be found by, e.g. Ilocano",
    )
    async def find(
        self,
        interaction: discord.Interaction,
        heritage: app_commands.Range[str, 1, 100] | None = None,
        language: app_commands.Range[str, 1, 100] | None = None,
        keyword: app_commands.Range[str, 2, 50] | None = None,
    ) -> None:
        member = _guild_member(interaction)
        heritages = normalise_tags(heritage) if heritage else frozenset()
        languages = normalise_tags(language, LANGUAGE) if language else frozenset()
        words = " ".join(keyword.split()) if keyword else None
        # Only tags are searched (never a story or a town): the keyword is folded like a tag.
        keyword_tags = (
            frozenset(tag for tag in (normalise_tag(keyword), normalise_tag(keyword, LANGUAGE)) if tag)
            if keyword
            else frozenset()
        )
        config = await self.bot.db.guild_config(member.guild.id)
        if keyword:
            theme = theme_table([*config.themes, *config.themes_off]).get(folded_name(keyword))
            keyword_tags |= {theme} if theme else frozenset()
        needle = normalise_tag(keyword) if keyword else None
        themes: frozenset[str] = frozenset()
        tip = ""  # said when the searcher's own intro is searched and they picked no themes
        given = [text for text in (heritage, language, keyword) if text]
        if given and not (heritages or languages or needle or keyword_tags):
            shown = ", ".join(f"`{text}`" for text in given)
            raise InvalidInput("That search", f"({shown}) has no words I can match", "Try a heritage or language name.")

        if not given:
            async with self.bot.db.read() as session:
                own = await get_intro(session, member.guild.id, member.id)
            if own is None:
                await interaction.response.send_message(
                    "Tell me a heritage, language or keyword to look for, or write your introduction with "
                    "`/intro write` so I can find people who share yours.",
                    ephemeral=True,
                )
                return
            heritages = frozenset(intro_tags(own, HERITAGE))
            languages = frozenset(intro_tags(own, LANGUAGE))
            themes = frozenset(intro_tags(own, THEME))
            tip = "" if themes else f"\n{NO_THEMES_TIP}"
        async with self.bot.db.rows() as reader:  # plain columns only: a connection, no ORM session
            candidates = await find_candidates(
                reader,
                member.guild.id,
                exclude_user_id=member.id,
                heritages=heritages,
                languages=languages,
                themes=themes,
                keyword=needle,
                keyword_tags=keyword_tags,
            )
            ranked = rank(
                (
                    Match(
                        c.user_id,
                        frozenset(c.heritages),
                        frozenset(c.languages),
                        c.keyword,
                        c.updated_at,
                        frozenset(c.themes),
                    )
                    for c in candidates
                    if member.guild.get_member(c.user_id) is not None
                ),
                limit=None,
            )
            matches = ranked[:FIND_LIMIT]
            intros, notice_pending = await listed_intros(
                reader, member.guild.id, (match.user_id for match in matches), member.id
            )

        if not matches:
            await interaction.response.send_message(
                "I couldn't find anyone discoverable who shares that yet. New people arrive all the time; "
                f"try a broader word, or check back later.{tip}",
                ephemeral=True,
            )
            if notice_pending:  # read above; the write claims it, so the note is still shown exactly once
                await send_notice(interaction, member)
            return
        lines = []
        for number, match in enumerate(matches, start=1):
            intro = intros[match.user_id]
            shared = (
                shared_words(intro.heritages, match.heritages)
                + shared_words(intro.languages, match.languages, LANGUAGE)
                + [config.theme_labels.get(key, key) for key in sorted(match.themes)]
            )
            if match.keyword and words:
                shared.append(f"“{words}”")
            name = discord.utils.escape_markdown(intro.name)
            lines.append(f"**{number}. {name}** (<@{match.user_id}>): {truncate(unlink(join_words(shared)), 200)}")
        embed = discord.Embed(
            title="People you share something with",
            description=fit_lines(
                lines,
                4096,
                lambda left: f"…and {left} more. Add a language or a keyword to narrow the search.",
                total=len(ranked),
            ),
            colour=0xF4B942,
        )
        embed.set_footer(text="Only members who chose to be discoverable are listed. /intro show member shows a card.")
        await interaction.response.send_message(
            tip.strip() or None, embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        if notice_pending:
            await send_notice(interaction, member)

    @find.autocomplete("heritage")
    async def heritage_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._tag_choices(interaction, HERITAGE, current)

    @find.autocomplete("language")
    async def language_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._tag_choices(interaction, LANGUAGE, current)

    async def _tag_choices(
        self, interaction: discord.Interaction, kind: str, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        typed = (normalise_tag(current[:100], kind) or "") if current.strip() else ""
        async with self.bot.db.read() as session:
            rows = await tag_counts(session, interaction.guild_id, kind, typed)
        return [
            app_commands.Choice(name=truncate(f"{tag_label(tag)} ({count})", 100), value=tag) for tag, count in rows
        ]

    # ----------------------------------------------------------------- listeners

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """Welcome a newcomer, unless Discord's membership screening or onboarding still holds them (pending)."""
        if member.bot or member.pending:
            return
        await self.welcome(member)

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """A member who finishes membership screening or onboarding is welcomed then, once."""
        if before.pending and not after.pending and not after.bot:
            await self.welcome(after)

    async def welcome(self, member: discord.Member) -> None:
        """Welcome a member in the welcome channel, with a button that opens the intro form."""
        guild = member.guild
        async with self.bot.db.read() as session:
            settings = await get_settings(session, guild.id)
        if settings is None or settings.welcome_channel_id is None:
            return
        channel = guild.get_channel(settings.welcome_channel_id)
        if not isinstance(channel, discord.TextChannel):
            await self.bot.modlog.post(
                guild.id,
                "Welcome not posted",
                f"The welcome channel is gone, so {member.mention} wasn't welcomed. "
                "Choose another with `/setup channels welcome:`.",
            )
            return
        text = render_welcome(settings.welcome_template, member=member.mention, server=guild.name)
        view = discord.ui.View(timeout=None)
        view.add_item(IntroduceButton())
        try:
            await channel.send(
                text,
                view=view,
                allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=[member]),
            )
        except discord.HTTPException as error:
            log.warning("could not welcome %s in guild %s: %s", member.id, guild.id, error)
            await self.bot.modlog.post(
                guild.id,
                "Welcome not posted",
                f"I couldn't welcome {member.mention}: {permissions.refusal(channel, error, *WELCOME_NEEDS)}.",
            )

    @commands.Cog.listener()
    async def on_member_departed(self, guild_id: int, user_id: int) -> None:
        """A member who leaves (seen live, or found gone at start) takes their card and their intro with them."""
        await remove_intro(self.bot, guild_id, user_id)


async def privacy_cleanup(bot: LanternBot, guild: discord.Guild, user_id: int) -> None:
    """Before /privacy delete removes the rows: take the member's card out of the intro channel."""
    intro = await load_intro(bot, guild.id, user_id)
    if intro is not None:
        await delete_card(bot, CardRef(intro.channel_id, intro.message_id))


async def setup(bot: LanternBot) -> None:
    cog = Intros(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(*DYNAMIC_ITEMS)
    bot.forms.register(*FORMS)
    bot.privacy.register(
        PrivacyProvider(
            name="Introductions",
            summary=(
                "Your introduction (name and pronouns, heritages, languages, where you are, your story), "
                "its tags and the themes you picked for /intro find, whether you are discoverable, and where your "
                "card is posted; and "
                "for a day, the answers of a form I refused, so the next form opens with them."
            ),
            tables=("intros", "intro_tags", "intro_drafts"),
            export=export_member,
            delete=delete_member,
            cleanup=privacy_cleanup,
        )
    )
