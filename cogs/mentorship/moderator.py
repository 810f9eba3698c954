"""/pairing: what moderators do. Hidden from members (Manage Server); every action goes to the mod-log."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from cogs.mentorship import rules
from cogs.mentorship.rounds import RoundOutcome, engine_mentee, engine_mentor, weights
from core import charts
from core.errors import InvalidInput, NotAllowed, NotFound
from core.search_text import typed_in
from core.text import NO_MENTIONS, fit_lines, plural, truncate, unlink
from engine import matching
from storage import mentorship as store
from storage.guilds import enabled_themes
from storage.mentorship import followups
from storage.models.mentorship import MET, NOT_WORKING, NOT_YET, NOTICE_INVITE, PENDING_MENTOR, PROTECT_BLOCK

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.mentorship.cog import Mentorship

FORCED_REASON = "A moderator thought you two would get on well."
# One wording for every reason that is a member's own to keep (a pause, a block, a protection kept after an
# erasure), so a refusal never tells the moderator which one it was (PRIVACY.md).
UNAVAILABLE = (
    "I can't propose {mentor} to mentor {mentee} right now, and I've sent nothing to either of them. "
    "Whether a member is available for a pairing is theirs to keep private; `/pairing run` pairs everyone who is."
)
DESCRIPTION_LIMIT = 4096  # Discord's limits for an embed's description and for one field's value
FIELD_LIMIT = 1024
FEEDBACK_DAYS = 90  # how far back /pairing list shows the feedback of ended pairings
FEEDBACK_SHOWN = 10


def round_lines(outcome: RoundOutcome) -> list[str]:
    return [
        f"<@{pair.mentor_id}> → <@{pair.mentee_id}> · score {pair.score} · {truncate(pair.reason, 200)}"
        for pair in outcome.pairs
    ]


STATS_WINDOW = timedelta(days=182)
MEET_LABELS = ((MET, "we've met"), (NOT_YET, "not yet"), (NOT_WORKING, "isn't working"))


def shown(count: int) -> str:
    """A count, or "fewer than 5" for a group small enough to point at someone (as the chart does)."""
    return f"fewer than {charts.MIN_GROUP}" if 0 < count < charts.MIN_GROUP else str(count)


def ratings_line(ratings: dict[int, int]) -> str:
    """Check-in ratings; a breakdown only once there are enough answers that no one can be singled out."""
    given = sum(ratings.values())
    if given == 0:
        return "no check-in answers yet"
    if given < charts.MIN_GROUP:
        return f"fewer than {charts.MIN_GROUP} answers so far"
    average = sum(k * v for k, v in ratings.items()) / given
    parts = []
    for stars in range(1, 6):
        count = ratings.get(stars, 0)
        parts.append(f"{stars}★ {count if count == 0 or count >= charts.MIN_GROUP else 'fewer than 5'}")
    return " · ".join(parts) + f" (average {average:.1f}, {given} answers)"


class PairingGroup(
    app_commands.Group,
    name="pairing",
    description="Mentor pairing rounds and pairings (moderators)",
    guild_only=True,
    default_permissions=discord.Permissions(manage_guild=True),
):
    auto = app_commands.Group(name="auto", description="Recurring pairing rounds")

    def __init__(self, cog: Mentorship) -> None:
        super().__init__()
        self.cog = cog

    @property
    def bot(self) -> LanternBot:
        return self.cog.bot

    @app_commands.command(name="run", description="Run one matching round now")
    @app_commands.describe(dry_run="Only show who would be proposed, with scores and reasons; send and save nothing")
    async def run(self, interaction: discord.Interaction, dry_run: bool = False) -> None:
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.cog.rounds.run(interaction.guild, dry_run=dry_run)
        lines = round_lines(outcome)
        head = (
            f"Dry run: I would propose {plural(outcome.proposed, 'pair')}. Nothing was sent or saved."
            if dry_run
            else f"Round done: {plural(len(outcome.created), 'proposal')} sent to mentors first."
        )
        summary = (
            f"{plural(outcome.mentees, 'person', 'people')} waiting for a mentor, "
            f"{plural(outcome.mentors, 'mentor')} with a place; {outcome.unmatched} left unmatched."
        )
        top = f"{head}\n{summary}\n\n"
        shown = fit_lines(
            lines,
            DESCRIPTION_LIMIT - len(top),
            lambda left: f"…and {plural(left, 'more pair')}.",
            total=outcome.proposed,
        )
        embed = discord.Embed(
            title="Pairing round (dry run)" if dry_run else "Pairing round",
            description=top + shown if lines else f"{head}\n{summary}",
            colour=0xF4B942,
        )
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)
        await self.bot.modlog.post(
            interaction.guild.id,
            "Pairing round (dry run)" if dry_run else "Pairing round",
            f"{head} {summary}",
            actor=interaction.user,
        )

    @auto.command(name="every_days", description="Run a pairing round automatically every few days")
    @app_commands.describe(days="Days between rounds (1-90); the first runs that many days from now")
    async def auto_every(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 90]) -> None:
        assert interaction.guild_id is not None
        first = self.bot.clock() + timedelta(days=days)
        async with self.bot.db.write() as session:
            await store.set_schedule(session, interaction.guild_id, days, first)
        text = (
            f"Pairing rounds will run every {plural(days, 'day')}; the next on {discord.utils.format_dt(first, 'f')}."
        )
        await interaction.response.send_message(text, ephemeral=True)
        await self.bot.modlog.post(interaction.guild_id, "Automatic pairing rounds on", text, actor=interaction.user)

    @auto.command(name="off", description="Stop automatic pairing rounds")
    async def auto_off(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.write() as session:
            dropped = await store.drop_schedule(session, interaction.guild_id)
        if not dropped:
            raise NotAllowed("Automatic pairing rounds are already off. `/pairing auto every_days` turns them on.")
        await interaction.response.send_message("Automatic pairing rounds are off.", ephemeral=True)
        await self.bot.modlog.post(
            interaction.guild_id, "Automatic pairing rounds off", "No more scheduled rounds.", actor=interaction.user
        )

    @app_commands.command(name="list", description="Active pairings and open invitations")
    async def list_pairings(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.read() as session:
            active = await store.pairings(session, interaction.guild_id)
            pending = await store.pending_proposals(session, interaction.guild_id)
            since = self.bot.clock() - timedelta(days=FEEDBACK_DAYS)
            ended = await store.ended_with_feedback(session, interaction.guild_id, since, FEEDBACK_SHOWN)
        lines = [
            f"#{p.id}: <@{p.mentor_id}> mentoring <@{p.mentee_id}> since {discord.utils.format_dt(p.started_at, 'D')}"
            + (f" · <#{p.thread_id}>" if p.thread_id else "")
            for p in active
        ] or ["No active pairings."]
        waiting = [
            f"<@{p.mentor_id}> → <@{p.mentee_id}>: waiting for the "
            + ("mentor" if p.status == PENDING_MENTOR else "mentee")
            for p in pending
        ]
        embed = discord.Embed(title="Mentor pairings", colour=0xF4B942)
        embed.add_field(
            name=f"Active ({len(active)})",
            value=fit_lines(
                lines,
                FIELD_LIMIT,
                lambda left: f"…and {left} more: `/pairing end` finds any pairing as you type a name.",
            ),
            inline=False,
        )
        if waiting:
            embed.add_field(
                name=f"Open invitations ({len(waiting)})",
                value=fit_lines(waiting, FIELD_LIMIT, lambda left: f"…and {left} more."),
            )
        # `/mentor end`'s feedback is "for the moderators' records": read here, in a reply only the moderator sees
        # (never posted where it would outlive the writer's erasure).
        notes = [
            f"#{p.id}: <@{p.mentor_id}> and <@{p.mentee_id}>, ended by the {p.ended_by} "
            f"{discord.utils.format_dt(p.ended_at, 'D')}: “{truncate(unlink(p.feedback or ''), 300)}”"
            for p in ended
            if p.ended_at is not None
        ]
        if notes:
            embed.add_field(
                name=f"Feedback from pairings that ended (last {FEEDBACK_DAYS} days)",
                value=fit_lines(notes, FIELD_LIMIT, lambda left: f"…and {left} more."),
                inline=False,
            )
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="create", description="Propose a pairing yourself; both must have opted in and agree")
    @app_commands.describe(mentor="A member who offered to mentor", mentee="A member who asked for a mentor")
    async def create(self, interaction: discord.Interaction, mentor: discord.Member, mentee: discord.Member) -> None:
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        if mentor.id == mentee.id:
            raise InvalidInput("The mentor and the mentee", "are the same member", "Choose two different members.")
        async with self.bot.db.read() as session:
            offer = await store.get_mentor(session, guild_id, mentor.id)
            request = await store.get_mentee(session, guild_id, mentee.id)
            blocked = await store.is_blocked(session, guild_id, mentor.id, mentee.id) or await store.is_protected(
                session, guild_id, mentor.id, mentee.id, self.bot.protection.pair, (PROTECT_BLOCK,)
            )
            themes = await enabled_themes(session, guild_id)
            places = await store.places_left(session, guild_id, mentor.id)
        if offer is None:
            raise NotAllowed(f"{mentor.mention} hasn't offered to mentor (`/mentor offer`), so I can't propose them.")
        if request is None:
            raise NotAllowed(
                f"{mentee.mention} hasn't asked for a mentor (`/mentor request`), so I can't propose them."
            )
        now = self.bot.clock()
        paused = any(rules.is_paused(p.paused, p.paused_until, now) for p in (offer, request))
        if blocked or paused:
            raise NotAllowed(UNAVAILABLE.format(mentor=mentor.mention, mentee=mentee.mention))
        pair = matching.score_pair(
            engine_mentee(request),
            engine_mentor(offer, 1),
            at=self.bot.clock(),
            theme_labels=dict(themes),
            weights=weights(self.bot.settings),
        )
        if places <= 0:
            raise NotAllowed(
                f"{mentor.mention} has no mentoring place free right now: each is taken by a pairing or held by an "
                "open invitation, so I haven't asked anyone. `/pairing list` shows both."
            )
        async with self.bot.db.write() as session:
            proposal = await store.create_proposal(
                session,
                guild_id,
                mentor.id,
                mentee.id,
                score=pair.score if pair else 0,
                reason=(pair.reason if pair else FORCED_REASON)[:300],
                shared_themes=rules.join_keys(pair.shared_themes if pair else ()),
                now=self.bot.clock(),
                expiry=self.cog.flow.expiry,
                forced=True,
                notice=NOTICE_INVITE,  # owed until sent: a crash before the DM doesn't lose it
            )
        if proposal is None:
            raise NotAllowed(f"{mentor.mention} and {mentee.mention} already have an open invitation or a pairing.")
        await interaction.response.send_message(
            f"I've invited {mentor.mention} to mentor {mentee.mention}. "
            f"If they accept, {mentee.mention} is asked next.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        await self.cog.flow.send_owed(self.bot.clock(), ids=[proposal.id])
        await self.bot.modlog.post(
            guild_id, "Pairing proposed by a moderator", f"{mentor.mention} → {mentee.mention}", actor=interaction.user
        )

    @app_commands.command(name="end", description="End a pairing (no-fault; both are told kindly)")
    @app_commands.describe(pairing="The pairing to end (pick from the list)")
    async def end(self, interaction: discord.Interaction, pairing: app_commands.Range[int, 1]) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.write() as session:
            found = await store.get_pairing(session, pairing)
            if found is None or found.guild_id != interaction.guild_id:
                raise NotFound("a pairing numbered", str(pairing), "`/pairing list` shows them.")
            ended = await store.end_pairing(session, found.id, ended_by="moderator", now=self.bot.clock())
        if ended is None:
            raise NotAllowed(f"Pairing #{pairing} has already ended.")
        await interaction.response.send_message(
            f"Pairing #{ended.id} has ended; <@{ended.mentor_id}> and <@{ended.mentee_id}> are told kindly.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        await self.bot.modlog.post(
            interaction.guild_id,
            "Pairing ended by a moderator",
            f"#{ended.id}: <@{ended.mentor_id}> mentoring <@{ended.mentee_id}>",
            actor=interaction.user,
        )
        await self.cog.flow.tell_ended(ended, ended_by="moderator")

    @end.autocomplete("pairing")
    async def end_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        async with self.bot.db.read() as session:
            active = await store.pairings(session, interaction.guild_id or 0)
        guild = interaction.guild

        def name(user_id: int) -> str:
            member = guild.get_member(user_id) if guild else None
            return member.display_name if member else str(user_id)

        choices = [
            app_commands.Choice(name=f"#{p.id}: {name(p.mentor_id)} mentoring {name(p.mentee_id)}"[:100], value=p.id)
            for p in active
        ]
        return [c for c in choices if typed_in(current, c.name)][:25]

    @app_commands.command(
        name="stats", description="The pairing funnel: requests, proposals, accepted, met, 30/60/90 days, rated"
    )
    async def stats(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        since = self.bot.clock() - STATS_WINDOW
        async with self.bot.db.read() as session:
            numbers = await store.funnel(session, interaction.guild_id)
            after = await followups.funnel_after(session, interaction.guild_id, self.bot.clock())
            weekly = await store.weekly_counts(session, interaction.guild_id, since)
        lasted = after["lasted"]
        answers = after["answers"]
        text = "\n".join(
            [
                f"Offers to mentor: {numbers['offers']}",
                f"Requests for a mentor: {numbers['requests']}",
                f"Proposals: {numbers['proposals']} ({numbers['pending']} waiting for an answer)",
                f"Accepted: {numbers['accepted']}",
                f"Met (either said *We've met*): {shown(after['met'])}",
                "Still active at 30 / 60 / 90 days: "
                + " / ".join(shown(lasted[days]) for days in (30, 60, 90))
                + " (of the pairings old enough to tell)",
                f"Rated at a check-in: {shown(after['rated'])}",
                f"Active pairings: {numbers['active']}",
                f"Ended pairings: {numbers['ended']}",
                "Did you meet? answers: "
                + " · ".join(f"{label} {shown(answers.get(key, 0))}" for key, label in MEET_LABELS),
                f"Pairs with goals: {shown(after['pairs_with_goals'])} ({shown(after['goals'])} goals; "
                "their words are the pair's own)",
                f"Check-in ratings: {ratings_line(numbers['ratings'])}",
            ]
        )
        stages = [  # the whole funnel, from the people asking for a mentor to pairings rated (offers are in the text)
            ("Requests", numbers["requests"]),
            ("Proposed", numbers["proposals"]),
            ("Accepted", numbers["accepted"]),
            ("Met", after["met"]),
            ("Active at 30 days", lasted[30]),
            ("Active at 60 days", lasted[60]),
            ("Active at 90 days", lasted[90]),
            ("Rated", after["rated"]),
        ]
        png = await asyncio.to_thread(
            charts.funnel_chart,
            stages,
            weekly,
            title="Mentor pairing",
            subtitle=f"proposals and pairings per week, last {STATS_WINDOW.days} days",
        )
        embed = discord.Embed(title="Mentor pairing funnel", description=text, colour=0xF4B942)
        embed.set_image(url="attachment://pairing-funnel.png")
        embed.set_footer(text="Groups of fewer than 5 are not shown separately, to protect privacy.")
        await interaction.followup.send(
            embed=embed, file=discord.File(io.BytesIO(png), filename="pairing-funnel.png"), ephemeral=True
        )
