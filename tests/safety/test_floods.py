"""A member can't flood Lantern: every write a member can repeat has a limit, the limit survives a restart,
a refusal says when to try again and changes nothing, and a member's links waiting for review are capped.

Each test acts as the flooding member: uses the action up to its limit, is refused (told when to try
again; every table as it was), is still refused after Lantern restarts, and may act again once the
window has passed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from simcord import InteractionResult, MemberActor, assert_error, assert_responded
from sqlalchemy import func, select

from core import limits
from core.errors import CoolingDown, NotAllowed
from storage.models.limits import RateLimitUse
from storage.models.prompts import PromptSuggestion
from storage.models.resources import Resource
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, write_intro
from tests.safety.support import db_snapshot

Act = Callable[[World, MemberActor, int], Awaitable[InteractionResult]]


async def intro_write(world: World, actor: MemberActor, n: int) -> InteractionResult:
    """Submit the intro form, or (when refused) the answer to opening it."""
    shown = await actor.slash(world.general, "intro write")
    if shown.modal is None:
        return shown
    return await actor.submit_modal(shown, {**ALICE, "name": f"Alice {n}"})


async def intro_delete(world: World, actor: MemberActor, n: int) -> InteractionResult:
    """Write an intro, then delete it (a cycle that posts and removes a public card each time)."""
    await write_intro(world, actor, ALICE, name=f"Alice {n}")
    asked = await actor.slash(world.general, "intro delete")
    if asked.response is None or "Delete your introduction?" not in (asked.response.content or ""):
        return asked
    return await actor.click(asked.response, label="Delete my introduction")


async def mentor_offer(world: World, actor: MemberActor, n: int) -> InteractionResult:
    return await actor.slash(world.general, "mentor offer", themes="career", timezone="Asia/Manila", bio=f"v{n}")


async def mentor_request(world: World, actor: MemberActor, n: int) -> InteractionResult:
    return await actor.slash(world.general, "mentor request", themes="career", timezone="Asia/Tokyo", note=f"v{n}")


async def prompt_suggest(world: World, actor: MemberActor, n: int) -> InteractionResult:
    shown = await actor.slash(world.general, "prompt suggest")
    if shown.modal is None:
        return shown
    text = f"Which family recipe number {n} would you teach a friend first, and why that one?"
    done = await actor.submit_modal(shown, {"text": text, "theme": "culture"})
    # The moderators keep up, so the cap on suggestions waiting for review is not what stops the flood.
    async with world.bot.db.read() as session:
        waiting = (await session.scalars(select(PromptSuggestion.id).where(PromptSuggestion.status == "pending"))).all()
    if waiting:
        review = await world.mod.slash(world.general, "prompts review")
        for suggestion_id in waiting:
            await world.mod.click(review.response.message, custom_id=f"prompts:reject:{suggestion_id}")
    return done


async def privacy_export(world: World, actor: MemberActor, n: int) -> InteractionResult:
    return await actor.slash(world.general, "privacy export")


async def resource_share(world: World, actor: MemberActor, n: int) -> InteractionResult:
    return await actor.slash(world.general, "resource share", url=f"https://example.org/read/{n}", title=f"Reading {n}")


async def circle_join(world: World, actor: MemberActor, n: int) -> InteractionResult:
    return await actor.slash(world.general, "circle join", themes="career", timezone="Asia/Manila", size=3 + n % 4)


@dataclass(frozen=True)
class Case:
    limit: limits.Limit
    act: Act


CASES = {
    "intro write": Case(limits.INTRO_WRITE, intro_write),
    "intro delete": Case(limits.INTRO_DELETE, intro_delete),
    "mentor offer": Case(limits.MENTOR_OFFER, mentor_offer),
    "mentor request": Case(limits.MENTOR_REQUEST, mentor_request),
    "prompt suggest": Case(limits.PROMPT_SUGGEST, prompt_suggest),
    "privacy export": Case(limits.PRIVACY_EXPORT, privacy_export),
    "resource share": Case(limits.RESOURCE_SHARE, resource_share),
    "circle join": Case(limits.CIRCLE_JOIN, circle_join),
}


def refusal(result: InteractionResult) -> str:
    return (result.response.content if result.response is not None else "") or ""


@pytest.mark.parametrize("name", list(CASES))
async def test_a_flood_is_refused_with_when_to_try_again_and_a_restart_does_not_reset_it(
    world: World, name: str
) -> None:
    """Up to the limit works; the next is refused with the reason and the wait, and nothing is written; a
    restart keeps the refusal; once the window has passed the member can act again."""
    case = CASES[name]
    await world.mod.slash(world.general, "setup options", review_resources=True)
    for n in range(case.limit.uses):
        done = await case.act(world, world.alice, n)
        assert "Please try again" not in refusal(done), f"use {n + 1} of {case.limit.uses} was refused"

    before = await db_snapshot(world.bot)
    refused = await case.act(world, world.alice, case.limit.uses) if name != "intro delete" else None
    if name == "intro delete":  # the intro written for the next cycle is a use of `intro write`, not of delete
        await write_intro(world, world.alice, ALICE, name="Alice again")
        before = await db_snapshot(world.bot)
        refused = await world.alice.slash(world.general, "intro delete")
    assert refused is not None
    assert_responded(refused, contains=case.limit.reason, ephemeral=True)
    assert "Please try again in" in refusal(refused)
    assert_error(world.env, CoolingDown)
    assert (await db_snapshot(world.bot)).diff(before) == []

    await world.restart()
    again = await (
        world.alice.slash(world.general, "intro delete")
        if name == "intro delete"
        else case.act(world, world.alice, case.limit.uses)
    )
    assert_responded(again, contains="Please try again in", ephemeral=True)
    assert_error(world.env, CoolingDown)

    other = await case.act(world, world.bob, 0)  # limits are per member
    assert "Please try again" not in refusal(other)

    await world.env.advance_time(int(case.limit.per.total_seconds()) + 1)
    later = await case.act(world, world.alice, case.limit.uses + 1)
    assert "Please try again" not in refusal(later)


async def test_the_wait_is_counted_from_the_oldest_use(world: World) -> None:
    """Three exports in a day, an hour apart: the fourth, an hour after the third, waits about 21 hours."""
    for _ in range(3):
        await world.alice.slash(world.general, "privacy export")
        await world.env.advance_time(3600)
    refused = await world.alice.slash(world.general, "privacy export")
    assert_responded(refused, contains="Please try again in about 21 hours", ephemeral=True)
    assert_error(world.env, CoolingDown)


async def test_a_member_can_have_only_so_many_links_waiting_for_review(world: World) -> None:
    """With review on, a member with ten links waiting is asked to wait for the moderators; nothing is stored.
    Once a moderator has looked at one, they can share again."""
    for n in range(limits.MAX_PENDING_RESOURCES):
        if n and n % limits.RESOURCE_SHARE.uses == 0:
            await world.env.advance_time(int(limits.RESOURCE_SHARE.per.total_seconds()) + 1)
        shared = await resource_share(world, world.alice, n)
        assert_responded(shared, contains="waiting for a moderator's review", ephemeral=True)
    await world.env.advance_time(int(limits.RESOURCE_SHARE.per.total_seconds()) + 1)
    before = await db_snapshot(world.bot)
    refused = await resource_share(world, world.alice, 99)
    assert_responded(refused, contains=f"You have {limits.MAX_PENDING_RESOURCES} links waiting", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert (await db_snapshot(world.bot)).diff(before) == []

    queue = await world.mod.slash(world.general, "resources review")
    async with world.bot.db.read() as session:
        oldest = await session.scalar(select(func.min(Resource.id)))
    await world.mod.click(queue.response, label=f"Reject #{oldest}")
    shared = await resource_share(world, world.alice, 99)
    assert_responded(shared, contains="waiting for a moderator's review", ephemeral=True)


async def test_privacy_delete_erases_the_record_of_uses_and_export_shows_it(world: World) -> None:
    """What Lantern keeps for the limits is the member's data: `/privacy export` lists it, `/privacy delete`
    erases it."""
    await world.alice.slash(world.general, "mentor offer", themes="career", timezone="Asia/Manila")
    result = await world.alice.slash(world.general, "privacy export")
    data = json.loads(await result.response.attachments[0].read())
    actions = [use["action"] for use in data["features"]["Limits"]["recent_uses"]]
    assert actions == ["mentor_offer", "privacy_export"]

    asked = await world.alice.slash(world.general, "privacy delete")
    await world.alice.click(asked.response, label="Delete everything")
    async with world.bot.db.read() as session:
        left = await session.scalar(
            select(func.count()).select_from(RateLimitUse).where(RateLimitUse.user_id == world.alice.id)
        )
    assert left == 0
