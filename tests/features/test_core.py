"""The shared machinery: the error funnel, due jobs, the scheduler, the clock."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import discord
import pytest
from discord import app_commands
from simcord import assert_error, assert_responded

from bot import create_bot
from config import Settings
from core.errors import NotFound
from core.tree import APOLOGY
from tests.conftest import World


async def add_test_command(world: World, command: app_commands.Command) -> None:
    world.bot.tree.add_command(command)
    await world.bot.tree.sync()


async def test_unexpected_error_gets_an_apology_and_is_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """A crash shows a short apology with nothing internal, and the log names command, guild and user."""

    @app_commands.command(name="crash", description="Crashes")
    @app_commands.guild_only()
    async def crash(interaction: discord.Interaction) -> None:
        raise RuntimeError("secret internals")

    await add_test_command(world, crash)
    with caplog.at_level(logging.ERROR, logger="core.tree"):
        result = await world.alice.slash(world.general, "crash")
    assert_responded(result, content=APOLOGY, ephemeral=True)
    assert "secret" not in result.response.content and "RuntimeError" not in result.response.content
    assert_error(world.env, RuntimeError)
    record = next(r for r in caplog.records if r.name == "core.tree")
    assert "/crash" in record.getMessage()
    assert str(world.guild.id) in record.getMessage()
    assert str(world.alice.id) in record.getMessage()


async def test_errors_after_a_deferral_still_reach_the_member(world: World) -> None:
    """When the command already deferred, the funnel answers with a follow-up."""

    @app_commands.command(name="slowfail", description="Defers, then fails")
    @app_commands.guild_only()
    async def slowfail(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        raise NotFound("a schedule called", "weekly-identity", "`/prompts schedules` lists them.")

    await add_test_command(world, slowfail)
    result = await world.alice.slash(world.general, "slowfail")
    assert_responded(
        result,
        content="I can't find a schedule called `weekly-identity`. `/prompts schedules` lists them.",
        ephemeral=True,
    )
    assert_error(world.env, NotFound)


async def test_run_due_jobs_runs_each_registered_handler_with_the_bot_clock(world: World) -> None:
    """Every registered handler is called with bot.clock(); SimCord's advance_time moves it."""
    seen: list[datetime] = []

    async def handler(now: datetime) -> int:
        seen.append(now)
        return len(seen)

    world.bot.jobs.register("probe", handler)
    first = world.bot.clock()
    await world.bot.run_due_jobs()
    await world.env.advance_time(3600)
    await world.bot.run_due_jobs()
    assert len(seen) == 2
    assert abs(seen[0] - first) < timedelta(seconds=1)
    assert seen[1] - seen[0] >= timedelta(seconds=3600)


async def test_one_failing_due_job_does_not_stop_the_others(world: World) -> None:
    """A broken handler is recorded on itself (tests/features/test_due_faults.py: its backoff), and the
    other handlers still run and report."""
    ran: list[str] = []

    async def broken(now: datetime) -> None:
        raise ValueError("broken job")

    async def fine(now: datetime) -> None:
        ran.append("fine")

    world.bot.jobs.register("broken", broken)
    world.bot.jobs.register("fine", fine)
    results = await world.bot.run_due_jobs()
    assert ran == ["fine"]
    assert "fine" in results and "broken" not in results
    assert world.bot.jobs.state("broken").last_error == "ValueError: broken job"


async def test_scheduler_calls_run_due_jobs_and_stops_on_close(settings: Settings) -> None:
    """With the scheduler on, setup_hook adds one interval job for run_due_jobs; close() shuts it down."""
    bot = create_bot(settings.model_copy(update={"scheduler_enabled": True, "sync_commands_on_start": False}))
    async with bot:  # what `python bot.py` does around start(); setup_hook runs at login
        await bot.setup_hook()
        jobs = bot.scheduler.get_jobs()
        assert [job.id for job in jobs] == ["run_due_jobs"]
        assert jobs[0].func == bot.run_due_jobs
        assert jobs[0].misfire_grace_time is None and jobs[0].coalesce
        assert bot.scheduler.running
    assert not bot.scheduler.running


def test_clock_is_injectable(settings: Settings) -> None:
    """create_bot(settings, clock=...) replaces the bot's notion of now."""
    fixed = datetime(2030, 5, 1, 12, 0, tzinfo=discord.utils.utcnow().tzinfo)
    bot = create_bot(settings, clock=lambda: fixed)
    assert bot.clock() == fixed


async def test_log_lines_name_the_guild_user_and_command(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """Anything logged while handling an interaction carries its guild, user and command."""
    from core.logcontext import ContextFilter

    @app_commands.command(name="chatty", description="Logs a line")
    @app_commands.guild_only()
    async def chatty(interaction: discord.Interaction) -> None:
        logging.getLogger("lantern.test").warning("something worth knowing")
        await interaction.response.send_message("ok", ephemeral=True)

    await add_test_command(world, chatty)
    caplog.handler.addFilter(ContextFilter())
    with caplog.at_level(logging.WARNING, logger="lantern.test"):
        await world.alice.slash(world.general, "chatty")
    [record] = [r for r in caplog.records if r.name == "lantern.test"]
    assert record.context == f"guild={world.guild.id} user={world.alice.id} cmd=/chatty"
