"""The peer-circles cog: wires /circle and /circles, the invitation buttons, the due job (owed invitations,
lapsed invitations decided, owed threads and closing messages), departures and the privacy provider."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.circles.checkins import CHECKIN_ITEMS, CircleCheckins
from cogs.circles.flow import CircleFlow
from cogs.circles.member import CircleGroup
from cogs.circles.moderator import CirclesGroup
from cogs.circles.rounds import Rounds, run_scheduled
from cogs.circles.views import DYNAMIC_ITEMS
from core.privacy import PrivacyProvider
from storage import circles as store

if TYPE_CHECKING:
    from bot import LanternBot

log = logging.getLogger(__name__)

JOB = "circles"


class Circles(commands.Cog):
    """Opt-in peer circles of 3-6."""

    def __init__(self, bot: LanternBot) -> None:
        self.bot = bot
        self.flow = CircleFlow(bot)
        self.rounds = Rounds(bot, self.flow)
        self.checkins = CircleCheckins(bot, self.flow)
        self.circle_group = CircleGroup(self)
        self.circles_group = CirclesGroup(self)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.circle_group)
        self.bot.tree.add_command(self.circles_group)
        self.bot.jobs.register(JOB, self.run_due)

    async def cog_unload(self) -> None:
        self.bot.jobs.unregister(JOB)
        self.bot.tree.remove_command(self.circle_group.name)
        self.bot.tree.remove_command(self.circles_group.name)
        self.rounds.close()

    async def run_due(self, now: datetime) -> dict[str, int]:
        """Send owed invitations, decide circles whose invitations lapsed, send what decided circles owe, tell
        members a round left out why, send check-ins.
        Every step runs even if one before it failed; the failures are raised together at the end."""
        steps: dict[str, Callable[[datetime], Awaitable[int]]] = {
            "invites": self.flow.send_invites,
            "lapsed": self.flow.lapse,
            "notices": self.flow.send_notices,
            "left out": self.flow.send_left_outs,
            "checkins": self.checkins.send_due,
            "rounds": self.run_rounds,
        }
        results: dict[str, int] = {}
        failures: list[Exception] = []
        for name, step in steps.items():
            try:
                results[name] = await step(now)
            except Exception as error:
                error.add_note(f"in circles due step {name!r}")
                failures.append(error)
        if failures:
            raise ExceptionGroup("circles due work failed", failures)
        return results

    async def run_rounds(self, now: datetime) -> int:
        return await run_scheduled(self.rounds, now)

    @commands.Cog.listener()
    async def on_member_departed(self, guild_id: int, user_id: int) -> None:
        """A member left the server: out of the pool at once (a round skips departures), out of their circles
        (the others are told only that a member left) and their open invitations closed as a no. Their
        profile waits for the retention, so a member who comes back is back in the pool."""
        await self.flow.withdraw(guild_id, user_id, opt_out=False)


def make_provider(cog: Circles) -> PrivacyProvider:
    async def cleanup(bot: Any, guild: discord.Guild, user_id: int) -> None:
        await cog.flow.withdraw(guild.id, user_id, opt_out=False)

    async def delete_member(session: AsyncSession, guild_id: int, user_id: int) -> int:
        await store.keep_protections(session, guild_id, user_id, cog.bot.protection.pair, cog.bot.clock())
        return await store.delete_member(session, guild_id, user_id)

    return PrivacyProvider(
        name="Peer circles",
        summary=(
            "Your peer-circle preferences (themes, heritages, size, timezone window), the circles you were "
            "invited to and your own answers. Erasing takes you out of your circles (the others are told only "
            "that a member left). If someone you shared a circle with erases their data, I keep only a keyed "
            "fingerprint of the pair, so you two are never grouped again."
        ),
        tables=(
            "circle_profiles",
            "circles",
            "circle_invites",
            "circle_checkins",
            "circle_protections",
            "circle_left_outs",
        ),
        export=store.export_member,
        delete=delete_member,
        cleanup=cleanup,
    )


async def setup(bot: LanternBot) -> None:
    cog = Circles(bot)
    await bot.add_cog(cog)
    bot.add_dynamic_items(*DYNAMIC_ITEMS, *CHECKIN_ITEMS)
    bot.privacy.register(make_provider(cog))
