"""A pairing's life in its own room: the private pair thread opened, and the pairing's end told kindly.

`Pairings` is the part of the mentorship `Flow` (flow.py) that works after both members said yes: it opens
the private thread for the two of them and, when a pairing ends (no-fault, whoever ends it), tells the
other member(s) by private words (delivery.py) and closes the thread.
"""

from __future__ import annotations

import logging

import discord

from cogs.care.views import pair_thread_view
from cogs.mentorship import rules
from cogs.mentorship.delivery import Delivery
from cogs.mentorship.goals import GoalsButton
from core import permissions
from core.text import truncate, unlink
from storage import mentorship as store
from storage.models.mentorship import MentorshipPairing, MentorshipProposal

log = logging.getLogger(__name__)

# A pair thread: a private thread, its two members added, a first message in it.
THREAD_NEEDS = ("view_channel", "create_private_threads", "send_messages_in_threads")
KIND_ENDING = (
    "That's nobody's fault: lives and needs change, and ending is always fine. "
    "Thank you for the time you gave each other."
)


class Pairings(Delivery):
    """Opening a pairing's thread and ending the pairing."""

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
                "",  # a blank line ends the numbered list (else Discord shows the next line inside the last item)
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
