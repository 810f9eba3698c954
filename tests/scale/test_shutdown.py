"""Graceful shutdown: a handler in flight when close() starts finishes its reply and its write first."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from sqlalchemy import select

from bench.inflight import fire_without_settle
from storage import Database
from storage.models import GuildSettings
from tests.conftest import World


async def test_close_waits_for_an_in_flight_command_before_disposing_the_database(world: World) -> None:
    """close() is called while /slowwrite waits; once released, its reply and its database write both land."""
    started, release = asyncio.Event(), asyncio.Event()
    bot = world.bot
    order: list[str] = []
    dispose = bot.db.dispose

    async def recorded_dispose() -> None:
        order.append("dispose")
        await dispose()

    bot.db.dispose = recorded_dispose  # type: ignore[method-assign]

    @app_commands.command(name="slowwrite", description="Waits, writes the timezone, replies")
    @app_commands.guild_only()
    async def slowwrite(interaction: discord.Interaction) -> None:
        started.set()
        await release.wait()
        async with bot.db.write() as session:
            settings = await session.get(GuildSettings, interaction.guild_id)
            assert settings is not None
            settings.timezone = "Asia/Manila"
        order.append("written")
        await interaction.response.send_message("written", ephemeral=True)
        order.append("replied")

    bot.tree.add_command(slowwrite)
    await bot.tree.sync()
    result = fire_without_settle(world.alice, world.general, "slowwrite")
    await asyncio.wait_for(started.wait(), 5)

    closing = asyncio.create_task(bot.close())
    await asyncio.sleep(0.05)
    assert not closing.done()  # close() is waiting for the handler
    release.set()
    await asyncio.wait_for(closing, 5)

    assert order == ["written", "replied", "dispose"]
    assert result.acknowledged and result.response.content == "written"
    database = Database(world.settings.database_url)
    try:
        async with database.read() as session:
            timezone = (
                await session.execute(select(GuildSettings.timezone).where(GuildSettings.guild_id == world.guild.id))
            ).scalar_one()
    finally:
        await database.dispose()
    assert timezone == "Asia/Manila"
