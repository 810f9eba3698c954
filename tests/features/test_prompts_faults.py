"""Scheduled prompt posts under faults: long Discord outages, dropped connections, processes that die
holding a claim, and a thread that Discord won't open (issue 17).

A dropped connection is simulated in the HTTP layer: `drop_connection` makes the bot's matching REST calls
raise aiohttp's connection error before they reach SimCord (SimCord's own `inject_error` only answers with an
HTTP status). Two processes on one database are two `PromptPoster`s with different owners on the same bot,
or a process that was restarted (`world.restart()` = a new process on the same database).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from fnmatch import fnmatch
from typing import Any

import aiohttp
import pytest
from simcord import ChannelHandle, assert_responded
from sqlalchemy import select, update

from cogs.prompts import posting
from cogs.prompts.posting import PromptPoster
from storage.models.prompts import Prompt, PromptSchedule
from storage.prompts import LEASE
from tests.conftest import World, build_world
from tests.features.test_due_faults import connect, ready_in_an_outage, slow_connect
from tests.features.test_prompts_schedule import make_schedule, posts, prompt_messages, schedules
from tests.features.test_setup_checklist import deny_bot

HOUR = 3600
DAY = 24 * HOUR


@contextmanager
def drop_connection(
    world: World, channel: ChannelHandle, *, suffix: str = "/messages", times: int = 1
) -> Iterator[None]:
    """The next `times` POSTs to `channel` + `suffix` fail with a dropped connection (never reaching Discord)."""
    http = world.bot.http
    original = http.request
    left = [times]

    async def request(route: Any, **kwargs: Any) -> Any:
        if left[0] > 0 and route.method == "POST" and fnmatch(route.url, f"*/channels/{channel.id}{suffix}"):
            left[0] -= 1
            raise aiohttp.ClientConnectionError("Connection reset by peer")
        return await original(route, **kwargs)

    http.request = request  # type: ignore[method-assign]
    try:
        yield
    finally:
        http.request = original  # type: ignore[method-assign]


def poster(world: World) -> PromptPoster:
    cog: Any = world.bot.get_cog("PromptsCog")
    return cog.poster


def modlog_titles(world: World) -> list[str]:
    return [m.embeds[0].title or "" for m in world.modlog.history() if m.embeds]


# --------------------------------------------------------------------------- 1. at most one catch-up


async def test_three_days_of_discord_errors_end_in_one_catch_up_post(world: World) -> None:
    """Three days of 503s on a daily schedule: on recovery exactly one prompt appears (the latest slot); the
    older unposted claims are marked skipped, and the schedule carries on the next day."""
    await make_schedule(world)
    world.env.inject_error("POST", f"/channels/{world.prompts.id}/messages", status=503, times=None)
    await world.env.advance_time(9 * HOUR)
    for day in range(3):
        for _ in range(4):  # a run every six hours of the outage
            await world.bot.run_due_jobs()
            await world.env.advance_time(6 * HOUR)
        assert prompt_messages(world) == [], f"day {day + 1}"
    world.env.backend.faults.clear()  # Discord is back, on 4 January at 09:00
    await world.bot.run_due_jobs()
    await world.env.advance_time(60)
    await world.bot.run_due_jobs()
    assert len(prompt_messages(world)) == 1
    stored = await posts(world)
    assert [(p.slot.day, p.status) for p in stored] == [(1, "skipped"), (2, "skipped"), (3, "skipped"), (4, "posted")]
    await world.env.advance_time(DAY)
    await world.bot.run_due_jobs()
    assert len(prompt_messages(world)) == 2


async def test_a_skipped_claim_does_not_use_up_its_prompt(world: World) -> None:
    """A prompt whose claim was skipped during an outage is still unused: the cycle posts every career prompt."""
    await make_schedule(world, themes="career")
    async with world.bot.db.read() as session:
        careers = set((await session.execute(select(Prompt.id).where(Prompt.theme == "career"))).scalars().all())
    world.env.inject_error("POST", f"/channels/{world.prompts.id}/messages", status=503, times=None)
    await world.env.advance_time(9 * HOUR)
    await world.bot.run_due_jobs()
    world.env.backend.faults.clear()
    for _ in range(len(careers)):
        await world.env.advance_time(DAY)
        await world.bot.run_due_jobs()
    skipped, *posted = await posts(world)
    assert skipped.status == "skipped" and {p.status for p in posted} == {"posted"}
    assert {p.prompt_id for p in posted} == careers and {p.cycle for p in posted} == {1}


# --------------------------------------------------------------------------- 2. one fault never holds back the rest


async def test_a_dropped_connection_in_one_guild_does_not_hold_back_another(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Two guilds due at 09:00; guild A's post loses its connection. Guild B's prompt is posted in that same
    run, the run itself succeeds, and A's claim is retried with a growing backoff and posted once."""
    other = await build_world(world.env, world.settings, guild_name="Other Place", names=("carol", "dan", "mia"))
    schedule_a = await make_schedule(world)
    await make_schedule(other)
    await world.env.advance_time(9 * HOUR)
    with drop_connection(world, world.prompts, times=2), caplog.at_level(logging.WARNING, "cogs.prompts.posting"):
        result = await world.bot.run_due_jobs()
        assert result["prompts"] == {"claimed": 2, "posted": 1}  # and no error: the run succeeded
        assert len(prompt_messages(other)) == 1
        assert prompt_messages(world) == []
        a = next(p for p in await posts(world) if p.schedule_id == schedule_a.id)
        assert (a.status, a.attempts, a.lease_until, a.retry_at) == ("claimed", 1, None, world.bot.clock())
        assert a.last_error and "connection" in a.last_error.lower()
        [record] = [r for r in caplog.records if f"schedule {schedule_a.id}" in r.getMessage()]
        assert f"guild {world.guild.id}" in record.getMessage()
        await world.bot.run_due_jobs()  # the first retry comes on the next run: the connection drops again
    a = next(p for p in await posts(world) if p.schedule_id == schedule_a.id)
    assert (a.attempts, a.retry_at) == (2, datetime(2026, 1, 1, 9, 1, tzinfo=UTC))
    await world.bot.run_due_jobs()
    assert prompt_messages(world) == []  # still backing off
    await world.env.advance_time(60)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    [message] = prompt_messages(world)
    a = next(p for p in await posts(world) if p.schedule_id == schedule_a.id)
    assert (a.status, a.message_id, a.retry_at, a.last_error) == ("posted", message.id, None, None)
    assert len(prompt_messages(other)) == 1


async def test_a_hung_request_is_given_up_inside_its_lease_and_the_others_post(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guild A's post hangs (Discord never answers): it is given up after the request timeout, well inside its
    lease, and released for a retry; guild B's prompt is posted in the same run."""
    monkeypatch.setattr(posting, "REQUEST_TIMEOUT", 0.2)  # 45 s in production; real seconds, not simulated ones
    other = await build_world(world.env, world.settings, guild_name="Other Place", names=("carol", "dan", "mia"))
    schedule_a = await make_schedule(world)
    await make_schedule(other)
    await world.env.advance_time(9 * HOUR)
    http = world.bot.http
    original = http.request

    async def request(route: Any, **kwargs: Any) -> Any:
        if route.method == "POST" and route.url.endswith(f"/channels/{world.prompts.id}/messages"):
            await asyncio.Event().wait()  # never answered
        return await original(route, **kwargs)

    monkeypatch.setattr(http, "request", request)
    result = await world.bot.run_due_jobs()
    assert result["prompts"] == {"claimed": 2, "posted": 1}
    assert len(prompt_messages(other)) == 1 and prompt_messages(world) == []
    a = next(p for p in await posts(world) if p.schedule_id == schedule_a.id)
    assert (a.status, a.attempts, a.lease_until, a.last_error) == ("claimed", 1, None, "Discord didn't answer in time")
    monkeypatch.setattr(http, "request", original)
    await world.bot.run_due_jobs()
    [message] = prompt_messages(world)
    a = next(p for p in await posts(world) if p.schedule_id == schedule_a.id)
    assert (a.status, a.message_id) == ("posted", message.id)


async def test_post_now_under_a_dropped_connection_says_so_and_keeps_the_slot(world: World) -> None:
    """`/prompts post` when the connection drops: the moderator is told it will be retried (no error); the next
    run posts that claim once, and the mod-log says nothing was posted by hand."""
    schedule = await make_schedule(world)
    with drop_connection(world, world.prompts):
        result = await world.mod.slash(world.general, "prompts post", schedule=schedule.id)
    assert_responded(result, contains="couldn't reach Discord", ephemeral=True)
    assert "try again" in result.response.content
    assert prompt_messages(world) == []
    assert "Prompt posted by hand" not in modlog_titles(world)
    [claim] = await posts(world)
    assert (claim.status, claim.attempts) == ("claimed", 1)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    [message] = prompt_messages(world)
    [claim] = await posts(world)
    assert (claim.status, claim.message_id) == ("posted", message.id)


async def test_post_now_under_a_server_error_names_what_discord_answered(world: World) -> None:
    """`/prompts post` during a 503 tells the moderator what Discord answered and that it will try again."""
    schedule = await make_schedule(world)
    world.env.inject_error("POST", f"/channels/{world.prompts.id}/messages", status=503, message="Service Unavailable")
    result = await world.mod.slash(world.general, "prompts post", schedule=schedule.id)
    assert_responded(result, contains="Discord answered 503", ephemeral=True)
    [claim] = await posts(world)
    assert claim.status == "claimed" and claim.last_error and "503" in claim.last_error


async def test_a_schedule_that_cant_be_worked_out_is_paused_and_the_others_post(world: World) -> None:
    """A schedule whose stored cadence no longer parses is paused with a mod-log entry; another guild's
    schedule due at the same moment still posts, and the run succeeds."""
    other = await build_world(world.env, world.settings, guild_name="Other Place", names=("carol", "dan", "mia"))
    broken = await make_schedule(world)
    await make_schedule(other)
    async with world.bot.db.write() as session:
        await session.execute(
            update(PromptSchedule).where(PromptSchedule.id == broken.id).values(cadence="fortnightly-ish")
        )
    await world.env.advance_time(9 * HOUR)
    result = await world.bot.run_due_jobs()
    assert result["prompts"] == {"claimed": 1, "posted": 1}
    assert len(prompt_messages(other)) == 1 and prompt_messages(world) == []
    stored = next(s for s in await schedules(world) if s.id == broken.id)
    assert stored.paused and stored.paused_reason == "its cadence or time can't be read"
    entry = world.modlog.history()[-1].embeds[0]
    assert entry.title == f"Prompt schedule #{broken.id} paused"
    assert "`fortnightly-ish`" in (entry.description or "")


async def test_schedules_list_says_why_a_due_post_is_waiting(world: World) -> None:
    """During a 503 outage `/prompts schedules` shows the waiting post, what Discord answered and the next try."""
    await make_schedule(world)
    world.env.inject_error(
        "POST", f"/channels/{world.prompts.id}/messages", status=503, message="Service Unavailable", times=2
    )
    await world.env.advance_time(9 * HOUR)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    result = await world.mod.slash(world.general, "prompts schedules")
    text = result.response.embeds[0].description or ""
    slot = int(datetime(2026, 1, 1, 9, tzinfo=UTC).timestamp())
    retry = int(datetime(2026, 1, 1, 9, 1, tzinfo=UTC).timestamp())
    assert f"The post due <t:{slot}:F> is waiting after 2 tries: Discord answered 503: Service Unavailable." in text
    assert f"I try again <t:{retry}:R>." in text
    await world.env.advance_time(60)
    await world.bot.run_due_jobs()
    result = await world.mod.slash(world.general, "prompts schedules")
    assert "waiting" not in (result.response.embeds[0].description or "")
    assert len(prompt_messages(world)) == 1


# --------------------------------------------------------------------------- 3. claims that never expire


async def test_a_claim_leased_by_a_process_that_died_is_posted_once_after_its_lease(world: World) -> None:
    """A process leases the 09:00 claim and dies before posting. The next process leaves the live lease alone,
    takes it over once the lease has run out, and posts it once."""
    await make_schedule(world)
    await world.env.advance_time(9 * HOUR)
    now = world.bot.clock()
    dead = poster(world)
    await dead.claim_due(now)
    assert await dead.lease(now) == ([(await posts(world))[0].id], [])
    [claim] = await posts(world)
    assert (claim.lease_owner, claim.lease_until) == (world.bot.instance_id, now + LEASE)
    await world.restart()
    await world.bot.run_due_jobs()
    assert prompt_messages(world) == []  # never a live lease
    await world.env.advance_time(LEASE.total_seconds())
    await world.bot.run_due_jobs()  # the lease ends exactly now: still not taken
    assert prompt_messages(world) == []
    await world.env.advance_time(1)
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()
    [message] = prompt_messages(world)
    [claim] = await posts(world)
    assert (claim.status, claim.message_id, claim.lease_owner, claim.lease_until) == ("posted", message.id, None, None)


async def test_two_processes_take_over_an_expired_lease_exactly_once(world: World) -> None:
    """Two processes racing for the same expired lease: exactly one gets it. The one whose lease was taken
    over doesn't post when it wakes up; the new holder posts once."""
    await make_schedule(world)
    await world.env.advance_time(9 * HOUR)
    first = poster(world)
    second, third = PromptPoster(world.bot, owner="second"), PromptPoster(world.bot, owner="third")
    now = world.bot.clock()
    await first.claim_due(now)
    [post_id], _ = await first.lease(now)
    assert await second.lease(now) == ([], [])  # live: left alone
    await world.env.advance_time(LEASE.total_seconds() + 1)
    later = world.bot.clock()
    won = await asyncio.gather(second.lease(later), third.lease(later))
    assert sorted(len(posts_) for posts_, _ in won) == [0, 1]
    holder = second if won[0][0] else third
    [claim] = await posts(world)
    assert claim.lease_owner == holder.owner
    stale = await first.post_claim(post_id)  # the first process wakes up: its lease is gone
    assert not stale.posted
    assert prompt_messages(world) == []
    fresh = await holder.post_claim(post_id)
    assert fresh.posted
    [message] = prompt_messages(world)
    [claim] = await posts(world)
    assert (claim.status, claim.message_id) == ("posted", message.id)


# --------------------------------------------------------------------------- 4. the prompt's thread


async def test_a_server_error_on_the_thread_is_retried_without_reposting(world: World) -> None:
    """A 503 when opening the thread: the prompt stays posted once, the thread appears on the next run, and the
    mod-log is not bothered."""
    await make_schedule(world)
    await world.env.advance_time(9 * HOUR)
    world.env.inject_error("POST", f"/channels/{world.prompts.id}/messages/*/threads", status=503)
    before = modlog_titles(world)
    await world.bot.run_due_jobs()
    [message] = prompt_messages(world)
    assert world.prompts.threads == []
    [claim] = await posts(world)
    assert (claim.status, claim.thread_state, claim.attempts) == ("posted", "pending", 1)
    await world.bot.run_due_jobs()
    [message] = prompt_messages(world)
    [thread] = world.prompts.threads
    assert thread.id == message.id
    [claim] = await posts(world)
    assert (claim.thread_state, claim.thread_id, claim.retry_at) == ("open", message.id, None)
    assert modlog_titles(world) == before


async def test_a_dropped_connection_on_the_thread_is_retried(world: World) -> None:
    """A dropped connection when opening the thread is contained and retried on the next run."""
    await make_schedule(world)
    await world.env.advance_time(9 * HOUR)
    with drop_connection(world, world.prompts, suffix="/messages/*/threads"):
        result = await world.bot.run_due_jobs()
    assert result["prompts"]["posted"] == 1
    [claim] = await posts(world)
    assert (claim.thread_state, claim.attempts) == ("pending", 1)
    assert world.prompts.threads == []
    await world.bot.run_due_jobs()
    [message] = prompt_messages(world)
    [thread] = world.prompts.threads
    assert thread.id == message.id


async def test_a_missing_thread_permission_is_named_in_the_mod_log(world: World) -> None:
    """Lantern lacks Create Public Threads in the channel: the prompt is posted, the mod-log names that
    permission and the channel, and the thread is not retried."""
    schedule = await make_schedule(world)
    deny_bot(world, world.prompts, "create_public_threads")
    await world.env.settle()
    await world.env.advance_time(9 * HOUR)
    await world.bot.run_due_jobs()
    assert len(prompt_messages(world)) == 1 and world.prompts.threads == []
    entry = world.modlog.history()[-1].embeds[0]
    assert entry.title == f"Prompt schedule #{schedule.id}: no thread"
    assert "Create Public Threads" in (entry.description or "")
    assert world.prompts.mention in (entry.description or "")
    [claim] = await posts(world)
    assert claim.thread_state == "failed"
    await world.env.advance_time(HOUR)
    await world.bot.run_due_jobs()
    assert world.prompts.threads == []
    assert modlog_titles(world).count(f"Prompt schedule #{schedule.id}: no thread") == 1


async def test_a_refusal_with_permissions_in_place_is_retried_then_reported_with_discords_answer(world: World) -> None:
    """A 403 although every permission is in place is retried with backoff; when retries run out the mod-log says
    what Discord answered (and asks for no permission)."""
    schedule = await make_schedule(world)
    await world.env.advance_time(9 * HOUR)
    world.env.inject_error(
        "POST",
        f"/channels/{world.prompts.id}/messages/*/threads",
        status=403,
        code=50001,
        message="Missing Access",
        times=None,
    )
    title = f"Prompt schedule #{schedule.id}: no thread"
    await world.bot.run_due_jobs()
    await world.bot.run_due_jobs()  # the first retry comes on the next run
    [claim] = await posts(world)
    assert (claim.thread_state, claim.attempts) == ("pending", 2)
    assert title not in modlog_titles(world)
    for _ in range(8):  # then 1, 2, 4, 8 … minutes apart
        await world.env.advance_time(30 * 60)
        await world.bot.run_due_jobs()
    assert modlog_titles(world).count(title) == 1
    [claim] = await posts(world)
    assert claim.thread_state == "failed"
    entry = world.modlog.history()[-1].embeds[0]
    assert entry.title == title
    assert "Discord answered 403: Missing Access" in (entry.description or "")
    assert "Give me" not in (entry.description or "")
    assert len(prompt_messages(world)) == 1


async def test_post_now_says_when_the_thread_could_not_be_opened(world: World) -> None:
    """`/prompts post` with Create Public Threads missing: the reply says the prompt is posted and its thread
    couldn't be opened (not "I'll keep trying"), and the mod-log names the permission."""
    schedule = await make_schedule(world)
    deny_bot(world, world.prompts, "create_public_threads")
    await world.env.settle()
    result = await world.mod.slash(world.general, "prompts post", schedule=schedule.id)
    assert_responded(result, contains="I couldn't open its discussion thread; the mod-log says why.", ephemeral=True)
    assert len(prompt_messages(world)) == 1 and world.prompts.threads == []
    assert f"Prompt schedule #{schedule.id}: no thread" in modlog_titles(world)
    [claim] = await posts(world)
    assert (claim.status, claim.thread_state) == ("posted", "failed")


# --------------------------------------------------------------------------- 5. truthful pauses, outages


async def test_a_post_refused_for_a_really_missing_permission_names_it_when_pausing(world: World) -> None:
    """Lantern may not send messages in the prompt channel: the schedule is paused and the mod-log says which
    permission, where, and how to resume."""
    schedule = await make_schedule(world)
    deny_bot(world, world.prompts, "send_messages")
    world.env.inject_error(
        "POST", f"/channels/{world.prompts.id}/messages", status=403, code=50013, message="Missing Permissions"
    )
    await world.env.advance_time(9 * HOUR)
    await world.bot.run_due_jobs()
    [stored] = await schedules(world)
    # Discord drops Embed Links with Send Messages, and says so: both are named.
    assert stored.paused and stored.paused_reason == f"I need Send Messages and Embed Links in {world.prompts.mention}"
    entry = world.modlog.history()[-1].embeds[0]
    assert "Send Messages" in (entry.description or "") and f"schedule:{schedule.id}" in (entry.description or "")


async def test_a_schedule_due_while_its_server_is_in_an_outage_waits_and_posts_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """READY arrives with the server unavailable (Discord's outage): its channels are missing from the cache,
    not deleted. The due schedule is neither paused nor claimed; once the server arrives it posts, once."""
    await make_schedule(world)
    with slow_connect(monkeypatch) as held:
        bot = await world.restart()
        await world.env.advance_time(9 * HOUR)
        await ready_in_an_outage(world, held)
        await bot.run_due_jobs()
        [stored] = await schedules(world)
        assert not stored.paused and await posts(world) == []
        await connect(world, held)
    await bot.run_due_jobs()
    await bot.run_due_jobs()
    assert len(prompt_messages(world)) == 1
    [stored] = await schedules(world)
    assert not stored.paused
