"""Persistent buttons of peer circles: an invitation's Join / No thanks. They carry the invitation's id,
so they keep working after a restart; the state they act on lives in the database."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord
from discord.ext import commands

from core.errors import NotAllowed
from core.ui import LanternView, PersistentButton

if TYPE_CHECKING:
    from cogs.circles.cog import Circles


def cog_of(client: discord.Client) -> Circles:
    cog = cast(commands.Bot, client).get_cog("Circles")
    if cog is None:  # pragma: no cover - the extension is always loaded
        raise NotAllowed("Peer circles are switched off on this bot right now.")
    return cast("Circles", cog)


class InviteButton(PersistentButton, template=r"circle:invite:(?P<invite_id>\d+):(?P<action>yes|no)"):
    def __init__(self, invite_id: int, action: str) -> None:
        yes = action == "yes"
        super().__init__(
            discord.ui.Button(
                label="Join" if yes else "No thanks",
                style=discord.ButtonStyle.success if yes else discord.ButtonStyle.secondary,
                custom_id=f"circle:invite:{invite_id}:{action}",
            )
        )
        self.invite_id = invite_id
        self.action = action

    async def handle(self, interaction: discord.Interaction) -> None:
        await cog_of(interaction.client).flow.answer(interaction, self.invite_id, self.action == "yes")


def invite_view(invite_id: int) -> discord.ui.View:
    view = LanternView(timeout=None)
    view.add_item(InviteButton(invite_id, "yes"))
    view.add_item(InviteButton(invite_id, "no"))
    return view


DYNAMIC_ITEMS = (InviteButton,)
