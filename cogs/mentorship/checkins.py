"""Check-ins: at the guild's days after a match, each member privately gets "How is it going?".

A low rating (≤ 2) tells the mod-log which pairing may need care, never what anyone wrote.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import discord
from sqlalchemy import select

from cogs.mentorship.views import checkin_view
from core.errors import NotAllowed
from core.text import unlink
from storage import mentorship as store
from storage.models.guild import GuildSettings
from storage.models.mentorship import ACTIVE, MentorshipPairing

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.mentorship.flow import Flow

LOW_RATING = 2


class Checkins:
    def __init__(self, bot: LanternBot, flow: Flow) -> None:
        self.bot = bot
        self.flow = flow

    async def send_due(self, now: datetime) -> int:
        async with self.bot.db.write() as session:
            guild_ids = (
                await session.scalars(
                    select(MentorshipPairing.guild_id)
                    .where(MentorshipPairing.status == ACTIVE, MentorshipPairing.next_checkin_at <= now)
                    .distinct()
                )
            ).all()
            days_of = {}
            for guild_id in guild_ids:
                if not self.bot.owns_guild(guild_id):
                    continue
                settings = await session.get(GuildSettings, guild_id)
                days_of[guild_id] = settings.checkin_days if settings else (14, 45)
            claimed = await store.claim_due_checkins(session, now, days_of)
        sent = 0
        for pairing, day, rows in claimed:
            guild = self.bot.get_guild(pairing.guild_id)
            if guild is None:
                continue
            for row in rows:
                other_id = pairing.mentee_id if row.user_id == pairing.mentor_id else pairing.mentor_id
                other = await self.flow.member(guild, other_id)
                name = unlink(other.display_name) if other else "your partner"
                text = (
                    f"How is it going with **{name}**? It's been {day} days since you were paired in "
                    f"**{guild.name}**. Pick 1 (not well) to 5 (really well). Only the moderators' log hears "
                    "if it's going badly, and never what you wrote. If it isn't working, you can end it here: "
                    "no fault, and they're told kindly."
                )
                if await self.flow.deliver(guild, row.user_id, text, view=checkin_view(row.id, pairing.id)):
                    sent += 1
        return sent

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
