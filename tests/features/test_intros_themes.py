"""Themes a member would like to talk about, chosen after the intro form: `/intro find` counts the ones two members
share (PRODUCT.md: "Overlap counts heritages, languages and themes")."""

from __future__ import annotations

import json

import discord
from simcord import InteractionResult, MemberActor, assert_error, assert_responded
from sqlalchemy import func, select

from cogs.intros.views import ThemesSelect
from core.errors import InvalidInput, NotAllowed
from storage.models.intros import IntroTag, IntroTagCount
from tests.conftest import World
from tests.features.test_intros_find import DAN, ids, listed
from tests.features.test_intros_helpers import ALICE, BOB, stored_tags, write_findable_intro, write_intro

ERIN = {
    "name": "Erin",
    "heritages": "Hmong",
    "languages": "Hmong",
    "location": "Fresno",
    "story": "Grandma's stories, my own words.",
}
SELECT = "intro:themes:{}"


async def choose(world: World, member: MemberActor, message: object, themes: list[str]) -> InteractionResult:
    """Pick `themes` (keys) in the member's own themes menu on `message`."""
    return await member.select(message, themes, custom_id=SELECT.format(member.id))  # type: ignore[arg-type]


async def themes_of(world: World, member: MemberActor) -> list[str]:
    return sorted(tag for kind, tag in await stored_tags(world, member) if kind == "theme")


async def findable_with_themes(
    world: World, member: MemberActor, values: dict[str, str], themes: list[str]
) -> InteractionResult:
    """Write an intro, say yes to being found, then pick themes on the same message."""
    done = await write_findable_intro(world, member, values)
    return await choose(world, member, done.response, themes)


def menu(result: InteractionResult, user_id: int) -> dict[str, bool]:
    """The themes menu on a reply: each offered key and whether it is ticked."""
    message = result.response.message if result.response.message is not None else result.response
    for row in message.components:  # type: ignore[union-attr]
        for item in row.children:
            if item.custom_id == SELECT.format(user_id):
                return {option.value: bool(option.default) for option in item.options}
    raise AssertionError("no themes menu on that message")


async def test_members_who_share_a_theme_find_each_other(world: World) -> None:
    """Alice and Dan share no heritage or language; once both pick Career guidance, /intro find lists Dan for
    Alice, saying what they share."""
    dan = world.add_member("dan")
    await world.env.settle()
    done = await write_findable_intro(world, world.alice, ALICE)
    await write_findable_intro(world, dan, DAN)
    before = await world.alice.slash(world.general, "intro find")
    assert "couldn't find anyone" in before.response.content

    picked = await choose(world, world.alice, done.response, ["career", "culture"])
    assert "Saved: you'd like to talk about Career guidance and Cultural knowledge sharing" in picked.response.content
    await findable_with_themes(world, dan, DAN, ["career"])
    assert await themes_of(world, world.alice) == ["career", "culture"]

    found = await world.alice.slash(world.general, "intro find")
    assert listed(found) == ids(dan)
    assert "Career guidance" in found.response.embeds[0].description
    assert "Cultural knowledge sharing" not in found.response.embeds[0].description  # only what Dan shares


async def test_shared_themes_count_in_the_ranking(world: World) -> None:
    """Bob shares one heritage and two languages with Alice (3); Erin shares four themes and nothing else: Erin
    comes first."""
    erin = world.add_member("erin")
    await world.env.settle()
    four = ["career", "culture", "identity", "growth"]
    await findable_with_themes(world, world.alice, ALICE, four)
    await write_findable_intro(world, world.bob, BOB)
    await findable_with_themes(world, erin, ERIN, four)
    found = await world.alice.slash(world.general, "intro find")
    assert listed(found) == ids(erin, world.bob)


async def test_the_keyword_finds_a_theme_by_its_name_in_any_case_and_accents(world: World) -> None:
    """A moderator renames a theme `Gia đình`; `gia dinh` as the keyword finds the member who chose it."""
    dan = world.add_member("dan")
    await world.env.settle()
    renamed = await world.mod.slash(world.general, "setup themes", theme="support", name="Gia đình")
    assert "Gia đình" in renamed.response.content
    await findable_with_themes(world, dan, DAN, ["support"])
    found = await world.alice.slash(world.general, "intro find", keyword="gia dinh")
    assert listed(found) == ids(dan)
    assert "“gia dinh”" in found.response.embeds[0].description
    by_label = await world.alice.slash(world.general, "intro find", keyword="Career guidance")
    assert "couldn't find anyone" in by_label.response.content  # nobody chose it


async def test_a_hidden_member_is_never_found_by_their_themes(world: World) -> None:
    """Themes count only for members who said yes to being found: picking them first doesn't list anyone."""
    dan = world.add_member("dan")
    await world.env.settle()
    await findable_with_themes(world, world.alice, ALICE, ["career"])
    written = await write_intro(world, dan, DAN)
    picked = await choose(world, dan, written.response, ["career"])
    assert "once you say yes to being found" in picked.response.content
    assert await themes_of(world, dan) == ["career"]
    for search in ({}, {"keyword": "career"}):
        found = await world.alice.slash(world.general, "intro find", **search)
        assert "couldn't find anyone" in found.response.content
    async with world.bot.db.read() as session:
        counted = await session.scalar(
            select(func.coalesce(func.sum(IntroTagCount.members), 0)).where(IntroTagCount.kind == "theme")
        )
    assert counted == 1  # Alice's only


async def test_only_the_writer_can_choose_their_themes(world: World) -> None:
    """Alice's menu is on a message only she sees; a copy posted where Bob can use it (what a forged id amounts to)
    is refused for Bob, and Alice's themes stay as they were."""
    await findable_with_themes(world, world.alice, ALICE, ["career"])
    item = ThemesSelect(world.alice.id, (("career", "Career guidance"), ("culture", "Culture")), ()).item
    view = discord.ui.View(timeout=None)
    view.add_item(item)
    await world.bot.get_channel(world.general.id).send("x", view=view)  # type: ignore[union-attr]
    result = await world.bob.select(world.general.last_message, ["culture"], custom_id=item.custom_id)
    assert_responded(result, contains="belongs to someone else's introduction", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert await themes_of(world, world.alice) == ["career"]


async def test_choosing_none_clears_them_and_editing_the_intro_keeps_them(world: World) -> None:
    """Re-submitting the form changes heritages, not themes; an empty choice clears them; /intro show ticks them."""
    await findable_with_themes(world, world.alice, ALICE, ["career", "identity"])
    await write_intro(world, world.alice, ALICE, heritages="Japanese")
    assert await themes_of(world, world.alice) == ["career", "identity"]
    assert ("heritage", "irish") not in await stored_tags(world, world.alice)

    shown = await world.alice.slash(world.general, "intro show")
    ticked = menu(shown, world.alice.id)
    assert {key for key, on in ticked.items() if on} == {"career", "identity"}
    assert len(ticked) == 12  # the server's themes
    cleared = await choose(world, world.alice, shown.response.message, [])
    assert "Saved: no themes." in cleared.response.content
    assert await themes_of(world, world.alice) == []


async def test_a_theme_turned_off_stays_chosen_and_a_stale_menu_is_refused(world: World) -> None:
    """A moderator turns Career guidance off: it leaves the menu but stays with the member who chose it (and still
    counts for them); picking it on a menu shown before it went off is refused and changes nothing."""
    dan = world.add_member("dan")
    await world.env.settle()
    shown = await findable_with_themes(world, world.alice, ALICE, ["career", "culture"])
    await findable_with_themes(world, dan, DAN, ["career"])
    off = await world.mod.slash(world.general, "setup themes", theme="career", enabled=False)
    assert "off" in off.response.content.lower()

    again = await world.alice.slash(world.general, "intro show")
    assert "career" not in menu(again, world.alice.id)
    await choose(world, world.alice, again.response.message, ["culture", "identity"])
    assert await themes_of(world, world.alice) == ["career", "culture", "identity"]
    found = await world.alice.slash(world.general, "intro find")
    assert listed(found) == ids(dan)

    stale = await choose(world, world.alice, shown.response.message, ["career"])
    assert_responded(stale, contains="isn't one this server offers any more", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await themes_of(world, world.alice) == ["career", "culture", "identity"]


async def test_without_an_intro_the_menu_changes_nothing(world: World) -> None:
    """The member deleted their intro since the menu was shown: told so, nothing stored."""
    done = await findable_with_themes(world, world.alice, ALICE, ["career"])
    await world.alice.slash(world.general, "intro delete")
    deleted = await world.alice.slash(world.general, "intro delete")
    await world.alice.click(deleted.response, label="Delete my introduction")
    result = await choose(world, world.alice, done.response.message, ["culture"])
    assert_responded(result, contains="don't have an introduction any more", ephemeral=True)
    assert_error(world.env, NotAllowed)
    async with world.bot.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(IntroTag)) == 0


async def test_export_holds_them_and_erasure_removes_them(world: World) -> None:
    """/privacy export lists the chosen themes; /privacy delete leaves no tag and no count behind."""
    await findable_with_themes(world, world.alice, ALICE, ["career", "growth"])
    exported = await world.alice.slash(world.general, "privacy export")
    data = json.loads(await exported.response.attachments[0].read())
    assert data["features"]["Introductions"]["themes"] == ["career", "growth"]
    asked = await world.alice.slash(world.general, "privacy delete")
    await world.alice.click(asked.response, custom_id=f"privacy:delete:{world.alice.id}")
    async with world.bot.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(IntroTag)) == 0
        assert await session.scalar(select(func.count()).select_from(IntroTagCount)) == 0


async def test_the_menu_still_works_after_a_restart(world: World) -> None:
    """A menu shown before the bot restarted saves the choice (it is rebuilt from its custom id)."""
    done = await findable_with_themes(world, world.alice, ALICE, ["career"])
    await world.restart()
    picked = await choose(world, world.alice, done.response.message, ["culture", "growth"])
    assert "Cultural knowledge sharing and Personal growth" in picked.response.content
    assert await themes_of(world, world.alice) == ["culture", "growth"]


async def test_a_search_of_an_intro_without_themes_says_where_to_pick_them(world: World) -> None:
    """Searching with one's own intro and no themes picked: the reply (with or without matches) says where the menu
    is; once some are picked, or when searching for a heritage, it doesn't."""
    done = await write_findable_intro(world, world.alice, ALICE)
    alone = await world.alice.slash(world.general, "intro find")
    assert "couldn't find anyone" in alone.response.content and "`/intro show` has the menu" in alone.response.content
    await write_findable_intro(world, world.bob, BOB)
    found = await world.alice.slash(world.general, "intro find")
    assert listed(found) == ids(world.bob)
    assert "`/intro show` has the menu" in found.response.content
    by_heritage = await world.alice.slash(world.general, "intro find", heritage="Filipino")
    assert not by_heritage.response.content
    await choose(world, world.alice, done.response, ["career"])
    picked = await world.alice.slash(world.general, "intro find")
    assert listed(picked) == ids(world.bob) and not picked.response.content
