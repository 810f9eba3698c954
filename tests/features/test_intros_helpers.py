"""Shared steps for the intro feature tests (no tests here): write an intro as a member, read what is stored."""

from __future__ import annotations

from typing import Any

from simcord import InteractionResult, MemberActor
from sqlalchemy import func, select

from storage.models.intros import Intro, IntroTag
from tests.conftest import World

ALICE = {
    "name": "Alice (she/her)",
    "heritages": "Japanese, Irish & Pinay",
    "languages": "English / Tagalog",
    "location": "Manchester",
    "story": "I grew up between Cebu and Cork and I'd love to meet other mixed folks.",
}
BOB = {
    "name": "Bob (he/him)",
    "heritages": "Filipino and Korean",
    "languages": "English, Filipino",
    "location": "Osaka",
    "story": "Half Filipino, half Korean, learning to cook my lola's adobo.",
}


async def open_form(world: World, member: MemberActor) -> InteractionResult:
    return await member.slash(world.general, "intro write")


async def write_intro(world: World, member: MemberActor, values: dict[str, str], **changes: Any) -> InteractionResult:
    """Run /intro write and submit the form with `values` (and `changes` on top)."""
    shown = await open_form(world, member)
    return await member.submit_modal(shown, {**values, **changes})


async def write_findable_intro(
    world: World, member: MemberActor, values: dict[str, str], **changes: Any
) -> InteractionResult:
    """Write an intro and say yes to being found with /intro find (new intros are hidden until then)."""
    done = await write_intro(world, member, values, **changes)
    intro = await stored_intro(world, member)
    if intro is not None and not intro.discoverable:
        return await member.click(done.response, label="Yes, show me in /intro find")
    return done


async def stored_intro(world: World, member: MemberActor) -> Intro | None:
    async with world.bot.db.read() as session:
        return await session.scalar(select(Intro).where(Intro.guild_id == world.guild.id, Intro.user_id == member.id))


async def stored_tags(world: World, member: MemberActor) -> set[tuple[str, str]]:
    async with world.bot.db.read() as session:
        rows = await session.execute(
            select(IntroTag.kind, IntroTag.tag).where(
                IntroTag.guild_id == world.guild.id, IntroTag.user_id == member.id
            )
        )
        return {(kind, tag) for kind, tag in rows}


async def row_counts(world: World) -> tuple[int, int]:
    async with world.bot.db.read() as session:
        intros = await session.scalar(select(func.count()).select_from(Intro))
        tags = await session.scalar(select(func.count()).select_from(IntroTag))
    return int(intros or 0), int(tags or 0)


def cards_of(world: World, member: MemberActor) -> list[Any]:
    """Card messages about `member` in the intro channel."""
    return [m for m in world.intro.history() if m.embeds and m.content == member.mention]
