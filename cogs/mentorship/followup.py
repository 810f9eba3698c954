"""What follows an invitation and a pairing: the reminder a day before an invitation lapses, the pause after
two lapses in a row, the explanation for members a round left unmatched, and the did-you-meet nudge in a
pair thread.

Each message is an owed note (storage/mentorship/followups.py): owed in the transaction that decides it
(once, by its key), then leased, sent and settled by the due work; a member with closed DMs has it held
for `/mentor status`, like a check-in.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from concurrent.futures import Executor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.mentorship import rules, unmatched
from cogs.mentorship.matching_runner import list_off_loop
from cogs.mentorship.rounds import Parser, in_slices
from cogs.mentorship.views import proposal_view
from core.jobs import is_retryable
from core.text import unlink
from engine import matching
from storage import mentorship as store
from storage.mentorship import followups as notes
from storage.models.mentorship import (
    ACTIVE,
    DELIVERY_GONE,
    DELIVERY_HELD,
    DELIVERY_SENT,
    NOTE_NUDGE,
    NOTE_PAUSED,
    NOTE_REMIND,
    NOTE_UNMATCHED,
    MentorProfile,
    MentorshipNote,
)

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.mentorship.flow import Flow

log = logging.getLogger(__name__)
PURGE_EVERY = timedelta(hours=1)

REMINDER = (
    "A gentle reminder from **{guild}**: the invitation to pair with **{name}** closes in about a day. "
    "There's no pressure at all: saying no is always fine, and nobody is told. The buttons are below."
)
PAUSED = (
    "The last two mentoring invitations I sent you in **{guild}** closed without an answer, so I've paused "
    "new ones: life gets busy, and that's fine. Nobody was told. Whenever you'd like invitations again, "
    "`/mentor resume` brings you back into the next round; your pairings, if you have any, carry on as before."
)
NUDGE = (
    "{mentions} Have you two found a time to meet? Whatever the answer, it's fine: only I see it, and it "
    "helps the moderators know how pairings are going (as numbers, never who)."
)


def recipients(note: MentorshipNote) -> list[Hashable]:
    """Whom a note writes to (`core.jobs.in_batches` keeps each recipient's notes in order): a member, or a pair's
    thread."""
    return [note.user_id] if note.user_id is not None else [("thread", note.pairing_id)]


class Followups:
    def __init__(self, bot: LanternBot, flow: Flow) -> None:
        self.bot = bot
        self.flow = flow
        self.purged_at: datetime | None = None

    # ------------------------------------------------------------ owing

    async def expire(self, now: datetime) -> int:
        """Expire unanswered invitations (each owes its lapse notice). A member whose last two invitations
        both lapsed is paused in the same transaction, and owed a note saying how to come back."""
        total = 0
        while True:  # a backlog in batches, each its own short transaction
            async with self.bot.db.write() as session:
                expired = await store.expire_due(session, now, store.EXPIRE_BATCH)
                for proposal in expired:
                    user_id = proposal.mentor_id if proposal.mentor_answered_at is None else proposal.mentee_id
                    await self.pause_after_lapses(session, proposal.guild_id, user_id, proposal.id, now)
            total += len(expired)
            if len(expired) < store.EXPIRE_BATCH:
                return total

    async def pause_after_lapses(
        self, session: AsyncSession, guild_id: int, user_id: int, proposal_id: int, now: datetime
    ) -> None:
        if not await notes.lapsed_twice(session, guild_id, user_id):
            return
        profiles = [
            p
            for p in (
                await store.get_mentor(session, guild_id, user_id),
                await store.get_mentee(session, guild_id, user_id),
            )
            if p is not None
        ]
        if not profiles or any(rules.is_paused(p.paused, p.paused_until, now) for p in profiles):
            return  # already taking a break: nothing to change or say
        await store.set_paused(session, guild_id, user_id, True, None)
        await notes.owe_note(
            session, guild_id, f"paused:{proposal_id}:{user_id}", NOTE_PAUSED, now=now, user_id=user_id
        )

    async def owe_reminders(self, now: datetime) -> int:
        """Owe the reminders of invitations lapsing within a day, REMIND_BATCH invitations per short write (a round
        of thousands never holds the writer for all of them at once). Returns how many were owed."""
        total = 0
        after: int | None = 0
        while after is not None:
            async with self.bot.db.write() as session:
                owed, after = await notes.owe_reminders(session, now, self.flow.reachable, after, notes.REMIND_BATCH)
            total += owed
        return total

    async def explain_unmatched(
        self,
        guild: discord.Guild,
        pool: store.Pool,
        left_out: list[matching.MenteeProfile],
        taken: dict[int, int],
        *,
        now: datetime,
        labels: dict[str, str],
        following: datetime | None,
        parser: Parser | None = None,
        executor: Executor | None = None,
    ) -> list[tuple[int, str]]:
        """(member, words) for each mentee the round left unmatched (`left_out`, the engine's profiles): why, in
        plain words, one suggestion and when the next round runs (`following` for a scheduled round, else the
        schedule's, if any). Computed before the round's transaction; `taken` is the places this round's proposals
        took, by mentor. A large pool's explanations are worked out in `executor` (the round's worker process),
        so thousands of them never hold the event loop."""
        if not left_out:
            return []
        parser = parser or Parser()
        async with self.bot.db.read() as session:
            everyone = await notes.opted_in_mentors(session, guild.id)
            next_round = following if following is not None else await store.next_round(session, guild.id)
        places = {profile.user_id: left for profile, left in pool.mentors}

        def mentor(profile: MentorProfile) -> unmatched.Mentor:
            available = places.get(profile.user_id, 0) - taken.get(profile.user_id, 0) > 0
            return unmatched.Mentor(parser.mentor(profile, 1), available=available)

        mentors = await in_slices(everyone, mentor)
        when = discord.utils.format_dt(next_round, "F") if next_round is not None else None
        return await list_off_loop(
            executor,
            unmatched.explain_all,
            guild.name,
            mentors,
            left_out,
            at=now,
            excluded=pool.exclusions,
            labels=labels,
            next_round=next_round,
            when=when,
        )

    async def owe_unmatched(
        self, session: AsyncSession, guild_id: int, bodies: list[tuple[int, str]], now: datetime
    ) -> None:
        """In the round's transaction: owe each explanation, once (keyed by the round's time and the member)."""
        stamp = int(now.timestamp())
        owed = [(f"unmatched:{stamp}:{user_id}", user_id, body) for user_id, body in bodies]
        await notes.owe_notes(session, guild_id, NOTE_UNMATCHED, owed, now=now)

    # ------------------------------------------------------------ sending

    async def purge(self, now: datetime) -> int:
        """Forget settled notes past their keeping (storage/mentorship/followups.py NOTES_KEPT), at most once an
        hour: a day late is nothing against 90 days, and the write is not worth taking every tick."""
        if self.purged_at is not None and now - self.purged_at < PURGE_EVERY:
            return 0
        async with self.bot.db.write() as session:
            purged = await notes.purge_settled_notes(session, now)
        self.purged_at = now
        return purged

    async def send_due(self, now: datetime, ids: list[int] | None = None) -> int:
        """Send every owed note that is due (or `ids`): leased first, so exactly one process sends each; one
        failing never stops the others. Returns how many were delivered."""

        async def lease(at: datetime) -> list[MentorshipNote]:
            async with self.bot.db.write() as session:
                return await notes.lease_notes(session, at, self.flow.reachable, ids, notes.NOTE_BATCH)

        return await self.bot.jobs.drain(lease, self.deliver_note, size=notes.NOTE_BATCH, now=now, whom=recipients)

    async def deliver_note(self, note: MentorshipNote, at: datetime) -> bool:
        """One leased note, settled (or left for its retry); whether it was sent."""
        try:
            delivery = await self.perform(note)
        except Exception as error:
            await self.failed(note, at, error)
            return False
        async with self.bot.db.write() as session:
            await notes.settle_note(session, note.id, delivery)
        return delivery == DELIVERY_SENT

    async def perform(self, note: MentorshipNote) -> str:
        guild = self.bot.get_guild(note.guild_id)
        if guild is None:
            return DELIVERY_GONE
        if note.kind == NOTE_NUDGE:
            return await self.nudge(guild, note)
        if note.user_id is None:
            return DELIVERY_GONE
        view: discord.ui.View | None = None
        if note.kind == NOTE_REMIND:
            text_and_view = await self.reminder(guild, note)
            if text_and_view is None:
                return DELIVERY_GONE
            text, view = text_and_view
        elif note.kind == NOTE_PAUSED:
            text = PAUSED.format(guild=guild.name)
        else:
            text = note.body or ""
        outcome, message = await self.flow.send_private(guild, note.user_id, text, view=view, nonce=f"note:{note.id}")
        if note.kind == NOTE_REMIND and message is not None and note.proposal_id is not None:
            await self.move_buttons(note, message)
        return {"sent": DELIVERY_SENT, "held": DELIVERY_HELD}.get(outcome, DELIVERY_GONE)

    async def reminder(self, guild: discord.Guild, note: MentorshipNote) -> tuple[str, discord.ui.View] | None:
        """The reminder's words and buttons, or None when the invitation no longer waits for this member."""
        async with self.bot.db.read() as session:
            proposal = await store.get_proposal(session, note.proposal_id) if note.proposal_id else None
        role = notes.awaited_role(proposal) if proposal is not None else None
        if proposal is None or role is None or getattr(proposal, f"{role}_id") != note.user_id:
            return None
        other_id = proposal.mentee_id if role == "mentor" else proposal.mentor_id
        other = await self.flow.member(guild, other_id)
        name = unlink(other.display_name) if other else "a member"
        return REMINDER.format(guild=guild.name, name=name), proposal_view(proposal.id)

    async def move_buttons(self, note: MentorshipNote, message: discord.Message) -> None:
        """The reminder carries the buttons now: the first invitation's buttons close (best effort), and the
        lapse notice will close the reminder's."""
        async with self.bot.db.write() as session:
            proposal = await store.get_proposal(session, note.proposal_id or 0)
            role = notes.awaited_role(proposal) if proposal is not None else None
            if proposal is None or role is None:
                return
            old = getattr(proposal, f"{role}_channel_id"), getattr(proposal, f"{role}_message_id")
            await store.record_message(session, proposal.id, role, message.channel.id, message.id)
        if old[1] is not None and old[1] != message.id:
            await self.flow.edit_old(
                old[0], old[1], "I've sent you a reminder of this invitation; its buttons are there."
            )

    async def nudge(self, guild: discord.Guild, note: MentorshipNote) -> str:
        from cogs.mentorship.goals import meet_view

        async with self.bot.db.read() as session:
            pairing = await store.get_pairing(session, note.pairing_id or 0)
        if pairing is None or pairing.status != ACTIVE or pairing.thread_id is None:
            return DELIVERY_GONE
        thread = guild.get_thread(pairing.thread_id)
        if thread is None:
            try:
                found = await self.bot.fetch_channel(pairing.thread_id)
            except (discord.NotFound, discord.Forbidden):
                return DELIVERY_GONE
            if not isinstance(found, discord.Thread):
                return DELIVERY_GONE
            thread = found
        mentions = " ".join(f"<@{user_id}>" for user_id in (pairing.mentor_id, pairing.mentee_id))
        try:
            await thread.send(
                NUDGE.format(mentions=mentions),
                view=meet_view(pairing.id),
                allowed_mentions=discord.AllowedMentions(
                    users=[discord.Object(pairing.mentor_id), discord.Object(pairing.mentee_id)]
                ),
                nonce=f"note:{note.id}",
            )
        except discord.HTTPException as error:
            if is_retryable(error):
                raise
            log.info("the did-you-meet nudge of pairing %s can't be posted (%s); settled", pairing.id, error)
            return DELIVERY_GONE
        return DELIVERY_SENT

    async def failed(self, note: MentorshipNote, now: datetime, error: Exception) -> None:
        """A 4xx is Discord's final answer (settled as gone); anything else waits its backoff, logged once."""
        if isinstance(error, discord.HTTPException) and not is_retryable(error):
            log.info("the %s note %s can't be delivered (%s); settled", note.kind, note.id, error)
            async with self.bot.db.write() as session:
                await notes.settle_note(session, note.id, DELIVERY_GONE)
            return
        async with self.bot.db.write() as session:
            again = await notes.retry_note(session, note.id, now)
        if not again:
            log.warning("gave up on the %s note %s after repeated failures: %s", note.kind, note.id, error)
        elif note.attempts:
            log.debug("the %s note %s failed again (%d): %s", note.kind, note.id, note.attempts + 1, error)
        elif is_retryable(error):
            log.warning("the %s note %s failed (%s); it is tried again later", note.kind, note.id, error)
        else:
            log.error("the %s note %s failed; it is tried again later", note.kind, note.id, exc_info=error)
