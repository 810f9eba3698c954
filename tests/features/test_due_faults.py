"""Due work under faults (issue 17): it waits for Discord's READY, one fault never holds back the rest,
and work claimed by a process that died is taken over, exactly once.

A dropped connection is raised by the transport itself (SimCord only injects HTTP statuses): the bot's
HTTP client raises aiohttp.ClientConnectionError for the matching requests.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from simcord import ChannelHandle
from simcord.backend import serializers
from simcord.gateway import ShardRouter
from sqlalchemy import func, select

from core.privacy import PrivacyProvider
from storage import mentorship as store
from storage.models import Departure
from storage.models.mentorship import (
    DELIVERY_DUE,
    DELIVERY_HELD,
    DELIVERY_SENT,
    EXPIRED,
    MentorshipSchedule,
)
from storage.models.prompts import PromptSuggestion
from tests.conftest import World
from tests.features.test_mentorship_support import (
    DAY,
    accept_as_mentor,
    button,
    checkins,
    dms,
    matched,
    offer,
    opted_in_pair,
    pairings,
    proposals,
    request,
    run_round,
)
from tests.features.test_privacy import suggest_prompt
from tests.features.test_prompts_schedule import make_schedule, posts, prompt_messages, schedules

MINUTE = 60
HOW = "How is it going"


# ---------------------------------------------------------------- helpers


def drop_connection(
    world: World, monkeypatch: pytest.MonkeyPatch, method: str, path: str, *, times: int = 1
) -> list[str]:
    """The next `times` requests matching `method` and the fnmatch `path` fail with a dropped connection
    (before Discord sees them). Returns the paths that were dropped."""
    http = world.bot.http
    original = http.request
    dropped: list[str] = []

    async def request(route: Any, **kwargs: Any) -> Any:
        actual = route.url.removeprefix(route.BASE)
        if len(dropped) < times and route.method == method and fnmatch.fnmatch(actual, path):
            dropped.append(actual)
            raise aiohttp.ClientConnectionError("Connection reset by peer (dropped by the test)")
        return await original(route, **kwargs)

    monkeypatch.setattr(http, "request", request)
    return dropped


def checkin_dms(channel: ChannelHandle | None) -> list[Any]:
    return [m for m in (channel.history() if channel is not None else []) if HOW in m.content]


def requests_to(world: World, method: str, path: str) -> list[Any]:
    return [r for r in world.env.http_requests if r.method == method and fnmatch.fnmatch(r.path, path)]


IDENTIFY = ShardRouter.identify


@contextmanager
def slow_connect(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[ShardRouter, int]]]:
    """The gateway holds READY and every server back (a slow connect) until the test identifies the shards
    itself: the bot logs in and runs setup_hook, and Discord has told it nothing yet."""
    held: list[tuple[ShardRouter, int]] = []
    identify, feed = ShardRouter.identify, ShardRouter.feed

    def hold(router: ShardRouter, shard_id: int, *, replay_guilds: bool = False) -> None:
        held.append((router, shard_id))

    def drop(router: ShardRouter, event: str, payload: Any) -> None:
        if not held:
            feed(router, event, payload)

    monkeypatch.setattr(ShardRouter, "identify", hold)
    monkeypatch.setattr(ShardRouter, "feed", drop)
    try:
        yield held
    finally:
        monkeypatch.setattr(ShardRouter, "identify", identify)
        monkeypatch.setattr(ShardRouter, "feed", feed)


async def connect(world: World, held: list[tuple[ShardRouter, int]]) -> None:
    """READY and the servers arrive at last."""
    waiting = list(held)
    held.clear()
    with world.env._bot_scope():  # SimCord 3.2.1 private API: gateway events belong to the bot's generation
        for router, shard_id in waiting:
            IDENTIFY(router, shard_id, replay_guilds=True)
    await world.env.settle()


async def ready_in_an_outage(world: World, held: list[tuple[ShardRouter, int]]) -> None:
    """READY arrives with the server still unavailable (Discord's outage): a stub with no channels or
    members, as a fresh session's READY lists it before its GUILD_CREATE."""
    waiting = list(held)
    held.clear()
    with world.env._bot_scope():  # SimCord 3.2.1 private API, as in connect()
        for router, shard_id in waiting:
            ready = {
                "v": 10,
                "user": dict(serializers.user_payload(world.env.backend.bot_user)),
                "guilds": [{"id": str(world.guild.id), "unavailable": True}],
                "session_id": f"outage-{shard_id}",
                "resume_gateway_url": "wss://simcord.invalid",
                "shard": [shard_id, router.shard_count],
                "application": {"id": str(world.bot.application_id), "flags": 0},
            }
            router.gateways[shard_id].feed("READY", ready)
    await world.env.settle()
    held.extend(waiting)  # the servers themselves come with connect()


# ---------------------------------------------------------------- ready before due work


async def test_due_work_waits_for_ready_and_a_due_prompt_posts_once_ready(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart whose gateway READY is slow: the due prompt's channel isn't known yet, so the due work
    waits: nothing is paused or posted. Once READY and the server arrive, the prompt posts, once."""
    await make_schedule(world)
    with slow_connect(monkeypatch) as held:
        bot = await world.restart()
        assert not bot.is_ready() and bot.get_channel(world.prompts.id) is None
        await world.env.advance_time(9 * 3600)
        before = await bot.run_due_jobs()
        assert "prompts" not in before and "mentorship" not in before
        [schedule] = await schedules(world)
        assert not schedule.paused
        assert await posts(world) == []
        assert "paused" not in " ".join(m.embeds[0].title or "" for m in world.modlog.history() if m.embeds)
        await connect(world, held)
    assert bot.is_ready()
    after = await bot.run_due_jobs()
    assert after["prompts"] == {"claimed": 1, "posted": 1}
    await bot.run_due_jobs()
    assert len(prompt_messages(world)) == 1
    [post] = await posts(world)
    [schedule] = await schedules(world)
    assert post.status == "posted" and not schedule.paused


async def test_due_work_waits_while_a_shard_reconnects(world: World) -> None:
    """A shard of this process lost its connection: the due work that needs Discord waits (its servers'
    state may be stale or stubbed) and the backup-like work doesn't; once it is back, the prompt posts once."""
    await make_schedule(world)
    ran: list[datetime] = []

    async def offline(now: datetime) -> None:
        ran.append(now)

    world.bot.jobs.register("offline", offline, needs_gateway=False)
    shard = world.bot.get_shard(0)
    assert shard is not None
    await shard.disconnect()
    await world.env.advance_time(9 * 3600)
    result = await world.bot.run_due_jobs()
    assert "offline" in result and not {"prompts", "mentorship", "privacy-retention"} & set(result)
    assert len(ran) == 1
    assert await posts(world) == [] and not (await schedules(world))[0].paused
    await shard.reconnect()
    await world.env.settle()
    assert (await world.bot.run_due_jobs())["prompts"] == {"claimed": 1, "posted": 1}
    await world.bot.run_due_jobs()
    assert len(prompt_messages(world)) == 1


# ---------------------------------------------------------------- the runner


async def test_a_failing_job_waits_its_own_backoff_is_logged_once_and_never_holds_back_the_others(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A handler failing three times runs again only after 1, 2, 4 minutes (then every tick again); the
    other handler runs every tick. One ERROR with its traceback for the streak, repeats at DEBUG, the
    recovery at INFO."""
    calls: dict[str, list[datetime]] = {"broken": [], "fine": []}

    async def broken(now: datetime) -> str:
        calls["broken"].append(now)
        if len(calls["broken"]) <= 3:
            raise ConnectionResetError("database went away")
        return "back"

    async def fine(now: datetime) -> str:
        calls["fine"].append(now)
        return "ok"

    world.bot.jobs.register("broken", broken)
    world.bot.jobs.register("fine", fine)
    caplog.set_level(logging.DEBUG, logger="core.jobs")
    start = world.bot.clock()
    results = []
    for _ in range(16):  # every 30 s for 8 minutes
        results.append(await world.bot.run_due_jobs())
        await world.env.advance_time(30)
    assert len(calls["fine"]) == 16 and all(r["fine"] == "ok" for r in results)
    offsets = [round((when - start).total_seconds() / 30) * 30 for when in calls["broken"]]
    assert offsets == [0, 60, 180, 420, 450]  # 1, 2, 4 minutes apart, then every tick once it works
    assert [r.get("broken") for r in results][-2:] == ["back", "back"]
    records = [r for r in caplog.records if r.name == "core.jobs" and "broken" in r.getMessage()]
    errors = [r for r in records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert [r.levelno for r in records if r.levelno > logging.DEBUG] == [logging.ERROR, logging.INFO]
    assert world.bot.jobs.failing() == {}


async def test_a_hung_job_never_delays_the_others(world: World) -> None:
    """A handler stuck on Discord doesn't keep the others from running, and isn't started twice."""
    release = asyncio.Event()
    started: list[datetime] = []
    ran: list[datetime] = []

    async def stuck(now: datetime) -> None:
        started.append(now)
        await release.wait()

    async def fine(now: datetime) -> None:
        ran.append(now)

    world.bot.jobs.register("stuck", stuck)
    world.bot.jobs.register("fine", fine)
    first = asyncio.create_task(world.bot.run_due_jobs())
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(started) == 1 and len(ran) == 1
    second = await world.bot.run_due_jobs()  # the stuck one isn't started again
    assert "stuck" not in second and "fine" in second
    assert len(started) == 1 and len(ran) == 2
    release.set()
    assert "stuck" in await first


# ---------------------------------------------------------------- check-ins


@pytest.mark.parametrize("fault", ["connection", "500"])
async def test_a_checkin_that_fails_is_sent_later_and_the_other_is_sent_in_the_same_run(
    world: World, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    """Two check-ins due; one DM fails (a dropped connection, or Discord's 500; they go out side by side, so
    whichever is first). The other is sent in the same run; the failed one a minute later; each exactly once."""
    await matched(world)
    await world.env.advance_time(14 * DAY + 60)
    if fault == "connection":
        dropped = drop_connection(world, monkeypatch, "POST", "/channels/*/messages")
    else:
        world.env.inject_error("POST", "/channels/*/messages", status=500)
    result = await world.bot.run_due_jobs()
    assert result["mentorship"]["checkins"] == 1
    if fault == "connection":
        assert len(dropped) == 1
    first, second = sorted(await checkins(world), key=lambda row: row.delivery)  # "due" before "sent"
    assert (first.delivery, first.attempts) == (DELIVERY_DUE, 1)
    assert second.delivery == DELIVERY_SENT
    member = {world.alice.id: world.alice, world.bob.id: world.bob}
    assert checkin_dms(member[first.user_id].user.dm_channel) == []
    assert len(checkin_dms(member[second.user_id].user.dm_channel)) == 1
    assert (await world.bot.run_due_jobs())["mentorship"]["checkins"] == 0  # waits its backoff
    await world.env.advance_time(MINUTE)
    assert (await world.bot.run_due_jobs())["mentorship"]["checkins"] == 1
    await world.env.advance_time(DAY)
    assert (await world.bot.run_due_jobs())["mentorship"]["checkins"] == 0
    assert len(checkin_dms(world.alice.user.dm_channel)) == 1
    assert len(checkin_dms(world.bob.user.dm_channel)) == 1
    rows = await checkins(world)
    assert [row.delivery for row in rows] == [DELIVERY_SENT, DELIVERY_SENT]
    assert {row.id for row in rows} == {first.id, second.id}
    assert world.bot.jobs.failing() == {}


async def test_a_checkin_to_closed_dms_is_held_once_and_never_retried(world: World) -> None:
    """DMs closed (403 50007): the check-in is held for /mentor status and settled; later runs don't try
    again, and the other member's check-in goes as usual."""
    await matched(world)
    await world.env.advance_time(14 * DAY + 60)
    closed = "Cannot send messages to this user"
    alice_dms = world.alice.user.dm_channel.id  # Alice's DMs are closed (check-ins go out side by side: aimed)
    world.env.inject_error(
        "POST", f"/channels/{alice_dms}/messages", status=403, code=50007, message=closed, times=None
    )
    await world.bot.run_due_jobs()
    delivery = {row.user_id: row.delivery for row in await checkins(world)}
    assert delivery == {world.alice.id: DELIVERY_HELD, world.bob.id: DELIVERY_SENT}
    attempts = len(requests_to(world, "POST", "/channels/*/messages"))
    for _ in range(3):
        await world.env.advance_time(30 * MINUTE)
        await world.bot.run_due_jobs()
    assert len(requests_to(world, "POST", "/channels/*/messages")) == attempts
    assert checkin_dms(world.alice.user.dm_channel) == []
    status = await world.alice.slash(world.general, "mentor status")
    assert HOW in str(status.response.content) + " ".join(str(f.content) for f in status.followups)


async def test_a_checkin_leased_by_a_process_that_died_is_taken_over_once(world: World) -> None:
    """Another process leased both check-ins and died before sending: nothing is sent while its lease
    holds; when it runs out, this process sends each exactly once."""
    await matched(world)
    await world.env.advance_time(14 * DAY + 60)
    now = world.bot.clock()
    async with world.bot.db.write() as session:  # the other process: claims, leases, dies
        await store.claim_due_checkins(session, now, {world.guild.id: (14, 45)})
    async with world.bot.db.write() as session:
        assert len(await store.lease_checkins(session, now, lambda _guild_id: True)) == 2
    assert (await world.bot.run_due_jobs())["mentorship"]["checkins"] == 0
    await world.env.advance_time(store.LEASE.total_seconds() + 1)
    assert (await world.bot.run_due_jobs())["mentorship"]["checkins"] == 2
    await world.env.advance_time(store.LEASE.total_seconds() + 1)
    assert (await world.bot.run_due_jobs())["mentorship"]["checkins"] == 0
    assert len(checkin_dms(world.alice.user.dm_channel)) == 1
    assert len(checkin_dms(world.bob.user.dm_channel)) == 1
    assert [row.delivery for row in await checkins(world)] == [DELIVERY_SENT, DELIVERY_SENT]


# ---------------------------------------------------------------- proposal expiry notices


async def two_invitations(world: World) -> tuple[Any, Any]:
    """Alice mentors Bob, Carol mentors Dan: two open invitations, one in each mentor's DMs."""
    carol, dan = world.add_member("carol"), world.add_member("dan")
    await world.env.settle()
    await opted_in_pair(world)
    await offer(world, carol, themes="identity", timezone="Asia/Tokyo")
    await request(world, dan, themes="identity")
    await run_round(world)
    assert len(await proposals(world)) == 2
    return carol, dan


async def test_a_lapse_notice_that_fails_is_made_later_and_the_other_in_the_same_run(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two invitations lapse; editing the first closes with a dropped connection. The second is closed in
    the same run, the first a minute later; each edited exactly once."""
    carol, _ = await two_invitations(world)
    await world.env.advance_time(3 * DAY + 60)
    dropped = drop_connection(world, monkeypatch, "PATCH", "/channels/*/messages/*")
    result = await world.bot.run_due_jobs()
    assert result["mentorship"]["expired"] == 2 and result["mentorship"]["notices"] == 1
    first, second = await proposals(world)
    assert dropped == [f"/channels/{first.mentor_channel_id}/messages/{first.mentor_message_id}"]
    assert (first.status, first.notice, first.notice_attempts) == (EXPIRED, "lapsed", 1)
    assert (second.status, second.notice) == (EXPIRED, None)
    assert "lapsed" not in dms(world.alice)[0].content and "lapsed" in dms(carol)[0].content
    await world.env.advance_time(MINUTE)
    assert (await world.bot.run_due_jobs())["mentorship"]["notices"] == 1
    await world.env.advance_time(DAY)
    assert (await world.bot.run_due_jobs())["mentorship"]["notices"] == 0
    assert "lapsed" in dms(world.alice)[0].content and dms(world.alice)[0].components == []
    for proposal in (first, second):
        edits = requests_to(world, "PATCH", f"/channels/*/messages/{proposal.mentor_message_id}")
        assert len(edits) == 1
    assert [p.notice for p in await proposals(world)] == [None, None]


async def test_a_lapse_notice_for_a_deleted_message_is_settled_not_retried(world: World) -> None:
    """The invitation's DM was deleted (404): the notice is settled at once, never tried again."""
    await two_invitations(world)
    await world.env.advance_time(3 * DAY + 60)
    world.env.inject_error("PATCH", "/channels/*/messages/*", status=404, code=10008, message="Unknown Message")
    await world.bot.run_due_jobs()
    assert [p.notice for p in await proposals(world)] == [None, None]
    before = len(requests_to(world, "PATCH", "/channels/*/messages/*"))
    await world.env.advance_time(30 * MINUTE)
    await world.bot.run_due_jobs()
    assert len(requests_to(world, "PATCH", "/channels/*/messages/*")) == before


# ---------------------------------------------------------------- rounds and their invitations


async def test_a_rounds_invitations_survive_a_crash_before_they_are_sent(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The round committed its proposals and the process died before any DM went: the invitations are owed
    in the database, and the next due run sends each exactly once."""
    await opted_in_pair(world)
    cog = world.bot.get_cog("Mentorship")
    assert cog is not None

    async def died(now: datetime, ids: list[int] | None = None) -> int:
        return 0

    monkeypatch.setattr(cog.flow, "send_owed", died)  # type: ignore[attr-defined]
    await run_round(world)
    assert dms(world.alice) == []
    [proposal] = await proposals(world)
    assert proposal.notice == "invite" and proposal.mentor_message_id is None
    bot = await world.restart()
    await bot.run_due_jobs()
    await bot.run_due_jobs()
    [invitation] = dms(world.alice)
    assert "would like to pair up" in invitation.content.lower() or "pair up" in invitation.content
    [proposal] = await proposals(world)
    assert proposal.notice is None and proposal.mentor_message_id == invitation.id
    await accept_as_mentor(world, world.alice)
    assert "I've asked bob" in dms(world.alice)[0].content


async def test_the_mentees_invitation_survives_a_crash_right_after_the_mentor_said_yes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice said yes and the process died before Bob's invitation went: it is owed in the database, and
    the next due run sends it, once; Bob's yes then pairs them."""
    await opted_in_pair(world)
    await run_round(world)
    cog = world.bot.get_cog("Mentorship")
    assert cog is not None

    async def died(now: datetime, ids: list[int] | None = None) -> int:
        return 0

    monkeypatch.setattr(cog.flow, "send_owed", died)  # type: ignore[attr-defined]
    await accept_as_mentor(world, world.alice)
    assert dms(world.bob) == []
    [proposal] = await proposals(world)
    assert (proposal.status, proposal.notice, proposal.mentee_message_id) == ("pending_mentee", "invite", None)
    bot = await world.restart()
    await bot.run_due_jobs()
    await bot.run_due_jobs()
    [invitation] = dms(world.bob)
    assert "would like to be your mentor" in invitation.content
    [proposal] = await proposals(world)
    assert proposal.notice is None and proposal.mentee_message_id == invitation.id
    await world.bob.user.click(invitation, custom_id=button(invitation, ":accept"))
    assert [p.status for p in await pairings(world)] == ["active"]


async def test_a_scheduled_round_leased_by_a_process_that_died_is_taken_over_once(world: World) -> None:
    """Another process leased the due round and died: nothing runs while its lease holds; then this
    process runs the round exactly once and moves the schedule on in the same transaction."""
    await opted_in_pair(world)
    await world.mod.slash(world.general, "pairing auto every_days", days=7)
    async with world.bot.db.read() as session:
        schedule = await session.get(MentorshipSchedule, world.guild.id)
        assert schedule is not None
        due = schedule.next_round_at
    await world.env.advance_time((due - world.bot.clock()).total_seconds() + 1)
    async with world.bot.db.write() as session:  # the other process
        [claim] = await store.claim_due_rounds(session, world.bot.clock(), lambda at, days, now: at + timedelta(days))
    assert (await world.bot.run_due_jobs())["mentorship"]["rounds"] == 0
    assert await proposals(world) == []
    await world.env.advance_time(store.ROUND_LEASE.total_seconds() + 1)
    assert (await world.bot.run_due_jobs())["mentorship"]["rounds"] == 1
    assert (await world.bot.run_due_jobs())["mentorship"]["rounds"] == 0
    [proposal] = await proposals(world)
    assert proposal.notice is None and len(dms(world.alice)) == 1
    async with world.bot.db.read() as session:
        schedule = await session.get(MentorshipSchedule, world.guild.id)
        assert schedule is not None
    assert schedule.lease_until is None and schedule.next_round_at > world.bot.clock()
    assert claim.guild_id == world.guild.id


# ---------------------------------------------------------------- the retention purge


async def suggestions_by(world: World, member: Any) -> int:
    async with world.bot.db.read() as session:
        query = select(func.count()).select_from(PromptSuggestion).where(PromptSuggestion.user_id == member.id)
        return int(await session.scalar(query) or 0)


async def departures_of(world: World, member: Any) -> int:
    async with world.bot.db.read() as session:
        return int(
            await session.scalar(select(func.count()).select_from(Departure).where(Departure.user_id == member.id)) or 0
        )


async def test_the_purge_never_erases_a_member_it_can_not_see_yet(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice left, and came back while Lantern was down. Her retention has passed when Lantern restarts on a
    slow connection: before READY her server's member list is empty, and nothing of hers is erased. Once
    the server arrives she is found present, and she keeps her data."""
    await suggest_prompt(world, world.alice, "Which song takes you back to a grandparent's kitchen?")
    world.guild.remove_member(world.alice)
    await world.env.settle()
    with slow_connect(monkeypatch) as held:
        bot = await world.restart()
        world.guild.add_member(world.alice.user)  # Lantern doesn't hear it: it isn't connected
        await world.env.advance_time(31 * DAY)
        await bot.run_due_jobs()
        assert await suggestions_by(world, world.alice) == 1
        assert await departures_of(world, world.alice) == 1
        await connect(world, held)
    await bot.run_due_jobs()
    assert await departures_of(world, world.alice) == 0
    assert await suggestions_by(world, world.alice) == 1


async def test_one_erasure_failing_never_holds_back_the_others(world: World) -> None:
    """Two members' retention has passed; erasing the first fails once. The second is erased in the same
    run, the first after its backoff, and each member's data is gone once."""
    await suggest_prompt(world, world.alice, "What does home smell like?")
    await suggest_prompt(world, world.bob, "Which word from home has no translation?")
    failed: list[int] = []

    async def flaky(session: Any, guild_id: int, user_id: int) -> int:
        if user_id == world.alice.id and not failed:
            failed.append(user_id)
            raise ConnectionResetError("database connection lost")
        return 0

    world.bot.privacy.register(PrivacyProvider("Flaky", "nothing", (), lambda *_: {}, flaky))  # type: ignore[arg-type]
    world.guild.remove_member(world.alice)
    world.guild.remove_member(world.bob)
    await world.env.settle()
    await world.env.advance_time(31 * DAY)
    await world.bot.run_due_jobs()
    assert failed == [world.alice.id]
    assert (await suggestions_by(world, world.alice), await suggestions_by(world, world.bob)) == (1, 0)
    await world.bot.run_due_jobs()  # waits its backoff
    assert await suggestions_by(world, world.alice) == 1
    await world.env.advance_time(MINUTE)
    await world.bot.run_due_jobs()
    assert (await suggestions_by(world, world.alice), await departures_of(world, world.alice)) == (0, 0)
    assert await departures_of(world, world.bob) == 0


async def test_a_server_in_an_outage_is_never_read_as_everyone_gone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """READY comes while Discord has the server in an outage (unavailable, no members listed). Alice came
    back while Lantern was down and her retention has passed: nothing of hers is erased. When the server
    arrives, she is found present and keeps her data."""
    await suggest_prompt(world, world.alice, "Which song takes you back to a grandparent's kitchen?")
    world.guild.remove_member(world.alice)
    await world.env.settle()
    with slow_connect(monkeypatch) as held:
        bot = await world.restart()
        world.guild.add_member(world.alice.user)
        await world.env.advance_time(31 * DAY)
        await ready_in_an_outage(world, held)
        guild = bot.get_guild(world.guild.id)
        assert bot.is_ready() and guild is not None and guild.unavailable
        await bot.run_due_jobs()
        assert await suggestions_by(world, world.alice) == 1
        assert await departures_of(world, world.alice) == 1
        await connect(world, held)
    await bot.run_due_jobs()
    assert await departures_of(world, world.alice) == 0
    assert await suggestions_by(world, world.alice) == 1


async def test_a_scheduled_round_that_fails_is_run_again_after_its_backoff_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The round's engine fails once (its worker process died): the round is released, not lost and not
    marked run; a minute later it runs, once, and the schedule moves on."""
    await opted_in_pair(world)
    await world.mod.slash(world.general, "pairing auto every_days", days=7)
    cog = world.bot.get_cog("Mentorship")
    assert cog is not None
    rounds = cog.rounds  # type: ignore[attr-defined]
    compute = rounds.compute
    failed: list[bool] = []

    async def broken(*args: Any, **kwargs: Any) -> Any:
        if not failed:
            failed.append(True)
            raise BrokenPipeError("the matching worker died")
        return await compute(*args, **kwargs)

    monkeypatch.setattr(rounds, "compute", broken)
    await world.env.advance_time(7 * DAY + 1)
    assert (await world.bot.run_due_jobs())["mentorship"]["rounds"] == 0
    assert failed and await proposals(world) == []
    async with world.bot.db.read() as session:
        schedule = await session.get(MentorshipSchedule, world.guild.id)
        assert schedule is not None and schedule.next_round_at <= world.bot.clock() and schedule.lease_until
    assert (await world.bot.run_due_jobs())["mentorship"]["rounds"] == 0  # waits its backoff
    await world.env.advance_time(MINUTE)
    assert (await world.bot.run_due_jobs())["mentorship"]["rounds"] == 1
    assert (await world.bot.run_due_jobs())["mentorship"]["rounds"] == 0
    assert len(await proposals(world)) == 1 and len(dms(world.alice)) == 1
    async with world.bot.db.read() as session:
        schedule = await session.get(MentorshipSchedule, world.guild.id)
        assert schedule is not None
    assert schedule.lease_until is None and schedule.next_round_at > world.bot.clock()
