"""A restart between every step of the pairing flow and of a prompt schedule loses and repeats nothing."""

from __future__ import annotations

from storage.models.mentorship import ACTIVE, PENDING_MENTEE, PENDING_MENTOR
from tests.conftest import World
from tests.features.test_mentorship_support import (
    DAY,
    button,
    checkins,
    dms,
    last_dm,
    offer,
    pairings,
    proposals,
    request,
)
from tests.features.test_prompts_schedule import make_schedule, prompt_messages

HOUR = 3600


async def test_pairing_flow_with_a_restart_between_every_step(world: World) -> None:
    """Offer, request, round, both accepts, the pair thread, a check-in and its rating each survive a restart."""
    await offer(world, world.alice, languages="English, Tagalog")
    await world.restart()
    await request(world, world.bob, languages="Tagalog")
    await world.restart()

    await world.mod.slash(world.general, "pairing run")
    assert [p.status for p in await proposals(world)] == [PENDING_MENTOR]
    assert len(dms(world.alice)) == 1 and dms(world.bob) == []
    await world.restart()
    await world.bot.run_due_jobs()
    assert len(await proposals(world)) == 1 and len(dms(world.alice)) == 1  # nothing re-sent

    dm = last_dm(world.alice)
    await world.alice.user.click(dm, custom_id=button(dm, ":accept"))
    assert [p.status for p in await proposals(world)] == [PENDING_MENTEE]
    await world.restart()
    await world.bot.run_due_jobs()
    assert len(dms(world.bob)) == 1

    dm = last_dm(world.bob)
    await world.bob.user.click(dm, custom_id=button(dm, ":accept"))
    [pairing] = await pairings(world)
    assert pairing.status == ACTIVE
    assert len(world.mentorship.threads) == 1
    await world.restart()
    await world.bot.run_due_jobs()
    assert len(await pairings(world)) == 1 and len(world.mentorship.threads) == 1

    await world.env.advance_time(14 * DAY + 60)
    await world.bot.run_due_jobs()
    await world.restart()
    await world.bot.run_due_jobs()
    assert sorted(c.user_id for c in await checkins(world)) == sorted([world.alice.id, world.bob.id])
    dm = last_dm(world.bob)
    await world.bob.user.click(dm, custom_id=button(dm, ":4"))
    await world.restart()
    assert [c.rating for c in await checkins(world) if c.user_id == world.bob.id] == [4]


async def test_prompt_schedule_with_a_restart_between_every_step(world: World) -> None:
    """Three days of a daily schedule with a restart before and after each post: exactly three posts."""
    await make_schedule(world)
    for day in range(3):
        await world.restart()
        await world.env.advance_time((9 if day == 0 else 24) * HOUR)
        await world.bot.run_due_jobs()
        await world.restart()
        await world.bot.run_due_jobs()
        assert len(prompt_messages(world)) == day + 1
