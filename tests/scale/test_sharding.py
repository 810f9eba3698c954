"""Due work only for owned guilds: a process posts prompts only for the guilds on its own shards."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
import pytest
from simcord import Env
from sqlalchemy import select

from config import Settings
from storage.models.prompts import PromptPost, PromptSchedule
from tests.conftest import World
from tests.features.test_prompts_schedule import make_schedule, posts, prompt_messages, schedules, tick

HOUR = 3600
NINE = datetime(2026, 1, 1, 9, tzinfo=UTC)


async def test_schedules_of_guilds_this_process_does_not_own_are_left_alone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When another process owns the guild: no claim, no post, no pause, next_run_at untouched; the owner posts it."""
    await make_schedule(world)
    monkeypatch.setattr(world.bot, "owns_guild", lambda guild_id: guild_id != world.guild.id)
    await tick(world, 9 * HOUR)
    assert prompt_messages(world) == []
    assert await posts(world) == []
    [schedule] = await schedules(world)
    assert (schedule.paused, schedule.next_run_at) == (False, NINE)
    monkeypatch.undo()
    await world.bot.run_due_jobs()
    assert len(prompt_messages(world)) == 1
    assert [p.status for p in await posts(world)] == ["posted"]


async def test_unposted_claims_of_other_guilds_are_not_leased(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A claim another process left unposted (a Discord error) stays for that process: not leased, not posted."""
    await make_schedule(world)
    await world.env.advance_time(9 * HOUR)
    world.env.inject_error("POST", "/channels/*/messages", status=500)
    await world.bot.run_due_jobs()
    monkeypatch.setattr(world.bot, "owns_guild", lambda guild_id: False)
    await world.bot.run_due_jobs()
    [post] = await posts(world)
    assert (post.status, post.lease_until) == ("claimed", None)
    assert prompt_messages(world) == []
    monkeypatch.undo()
    await world.bot.run_due_jobs()
    assert [p.status for p in await posts(world)] == ["posted"]
    assert len(prompt_messages(world)) == 1


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Two shards in all; this process runs shard 0 only."""
    return Settings(
        discord_token="test-token-not-real",
        database_url=db_url,
        scheduler_enabled=False,
        sync_commands_on_start=True,
        shard_count=2,
        shard_ids="0",
        _env_file=None,  # type: ignore[call-arg]
    )


async def test_a_shard_0_process_does_not_post_for_a_guild_on_shard_1(simcord_env: Env) -> None:
    """SHARD_COUNT=2, SHARD_IDS=0: the shard-0 guild's prompt is posted; the shard-1 guild's schedule is untouched."""
    env = simcord_env
    bot = env.bot
    assert bot.owns_guild(0 << 22) and not bot.owns_guild(1 << 22)
    mine = env.create_guild("Shard zero", shard_id=0)
    theirs = env.create_guild("Shard one", shard_id=1)
    mod_role = mine.create_role("Moderators", permissions=discord.Permissions(manage_guild=True))
    general = mine.create_text_channel("general")
    prompts = mine.create_text_channel("prompts")
    their_prompts = theirs.create_text_channel("prompts")
    mod = mine.add_member(env.create_user("stella"), roles=[mod_role])
    await env.settle()
    assert bot.get_guild(theirs.id) is None  # the shard-1 guild is another process's business
    result = await mod.slash(general, "prompts schedule", channel=prompts, cadence="daily", time="09:00")
    assert "Scheduled #" in result.response.content
    async with bot.db.write() as session:  # the same schedule in the other process's guild
        [ours] = (await session.execute(select(PromptSchedule))).scalars().all()
        session.add(
            PromptSchedule(
                guild_id=theirs.id,
                channel_id=their_prompts.id,
                cadence=ours.cadence,
                time=ours.time,
                themes=ours.themes,
                thread=False,
                anchor=ours.anchor,
                next_run_at=ours.next_run_at,
                created_at=ours.created_at,
            )
        )
    await env.advance_time(9 * HOUR)
    await bot.run_due_jobs()
    assert len([m for m in prompts.history() if m.embeds]) == 1
    assert their_prompts.history() == []
    async with bot.db.read() as session:
        claimed = (await session.execute(select(PromptPost.schedule_id, PromptPost.status))).all()
        theirs_row = (
            await session.execute(select(PromptSchedule).where(PromptSchedule.guild_id == theirs.id))
        ).scalar_one()
    assert claimed == [(ours.id, "posted")]
    assert (theirs_row.paused, theirs_row.next_run_at) == (False, NINE)
