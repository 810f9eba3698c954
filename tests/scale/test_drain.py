"""A backlog of prompt posts drained slowly, or cut short by a restart: every slot posted once (issue 21).

The drain is Lantern's real due-job handler; Discord is SimCord behind bench/ratelimited.py, so discord.py's
own HTTP client and rate limiter run, and a message sent again with the same nonce is dropped as Discord
drops it. Batches and concurrency are shrunk so that a few schedules make several batches.
"""

from __future__ import annotations

import asyncio
import gc
from datetime import timedelta
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bench.ratelimited import RateLimitedDiscord
from cogs.prompts.posting import PromptPoster
from core.heap import OUT_OF_REACH
from storage.models.prompts import PromptPost
from tests.conftest import World
from tests.features.test_prompts_schedule import make_schedule
from tests.scale.twin import prompt_posts_in

HOUR = 3600
SCHEDULES = 6


async def claims(world: World) -> list[PromptPost]:
    async with world.bot.db.read() as session:
        return list((await session.execute(select(PromptPost).order_by(PromptPost.schedule_id))).scalars().all())


async def schedules_in_their_channels(world: World) -> list[Any]:
    channels = [world.prompts] + [world.guild.create_text_channel(f"prompts-{i}") for i in range(SCHEDULES - 1)]
    await world.env.settle()
    for channel in channels:
        await make_schedule(world, channel=channel, thread=False)
    return channels


def small_batches(world: World, monkeypatch: pytest.MonkeyPatch) -> PromptPoster:
    poster: PromptPoster = world.bot.get_cog("PromptsCog").poster  # type: ignore[union-attr]
    monkeypatch.setattr(poster, "lease_batch", 2)
    monkeypatch.setattr(poster, "concurrency", 1)
    return poster


def is_post(route: Any) -> bool:
    return route.method == "POST" and route.path == "/channels/{channel_id}/messages"


async def test_a_slot_that_waited_long_in_a_slow_drain_is_posted_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six schedules fall due at 09:00 and a minute passes between one post and the next: the drain lasts six
    minutes, three times a lease and a dozen ticks, and a second process joins in on the way. Each slot is still
    posted exactly once: none skipped for being late (no newer slot of its schedule is due), none repeated."""
    channels = await schedules_in_their_channels(world)
    await world.env.advance_time(9 * HOUR)
    fake = RateLimitedDiscord(world.env.backend)
    fake.install(world.bot)
    small_batches(world, monkeypatch)
    late = timedelta(0)
    monkeypatch.setattr(world.bot, "_clock", lambda: discord.utils.utcnow() + late)
    second = PromptPoster(world.bot, owner="second process")
    monkeypatch.setattr(second, "lease_batch", 2)
    monkeypatch.setattr(second, "concurrency", 1)
    joined: list[dict[str, int]] = []
    http = world.bot.http
    through_fake = http.request

    async def slow(route: Any, **kwargs: Any) -> Any:
        nonlocal late
        answer = await through_fake(route, **kwargs)
        if is_post(route):
            late += timedelta(minutes=1)
            if len(joined) == 0 and late >= timedelta(minutes=2):
                joined.append({})  # once, and before its own posts come back through here
                joined[0] = await second.run_due(world.bot.clock())
        return answer

    monkeypatch.setattr(http, "request", slow)
    result = await world.bot.run_due_jobs()
    assert result["prompts"]["claimed"] == SCHEDULES
    assert joined[0]["posted"] >= 1  # the second process took free claims of later batches
    assert result["prompts"]["posted"] + joined[0]["posted"] == SCHEDULES
    assert late >= timedelta(minutes=SCHEDULES)  # three times a lease
    assert [len(prompt_posts_in(channel)) for channel in channels] == [1] * SCHEDULES
    found = await claims(world)
    assert [post.status for post in found] == ["posted"] * SCHEDULES
    assert len({post.message_id for post in found}) == SCHEDULES
    assert all(post.slot.hour == 9 for post in found)
    await world.bot.run_due_jobs()  # the next tick: nothing more
    assert [len(prompt_posts_in(channel)) for channel in channels] == [1] * SCHEDULES
    assert fake.counts.deduplicated == 0


async def test_a_restart_during_a_drain_neither_loses_nor_repeats_a_post(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies in the middle of a drain, just after Discord accepted a post and before it heard back.
    The next process waits out the dead one's leases, posts what was left, and sends the unrecorded post again
    with its nonce, which Discord drops: every slot is posted exactly once."""
    channels = await schedules_in_their_channels(world)
    await world.env.advance_time(9 * HOUR)
    fake = RateLimitedDiscord(world.env.backend)
    fake.install(world.bot)
    small_batches(world, monkeypatch)
    died = asyncio.Event()
    http = world.bot.http
    through_fake = http.request
    sent = 0

    async def dies_on_the_fourth(route: Any, **kwargs: Any) -> Any:
        nonlocal sent
        answer = await through_fake(route, **kwargs)
        if is_post(route):
            sent += 1
            if sent == 4:  # Discord has the message; the process never learns it
                died.set()
                await asyncio.Event().wait()
        return answer

    monkeypatch.setattr(http, "request", dies_on_the_fourth)
    drain = asyncio.create_task(world.bot.run_due_jobs())
    await died.wait()
    drain.cancel()
    with pytest.raises(asyncio.CancelledError):
        await drain
    assert gc.get_threshold()[2] != OUT_OF_REACH  # a drain cut short gives full collections back
    assert [post.status for post in await claims(world)].count("posted") == 3
    assert sum(len(prompt_posts_in(channel)) for channel in channels) == 4

    await world.restart()
    fake.install(world.bot)
    small_batches(world, monkeypatch)
    result = await world.bot.run_due_jobs()  # batches of two: the dead process held the 4th only, the rest are free
    assert result["prompts"] == {"claimed": 0, "posted": 2}
    assert fake.counts.deduplicated == 0
    await world.env.advance_time(3 * 60)  # the dead process's lease runs out (2 minutes)
    result = await world.bot.run_due_jobs()
    assert result["prompts"] == {"claimed": 0, "posted": 1}
    assert fake.counts.deduplicated == 1  # the unrecorded post, sent again with its nonce
    assert [len(prompt_posts_in(channel)) for channel in channels] == [1] * SCHEDULES
    found = await claims(world)
    assert [post.status for post in found] == ["posted"] * SCHEDULES
    messages = {message.id for channel in channels for message in prompt_posts_in(channel)}
    assert {post.message_id for post in found} == messages
    await world.env.advance_time(HOUR)
    await world.bot.run_due_jobs()
    assert [len(prompt_posts_in(channel)) for channel in channels] == [1] * SCHEDULES


async def test_no_full_collection_runs_while_a_drain_posts(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each full collection walks everything a long drain left alive, holding the loop 200-300 ms that members'
    commands wait behind: while the drain posts only young collections run, and the thresholds come back after."""
    await schedules_in_their_channels(world)
    await world.env.advance_time(9 * HOUR)
    RateLimitedDiscord(world.env.backend).install(world.bot)
    small_batches(world, monkeypatch)
    thresholds = gc.get_threshold()
    http = world.bot.http
    through_fake = http.request
    at_posts: list[tuple[int, ...]] = []

    async def watched(route: Any, **kwargs: Any) -> Any:
        if is_post(route):
            at_posts.append(gc.get_threshold())
        return await through_fake(route, **kwargs)

    monkeypatch.setattr(http, "request", watched)
    result = await world.bot.run_due_jobs()

    assert result["prompts"]["posted"] == SCHEDULES
    assert at_posts == [(thresholds[0], thresholds[1], OUT_OF_REACH)] * SCHEDULES
    assert gc.get_threshold() == thresholds
