"""The consent flow, in Discord: proposals to the mentor then the mentee, the pair thread, endings.

Database work happens in short units of work; Discord is only called after they close.
Private messages go by DM; when a member's DMs are closed, to a private thread in the mentorship
channel that only they (and Lantern) are in.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from cogs.care.views import pair_thread_view
from cogs.mentorship import rules
from cogs.mentorship.goals import GoalsButton
from cogs.mentorship.views import proposal_view
from core import held, permissions
from core.channels import configured_channel
from core.errors import FeatureNotConfigured, NotAllowed
from core.jobs import guild_unavailable, is_retryable
from core.text import NO_MENTIONS, join_words, truncate, unlink
from storage import mentorship as store
from storage import mentorship_followups as followups
from storage.guilds import enabled_themes, get_settings
from storage.intros import intro_summary
from storage.models.guild import DEFAULT_CHECKINS
from storage.models.mentorship import (
    NOTICE_INVITE,
    PENDING_MENTEE,
    PENDING_MENTOR,
    MentorshipPairing,
    MentorshipProposal,
)

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

FEATURE = "Mentor pairing"
# A pair thread: a private thread, its two members added, a first message in it.
THREAD_NEEDS = ("view_channel", "create_private_threads", "send_messages_in_threads")
KIND_ENDING = (
    "That's nobody's fault: lives and needs change, and ending is always fine. "
    "Thank you for the time you gave each other."
)


MENTOR_CLOSED = (
    "Thank you for saying yes to {name}. The invitation has closed without a pairing this time: that's "
    "nobody's fault, and there's nothing you need to do. I'll keep you in mind for the next round."
)
NO_PLACE = (
    "Thank you for saying yes! Your mentoring places are all taken just now, so I haven't asked {name} "
    "and nobody is told. If you'd like to take on more, `/mentor offer` with a larger capacity."
)


class Flow:
    """Everything that talks to members about proposals and pairings."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        self.expiry = timedelta(days=bot.settings.proposal_expiry_days)

    # ------------------------------------------------------------ delivery

    async def member(self, guild: discord.Guild, user_id: int) -> discord.Member | None:
        member = guild.get_member(user_id)
        if member is not None:
            return member
        try:
            return await guild.fetch_member(user_id)
        except discord.HTTPException:
            return None

    async def user(self, user_id: int) -> discord.User | None:
        """Someone who may no longer be in the server (their public name only)."""
        user = self.bot.get_user(user_id)
        if user is not None:
            return user
        try:
            return await self.bot.fetch_user(user_id)
        except discord.HTTPException:
            return None

    async def mentorship_channel(self, guild: discord.Guild) -> discord.TextChannel | None:
        async with self.bot.db.read() as session:
            try:
                return await configured_channel(
                    session, guild, "mentorship_channel_id", feature=FEATURE, option="mentorship"
                )
            except FeatureNotConfigured:
                return None

    def reachable(self, guild_id: int) -> bool:
        """Whether this process may do a guild's due work now: it runs the guild's shard, and Discord
        hasn't got the guild in an outage (its members and channels would look gone)."""
        return self.bot.owns_guild(guild_id) and not guild_unavailable(self.bot, guild_id)

    async def deliver(
        self, guild: discord.Guild, user_id: int, content: str, *, view: discord.ui.View | None = None
    ) -> discord.Message | None:
        """Send privately: a DM; when DMs are closed (or Discord fails), held for `/mentor status`
        (core/held.py), and None."""
        try:
            _, message = await self.send_private(guild, user_id, content, view=view)
        except discord.HTTPException as error:
            log.info("DM to %s in guild %s failed (%s); holding it for /mentor status", user_id, guild.id, error)
            member = await self.member(guild, user_id)
            if member is not None:
                await self.hold(guild, member, content, view)
            return None
        return message

    async def send_private(
        self,
        guild: discord.Guild,
        user_id: int,
        content: str,
        *,
        view: discord.ui.View | None = None,
        nonce: str | None = None,
    ) -> tuple[str, discord.Message | None]:
        """A DM, for due work that retries: ("sent", message); ("held", None) when Discord refuses it (DMs
        closed: held for `/mentor status`, and that is final); ("gone", None) when the member left. A failure
        worth another try (5xx, 429, a dropped connection) is raised (core.jobs.is_retryable)."""
        member = guild.get_member(user_id)
        if member is None:
            try:
                member = await guild.fetch_member(user_id)
            except (discord.NotFound, discord.Forbidden):
                return "gone", None
        # A nonce makes Discord drop the same DM sent again within minutes (a takeover after a crash).
        extra: dict[str, Any] = {"nonce": nonce} if nonce is not None else {}
        try:
            if view is not None:
                return "sent", await member.send(content, view=view, allowed_mentions=NO_MENTIONS, **extra)
            return "sent", await member.send(content, allowed_mentions=NO_MENTIONS, **extra)
        except discord.HTTPException as error:
            if is_retryable(error):
                raise
            log.info("DM to %s in guild %s refused (%s); holding it for /mentor status", user_id, guild.id, error)
        await self.hold(guild, member, content, view)
        return "held", None

    async def hold(
        self, guild: discord.Guild, member: discord.Member, content: str, view: discord.ui.View | None
    ) -> None:
        # Never a thread or a channel message (moderators could read it): held until the member reads it.
        channel = await self.mentorship_channel(guild)
        if not await held.hold(self.bot, member, content, view, channel):
            await self.bot.modlog.post(
                guild.id,
                "Mentor pairing: couldn't reach a member",
                f"{member.mention}'s DMs are closed and no mentorship channel is set (`/setup channels mentorship:`), "
                "so I can't let them know I have a message for them. It waits for them in `/mentor status`.",
            )

    async def edit_old(self, channel_id: int | None, message_id: int | None, content: str) -> None:
        """Replace an old proposal message's buttons with a line of text (best effort)."""
        if channel_id is None or message_id is None:
            return
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.edit(content=content, view=None)
        except discord.HTTPException:
            log.info("could not edit old proposal message %s", message_id)

    async def edit_owed(self, channel_id: int | None, message_id: int | None, content: str) -> None:
        """Replace an old proposal message's buttons, for due work that retries: a message Discord says is
        gone (4xx) is left alone; a failure worth another try is raised."""
        if channel_id is None or message_id is None:
            return
        message = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.edit(content=content, view=None)
        except discord.HTTPException as error:
            if is_retryable(error):
                raise
            log.info("old proposal message %s can't be edited (%s); leaving it", message_id, error)

    async def close_for_mentor(self, proposal: MentorshipProposal, name: str) -> None:
        """The mentor said yes and it came to nothing (declined, lapsed, no place): close their message kindly,
        the same words whatever happened, so they can't tell a decline from silence."""
        await self.edit_old(
            proposal.mentor_channel_id, proposal.mentor_message_id, MENTOR_CLOSED.format(name=f"**{unlink(name)}**")
        )

    async def close_invitation(self, proposal: MentorshipProposal) -> None:
        """An open invitation was withdrawn: whoever holds its buttons sees it close, with no reason."""
        for role in ("mentor", "mentee"):
            await self.edit_old(
                getattr(proposal, f"{role}_channel_id"),
                getattr(proposal, f"{role}_message_id"),
                "This invitation is no longer open. Thank you! Nothing is needed from you.",
            )

    # ------------------------------------------------------------ proposals

    async def send_proposal(self, proposal: MentorshipProposal, role: str, *, owed: bool = False) -> None:
        """Ask `role` ('mentor' or 'mentee') about the proposal, with Accept / Decline buttons.

        `owed`: the invitation is an owed notice (send_owed): a failure worth another try is raised."""
        guild = self.bot.get_guild(proposal.guild_id)
        if guild is None:
            return
        async with self.bot.db.read() as session:
            themes = await enabled_themes(session, guild.id)
            if role == "mentor":
                about = await intro_summary(session, guild.id, proposal.mentee_id)
                profile = await store.get_mentee(session, guild.id, proposal.mentee_id)
                extra = profile.note if profile else None
                wanted = rules.theme_labels(rules.split_keys(profile.themes), themes) if profile else []
            else:
                about = await intro_summary(session, guild.id, proposal.mentor_id)
                offer = await store.get_mentor(session, guild.id, proposal.mentor_id)
                extra = offer.bio if offer else None
                wanted = []
        other_id = proposal.mentee_id if role == "mentor" else proposal.mentor_id
        other = await self.member(guild, other_id)
        name = unlink(other.display_name) if other else "a member"
        if role == "mentor":
            lines = [
                f"Hello! In **{guild.name}** I'd like to introduce you to **{name}**, who is looking for a mentor."
            ]
        else:
            lines = [f"Good news from **{guild.name}**: **{name}** would like to be your mentor."]
        lines.append(f"Why I thought of you both: {proposal.reason}")
        if wanted:
            lines.append(f"They'd like to talk about: {join_words(wanted)}.")
        if about:
            lines.append(f"About them: {truncate(unlink(about), 400)}")
        if extra:
            lines.append(f"In their words: “{truncate(unlink(extra), 300)}”")
        lines.append(
            "Would you like to pair up? Only you see this, and saying no is always fine: "
            f"nobody is told. This invitation stays open for {self.expiry.days} days."
        )
        user_id, text, view = getattr(proposal, f"{role}_id"), "\n".join(lines), proposal_view(proposal.id)
        if owed:
            _, message = await self.send_private(guild, user_id, text, view=view, nonce=f"proposal:{proposal.id}")
        else:
            message = await self.deliver(guild, user_id, text, view=view)
        if message is None:
            return
        async with self.bot.db.write() as session:
            await store.record_message(session, proposal.id, role, message.channel.id, message.id)

    async def answer(self, interaction: discord.Interaction, proposal_id: int, accept: bool) -> None:
        """A member pressed Accept or Decline on a proposal."""
        now = self.bot.clock()
        async with self.bot.db.read() as session:
            proposal = await store.get_proposal(session, proposal_id)
        user_id = interaction.user.id
        if proposal is None or user_id not in (proposal.mentor_id, proposal.mentee_id):
            raise NotAllowed("This invitation isn't addressed to you.")
        role = "mentor" if user_id == proposal.mentor_id else "mentee"
        waiting = (role == "mentor" and proposal.status == PENDING_MENTOR) or (
            role == "mentee" and proposal.status == PENDING_MENTEE
        )
        guild = self.bot.get_guild(proposal.guild_id)
        other = (
            await self.member(guild, proposal.mentee_id if role == "mentor" else proposal.mentor_id) if guild else None
        )
        other_name = unlink(other.display_name) if other else "them"
        if not waiting:
            await interaction.response.edit_message(content="This invitation is no longer open. Thank you!", view=None)
            return
        if not accept:
            async with self.bot.db.write() as session:
                won = await store.decline(session, proposal_id, role, now)
            text = (
                f"Thanks for letting me know. {other_name} won't be told, and I won't suggest this pairing again."
                if won
                else "This invitation is no longer open. Thank you!"
            )
            await interaction.response.edit_message(content=text, view=None)
            if won and role == "mentee":
                await self.close_for_mentor(proposal, interaction.user.display_name)
            return
        if role == "mentor":
            async with self.bot.db.write() as session:
                room = await store.room_to_accept(session, proposal.guild_id, proposal.mentor_id)
                won = await store.mentor_accepts(session, proposal_id, now, self.expiry) if room else False
                no_place = not room and await store.cancel_proposal(session, proposal_id)
                fresh = await store.get_proposal(session, proposal_id)
            if no_place:
                await interaction.response.edit_message(content=NO_PLACE.format(name=other_name), view=None)
                return
            if not won or fresh is None:
                await interaction.response.edit_message(
                    content="This invitation is no longer open. Thank you!", view=None
                )
                return
            await interaction.response.edit_message(
                content=f"Thank you for saying yes! I've asked {other_name}. If they agree too, "
                "I'll open a private thread for the two of you.",
                view=None,
            )
            await self.send_owed(now, ids=[proposal_id])  # owed since the commit: a crash here doesn't lose it
            return
        async with self.bot.db.write() as session:
            settings = await get_settings(session, proposal.guild_id)
            days = settings.checkin_days if settings else tuple(int(d) for d in DEFAULT_CHECKINS.split(","))
            outcome, pairing = await store.mentee_accepts(session, proposal_id, now, days)
            if pairing is not None:  # "Have you two found a time?" a few days on, owed with the pairing
                await followups.owe_nudge(session, pairing, now)
        if outcome == "full":
            await interaction.response.edit_message(
                content=f"I'm sorry: {other_name} has no mentoring place left after all. "
                "You're back in the pool, and I'll look again at the next round.",
                view=None,
            )
            await self.close_for_mentor(proposal, interaction.user.display_name)
            return
        if outcome != "accepted" or pairing is None:
            await interaction.response.edit_message(content="This invitation is no longer open. Thank you!", view=None)
            return
        await interaction.response.edit_message(
            content=f"Wonderful! You and {other_name} are paired. I'm opening a private thread for you both.", view=None
        )
        if guild is not None:
            await self.open_pair_thread(guild, pairing, proposal)

    async def open_pair_thread(
        self, guild: discord.Guild, pairing: MentorshipPairing, proposal: MentorshipProposal
    ) -> discord.Thread | None:
        mentor = await self.member(guild, pairing.mentor_id)
        mentee = await self.member(guild, pairing.mentee_id)
        channel = await self.mentorship_channel(guild)
        if channel is None or mentor is None or mentee is None:
            why = (
                "no mentorship channel is set (`/setup channels mentorship:`)"
                if channel is None
                else "I couldn't find one of them in the server (they may have left)"
            )
            await self.bot.modlog.post(
                guild.id,
                "Mentor pairing: no thread opened",
                f"Pairing #{pairing.id} was accepted, but I couldn't open its thread: {why}.",
            )
            return None
        async with self.bot.db.read() as session:
            request = await store.get_mentee(session, guild.id, pairing.mentee_id)
        shared = rules.split_keys(proposal.shared_themes)
        fallback = rules.split_keys(request.themes) if request else ()
        starters = rules.pick_starters(shared, fallback, seed=pairing.id)
        text = "\n".join(
            [
                f"Welcome, {mentor.mention} (mentor) and {mentee.mention}! This thread is just for you two.",
                f"**Why you were matched:** {proposal.reason}",
                "**A few ways to begin**, if you'd like them:",
                *(f"{index}. {line}" for index, line in enumerate(starters, 1)),
                "Whenever you like, **Our goals** below lets you set one to three goals together. "
                "I'll check in privately now and then. Either of you can end the pairing at any time with "
                "`/mentor end`; it's no-fault and the other person is told kindly.",
            ]
        )
        try:
            thread = await channel.create_thread(
                name=truncate(f"{mentor.display_name} & {mentee.display_name}", 100),
                type=discord.ChannelType.private_thread,
                invitable=False,
            )
            await thread.add_user(mentor)
            await thread.add_user(mentee)
            view = pair_thread_view()
            view.add_item(GoalsButton(pairing.id))
            await thread.send(text, view=view, allowed_mentions=discord.AllowedMentions(users=[mentor, mentee]))
        except discord.HTTPException as error:
            log.warning("could not open the thread of pairing %s: %s", pairing.id, error)
            await self.bot.modlog.post(
                guild.id,
                "Mentor pairing: no thread opened",
                f"Pairing #{pairing.id} was accepted, but I couldn't open its thread: "
                f"{permissions.refusal(channel, error, *THREAD_NEEDS)}.",
            )
            return None
        async with self.bot.db.write() as session:
            await store.set_thread(session, pairing.id, thread.id)
        return thread

    # ------------------------------------------------------------ endings

    async def end(
        self, pairing_id: int, *, ended_by: str, feedback: str | None = None, tell: tuple[int, ...] | None = None
    ) -> MentorshipPairing | None:
        """End a pairing (no-fault) and tell the other member(s) kindly; None if it had already ended.

        `ended_by` is 'mentor', 'mentee', 'moderator', 'left' (the programme), 'departed' (the server) or
        'privacy'. `tell` overrides who hears."""
        async with self.bot.db.write() as session:
            pairing = await store.end_pairing(
                session, pairing_id, ended_by=ended_by, now=self.bot.clock(), feedback=feedback
            )
        if pairing is None:
            return None
        await self.tell_ended(pairing, ended_by=ended_by, tell=tell)
        return pairing

    async def tell_ended(
        self, pairing: MentorshipPairing, *, ended_by: str, tell: tuple[int, ...] | None = None
    ) -> None:
        guild = self.bot.get_guild(pairing.guild_id)
        if guild is None:
            return
        if tell is None:
            if ended_by == "mentor":
                tell = (pairing.mentee_id,)
            elif ended_by == "mentee":
                tell = (pairing.mentor_id,)
            else:
                tell = (pairing.mentor_id, pairing.mentee_id)
        for user_id in tell:
            other_id = pairing.mentee_id if user_id == pairing.mentor_id else pairing.mentor_id
            other = await self.member(guild, other_id) or await self.user(other_id)
            name = unlink(other.display_name) if other else "your partner"
            role = "mentee" if user_id == pairing.mentee_id else "mentor"
            after = (
                "If you'd like another mentor, your request stays open for the next round."
                if role == "mentee"
                else "Your place is free again for someone new."
            )
            # A member who left is no longer in the member list anyone can see; that is all that is said.
            why = ", as they're no longer in the server" if ended_by == "departed" else ""
            await self.deliver(
                guild,
                user_id,
                f"Your mentoring pairing with **{name}** in **{guild.name}** has come to an end{why}. "
                f"{KIND_ENDING} {after}",
            )
        if pairing.thread_id:
            thread = guild.get_thread(pairing.thread_id)
            if thread is not None:
                try:
                    await thread.send("This pairing has ended. Thank you both. 🌱")
                    await thread.edit(archived=True, locked=True)
                except discord.HTTPException:
                    log.info("could not close the thread of pairing %s", pairing.id)

    async def expire(self, now: datetime) -> int:
        """Expire unanswered proposals; each owes its lapse notice, which `send_owed` delivers."""
        async with self.bot.db.write() as session:
            expired = await store.expire_due(session, now)
        return len(expired)

    # ------------------------------------------------------------ owed messages

    async def send_owed(self, now: datetime, ids: list[int] | None = None) -> int:
        """Send the messages proposals owe (a round's invitations, lapse notices): all that are due, or `ids`.

        Each is leased in the database first, so exactly one process sends it, and one left by a process
        that died is taken over when its lease runs out. One failing never stops the others: a failure worth
        another try waits its backoff (1, 2, 4 … minutes), one that can't succeed (the message or member is
        gone, DMs closed: held for /mentor status) is settled. Returns how many were delivered."""
        async with self.bot.db.write() as session:
            leased = await store.lease_notices(session, now, self.reachable, ids)
        done = 0
        for proposal in leased:
            notice = proposal.notice
            assert notice is not None
            try:
                await self.perform_notice(proposal, notice)
            except Exception as error:
                await self.notice_failed(proposal, notice, now, error)
                continue
            async with self.bot.db.write() as session:
                await store.settle_notice(session, proposal.id, notice)
            done += 1
        return done

    async def perform_notice(self, proposal: MentorshipProposal, notice: str) -> None:
        if notice == NOTICE_INVITE:  # whoever's answer the proposal waits for, if not asked yet
            if proposal.status == PENDING_MENTOR and proposal.mentor_message_id is None:
                await self.send_proposal(proposal, "mentor", owed=True)
            elif proposal.status == PENDING_MENTEE and proposal.mentee_message_id is None:
                await self.send_proposal(proposal, "mentee", owed=True)
            return
        # Lapsed: whoever held the buttons sees it lapse; a mentor who had said yes reads the same kind
        # closing line as after a decline.
        role = "mentee" if proposal.mentor_answered_at is not None else "mentor"
        await self.edit_owed(
            getattr(proposal, f"{role}_channel_id"),
            getattr(proposal, f"{role}_message_id"),
            "This invitation has lapsed. No problem at all: nobody is told, and you stay in the pool.",
        )
        if role == "mentee":
            guild = self.bot.get_guild(proposal.guild_id)
            mentee = await self.member(guild, proposal.mentee_id) if guild else None
            name = mentee.display_name if mentee else "them"
            await self.edit_owed(
                proposal.mentor_channel_id,
                proposal.mentor_message_id,
                MENTOR_CLOSED.format(name=f"**{unlink(name)}**"),
            )

    async def notice_failed(self, proposal: MentorshipProposal, notice: str, now: datetime, error: Exception) -> None:
        """A 4xx is Discord's final answer (settled); anything else is tried again after the backoff."""
        if isinstance(error, discord.HTTPException) and not is_retryable(error):
            log.info("the %s notice of proposal %s can't be delivered (%s); settled", notice, proposal.id, error)
            async with self.bot.db.write() as session:
                await store.settle_notice(session, proposal.id, notice)
            return
        async with self.bot.db.write() as session:
            again = await store.retry_notice(session, proposal.id, notice, now)
        first = proposal.notice_attempts == 0
        if not again:
            log.warning(
                "gave up on the %s notice of proposal %s after repeated failures: %s", notice, proposal.id, error
            )
        elif is_retryable(error):
            log.log(
                logging.WARNING if first else logging.DEBUG,
                "the %s notice of proposal %s failed (%s); it is tried again later",
                notice,
                proposal.id,
                error,
            )
        else:
            log.log(
                logging.ERROR if first else logging.DEBUG,
                "the %s notice of proposal %s failed; it is tried again later",
                notice,
                proposal.id,
                exc_info=error,
            )
