"""The consent flow, in Discord: proposals to the mentor then the mentee, their answers, owed notices.

`Flow` is what the mentorship cog talks to members through. This file holds the proposals: the invitation
(sent at once, or as an owed notice that retries), Accept and Decline, the lapse of an unanswered invitation
and the notices proposals owe. The rest of it lives beside it: reaching members privately (a DM, or held for
`/mentor status`) in delivery.py, and the pair thread and endings in pairings.py.

Database work happens in short units of work; Discord is only called after they close.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from cogs.mentorship import rules
from cogs.mentorship.pairings import Pairings
from cogs.mentorship.views import proposal_view
from core.errors import NotAllowed
from core.jobs import is_retryable
from core.text import join_words, truncate, unlink
from storage import mentorship as store
from storage.guilds import enabled_themes, get_settings
from storage.intros import intro_summary
from storage.mentorship import followups
from storage.models.guild import DEFAULT_CHECKINS
from storage.models.mentorship import (
    NOTICE_INVITE,
    PENDING_MENTEE,
    PENDING_MENTOR,
    MentorshipProposal,
)

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

MENTOR_CLOSED = (
    "Thank you for saying yes to {name}. The invitation has closed without a pairing this time: that's "
    "nobody's fault, and there's nothing you need to do. I'll keep you in mind for the next round."
)
NO_PLACE = (
    "Thank you for saying yes! Your mentoring places are all taken just now, so I haven't asked {name} "
    "and nobody is told. If you'd like to take on more, `/mentor offer` with a larger capacity."
)


class Flow(Pairings):
    """Everything that talks to members about proposals and pairings: the proposals here, the pair thread and
    endings from `Pairings`, reaching members from `Delivery`."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        self.expiry = timedelta(days=bot.settings.proposal_expiry_days)

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

    # ------------------------------------------------------------ owed messages

    async def send_owed(self, now: datetime, ids: list[int] | None = None) -> int:
        """Send the messages proposals owe (a round's invitations, lapse notices): all that are due, or `ids`.

        Each is leased in the database first, so exactly one process sends it, and one left by a process
        that died is taken over when its lease runs out. One failing never stops the others: a failure worth
        another try waits its backoff (1, 2, 4 … minutes), one that can't succeed (the message or member is
        gone, DMs closed: held for /mentor status) is settled. Returns how many were delivered."""

        async def lease(at: datetime) -> list[MentorshipProposal]:
            async with self.bot.db.write() as session:
                return await store.lease_notices(session, at, self.reachable, ids, store.NOTICE_BATCH)

        return await self.bot.jobs.drain(
            lease,
            self.deliver_notice,
            size=store.NOTICE_BATCH,
            now=now,
            whom=lambda proposal: [proposal.mentor_id, proposal.mentee_id],
        )

    async def deliver_notice(self, proposal: MentorshipProposal, at: datetime) -> bool:
        """One leased owed message, settled (or left for its retry); whether it went."""
        notice = proposal.notice
        assert notice is not None
        try:
            await self.perform_notice(proposal, notice)
        except Exception as error:
            await self.notice_failed(proposal, notice, at, error)
            return False
        async with self.bot.db.write() as session:
            await store.settle_notice(session, proposal.id, notice)
        return True

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
