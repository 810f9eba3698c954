"""Shutdown waits for everything in flight: `close()` stops new work, lets what is running finish while
Discord and the database are still there to answer it, and only then closes the HTTP session and the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from simcord import InteractionResult, MemberActor
from sqlalchemy import select

from bench.inflight import fire_modal_without_settle, fire_without_settle
from storage import Database
from storage.models.intros import Intro
from storage.models.mentorship import MentorshipPairing
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE
from tests.features.test_mentorship_support import dms, matched

MEMBERS = 10


async def stored_intros(world: World) -> list[Intro]:
    """Read with a database handle of the test's own: the bot's is closed by now."""
    database = Database(world.settings.database_url)
    try:
        async with database.read() as session:
            return list((await session.execute(select(Intro).where(Intro.guild_id == world.guild.id))).scalars())
    finally:
        await database.dispose()


def note_when_http_closes(world: World, monkeypatch: pytest.MonkeyPatch, note: Callable[[], None]) -> None:
    """Call `note` when the bot closes its HTTP session (SimCord answers requests even after it closes)."""
    http = world.bot.http
    real_close = http.close

    async def close() -> None:
        note()
        await real_close()

    monkeypatch.setattr(http, "close", close)


async def test_close_lets_ten_intro_submissions_in_flight_finish(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten members submit their intro form at once and the bot is told to stop: every member gets their
    answer before the HTTP session closes, and every posted card has its stored intro (with the card's
    message id), and vice versa."""
    members = [world.add_member(f"member{n}") for n in range(MEMBERS)]
    await world.env.settle()
    shown = [await member.slash(world.general, "intro write") for member in members]
    results = [
        fire_modal_without_settle(member, form, {**ALICE, "name": f"Member {n}"})
        for n, (member, form) in enumerate(zip(members, shown, strict=True))
    ]
    answered_before_http_closed: list[int] = []
    note_when_http_closes(
        world,
        monkeypatch,
        lambda: answered_before_http_closed.append(
            sum("posted" in (r.response.content if r.response else "") for r in results)
        ),
    )
    await world.bot.close()

    assert answered_before_http_closed == [MEMBERS]
    for result in results:
        assert result.acknowledged
        assert "Your introduction is posted" in result.response.content
    cards = {message.id for message in world.intro.history() if message.embeds}
    intros = await stored_intros(world)
    assert len(intros) == MEMBERS
    assert {intro.message_id for intro in intros} == cards
    assert {intro.user_id for intro in intros} == {member.id for member in members}


async def test_a_due_jobs_run_in_flight_finishes_before_http_and_the_database_close(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A due-jobs run that is halfway through when close() is called finishes: its mod-log post reaches
    Discord and its write reaches the database before either is closed. (APScheduler's shutdown cancels a
    running asyncio job: close() pauses the timer, waits for the run, and only then shuts it down.)"""
    bot = world.bot
    started = asyncio.Event()
    order: list[str] = []

    async def slow_job(now: datetime) -> str:
        started.set()
        await asyncio.sleep(0.2)  # still running when close() starts
        await bot.modlog.post(world.guild.id, "Nightly tidy", "Finished the nightly tidy.")
        async with bot.db.write() as session:
            intro = await session.scalar(select(Intro).where(Intro.user_id == world.alice.id))
            assert intro is not None
            intro.location = "Tidied"
        order.append("job finished")
        return "done"

    real_dispose = bot.db.dispose

    async def dispose() -> None:
        order.append("database closed")
        await real_dispose()

    monkeypatch.setattr(bot.db, "dispose", dispose)
    note_when_http_closes(world, monkeypatch, lambda: order.append("http closed"))
    await world.alice.submit_modal(await world.alice.slash(world.general, "intro write"), ALICE)
    bot.jobs.register("slow", slow_job, needs_gateway=False)
    bot.scheduler.add_job(bot.run_due_jobs, id="run_due_jobs")  # no trigger: APScheduler runs it at once
    bot.scheduler.start()  # the timer the bot starts in production (off in tests)
    await asyncio.wait_for(started.wait(), timeout=5)

    await bot.close()

    assert order == ["job finished", "http closed", "database closed"]
    assert world.modlog.history()[-1].embeds[0].title == "Nightly tidy"
    [intro] = await stored_intros(world)
    assert intro.location == "Tidied"


async def test_work_arriving_after_close_began_is_not_started(world: World) -> None:
    """Once close() has begun, the gateway is disconnected: a command sent then never reaches a handler that
    would find the database closing under it (Discord tells the member the app didn't respond)."""
    closing = asyncio.create_task(world.bot.close())
    for _ in range(10):  # a few turns of the loop: close() stops the timer, then disconnects the gateway
        await asyncio.sleep(0)
    assert all(shard.is_closed() for shard in world.bot.shards.values())
    late = fire_without_settle(world.alice, world.general, "intro write")
    await closing
    assert not late.acknowledged


def fire_click_without_settle(actor: MemberActor, message: Any, custom_id: str) -> InteractionResult:
    """Click a button without settling. PRIVATE API: mirrors `simcord.actors._component_click` (3.2.1)."""
    from simcord import interactions
    from simcord.actors import _visible_message
    from simcord.backend import serializers
    from simcord.enums import ComponentType, InteractionType

    backend = actor._env.backend
    stored = _visible_message(actor, message)
    record, payload = interactions.base_payload(
        backend,
        type=InteractionType.MESSAGE_COMPONENT,
        channel_id=stored.channel_id,
        guild_id=actor.guild.id,
        user_id=actor.id,
        data={"custom_id": custom_id, "component_type": ComponentType.BUTTON},
    )
    payload["message"] = dict(serializers.message_payload(backend, stored))
    record.source_message_id = stored.id
    backend.emit("INTERACTION_CREATE", payload)
    return InteractionResult(actor._env, record)


async def test_work_a_cog_starts_after_a_commit_finishes_before_http_closes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bob erases his data while paired with Alice and the bot is told to stop: the pairing is gone, and the
    kind note to Alice (sent by work the mentorship cog starts once the erase has committed) still reaches
    her before the HTTP session closes."""
    await matched(world)
    flow = world.bot.get_cog("Mentorship").flow  # type: ignore[union-attr]
    real_tell = flow.tell_ended

    async def slow_tell(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.1)  # Discord is slow today: the note is still on its way when close() starts
        return await real_tell(*args, **kwargs)

    monkeypatch.setattr(flow, "tell_ended", slow_tell)
    asked = await world.bob.slash(world.general, "privacy delete")
    told_before_http_closed: list[int] = []
    note_when_http_closes(world, monkeypatch, lambda: told_before_http_closed.append(len(dms(world.alice))))
    before = len(dms(world.alice))
    click = fire_click_without_settle(world.bob, asked.response, f"privacy:delete:{world.bob.id}")
    await world.bot.close()

    assert click.acknowledged
    assert told_before_http_closed == [before + 1]
    assert "come to an end" in dms(world.alice)[-1].content
    database = Database(world.settings.database_url)
    try:
        async with database.read() as session:
            assert list(await session.scalars(select(MentorshipPairing))) == []
    finally:
        await database.dispose()
