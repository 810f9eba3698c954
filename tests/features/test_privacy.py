"""/privacy show, export and delete, and what happens to a member's data when they leave."""

from __future__ import annotations

import json

from simcord import MemberActor, assert_responded
from sqlalchemy import func, select

from storage.intros import get_intro
from storage.models import Departure
from storage.models.intros import Intro
from storage.models.prompts import PromptSuggestion
from storage.models.resources import Resource
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, write_intro

DAY = 24 * 3600


async def suggest_prompt(world: World, member: MemberActor, text: str) -> None:
    shown = await member.slash(world.general, "prompt suggest")
    await member.submit_modal(shown, {"text": text, "theme": "identity"})


async def count(world: World, model: type, user_column: str, member: MemberActor) -> int:
    async with world.bot.db.read() as session:
        column = getattr(model, user_column)
        return int(await session.scalar(select(func.count()).select_from(model).where(column == member.id)) or 0)


async def suggestions_after(world: World, days: float, member: MemberActor) -> int:
    """`days` later, once due work has run: how many prompt suggestions of `member` are still stored."""
    await world.env.advance_time(days * DAY)
    await world.bot.run_due_jobs()
    return await count(world, PromptSuggestion, "user_id", member)


async def test_show_says_per_feature_what_is_stored(world: World) -> None:
    """After an intro, /privacy show marks Introductions as holding data and Prompts as empty."""
    await write_intro(world, world.alice, ALICE)
    result = await world.alice.slash(world.general, "privacy show")
    assert_responded(result, embed_title="What I store about you here", ephemeral=True)
    fields = {field.name: field.value for field in result.response.embeds[0].fields}
    assert "I have some of this about you." in fields["Introductions"]
    assert "Nothing stored about you." in fields["Prompts"]


async def test_show_lets_a_member_switch_whether_intro_find_lists_them(world: World) -> None:
    """PRODUCT.md: being findable is "changeable in `/intro show` or `/privacy`": `/privacy show` carries the same
    switch as the card, saying where the member stands; a member with no intro gets no switch."""
    result = await world.bob.slash(world.general, "privacy show")
    assert result.response.components == [] and not result.response.content
    await write_intro(world, world.alice, ALICE)
    result = await world.alice.slash(world.general, "privacy show")
    assert "You're hidden from `/intro find`" in result.response.content
    clicked = await world.alice.click(result.response.message, label="Yes, show me in /intro find")
    assert "Saved. Members can find you with `/intro find`" in clicked.response.content
    async with world.bot.db.read() as session:
        assert (await get_intro(session, world.guild.id, world.alice.id)).discoverable is True
    result = await world.alice.slash(world.general, "privacy show")
    assert "Members can find you" in result.response.content
    await world.alice.click(result.response.message, label="Hide me from /intro find")
    async with world.bot.db.read() as session:
        assert (await get_intro(session, world.guild.id, world.alice.id)).discoverable is False


async def test_export_sends_a_json_file_of_everything(world: World) -> None:
    """/privacy export answers privately with a JSON file holding the member's own words."""
    await write_intro(world, world.alice, ALICE)
    await suggest_prompt(world, world.alice, "What does home smell like to you?")
    result = await world.alice.slash(world.general, "privacy export")
    assert_responded(result, contains="everything I store about you", ephemeral=True)
    [attachment] = result.response.attachments
    assert attachment.filename == "lantern-my-data.json"
    data = json.loads(await attachment.read())
    assert data["user_id"] == str(world.alice.id)
    dumped = json.dumps(data["features"])
    assert "Cebu and Cork" in dumped
    assert "What does home smell like to you?" in dumped


async def test_delete_needs_a_confirmation_and_then_erases_everything(world: World) -> None:
    """The first step changes nothing; the red button removes the card and every row about the member."""
    await write_intro(world, world.alice, ALICE)
    await write_intro(world, world.bob, ALICE, name="Bob")
    await suggest_prompt(world, world.alice, "Which family recipe would you keep forever?")
    cards_before = len(world.intro.history())
    result = await world.alice.slash(world.general, "privacy delete")
    assert_responded(result, contains="can't be undone", ephemeral=True)
    assert await count(world, Intro, "user_id", world.alice) == 1

    done = await world.alice.click(result.response, custom_id=f"privacy:delete:{world.alice.id}")
    assert "erased everything" in (done.response.content if done.response else done.followups[0].content)
    assert await count(world, Intro, "user_id", world.alice) == 0
    assert await count(world, PromptSuggestion, "user_id", world.alice) == 0
    assert await count(world, Intro, "user_id", world.bob) == 1  # others keep theirs
    assert len(world.intro.history()) == cards_before - 1


async def test_leaving_starts_the_retention_clock_and_the_purge_erases_the_rest(world: World) -> None:
    """A member who leaves loses their card at once; their other data goes after 30 days, not before."""
    await write_intro(world, world.alice, ALICE)
    await suggest_prompt(world, world.alice, "What would you tell your younger self about belonging?")
    world.guild.remove_member(world.alice)
    await world.env.settle()
    assert await count(world, Intro, "user_id", world.alice) == 0
    assert await count(world, Departure, "user_id", world.alice) == 1

    assert await suggestions_after(world, 29, world.alice) == 1
    assert await suggestions_after(world, 2, world.alice) == 0
    assert await count(world, Departure, "user_id", world.alice) == 0
    await world.bot.run_due_jobs()  # nothing left to do the second time


async def test_returning_within_the_window_is_told_what_was_kept(world: World) -> None:
    """A member who comes back before the purge gets a private note of what was kept; nothing is reposted."""
    await suggest_prompt(world, world.alice, "Which song takes you back to a grandparent's kitchen?")
    world.guild.remove_member(world.alice)
    await world.env.settle()
    await world.env.advance_time(3 * DAY)
    world.guild.add_member(world.alice.user)
    await world.env.settle()
    note = world.alice.user.dm_channel.history()[-1]
    assert "Welcome back" in note.content and "Prompts" in note.content
    assert await count(world, Departure, "user_id", world.alice) == 0
    await world.env.advance_time(40 * DAY)
    await world.bot.run_due_jobs()
    assert await count(world, PromptSuggestion, "user_id", world.alice) == 1


async def share_link(world: World, member: MemberActor, url: str) -> None:
    await world.mod.slash(world.general, "setup options", review_resources=False)
    await member.slash(world.general, "resource share", url=url, title="Raising bilingual kids")


async def erase_everything(world: World, member: MemberActor) -> None:
    result = await member.slash(world.general, "privacy delete")
    await member.click(result.response, custom_id=f"privacy:delete:{member.id}")


async def test_shared_resources_stay_anonymously_by_default(world: World) -> None:
    """By default a resource someone shared stays in the library, its card untouched, with no submitter."""
    await share_link(world, world.alice, "https://example.org/bilingual")
    cards = len(world.resources.history())
    await erase_everything(world, world.alice)
    async with world.bot.db.read() as session:
        resource = await session.scalar(select(Resource))
    assert resource is not None and resource.submitter_id is None
    assert len(world.resources.history()) == cards


async def test_a_guild_can_choose_to_remove_shared_resources(world: World) -> None:
    """With keep_shared_resources off, erasing removes the member's resources and their cards too."""
    await world.mod.slash(world.general, "setup options", keep_shared_resources=False)
    await share_link(world, world.alice, "https://example.org/bilingual")
    await share_link(world, world.bob, "https://example.org/other")
    cards = len(world.resources.history())
    await erase_everything(world, world.alice)
    async with world.bot.db.read() as session:
        left = list(await session.scalars(select(Resource.submitter_id)))
    assert left == [world.bob.id]
    assert len(world.resources.history()) == cards - 1
