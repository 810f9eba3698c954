"""/mentor: what a member does. Opting in is having a profile; nothing happens to anyone without one.

Themes are a comma-separated text option whose autocomplete completes the last item from the
server's theme list; each item is checked against theme keys and labels before anything is saved.
`/mentor offer` and `/mentor request` replace the whole profile each time (they are the form).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.ext import commands

from cogs.mentorship import rules
from core import held, limits, timezones
from core.errors import InvalidInput, NotAllowed, NotFound
from core.search_text import typed_in
from core.text import NO_MENTIONS, fit_lines, join_words, plural, truncate, unlink
from storage import mentorship as store
from storage.mentorship import followups
from storage.models.mentorship import MenteeProfile, MentorProfile, MentorshipProposal

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.mentorship.cog import Mentorship

FIELD_LIMIT = 1024  # Discord's limit for an embed field's value
NOT_JOINED = "You haven't joined mentor pairing yet: `/mentor offer` or `/mentor request` opts you in."


def check_timezone(name: str) -> str:
    """A city, an offset, an abbreviation or an IANA name, as stored (core.timezones.parse)."""
    return timezones.parse(name)


async def timezone_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    now = cast("LanternBot", interaction.client).clock()
    return [app_commands.Choice(name=name, value=value) for name, value in timezones.choices(current[:64], now)]


async def theme_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    cog = cast("Mentorship", cast(commands.Bot, interaction.client).get_cog("Mentorship"))
    themes = (await cog.bot.db.guild_config(interaction.guild_id or 0)).themes
    return [app_commands.Choice(name=name, value=value) for name, value in rules.complete_themes(current, themes)]


def paused_text(profile: MentorProfile | MenteeProfile, now: datetime) -> str:
    """Only whether the member paused; whether proposals can reach them is `next_steps`' to say."""
    if not rules.is_paused(profile.paused, profile.paused_until, now):
        return "not paused"
    if profile.paused_until is None:
        return "paused until you resume"
    return f"paused until {discord.utils.format_dt(profile.paused_until, 'D')}"


def next_steps(
    offer: MentorProfile | None,
    request: MenteeProfile | None,
    *,
    places_left: int,
    has_mentor: bool,
    asked_as_mentee: bool,
    now: datetime,
) -> list[str]:
    """What can happen next, truthfully: no "receiving proposals" for a mentor whose places are all taken
    or a mentee already paired. A mentee is never told that a mentor is being asked about them."""
    lines = []
    if offer is not None and not rules.is_paused(offer.paused, offer.paused_until, now):
        if offer.active_count >= offer.capacity:
            lines.append("All your mentoring places are taken, so I'm not proposing anyone to you until one frees up.")
        elif places_left <= 0:
            lines.append("Your free places are each held by an open invitation, so no new proposals until they close.")
        else:
            lines.append(f"You're in the next pairing round for {plural(places_left, 'more mentee')}.")
    if request is not None and not rules.is_paused(request.paused, request.paused_until, now):
        if has_mentor:
            lines.append("You have a mentor, so I'm not looking for another one.")
        elif asked_as_mentee:
            lines.append("A mentor said yes and is waiting for your answer.")
        else:
            lines.append("You're in the pool: I'll tell you as soon as a mentor says yes.")
    return lines


def where_sent(guild: discord.Guild | None, proposals: list[MentorshipProposal], user_id: int, held: int) -> str:
    """Where the buttons of these invitations really are (`held`: messages kept for the member because
    their DMs are closed, shown just after the status)."""
    places = []
    for proposal in proposals:
        role = "mentor" if proposal.mentor_id == user_id else "mentee"
        channel_id = getattr(proposal, f"{role}_channel_id")
        if channel_id is None:
            place = (
                "your DMs are closed, so I kept the buttons for you: they're just below, only for you"
                if held
                else "your DMs are closed, so the buttons were shown to you here, in an earlier `/mentor status`"
            )
        elif guild is not None and guild.get_channel_or_thread(channel_id) is not None:
            place = f"the buttons are in <#{channel_id}>, which only you can see"
        else:
            place = "the buttons are in your DMs"
        if place not in places:
            places.append(place)
    return "; ".join(places)


class MentorGroup(app_commands.Group, name="mentor", description="Mentor pairing: always opt-in", guild_only=True):
    def __init__(self, cog: Mentorship) -> None:
        super().__init__()
        self.cog = cog

    @property
    def bot(self) -> LanternBot:
        return self.cog.bot

    async def _themes(self, guild_id: int) -> list[tuple[str, str]]:
        return list((await self.bot.db.guild_config(guild_id)).themes)

    @app_commands.command(name="offer", description="Offer to mentor (or update your offer)")
    @app_commands.describe(
        themes="Themes you can help with, separated by commas (pick from the list)",
        timezone="Your timezone: a city (Manila), an offset (UTC+8) or pick from the list",
        capacity="How many people you can mentor at once (1-5)",
        not_covered="Themes you'd rather not cover, separated by commas",
        heritages="Your heritages in your own words, e.g. Japanese, Irish",
        languages="Languages you speak, e.g. English, Tagalog",
        bio="A few words about you for your future mentee (up to 300 characters)",
    )
    @app_commands.autocomplete(themes=theme_choices, not_covered=theme_choices, timezone=timezone_choices)
    async def offer(
        self,
        interaction: discord.Interaction,
        themes: app_commands.Range[str, 1, 400],
        timezone: app_commands.Range[str, 1, 64],
        capacity: app_commands.Range[int, 1, 5] = 1,
        not_covered: app_commands.Range[str, 1, 400] | None = None,
        heritages: app_commands.Range[str, 1, 200] | None = None,
        languages: app_commands.Range[str, 1, 200] | None = None,
        bio: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        await limits.check(self.bot, limits.MENTOR_OFFER, interaction.guild_id, interaction.user.id)
        guild_themes = await self._themes(interaction.guild_id)
        offered = rules.parse_themes(themes, guild_themes)
        skipped = rules.parse_themes(not_covered or "", guild_themes, field="Themes not covered", allow_empty=True)
        if set(offered) & set(skipped):
            both = join_words(rules.theme_labels(sorted(set(offered) & set(skipped)), guild_themes))
            raise InvalidInput("Themes not covered", f"repeats {both}, which you also offer", "Leave it in one list.")
        zone = check_timezone(timezone)
        async with self.bot.db.write() as session:
            created = await store.save_mentor(
                session,
                interaction.guild_id,
                interaction.user.id,
                self.bot.clock(),
                themes=rules.join_keys(offered),
                not_covered=rules.join_keys(skipped),
                heritages=(heritages or "").strip(),
                languages=(languages or "").strip(),
                timezone=zone,
                capacity=capacity,
                bio=bio.strip() if bio else None,
            )
            closed = await store.cancel_beyond_capacity(session, interaction.guild_id, interaction.user.id)
            await limits.record(
                session, limits.MENTOR_OFFER, interaction.guild_id, interaction.user.id, self.bot.clock()
            )
        verb = "You're now offering to mentor" if created else "I've updated your offer to mentor"
        text = (
            f"{verb}: {join_words(rules.theme_labels(offered, guild_themes))}; up to "
            f"{plural(capacity, 'mentee')} at a time; {zone}. Nobody is paired with you unless you say yes. "
            "`/mentor status` shows your offer, `/mentor leave` withdraws it."
        )
        if closed:
            text += (
                f" With fewer places, I've closed {plural(len(closed), 'invitation')} you no longer have room for; "
                "nobody is told why."
            )
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        for proposal in closed:
            await self.cog.flow.close_invitation(proposal)

    @app_commands.command(name="request", description="Ask for a mentor (or update your request)")
    @app_commands.describe(
        themes="Themes you'd like help with, separated by commas (pick from the list)",
        timezone="Your timezone: a city (London), an offset (UTC-5) or pick from the list",
        heritage_preference="Prefer a mentor with a similar heritage, or anyone",
        max_timezone_gap="Largest time difference you're happy with, in hours (0-12; leave out for any)",
        heritages="Your heritages in your own words, e.g. Vietnamese, French",
        languages="Languages you speak, e.g. English, Cantonese",
        note="A note for your future mentor (up to 300 characters)",
    )
    @app_commands.choices(
        heritage_preference=[
            app_commands.Choice(name="Similar heritage, please", value="similar"),
            app_commands.Choice(name="Anyone is fine", value="any"),
        ]
    )
    @app_commands.autocomplete(themes=theme_choices, timezone=timezone_choices)
    async def request(
        self,
        interaction: discord.Interaction,
        themes: app_commands.Range[str, 1, 400],
        timezone: app_commands.Range[str, 1, 64],
        heritage_preference: str = "any",
        max_timezone_gap: app_commands.Range[int, 0, 12] | None = None,
        heritages: app_commands.Range[str, 1, 200] | None = None,
        languages: app_commands.Range[str, 1, 200] | None = None,
        note: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        await limits.check(self.bot, limits.MENTOR_REQUEST, interaction.guild_id, interaction.user.id)
        guild_themes = await self._themes(interaction.guild_id)
        wanted = rules.parse_themes(themes, guild_themes)
        zone = check_timezone(timezone)
        async with self.bot.db.write() as session:
            created = await store.save_mentee(
                session,
                interaction.guild_id,
                interaction.user.id,
                self.bot.clock(),
                themes=rules.join_keys(wanted),
                heritages=(heritages or "").strip(),
                languages=(languages or "").strip(),
                timezone=zone,
                heritage_preference=heritage_preference,
                max_timezone_gap_hours=max_timezone_gap,
                note=note.strip() if note else None,
            )
            await limits.record(
                session, limits.MENTOR_REQUEST, interaction.guild_id, interaction.user.id, self.bot.clock()
            )
        verb = "I've added your request for a mentor" if created else "I've updated your request for a mentor"
        await interaction.response.send_message(
            f"{verb}: {join_words(rules.theme_labels(wanted, guild_themes))}; {zone}. When a round finds "
            "someone, they're asked first; you hear from me only if they say yes, and then it's your choice.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="status", description="Your mentoring profile, invitations and pairings")
    async def status(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        guild_themes = await self._themes(interaction.guild_id)
        async with self.bot.db.read() as session:
            offer = await store.get_mentor(session, interaction.guild_id, interaction.user.id)
            request = await store.get_mentee(session, interaction.guild_id, interaction.user.id)
            waiting = await store.awaiting_answer(session, interaction.guild_id, interaction.user.id)
            active = await store.pairings(session, interaction.guild_id, user_id=interaction.user.id)
            places_left = await store.places_left(session, interaction.guild_id, interaction.user.id)
            held_count = await held.count(session, interaction.guild_id, interaction.user.id)
            goals = await followups.goals_of(session, [pairing.id for pairing in active])
        if offer is None and request is None and not active:
            await interaction.response.send_message(NOT_JOINED, ephemeral=True)
            await held.show(self.bot, interaction)  # messages kept while their DMs were closed
            return
        embed = discord.Embed(title="Your mentor pairing", colour=0xF4B942)
        if offer is not None:
            labels = join_words(rules.theme_labels(rules.split_keys(offer.themes), guild_themes))
            embed.add_field(
                name="Offering to mentor",
                value=f"{labels}\n{offer.active_count} of {offer.capacity} places taken · "
                f"{timezones.label(offer.timezone)} · {paused_text(offer, self.bot.clock())}",
                inline=False,
            )
        if request is not None:
            labels = join_words(rules.theme_labels(rules.split_keys(request.themes), guild_themes))
            gap = (
                "any gap"
                if request.max_timezone_gap_hours is None
                else f"up to {request.max_timezone_gap_hours} h apart"
            )
            embed.add_field(
                name="Looking for a mentor",
                value=f"{labels}\n{timezones.label(request.timezone)} ({gap}) · "
                f"heritage: {request.heritage_preference} · {paused_text(request, self.bot.clock())}",
                inline=False,
            )
        steps = next_steps(
            offer,
            request,
            places_left=places_left,
            has_mentor=any(p.mentee_id == interaction.user.id for p in active),
            asked_as_mentee=any(p.mentee_id == interaction.user.id for p in waiting),
            now=self.bot.clock(),
        )
        if steps:
            embed.add_field(name="Proposals", value="\n".join(steps), inline=False)
        if waiting:
            embed.add_field(
                name="Waiting for your answer",
                value=f"{plural(len(waiting), 'invitation')}: "
                f"{where_sent(interaction.guild, waiting, interaction.user.id, held_count)}.",
                inline=False,
            )
        if active:
            lines = []
            for pairing in active:
                you_mentor = pairing.mentor_id == interaction.user.id
                other = pairing.mentee_id if you_mentor else pairing.mentor_id
                role = "mentoring" if you_mentor else "mentored by"
                lines.append(
                    f"#{pairing.id}: {role} <@{other}> since {discord.utils.format_dt(pairing.started_at, 'D')}"
                )
                # The pair's own goals, seen only by the two of them (this reply is ephemeral).
                lines.extend(f"  · goal: {truncate(unlink(goal), 120)}" for goal in goals.get(pairing.id, []))
            shown = fit_lines(
                lines, FIELD_LIMIT, lambda left: f"…and {left} more: `/mentor end` lists them as you type."
            )
            embed.add_field(name="Pairings", value=shown, inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)
        await held.show(self.bot, interaction)  # messages kept while their DMs were closed

    @app_commands.command(name="pause", description="Stop receiving proposals for a while")
    @app_commands.describe(days="Resume automatically after this many days (1-90); leave out to pause until you resume")
    async def pause(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 90] | None = None) -> None:
        assert interaction.guild_id is not None
        until = self.bot.clock() + timedelta(days=days) if days else None
        async with self.bot.db.write() as session:
            changed = await store.set_paused(session, interaction.guild_id, interaction.user.id, True, until)
        if not changed:
            raise NotAllowed(NOT_JOINED)
        when = f"until {discord.utils.format_dt(until, 'D')}" if until else "until you run `/mentor resume`"
        await interaction.response.send_message(
            f"Paused {when}. I won't propose anyone to you meanwhile; your pairings carry on.", ephemeral=True
        )

    @app_commands.command(name="resume", description="Start receiving proposals again")
    async def resume(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.write() as session:
            changed = await store.set_paused(session, interaction.guild_id, interaction.user.id, False, None)
        if not changed:
            raise NotAllowed(NOT_JOINED)
        await interaction.response.send_message("Welcome back: you're in the next pairing round.", ephemeral=True)

    @app_commands.command(name="end", description="End one of your pairings (no-fault)")
    @app_commands.describe(
        pairing="Which pairing to end (pick from the list)",
        feedback="Optional private feedback for the moderators' records; the other person never sees it",
    )
    async def end(
        self,
        interaction: discord.Interaction,
        pairing: app_commands.Range[int, 1],
        feedback: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.read() as session:
            found = await store.get_pairing(session, pairing)
        user_id = interaction.user.id
        if found is None or found.guild_id != interaction.guild_id or user_id not in (found.mentor_id, found.mentee_id):
            raise NotFound("a pairing of yours numbered", str(pairing), "`/mentor status` lists your pairings.")
        role = "mentor" if user_id == found.mentor_id else "mentee"
        async with self.bot.db.write() as session:
            ended = await store.end_pairing(
                session, found.id, ended_by=role, now=self.bot.clock(), feedback=feedback.strip() if feedback else None
            )
        if ended is None:
            raise NotAllowed(f"Pairing #{pairing} has already ended.")
        await interaction.response.send_message(
            "Done. I've told them kindly, with no reason given; nobody is at fault. Thank you for the time you gave.",
            ephemeral=True,
        )
        await self.cog.flow.tell_ended(ended, ended_by=role)

    @end.autocomplete("pairing")
    async def end_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        async with self.bot.db.read() as session:
            mine = await store.pairings(session, interaction.guild_id or 0, user_id=interaction.user.id)
        guild = interaction.guild
        choices = []
        for pairing in mine:
            other_id = pairing.mentee_id if pairing.mentor_id == interaction.user.id else pairing.mentor_id
            other = guild.get_member(other_id) if guild else None
            name = f"#{pairing.id} with {other.display_name if other else other_id}"
            if typed_in(current, name):
                choices.append(app_commands.Choice(name=name[:100], value=pairing.id))
        return choices[:25]

    @app_commands.command(name="block", description="Confidential: never propose this member to you or you to them")
    @app_commands.describe(member="The member you never want to be paired with; they are not told")
    async def block(self, interaction: discord.Interaction, member: discord.Member) -> None:
        assert interaction.guild_id is not None
        if member.id == interaction.user.id:
            raise InvalidInput("That member", "is you", "Choose someone else.")
        async with self.bot.db.write() as session:
            await store.add_block(session, interaction.guild_id, interaction.user.id, member.id, self.bot.clock())
            cancelled = await store.cancel_between(session, interaction.guild_id, interaction.user.id, member.id)
        for proposal in cancelled:
            for role in ("mentor", "mentee"):
                await self.cog.flow.edit_old(
                    getattr(proposal, f"{role}_channel_id"),
                    getattr(proposal, f"{role}_message_id"),
                    "This invitation is no longer open. Thank you!",
                )
        await interaction.response.send_message(
            f"Done. I'll never propose {member.mention} to you or you to them, and they won't be told. "
            "If you're paired with them now, `/mentor end` ends it.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="leave", description="Withdraw from mentor pairing; active pairings end politely")
    async def leave(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        ended = await self.cog.withdraw(interaction.guild_id, interaction.user.id, ended_by="left")
        if ended is None:
            raise NotAllowed(NOT_JOINED)
        text = "You've left mentor pairing: I won't propose anyone to you or list you anywhere."
        if ended:
            text += f" I've ended {plural(ended, 'pairing')} and told the other person kindly."
        await interaction.response.send_message(text + " You're welcome back any time.", ephemeral=True)
