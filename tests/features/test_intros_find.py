"""/intro find, its autocomplete, and choosing whether to be discoverable."""

from __future__ import annotations

from simcord import MemberActor, assert_error, assert_responded

from core.errors import InvalidInput, NotAllowed
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, BOB, stored_intro, write_findable_intro, write_intro

CAROL = {
    "name": "Carol",
    "heritages": "Filipina, Irish",
    "languages": "Tagalog, English",
    "location": "Dublin",
    "story": "Irish dad, Filipina mum, lots of rice.",
}
DAN = {
    "name": "Dan",
    "heritages": "Vietnamese",
    "languages": "Viet",
    "location": "Osaka",
    "story": "Just moved to Osaka for work.",
}


def listed(result: object) -> list[str]:
    """The member mentions listed by /intro find, in order."""
    description = result.response.embeds[0].description  # type: ignore[attr-defined]
    return [line.split("(<@")[1].split(">")[0] for line in description.splitlines()]


def ids(*members: MemberActor) -> list[str]:
    return [str(member.id) for member in members]


async def everyone_writes(world: World) -> tuple[MemberActor, MemberActor]:
    carol = world.add_member("carol")
    dan = world.add_member("dan")
    await world.env.settle()
    for member, values in ((world.alice, ALICE), (world.bob, BOB), (carol, CAROL), (dan, DAN)):
        await write_findable_intro(world, member, values)
    return carol, dan


async def test_find_by_heritage_matches_any_spelling(world: World) -> None:
    """Searching 'Pilipino' finds members who wrote Pinay, Filipino or Filipina, privately."""
    carol, _dan = await everyone_writes(world)
    result = await world.alice.slash(world.general, "intro find", heritage="Pilipino")
    assert_responded(result, embed_title="People you share something with", ephemeral=True)
    assert sorted(listed(result)) == sorted(ids(world.bob, carol))
    assert "Filipina" in result.response.embeds[0].description


async def test_find_lists_best_overlap_first_with_what_is_shared(world: World) -> None:
    """With no option, find uses the caller's own intro; the member sharing most comes first."""
    carol, _dan = await everyone_writes(world)
    result = await world.alice.slash(world.general, "intro find")
    # Alice: Japanese, Irish, Pinay; English, Tagalog. Carol shares 4 (Filipina, Irish, Tagalog, English),
    # Bob 3 (Filipino; English, Filipino the language), Dan nothing.
    assert listed(result) == ids(carol, world.bob)
    lines = result.response.embeds[0].description.splitlines()
    carol_line = next(line for line in lines if str(carol.id) in line)
    assert "Filipina" in carol_line and "Irish" in carol_line and "Tagalog" in carol_line


async def test_ranking_counts_heritages_languages_and_keyword(world: World) -> None:
    """A member matching the heritage, the language and the keyword ranks above one matching fewer."""
    carol, dan = await everyone_writes(world)
    result = await world.alice.slash(
        world.general, "intro find", heritage="Filipino", language="Tagalog", keyword="Irish"
    )
    assert listed(result) == ids(carol, world.bob)
    result = await world.alice.slash(world.general, "intro find", keyword="viet")
    assert listed(result) == ids(dan)
    assert "“viet”" in result.response.embeds[0].description


async def test_a_new_intro_is_hidden_until_its_writer_says_yes(world: World) -> None:
    """Writing an intro asks whether to be findable; until the writer says yes, /intro find never lists them."""
    done = await write_intro(world, world.bob, BOB)
    assert "hidden from `/intro find`" in done.response.content
    assert "Would you like members who share your heritages, languages or themes to find you?" in done.response.content
    result = await world.alice.slash(world.general, "intro find", heritage="Korean")
    assert_responded(result, contains="couldn't find anyone discoverable", ephemeral=True)
    assert await world.alice.autocomplete(world.general, "intro find", "heritage", "kor") == []

    await world.bob.click(done.response, label="Yes, show me in /intro find")
    result = await world.alice.slash(world.general, "intro find", heritage="Korean")
    assert listed(result) == ids(world.bob)


async def test_keyword_never_searches_a_story_or_a_town(world: World) -> None:
    """Words from someone's story or where they live never lead to them; their heritages and languages do."""
    _carol, dan = await everyone_writes(world)
    await write_intro(world, dan, DAN, story="I was adopted and grew up far from Hanoi.")
    for keyword in ("adopted", "Osaka", "Hanoi", "Dublin", "lola"):
        result = await world.alice.slash(world.general, "intro find", keyword=keyword)
        assert_responded(result, contains="couldn't find anyone discoverable", ephemeral=True)
    result = await world.alice.slash(world.general, "intro find", keyword="Vietnamese")
    assert listed(result) == ids(dan)


async def test_keyword_wildcards_are_taken_literally(world: World) -> None:
    """A keyword with % or _ looks for those characters; it is not a pattern that matches Osaka."""
    await everyone_writes(world)
    for keyword in ("o%a", "os_ka"):
        result = await world.alice.slash(world.general, "intro find", keyword=keyword)
        assert_responded(result, contains="I couldn't find anyone discoverable", ephemeral=True)


async def test_hidden_members_are_not_found(world: World) -> None:
    """A member who hides themselves from find is not listed, and can come back."""
    carol, _dan = await everyone_writes(world)
    done = await write_intro(world, carol, CAROL)
    toggled = await carol.click(done.response, label="Hide me from /intro find")
    assert "hidden" in toggled.response.content
    assert (await stored_intro(world, carol)).discoverable is False

    result = await world.alice.slash(world.general, "intro find", heritage="Filipina")
    assert listed(result) == ids(world.bob)

    await carol.click(toggled.response, label="Yes, show me in /intro find")
    assert (await stored_intro(world, carol)).discoverable is True
    result = await world.alice.slash(world.general, "intro find", heritage="Filipina")
    assert str(carol.id) in listed(result)


async def test_discoverability_survives_editing_the_intro(world: World) -> None:
    """Editing an intro keeps the member's choice, either way."""
    done = await write_findable_intro(world, world.bob, BOB)
    again = await write_intro(world, world.bob, BOB, location="Kyoto")
    assert "Members can find you" in again.response.content
    assert (await stored_intro(world, world.bob)).discoverable is True
    await world.bob.click(again.response, label="Hide me from /intro find")
    again = await write_intro(world, world.bob, BOB, location="Nara")
    assert "hidden" in again.response.content
    assert (await stored_intro(world, world.bob)).discoverable is False
    assert done is not None


async def test_only_the_owner_can_use_the_discoverability_button(world: World) -> None:
    """The button carries its member's id; nobody else can flip it."""
    from cogs.intros.views import DiscoverableButton

    await write_intro(world, world.bob, BOB)
    item = DiscoverableButton(world.bob.id, True).item
    message = await world.bot.get_channel(world.general.id).send("x", view=_view(item))
    result = await world.alice.click(world.general.last_message, custom_id=item.custom_id)
    assert_responded(result, contains="belongs to someone else", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert (await stored_intro(world, world.bob)).discoverable is False
    assert message is not None


def _view(item: object) -> object:
    import discord

    view = discord.ui.View(timeout=None)
    view.add_item(item)  # type: ignore[arg-type]
    return view


async def test_find_with_nothing_to_go_on_says_what_to_do(world: World) -> None:
    """Without options and without an intro of their own, the caller is told what to give."""
    result = await world.alice.slash(world.general, "intro find")
    assert_responded(result, contains="Tell me a heritage, language or keyword", ephemeral=True)


async def test_find_with_no_match_says_so(world: World) -> None:
    """A search nobody matches gets a kind, plain answer."""
    await write_intro(world, world.bob, BOB)
    result = await world.alice.slash(world.general, "intro find", heritage="Mongolian")
    assert_responded(result, contains="couldn't find anyone discoverable", ephemeral=True)


async def test_find_with_only_punctuation_is_refused(world: World) -> None:
    """A search with no usable words is named back to the member."""
    result = await world.alice.slash(world.general, "intro find", heritage="?!")
    assert_responded(result, contains="has no words I can match", ephemeral=True)
    assert_error(world.env, InvalidInput)


async def test_autocomplete_offers_tags_used_in_the_guild(world: World) -> None:
    """Heritage and language autocomplete offer only what discoverable members wrote, most used first."""
    carol, _dan = await everyone_writes(world)
    choices = await world.alice.autocomplete(world.general, "intro find", "heritage", "")
    values = [choice["value"] for choice in choices]
    assert values[0] == "filipino"  # Alice, Bob and Carol
    assert set(values) == {"filipino", "irish", "japanese", "korean", "vietnamese"}
    assert choices[0]["name"] == "Filipino (3)"
    assert len(choices) <= 25

    typed = await world.alice.autocomplete(world.general, "intro find", "language", "taga")
    assert [choice["value"] for choice in typed] == ["tagalog"]
    typed = await world.alice.autocomplete(world.general, "intro find", "language", "Viet")
    assert [choice["value"] for choice in typed] == ["vietnamese"]

    done = await write_intro(world, carol, CAROL)
    await carol.click(done.response, label="Hide me from /intro find")
    choices = await world.alice.autocomplete(world.general, "intro find", "heritage", "fil")
    assert choices[0]["name"] == "Filipino (2)"


async def test_autocomplete_forgets_an_erased_member_and_a_rewritten_heritage_at_once(world: World) -> None:
    """The autocomplete's counts follow every change at once (they are kept, not recounted): Dan, the only one who
    wrote Vietnamese, erases everything with /privacy delete and Vietnamese is no longer offered, not even with
    a count of 0; Carol rewrites her intro without Irish and Irish counts only Alice, Filipino counting Carol still."""
    carol, dan = await everyone_writes(world)
    offered = await world.alice.autocomplete(world.general, "intro find", "heritage", "")
    assert {choice["name"] for choice in offered} >= {"Vietnamese (1)", "Irish (2)", "Filipino (3)"}

    asked = await dan.slash(world.general, "privacy delete")
    await dan.click(asked.response, custom_id=f"privacy:delete:{dan.id}")
    assert await world.alice.autocomplete(world.general, "intro find", "heritage", "viet") == []
    assert await world.alice.autocomplete(world.general, "intro find", "language", "viet") == []

    await write_intro(world, carol, {**CAROL, "heritages": "Filipina"})
    names = {choice["name"] for choice in await world.alice.autocomplete(world.general, "intro find", "heritage", "")}
    assert {"Filipino (3)", "Irish (1)"} <= names


async def test_autocomplete_is_capped_at_25(world: World) -> None:
    """However many heritages members list, autocomplete offers at most 25."""
    for number, member in enumerate((world.alice, world.bob, world.mod)):
        many = ", ".join(f"h{number}{letter}" for letter in "abcdefghijklmnopqrst")
        await write_findable_intro(world, member, BOB, heritages=many)
    choices = await world.alice.autocomplete(world.general, "intro find", "heritage", "")
    assert len(choices) == 25


async def upgraded(world: World, member: MemberActor) -> None:
    """Leave the member's intro as migration 0704 leaves one that find listed without asking."""
    from sqlalchemy import update

    from storage.models.intros import Intro

    async with world.bot.db.write() as session:
        await session.execute(
            update(Intro).where(Intro.user_id == member.id).values(discoverable=False, find_notice_pending=True)
        )


async def test_a_member_hidden_by_the_upgrade_is_told_once(world: World) -> None:
    """Someone listed before opt-in existed is hidden, told kindly the next time they use /intro, and only once."""
    await write_findable_intro(world, world.bob, BOB)
    await upgraded(world, world.bob)
    result = await world.alice.slash(world.general, "intro find", heritage="Korean")
    assert_responded(result, contains="couldn't find anyone discoverable", ephemeral=True)

    shown = await world.bob.slash(world.general, "intro show")
    assert_responded(shown, contains="One change to tell you about", ephemeral=True)
    again = await world.bob.slash(world.general, "intro show")
    assert "One change" not in again.response.content
    assert "hidden from `/intro find`" in again.response.content

    await world.bob.click(shown.response, label="Yes, show me in /intro find")
    result = await world.alice.slash(world.general, "intro find", heritage="Korean")
    assert listed(result) == ids(world.bob)


async def test_the_one_time_note_also_follows_a_search(world: World) -> None:
    """A member hidden by the upgrade who runs /intro find gets their results, then the note, privately."""
    await write_findable_intro(world, world.alice, ALICE)
    await write_findable_intro(world, world.bob, BOB)
    await upgraded(world, world.alice)
    result = await world.alice.slash(world.general, "intro find", heritage="Filipino")
    assert listed(result) == ids(world.bob)
    [note] = result.followups
    assert "One change to tell you about" in note.content
    assert (await stored_intro(world, world.alice)).find_notice_pending is False
