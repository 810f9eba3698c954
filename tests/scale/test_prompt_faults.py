"""Faults for prompt posting that tests/features/test_prompts_schedule.py doesn't cover yet."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import World
from tests.features.test_prompts_schedule import make_schedule, posts, prompt_messages

HOUR = 3600


async def test_rate_limit_leaves_the_slot_retryable_and_it_is_posted_once(world: World) -> None:
    """A 429 on the post frees the claim at once; the next run posts that slot, and later runs don't repeat it."""
    await make_schedule(world)
    await world.env.advance_time(9 * HOUR)
    world.env.inject_error("POST", "/channels/*/messages", status=429, message="You are being rate limited.")
    result = await world.bot.run_due_jobs()
    assert result["prompts"] == {"claimed": 1, "posted": 0}
    assert prompt_messages(world) == []
    [post] = await posts(world)
    assert (post.status, post.message_id, post.lease_until) == ("claimed", None, None)  # not leased: retryable now
    result = await world.bot.run_due_jobs()
    assert result["prompts"] == {"claimed": 0, "posted": 1}
    await world.bot.run_due_jobs()
    await world.env.advance_time(HOUR)
    await world.bot.run_due_jobs()
    [message] = prompt_messages(world)
    [post] = await posts(world)
    assert (post.status, post.message_id, post.slot) == ("posted", message.id, datetime(2026, 1, 1, 9, tzinfo=UTC))
