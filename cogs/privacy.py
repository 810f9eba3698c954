"""/privacy: what Lantern stores about me, a copy of it, and erasing it."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.intros.views import discoverability_text, discoverable_view
from cogs.prompts import anonymous
from core import held, limits, traces
from core.errors import NotAllowed
from core.jobs import backoff, guild_unavailable
from core.privacy import PrivacyProvider
from core.ui import LanternView, PersistentButton
from storage import departures
from storage.database import rowcount
from storage.guilds import ensure_settings
from storage.intros import get_intro
from storage.models import Departure

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)


async def collect(bot: LanternBot, guild_id: int, user_id: int) -> dict[str, Any]:
    """Everything every feature stores about the member, by feature name."""
    data: dict[str, Any] = {}
    async with bot.db.read() as session:
        for name, provider in sorted(bot.privacy.providers.items()):
            data[name] = await provider.export(session, guild_id, user_id)
    return data


def _is_empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_is_empty(v) for v in value.values())
    if isinstance(value, list | tuple | set):
        return len(value) == 0
    return value is None


async def erase(bot: LanternBot, guild_id: int, user_id: int) -> int:
    """Run every feature's Discord clean-up (when the guild is reachable), then delete every row about
    the member in one transaction. Idempotent: erasing twice removes nothing the second time."""
    guild = bot.get_guild(guild_id)
    if guild is not None:
        for provider in bot.privacy.providers.values():
            if provider.cleanup is not None:
                try:
                    await provider.cleanup(bot, guild, user_id)
                except Exception:
                    log.exception("privacy clean-up of %s failed (guild=%s)", provider.name, guild_id)
    removed = 0
    async with bot.db.write() as session:
        for provider in bot.privacy.providers.values():
            removed += await provider.delete(session, guild_id, user_id)
    await bot.db.scrub()
    return removed


class ConfirmDelete(PersistentButton, template=r"privacy:delete:(?P<user_id>\d+)"):
    """The red button under `/privacy delete`; only the member it was shown to can press it."""

    def __init__(self, user_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Delete everything", style=discord.ButtonStyle.danger, custom_id=f"privacy:delete:{user_id}"
            )
        )
        self.user_id = user_id

    async def handle(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.user_id or interaction.guild is None:
            raise NotAllowed("This button belongs to someone else's request.")
        bot = cast("LanternBot", interaction.client)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await erase(bot, interaction.guild.id, self.user_id)
        await interaction.followup.send(
            "Done. I've erased everything I stored about you in this server. "
            "Anything you share from now on starts fresh.",
            ephemeral=True,
        )


class PrivacyCog(commands.Cog):
    privacy = app_commands.Group(name="privacy", description="What Lantern stores about you", guild_only=True)

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        self._reconciled: set[int] = set()  # guilds whose departures were reconciled by this process
        # (guild, member) → (next try, failures in a row) for retention erasures that failed
        self._purge_retry: dict[tuple[int, int], tuple[datetime, int]] = {}

    async def cog_load(self) -> None:
        self.bot.jobs.register("privacy-retention", self.purge_due)

    async def cog_unload(self) -> None:
        self.bot.jobs.unregister("privacy-retention")

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Start the retention clock, then tell every feature the member is gone (`on_member_departed`):
        the intro card goes at once, mentor pairing lets them go."""
        now = self.bot.clock()
        async with self.bot.db.write() as session:
            settings = await ensure_settings(session, payload.guild_id, now)
            departure = await session.get(Departure, (payload.guild_id, payload.user.id))
            purge_after = now + timedelta(days=settings.retention_days)
            if departure is None:
                session.add(
                    Departure(guild_id=payload.guild_id, user_id=payload.user.id, left_at=now, purge_after=purge_after)
                )
            else:
                departure.left_at, departure.purge_after = now, purge_after
        if not payload.user.bot:
            self.bot.dispatch("member_departed", payload.guild_id, payload.user.id)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """At start (and after an outage): members who left while I couldn't hear it start their retention."""
        await self.reconcile(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Added back to a server within its retention: members still there keep their data."""
        await self.reconcile(guild)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The server removed Lantern: everyone it holds data for there starts the retention."""
        await self.guild_gone(guild.id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Once every shard is ready: reconcile the guilds no `guild_available` reached (it isn't sent for a
        guild whose startup was cut short), and the servers that removed Lantern while it was down, which
        no event will ever announce."""
        for guild in list(self.bot.guilds):
            if guild.id not in self._reconciled and not guild.unavailable:
                await self.reconcile(guild)
        async with self.bot.db.read() as session:
            known = await departures.guilds_with_settings(session)
        for guild_id in known:
            if self.bot.owns_guild(guild_id) and self.bot.get_guild(guild_id) is None:
                await self.guild_gone(guild_id)

    async def guild_gone(self, guild_id: int) -> None:
        async with self.bot.db.write() as session:
            members = await departures.members_with_data(session, guild_id)
            started = await departures.start_retention(session, guild_id, members, self.bot.clock())
        if started:
            log.info("guild %s removed Lantern: retention started for %d members", guild_id, len(started))

    async def reconcile(self, guild: discord.Guild) -> None:
        """Compare the guild's members with the members I hold data for. Only a complete member list is
        trusted: a guild whose members can't all be loaded is left as it is until next time."""
        if not self.bot.owns_guild(guild.id):
            return
        if not guild.chunked:
            try:
                await guild.chunk()
            except (discord.HTTPException, discord.ClientException, TimeoutError) as error:
                log.warning("could not load the members of guild %s to reconcile departures: %s", guild.id, error)
                return
        if not guild.chunked:
            log.warning("the member list of guild %s is incomplete; departures not reconciled", guild.id)
            return
        self._reconciled.add(guild.id)
        present = {member.id for member in guild.members}
        async with self.bot.db.write() as session:
            members = await departures.members_with_data(session, guild.id)
            gone = await departures.departed(session, guild.id)
            await departures.stop_retention(session, guild.id, gone & present)
            started = await departures.start_retention(session, guild.id, members - present, self.bot.clock())
        for user_id in sorted(started):
            self.bot.dispatch("member_departed", guild.id, user_id)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """A member back within the retention window keeps what was kept, and is told so privately."""
        async with self.bot.db.write() as session:
            departure = await session.get(Departure, (member.guild.id, member.id))
            if departure is None:
                return
            await session.delete(departure)
        data = await collect(self.bot, member.guild.id, member.id)
        kept = [name for name, value in sorted(data.items()) if not _is_empty(value)]
        if not kept:
            return
        text = (
            f"Welcome back to {member.guild.name}. I still had some of what you shared before you left: "
            f"{', '.join(kept)}. Nothing was restored publicly. `/privacy show` tells you more, "
            "and `/privacy delete` erases it."
        )
        try:
            await member.send(text)
        except discord.HTTPException:
            log.info("could not DM returning member %s in guild %s", member.id, member.guild.id)

    async def purge_due(self, now: datetime) -> int:
        """Erase the data of members whose retention has passed (and who have not come back)."""
        async with self.bot.db.read() as session:
            due = (
                await session.execute(
                    select(Departure.guild_id, Departure.user_id).where(Departure.purge_after <= now).limit(500)
                )
            ).all()
        for guild_id, user_id in due:
            if not self.bot.owns_guild(guild_id):
                continue  # the process holding that guild's shard erases it (and its cards)
            if guild_unavailable(self.bot, guild_id):
                continue  # an outage: its member list is empty, not gone; nobody is erased on its say-so
            retry_at = self._purge_retry.get((guild_id, user_id))
            if retry_at is not None and now < retry_at[0]:
                continue
            try:
                await self.purge_one(guild_id, user_id)
            except Exception as error:
                # One member's erasure failing never holds back the others'; it is tried again after its backoff.
                failures = retry_at[1] + 1 if retry_at else 1
                self._purge_retry[guild_id, user_id] = (now + backoff(failures), failures)
                if failures == 1:
                    log.error("retention erasure in guild %s failed; tried again later", guild_id, exc_info=error)
                else:
                    log.debug("retention erasure in guild %s failed again (%d): %s", guild_id, failures, error)
                continue
            self._purge_retry.pop((guild_id, user_id), None)
        return len(due)

    async def purge_one(self, guild_id: int, user_id: int) -> None:
        guild = self.bot.get_guild(guild_id)
        if guild is not None and guild.get_member(user_id) is not None:
            async with self.bot.db.write() as session:
                await session.execute(
                    delete(Departure).where(Departure.guild_id == guild_id, Departure.user_id == user_id)
                )
            return
        await erase(self.bot, guild_id, user_id)

    @privacy.command(name="show", description="See what Lantern stores about you, feature by feature")
    async def show(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        data = await collect(self.bot, interaction.guild_id, interaction.user.id)
        embed = discord.Embed(
            title="What I store about you here",
            description=(
                "Only what each feature needs. `/privacy export` sends you a copy; `/privacy delete` erases it."
            ),
            colour=0xF4B942,
        )
        for name, provider in sorted(self.bot.privacy.providers.items()):
            state = "Nothing stored about you." if _is_empty(data.get(name)) else "I have some of this about you."
            embed.add_field(name=name, value=f"{provider.summary}\n**{state}**", inline=False)
        if not self.bot.privacy.providers:
            embed.add_field(name="Nothing", value="No feature stores anything about members yet.", inline=False)
        # PRODUCT.md: being findable in /intro find is "changeable in /intro show or /privacy": the same button.
        async with self.bot.db.read() as session:
            intro = await get_intro(session, interaction.guild_id, interaction.user.id)
        if intro is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return
        view = discoverable_view(interaction.user.id, intro.discoverable)
        text = discoverability_text(intro.discoverable)
        await interaction.response.send_message(text, embed=embed, view=view, ephemeral=True)

    @privacy.command(name="export", description="Get a file with everything Lantern stores about you")
    async def export(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await limits.check(self.bot, limits.PRIVACY_EXPORT, interaction.guild_id, interaction.user.id)
        await limits.record_now(self.bot, limits.PRIVACY_EXPORT, interaction.guild_id, interaction.user.id)
        data = await collect(self.bot, interaction.guild_id, interaction.user.id)
        payload = {
            "guild_id": str(interaction.guild_id),
            "user_id": str(interaction.user.id),
            "exported_at": self.bot.clock().isoformat(),
            "features": data,
        }
        raw = json.dumps(payload, indent=2, ensure_ascii=False, default=str).encode("utf-8")
        await interaction.response.send_message(
            "Here is everything I store about you in this server.",
            file=discord.File(io.BytesIO(raw), filename="lantern-my-data.json"),
            ephemeral=True,
        )

    @privacy.command(name="answers", description="See your anonymous answers under prompts, and delete any of them")
    async def answers(self, interaction: discord.Interaction) -> None:
        await anonymous.show_own(self.bot, interaction)  # cogs/prompts/anonymous.py: found by your keyed hash

    @privacy.command(name="delete", description="Erase everything Lantern stores about you (asks to confirm)")
    async def delete(self, interaction: discord.Interaction) -> None:
        view = LanternView(timeout=None)
        view.add_item(ConfirmDelete(interaction.user.id))
        await interaction.response.send_message(
            "This erases your introduction and its card, your mentoring profile (active pairings end kindly), "
            "your prompt suggestions and anonymous answers, your votes and bookmarks. Resources you shared stay in "
            "the library without your name; reports you sent stay for the moderators without your name or words. "
            "This can't be undone.",
            view=view,
            ephemeral=True,
        )


async def export_departure(session: AsyncSession, guild_id: int, user_id: int) -> dict[str, Any]:
    departure = await session.get(Departure, (guild_id, user_id))
    if departure is None:
        return {"left_at": None}
    return {"left_at": departure.left_at.isoformat(), "erase_after": departure.purge_after.isoformat()}


async def delete_departure(session: AsyncSession, guild_id: int, user_id: int) -> int:
    result = await session.execute(
        delete(Departure).where(Departure.guild_id == guild_id, Departure.user_id == user_id)
    )
    return rowcount(result)


async def setup(bot: LanternBot) -> None:
    bot.privacy.register(
        PrivacyProvider(
            name="Membership",
            summary="The date you left this server, so the rest can be erased once the retention period ends.",
            tables=("departures",),
            export=export_departure,
            delete=delete_departure,
        )
    )
    bot.privacy.register(limits.PROVIDER)  # when a member last used a rate-limited command
    bot.privacy.register(traces.PROVIDER)  # mod-log entries naming a member, and their pair threads
    bot.privacy.register(held.PROVIDER)  # messages kept for members whose DMs are closed
    bot.add_dynamic_items(ConfirmDelete)
    await bot.add_cog(PrivacyCog(bot))
