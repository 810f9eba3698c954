"""Prompt schedules: making them, posting at the right time, exactly once, and pausing when stuck."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from simcord import assert_error, assert_responded
from sqlalchemy import select

from core.errors import InvalidInput, NotAllowed
from storage.models.prompts import PromptPost, PromptSchedule
from tests.conftest import World

HOUR = 3600
DAY = 24 * HOUR


async def schedules(world: World) -> list[PromptSchedule]:
    async with world.bot.db.read() as session:
        return list((await session.execute(select(PromptSchedule).order_by(PromptSchedule.id))).scalars().all())


async def posts(world: World) -> list[PromptPost]:
    async with world.bot.db.read() as session:
        return list((await session.execute(select(PromptPost).order_by(PromptPost.id))).scalars().all())


def prompt_messages(world: World) -> list[discord.Message]:
    return [m for m in world.prompts.history() if m.embeds and m.embeds[0].footer.text.startswith("Prompt #")]


async def make_schedule(world: World, **options: object) -> PromptSchedule:
    options = {"channel": world.prompts, "cadence": "daily", "time": "09:00", **options}
    result = await world.mod.slash(world.general, "prompts schedule", **options)
    assert_responded(result, contains="Scheduled #", ephemeral=True)
    return (await schedules(world))[-1]


async def tick(world: World, seconds: float) -> None:
    await world.env.advance_time(seconds)
    await world.bot.run_due_jobs()


async def test_schedule_is_stored_with_its_first_run_and_logged(world: World) -> None:
    """A daily 09:00 schedule in a UTC server first runs at 09:00 UTC today; the mod-log records it."""
    schedule = await make_schedule(world, themes="identity, Career guidance")
    assert schedule.channel_id == world.prompts.id
    assert (schedule.cadence, schedule.time, schedule.themes, schedule.thread) == (
        "daily",
        "09:00",
        "identity,career",
        True,
    )
    assert schedule.next_run_at == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    assert world.modlog.history()[-1].embeds[0].title == "Prompt schedule created"


async def test_schedule_time_is_in_the_servers_timezone(world: World) -> None:
    """09:00 in Asia/Manila (UTC+8) is 01:00 UTC."""
    await world.mod.slash(world.general, "setup options", timezone="Asia/Manila")
    schedule = await make_schedule(world, cadence="weekly friday")
    assert schedule.next_run_at == datetime(2026, 1, 2, 1, 0, tzinfo=UTC)  # Friday 2 January, 09:00 in Manila


async def test_bad_time_is_refused_and_nothing_is_stored(world: World) -> None:
    """A time that isn't HH:MM is named back; no schedule is made."""
    result = await world.mod.slash(
        world.general, "prompts schedule", channel=world.prompts, cadence="daily", time="25:00"
    )
    assert_responded(result, contains="`25:00` isn't a time I understand", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await schedules(world) == []


async def test_bad_cadence_is_refused_and_nothing_is_stored(world: World) -> None:
    """An unknown cadence gets examples of good ones; no schedule is made."""
    result = await world.mod.slash(
        world.general, "prompts schedule", channel=world.prompts, cadence="fortnightly-ish", time="09:00"
    )
    assert_responded(result, contains="`fortnightly-ish` isn't one I know", ephemeral=True)
    assert "weekly friday" in result.response.content
    assert_error(world.env, InvalidInput)
    assert await schedules(world) == []


async def test_unknown_theme_filter_is_refused(world: World) -> None:
    """A theme filter naming an unknown theme makes no schedule."""
    result = await world.mod.slash(
        world.general,
        "prompts schedule",
        channel=world.prompts,
        cadence="daily",
        time="09:00",
        themes="identity, tarot",
    )
    assert_responded(result, contains="`tarot` isn't one of this server's themes", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await schedules(world) == []


async def test_cadence_autocomplete_offers_examples(world: World) -> None:
    """Typing 'month' offers monthly examples."""
    choices = await world.mod.autocomplete(world.general, "prompts schedule", "cadence", "month")
    assert "monthly first monday" in [c["value"] for c in choices]


async def test_themes_autocomplete_offers_only_what_discord_takes(world: World) -> None:
    """A choice's value is at most 100 characters on Discord (the contract plugin refuses more): with 98 characters
    typed before the last theme, completing it would pass 100, so nothing is offered and the moderator types on;
    a shorter list is still completed."""
    typed = ", ".join(["identity"] * 10) + ", car"  # 98 characters before ", car"
    assert await world.mod.autocomplete(world.general, "prompts schedule", "themes", typed) == []
    choices = await world.mod.autocomplete(world.general, "prompts schedule", "themes", "identity, car")
    assert [c["value"] for c in choices] == ["identity, career"]


async def test_prompt_is_posted_at_its_time_with_a_thread(world: World) -> None:
    """Nothing before 09:00; at 09:00 an embed with the theme and prompt, a thread on it, and the message id stored."""
    await make_schedule(world)
    await tick(world, 9 * HOUR - 60)
    assert prompt_messages(world) == []
    await tick(world, 60)
    [message] = prompt_messages(world)
    assert message.embeds[0].title and message.embeds[0].description
    [thread] = world.prompts.threads
    assert thread.id == message.id  # a thread opened on the message itself
    [post] = await posts(world)
    assert (post.status, post.message_id, post.slot) == ("posted", message.id, datetime(2026, 1, 1, 9, tzinfo=UTC))
    [schedule] = await schedules(world)
    assert schedule.next_run_at == datetime(2026, 1, 2, 9, tzinfo=UTC)


async def test_no_thread_when_asked(world: World) -> None:
    """thread:False posts the prompt without a thread."""
    await make_schedule(world, thread=False)
    await tick(world, 9 * HOUR)
    assert len(prompt_messages(world)) == 1
    assert world.prompts.threads == []


async def test_running_due_jobs_twice_posts_once(world: World) -> None:
    """A second run for the same moment does nothing."""
    await make_schedule(world)
    await tick(world, 9 * HOUR)
    await world.bot.run_due_jobs()
    assert len(prompt_messages(world)) == 1
    assert len(await posts(world)) == 1


async def test_restart_does_not_post_a_slot_twice(world: World) -> None:
    """A new bot process on the same database doesn't repost today's prompt."""
    await make_schedule(world)
    await tick(world, 9 * HOUR)
    await world.restart()
    await world.bot.run_due_jobs()
    await tick(world, HOUR)
    assert len(prompt_messages(world)) == 1
    assert len(await posts(world)) == 1


async def test_downtime_makes_exactly_one_catch_up_post(world: World) -> None:
    """After five days offline, only the latest missed slot is posted, then the schedule carries on."""
    await make_schedule(world)
    await world.env.advance_time(5 * DAY + 10 * HOUR)  # 6 January 10:00; slots 1–6 January missed
    await world.restart()
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    assert len(prompt_messages(world)) == 1
    [post] = await posts(world)
    assert post.slot == datetime(2026, 1, 6, 9, tzinfo=UTC)
    [schedule] = await schedules(world)
    assert schedule.next_run_at == datetime(2026, 1, 7, 9, tzinfo=UTC)
    await tick(world, DAY)
    assert len(prompt_messages(world)) == 2


async def test_no_prompt_repeats_until_the_theme_is_exhausted(world: World) -> None:
    """A career-only daily schedule uses every career prompt once before any repeats."""
    await make_schedule(world, themes="career")
    await tick(world, 9 * HOUR)
    async with world.bot.db.read() as session:
        from storage.models.prompts import Prompt

        careers = set((await session.execute(select(Prompt.id).where(Prompt.theme == "career"))).scalars().all())
    for _ in range(len(careers) - 1):
        await tick(world, DAY)
    first_cycle = [p.prompt_id for p in await posts(world)]
    assert sorted(first_cycle) == sorted(careers)
    await tick(world, DAY)
    last = (await posts(world))[-1]
    assert last.cycle == 2 and last.prompt_id in careers


async def test_server_error_leaves_the_claim_for_the_next_run(world: World) -> None:
    """A 500 from Discord loses nothing: the next run posts the same slot, exactly once."""
    await make_schedule(world)
    await world.env.advance_time(9 * HOUR)
    world.env.inject_error("POST", "/channels/*/messages", status=500)
    await world.bot.run_due_jobs()
    assert prompt_messages(world) == []
    [post] = await posts(world)
    assert (post.status, post.message_id) == ("claimed", None)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    [message] = prompt_messages(world)
    [post] = await posts(world)
    assert (post.status, post.message_id) == ("posted", message.id)
    assert post.slot == datetime(2026, 1, 1, 9, tzinfo=UTC)


async def test_unposted_claim_survives_a_restart(world: World) -> None:
    """A claim a failed post left behind is posted by the next process, once."""
    await make_schedule(world)
    await world.env.advance_time(9 * HOUR)
    world.env.inject_error("POST", "/channels/*/messages", status=503)
    await world.bot.run_due_jobs()
    await world.restart()
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    assert len(prompt_messages(world)) == 1
    assert [p.status for p in await posts(world)] == ["posted"]


async def test_missing_permission_pauses_the_schedule_and_tells_the_modlog(world: World) -> None:
    """A 403 pauses the schedule; the mod-log says why and how to resume."""
    schedule = await make_schedule(world)
    await world.env.advance_time(9 * HOUR)
    world.env.inject_error(
        "POST", f"/channels/{world.prompts.id}/messages", status=403, code=50013, message="Missing Permissions"
    )
    await world.bot.run_due_jobs()
    [stored] = await schedules(world)
    # Every permission is in place here: the reason repeats what Discord said and blames none of them.
    assert stored.paused and "Discord answered 403: Missing Permissions (code 50013)" in (stored.paused_reason or "")
    assert "I need" not in (stored.paused_reason or "")
    entry = world.modlog.history()[-1].embeds[0]
    assert entry.title == f"Prompt schedule #{schedule.id} paused"
    assert f"/prompts resume schedule:{schedule.id}" in entry.description
    assert [p.status for p in await posts(world)] == ["dropped"]
    await tick(world, DAY)
    assert prompt_messages(world) == []


async def test_deleted_channel_pauses_the_schedule(world: World) -> None:
    """When the channel is gone the schedule pauses and the mod-log says the channel is gone."""
    other = world.guild.create_text_channel("daily-questions")
    await world.env.settle()
    await make_schedule(world, channel=other)
    world.env.backend.delete_channel(other.id)
    await world.env.settle()
    await tick(world, 9 * HOUR)
    [stored] = await schedules(world)
    assert stored.paused and stored.paused_reason == "the channel is gone"
    assert "the channel is gone" in world.modlog.history()[-1].embeds[0].description


async def test_resume_restarts_a_paused_schedule_from_now(world: World) -> None:
    """After the fix, /prompts resume unpauses it and the next post comes at the next slot."""
    schedule = await make_schedule(world)
    await world.env.advance_time(9 * HOUR)
    world.env.inject_error("POST", f"/channels/{world.prompts.id}/messages", status=403, code=50013)
    await world.bot.run_due_jobs()
    result = await world.mod.slash(world.general, "prompts resume", schedule=schedule.id)
    assert_responded(result, contains=f"Resumed schedule #{schedule.id}", ephemeral=True)
    [stored] = await schedules(world)
    assert not stored.paused and stored.next_run_at == datetime(2026, 1, 2, 9, tzinfo=UTC)
    await tick(world, DAY)
    assert len(prompt_messages(world)) == 1


async def test_post_now_posts_the_next_prompt_immediately(world: World) -> None:
    """/prompts post posts straight away and leaves the regular schedule alone."""
    schedule = await make_schedule(world)
    result = await world.mod.slash(world.general, "prompts post", schedule=schedule.id)
    assert_responded(result, contains="Posted prompt #", ephemeral=True)
    assert len(prompt_messages(world)) == 1
    [stored] = await schedules(world)
    assert stored.next_run_at == datetime(2026, 1, 1, 9, tzinfo=UTC)
    await tick(world, 9 * HOUR)
    assert len(prompt_messages(world)) == 2
    assert len({p.prompt_id for p in await posts(world)}) == 2


async def test_schedules_lists_and_unschedule_removes(world: World) -> None:
    """The list describes each schedule; unschedule removes one and says which."""
    schedule = await make_schedule(world, cadence="monthly first monday", time="18:30")
    result = await world.mod.slash(world.general, "prompts schedules")
    assert "on the first Monday of each month at 18:30 (UTC)" in result.response.embeds[0].description
    choices = await world.mod.autocomplete(world.general, "prompts unschedule", "schedule", "")
    assert [c["value"] for c in choices] == [schedule.id]
    result = await world.mod.slash(world.general, "prompts unschedule", schedule=schedule.id)
    assert_responded(result, contains=f"Removed schedule #{schedule.id}", ephemeral=True)
    assert await schedules(world) == []


async def test_resume_of_a_running_schedule_is_refused(world: World) -> None:
    """Resuming a schedule that isn't paused changes nothing."""
    schedule = await make_schedule(world)
    result = await world.mod.slash(world.general, "prompts resume", schedule=schedule.id)
    assert_responded(result, contains="isn't paused", ephemeral=True)
    assert_error(world.env, NotAllowed)
