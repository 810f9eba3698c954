"""The mentorship cog: wires the /mentor and /pairing groups, the persistent buttons, the due job
(expiries, automatic resumes, check-ins, scheduled rounds) and the privacy provider."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any

from discord.ext import commands

from cogs.mentorship.checkins import Checkins
from cogs.mentorship.flow import Flow
from cogs.mentorship.followup import Followups
from cogs.mentorship.goals import GOAL_FORMS, GOAL_ITEMS
from cogs.mentorship.member import MentorGroup
from cogs.mentorship.moderator import PairingGroup
from cogs.mentorship.privacy import make_provider
from cogs.mentorship.rounds import Rounds
from cogs.mentorship.views import DYNAMIC_ITEMS
from storage import mentorship as store
from storage.models.mentorship import MentorshipPairing, MentorshipProposal

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

JOB = "mentorship"


class Mentorship(commands.Cog):
    """Opt-in mentor pairing."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        self.flow = Flow(bot)
        self.followups = Followups(bot, self.flow)
        self.rounds = Rounds(bot, self.flow, self.followups)
        self.checkins = Checkins(bot, self.flow)
        self.mentor_group = MentorGroup(self)
        self.pairing_group = PairingGroup(self)
        self._tasks: set[asyncio.Task[Any]] = set()

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.mentor_group)
        self.bot.tree.add_command(self.pairing_group)
        self.bot.jobs.register(JOB, self.run_due)

    async def cog_unload(self) -> None:
        self.bot.jobs.unregister(JOB)
        self.bot.tree.remove_command(self.mentor_group.name)
        self.bot.tree.remove_command(self.pairing_group.name)
        self.rounds.close()

    async def run_due(self, now: datetime) -> dict[str, int]:
        """Expire unanswered proposals (pausing after two lapses in a row), tidy finished pauses, send what
        proposals owe (invitations, lapse notices), send check-ins, owe reminders a day before invitations
        lapse, send owed notes (reminders, pause notices, unmatched explanations, did-you-meet nudges), forget
        settled notes after 90 days, run scheduled rounds.

        Every step runs even if one before it failed; the failures are raised together at the end, so the
        due-jobs runner (core/jobs.py) backs off and logs them once. Inside each step, one unit failing
        (one DM, one edit, one guild's round) never stops the others."""
        steps: dict[str, Callable[[datetime], Awaitable[int]]] = {
            "expired": self.followups.expire,  # and pauses a member whose second invitation in a row lapsed
            "resumed": self.resume_due,
            "notices": self.flow.send_owed,
            "checkins": self.checkins.send_due,
            "reminders": self.followups.owe_reminders,
            "notes": self.followups.send_due,
            "notes purged": self.followups.purge,  # settled notes past their keeping (90 days)
            "rounds": self.rounds.run_scheduled,
        }
        results: dict[str, int] = {}
        failures: list[Exception] = []
        for name, step in steps.items():
            try:
                results[name] = await step(now)
            except Exception as error:
                error.add_note(f"in mentorship due step {name!r}")
                failures.append(error)
        if failures:
            raise ExceptionGroup("mentorship due work failed", failures)
        return results

    async def resume_due(self, now: datetime) -> int:
        async with self.bot.db.write() as session:
            return await store.resume_due(session, now)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Run Discord work that must wait until a transaction has committed."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.bot.track(task)  # the bot's close() waits for it before closing HTTP and the database

    async def withdraw(self, guild_id: int, user_id: int, *, ended_by: str) -> int | None:
        """Take a member out of mentor pairing: cancel invitations, end pairings politely, drop profiles.

        Returns how many pairings ended, or None if they had never opted in."""
        now = self.bot.clock()
        async with self.bot.db.write() as session:
            offer = await store.get_mentor(session, guild_id, user_id)
            request = await store.get_mentee(session, guild_id, user_id)
            active = await store.pairings(session, guild_id, user_id=user_id)
            if offer is None and request is None and not active:
                return None
            cancelled = await store.cancel_pending_for(session, guild_id, user_id)
            ended = []
            for pairing in active:
                done = await store.end_pairing(session, pairing.id, ended_by=ended_by, now=now)
                if done is not None:
                    ended.append(done)
            await store.delete_profiles(session, guild_id, user_id)
        await self.after_departure(user_id, ended, cancelled)
        return len(ended)

    @commands.Cog.listener()
    async def on_member_departed(self, guild_id: int, user_id: int) -> None:
        """A member left the server (seen live, or found gone at start). They leave the pool at once (a round
        skips members who left), their invitations close and their pairings end kindly, freeing the places.
        Their profiles wait for the retention, so a member who comes back is simply back in the pool."""
        now = self.bot.clock()
        async with self.bot.db.write() as session:
            cancelled = await store.cancel_pending_for(session, guild_id, user_id)
            ended = []
            for pairing in await store.pairings(session, guild_id, user_id=user_id):
                done = await store.end_pairing(session, pairing.id, ended_by="departed", now=now)
                if done is not None:
                    ended.append(done)
        await self.after_departure(user_id, ended, cancelled, ended_by="departed")

    async def after_departure(
        self,
        user_id: int,
        ended: list[MentorshipPairing],
        cancelled: list[MentorshipProposal],
        *,
        ended_by: str = "left",
    ) -> None:
        """Tell the other member of each ended pairing kindly; close the departed member's invitations."""
        for proposal in cancelled:
            for role in ("mentor", "mentee"):
                await self.flow.edit_old(
                    getattr(proposal, f"{role}_channel_id"),
                    getattr(proposal, f"{role}_message_id"),
                    "This invitation is no longer open. Thank you!",
                )
        for pairing in ended:
            other = pairing.mentee_id if pairing.mentor_id == user_id else pairing.mentor_id
            await self.flow.tell_ended(pairing, ended_by=ended_by, tell=(other,))


async def setup(bot: LanternBot) -> None:
    cog = Mentorship(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(*DYNAMIC_ITEMS, *GOAL_ITEMS)
    bot.forms.register(*GOAL_FORMS)
    bot.privacy.register(make_provider(cog))
