"""Check-ins in peer circles, as for pairs: on the server's check-in days (14 and 45 by default) after a
circle forms, each member is asked privately "How is your circle going?" (1-5). A rating of 2 or less tells
the mod-log which circle may need care: never who rated it, never any words."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from cogs.circles.views import cog_of
from core.errors import NotAllowed
from core.jobs import is_retryable
from core.ui import LanternView, PersistentButton
from storage import circles as store
from storage.circles import checkins as store_checkins
from storage.models.circles import DELIVERY_FAILED, DELIVERY_GONE, DELIVERY_HELD, DELIVERY_SENT, CircleCheckin

if TYPE_CHECKING:
    from bot import LanternBot
    from cogs.circles.flow import CircleFlow

log = logging.getLogger(__name__)

LOW_RATING = 2


class CheckinButton(PersistentButton, template=r"circle:checkin:(?P<checkin_id>\d+):(?P<rating>[1-5])"):
    def __init__(self, checkin_id: int, rating: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=str(rating), style=discord.ButtonStyle.primary, custom_id=f"circle:checkin:{checkin_id}:{rating}"
            )
        )
        self.checkin_id = checkin_id
        self.rating = rating

    async def handle(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction.client).checkins.rate(interaction, self.checkin_id, self.rating)


def checkin_view(checkin_id: int) -> discord.ui.View:
    view = LanternView(timeout=None)
    for rating in range(1, 6):
        view.add_item(CheckinButton(checkin_id, rating))
    return view


class CircleCheckins:
    def __init__(self, bot: LanternBot, flow: CircleFlow) -> None:
        self.bot = bot
        self.flow = flow

    async def send_due(self, now: datetime) -> int:
        """Owe the due check-ins, then send them a batch at a time (leased: one process sends each, once; one
        failing never holds back the others). Returns how many settled."""
        after_id, batch = 0, store_checkins.CLAIM_BATCH
        while True:  # a backlog of due circles a batch at a time, each its own short write
            async with self.bot.db.write() as session:
                looked_at, after_id = await store.claim_due_checkins(
                    session, now, self.flow.reachable, after_id=after_id, limit=batch
                )
            if looked_at < batch:
                break
        size = store_checkins.CHECKIN_BATCH

        async def lease(at: datetime) -> list[CircleCheckin]:
            async with self.bot.db.write() as session:
                return await store_checkins.lease_checkins(session, at, self.flow.reachable, size)

        return await self.bot.jobs.drain(
            lease, self.deliver, size=size, now=now, whom=lambda checkin: [checkin.user_id]
        )

    async def deliver(self, checkin: CircleCheckin, at: datetime) -> bool:
        """One leased check-in DM, settled (or left for its retry after a failure worth another try)."""
        try:
            delivery = await self.send(checkin)
        except Exception as error:
            if isinstance(error, discord.HTTPException) and not is_retryable(error):
                delivery = DELIVERY_FAILED
            else:
                async with self.bot.db.write() as session:
                    await store.retry_checkin(session, checkin.id, at, DELIVERY_FAILED)
                log.warning("circle check-in %s failed (%s); tried again later", checkin.id, error)
                return False
        async with self.bot.db.write() as session:
            await store.settle_checkin(session, checkin.id, delivery)
        return True

    async def send(self, checkin: CircleCheckin) -> str:
        guild = self.bot.get_guild(checkin.guild_id)
        if guild is None:
            return DELIVERY_GONE
        text = (
            f"Hello from **{guild.name}**! Your peer circle #{checkin.circle_id} has been going for "
            f"{checkin.day} days. How is it going, from 1 (hard) to 5 (great)? Only the moderators see a low "
            "number, and never who gave it. If it isn't for you, `/circle leave` is always fine: no-fault."
        )
        delivery, _ = await self.flow.mentor_flow.send_private(
            guild, checkin.user_id, text, view=checkin_view(checkin.id), nonce=f"circle-checkin:{checkin.id}"
        )
        return {"sent": DELIVERY_SENT, "held": DELIVERY_HELD}.get(delivery, DELIVERY_GONE)

    async def rate(self, interaction: discord.Interaction, checkin_id: int, rating: int) -> None:
        async with self.bot.db.write() as session:
            checkin = await store.rate_checkin(session, checkin_id, interaction.user.id, rating, self.bot.clock())
        if checkin is None:
            raise NotAllowed("This check-in isn't yours, or you've already answered it. Thank you!")
        await interaction.response.edit_message(
            content=f"Thank you: you rated your circle {rating}/5. "
            + ("I'm sorry it's been hard. " if rating <= LOW_RATING else "")
            + "`/circle leave` is always there, no-fault.",
            view=None,
        )
        if rating <= LOW_RATING:
            await self.bot.modlog.post(
                checkin.guild_id,
                "Peer circles: a check-in may need care",
                f"Circle #{checkin.circle_id} got a rating of {rating}/5 at its day-{checkin.day} check-in. "
                "Who gave it and any words are never shared.",
            )


CHECKIN_ITEMS = (CheckinButton,)
