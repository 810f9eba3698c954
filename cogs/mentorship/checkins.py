"""Check-ins: at the guild's days after a match, each member privately gets "How is it going?".

A low rating (≤ 2) tells the mod-log which pairing may need care, never what anyone wrote.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from sqlalchemy import select

from cogs.mentorship.views import checkin_view
from core.errors import NotAllowed
from core.jobs import is_retryable
from core.text import unlink
from storage import mentorship as store
from storage.mentorship import followups
from storage.models.guild import GuildSettings
from storage.models.mentorship import (
    ACTIVE,
    DELIVERY_GONE,
    DELIVERY_HELD,
    DELIVERY_SENT,
    MentorshipCheckin,
    MentorshipPairing,
)

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.mentorship.flow import Flow

log = logging.getLogger(__name__)

LOW_RATING = 2


class Checkins:
    def __init__(self, bot: LanternBot, flow: Flow) -> None:
        self.bot = bot
        self.flow = flow

    async def send_due(self, now: datetime) -> int:
        """Claim the check-ins that fell due, then send every check-in DM that is due; returns how many went.

        Each DM is leased in the database (exactly one process sends it; one left by a process that died is
        taken over when its lease runs out). One failing never holds back the others: a failure worth
        another try (5xx, 429, a dropped connection) waits its backoff, DMs closed hold it for /mentor
        status (settled, never retried), a member or pairing that is gone settles it."""
        async with self.bot.db.read() as session:
            guild_ids = (
                await session.scalars(
                    select(MentorshipPairing.guild_id)
                    .where(MentorshipPairing.status == ACTIVE, MentorshipPairing.next_checkin_at <= now)
                    .distinct()
                )
            ).all()
            days_of = {}
            for guild_id in guild_ids:
                if not self.flow.reachable(guild_id):
                    continue
                settings = await session.get(GuildSettings, guild_id)
                days_of[guild_id] = settings.checkin_days if settings else (14, 45)
        while days_of:  # a backlog in batches, each its own short transaction
            async with self.bot.db.write() as session:
                looked_at = await store.claim_due_checkins(session, now, days_of, store.CLAIM_BATCH)
            if looked_at < store.CLAIM_BATCH:
                break
        return await self.bot.jobs.drain(
            self.lease_batch,
            self.deliver_checkin,
            size=store.LEASE_BATCH,
            now=now,
            whom=lambda leased: [leased[0].user_id],
        )

    async def lease_batch(self, at: datetime) -> list[tuple[MentorshipCheckin, MentorshipPairing]]:
        async with self.bot.db.write() as session:
            return await store.lease_checkins(session, at, self.flow.reachable, store.LEASE_BATCH)

    async def deliver_checkin(self, leased: tuple[MentorshipCheckin, MentorshipPairing], at: datetime) -> bool:
        """One leased check-in DM, settled; whether it was sent."""
        checkin, pairing = leased
        try:
            delivery = await self.send_one(checkin, pairing)
        except Exception as error:
            await self.failed(checkin, at, error)
            return False
        async with self.bot.db.write() as session:
            await store.settle_checkin(session, checkin.id, delivery, self.bot.clock())
        return delivery == DELIVERY_SENT

    async def send_one(self, checkin: MentorshipCheckin, pairing: MentorshipPairing) -> str:
        guild = self.bot.get_guild(pairing.guild_id)
        async with self.bot.db.read() as session:
            current = await store.get_pairing(session, pairing.id)
            goals = (await followups.goals_of(session, [pairing.id])).get(pairing.id, [])
        if guild is None or current is None or current.status != ACTIVE:
            return DELIVERY_GONE
        other_id = pairing.mentee_id if checkin.user_id == pairing.mentor_id else pairing.mentor_id
        other = await self.flow.member(guild, other_id)
        name = unlink(other.display_name) if other else "your partner"
        text = (
            f"How is it going with **{name}**? It's been {checkin.day} days since you were paired in "
            f"**{guild.name}**. Pick 1 (not well) to 5 (really well). Only the moderators' log hears "
            "if it's going badly, and never what you wrote. If it isn't working, you can end it here: "
            "no fault, and they're told kindly."
        )
        if goals:
            listed = "\n".join(f"{index}. {unlink(goal)}" for index, goal in enumerate(goals, 1))
            text += (
                f"\n\nThe goals you two set:\n{listed}\nHow are they coming along? Any progress, however small, "
                "is worth a word in your thread; **Our goals** there changes them whenever you like."
            )
        outcome, _ = await self.flow.send_private(
            guild, checkin.user_id, text, view=checkin_view(checkin.id, pairing.id), nonce=f"checkin:{checkin.id}"
        )
        return {"sent": DELIVERY_SENT, "held": DELIVERY_HELD}.get(outcome, DELIVERY_GONE)

    async def failed(self, checkin: MentorshipCheckin, now: datetime, error: Exception) -> None:
        """A 4xx (other than closed DMs, which send_private holds) is Discord's final answer: settled as gone.
        Anything else is tried again after the backoff, and logged once (repeats at DEBUG)."""
        if isinstance(error, discord.HTTPException) and not is_retryable(error):
            log.info("check-in %s can't be delivered (%s); settled", checkin.id, error)
            async with self.bot.db.write() as session:
                await store.settle_checkin(session, checkin.id, DELIVERY_GONE, now)
            return
        async with self.bot.db.write() as session:
            again = await store.retry_checkin(session, checkin.id, now)
        if not again:
            log.warning("gave up on check-in %s after repeated failures: %s", checkin.id, error)
        elif checkin.attempts:
            log.debug("check-in %s failed again (%d): %s", checkin.id, checkin.attempts + 1, error)
        elif is_retryable(error):
            log.warning("check-in %s failed (%s); it is tried again later", checkin.id, error)
        else:
            log.error("check-in %s failed; it is tried again later", checkin.id, exc_info=error)

    async def rate(self, interaction: discord.Interaction, checkin_id: int, rating: int) -> None:
        async with self.bot.db.write() as session:
            checkin = await store.rate_checkin(session, checkin_id, interaction.user.id, rating, self.bot.clock())
            pairing = await store.get_pairing(session, checkin.pairing_id) if checkin else None
        if checkin is None or pairing is None:
            raise NotAllowed("I already have your answer to this check-in. Thank you!")
        await interaction.response.edit_message(
            content=f"Thank you: you rated it {rating}/5. "
            + ("I'm sorry it's been hard. " if rating <= LOW_RATING else "")
            + "You can end the pairing any time with `/mentor end`.",
            view=None,
        )
        if rating <= LOW_RATING:
            await self.bot.modlog.post(
                pairing.guild_id,
                "Mentor pairing may need care",
                f"Pairing #{pairing.id} (<@{pairing.mentor_id}> mentoring <@{pairing.mentee_id}>) got a rating of "
                f"{rating}/5 at its day-{checkin.day} check-in. No words from the members are included; "
                "a gentle, private word with them may help.",
            )
