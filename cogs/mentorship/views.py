"""Persistent buttons of mentor pairing: proposal answers and check-ins. They carry ids, so they
keep working after a restart; the state they act on lives in the database."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord
from discord.ext import commands

from core.errors import NotAllowed
from core.ui import LanternView, PersistentButton
from storage import mentorship as store
from storage.models.mentorship import ACTIVE

if TYPE_CHECKING:
    from cogs.mentorship.cog import Mentorship


def cog_of(client: discord.Client) -> Mentorship:
    cog = cast(commands.Bot, client).get_cog("Mentorship")
    if cog is None:  # pragma: no cover - the extension is always loaded
        raise NotAllowed("Mentor pairing is switched off on this bot right now.")
    return cast("Mentorship", cog)


class ProposalButton(PersistentButton, template=r"mentor:proposal:(?P<proposal_id>\d+):(?P<action>accept|decline)"):
    def __init__(self, proposal_id: int, action: str) -> None:
        accept = action == "accept"
        super().__init__(
            discord.ui.Button(
                label="Accept" if accept else "Decline",
                style=discord.ButtonStyle.success if accept else discord.ButtonStyle.secondary,
                custom_id=f"mentor:proposal:{proposal_id}:{action}",
            )
        )
        self.proposal_id = proposal_id
        self.action = action

    async def handle(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction.client).flow.answer(interaction, self.proposal_id, self.action == "accept")


def proposal_view(proposal_id: int) -> discord.ui.View:
    view = LanternView(timeout=None)
    view.add_item(ProposalButton(proposal_id, "accept"))
    view.add_item(ProposalButton(proposal_id, "decline"))
    return view


class CheckinRating(PersistentButton, template=r"mentor:checkin:(?P<checkin_id>\d+):(?P<rating>[1-5])"):
    def __init__(self, checkin_id: int, rating: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=str(rating), style=discord.ButtonStyle.primary, custom_id=f"mentor:checkin:{checkin_id}:{rating}"
            )
        )
        self.checkin_id = checkin_id
        self.rating = rating

    async def handle(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction.client).checkins.rate(interaction, self.checkin_id, self.rating)


class CheckinEnd(PersistentButton, template=r"mentor:checkin-end:(?P<pairing_id>\d+)"):
    def __init__(self, pairing_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="End this pairing", style=discord.ButtonStyle.danger, custom_id=f"mentor:checkin-end:{pairing_id}"
            )
        )
        self.pairing_id = pairing_id

    async def handle(self, interaction: discord.Interaction) -> None:
        cog = cog_of(interaction.client)
        async with cog.bot.db.read() as session:
            pairing = await store.get_pairing(session, self.pairing_id)
        user_id = interaction.user.id
        if pairing is None or user_id not in (pairing.mentor_id, pairing.mentee_id):
            raise NotAllowed("This pairing isn't one of yours.")
        if pairing.status != ACTIVE:
            await interaction.response.edit_message(content="This pairing has already ended.", view=None)
            return
        role = "mentor" if user_id == pairing.mentor_id else "mentee"
        await interaction.response.edit_message(
            content="Thank you. I've ended the pairing; the other person is told kindly, and nobody is at fault.",
            view=None,
        )
        await cog.flow.end(self.pairing_id, ended_by=role)


def checkin_view(checkin_id: int, pairing_id: int) -> discord.ui.View:
    view = LanternView(timeout=None)
    for rating in range(1, 6):
        view.add_item(CheckinRating(checkin_id, rating))
    view.add_item(CheckinEnd(pairing_id))
    return view


DYNAMIC_ITEMS = (ProposalButton, CheckinRating, CheckinEnd)
