"""/intro find, its autocomplete, and choosing whether to be discoverable."""

from __future__ import annotations

from simcord import MemberActor, assert_error, assert_responded

from core.errors import InvalidInput, NotAllowed
from tests.conftest import World
from tests.features.test_intros_helpers import ALICE, BOB, stored_intro, write_intro

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
        await write_intro(world, member, values)
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
        world.general, "intro find", heritage="Filipino", language="Tagalog", keyword="Dublin"
    )
    assert listed(result) == ids(carol, world.bob)
    result = await world.alice.slash(world.general, "intro find", keyword="osaka")
    assert listed(result)[0] in ids(world.bob, dan)
    assert set(listed(result)) == set(ids(world.bob, dan))
    assert "“osaka”" in result.response.embeds[0].description


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

    await carol.click(toggled.response, label="Show me in /intro find")
    assert (await stored_intro(world, carol)).discoverable is True
    result = await world.alice.slash(world.general, "intro find", heritage="Filipina")
    assert str(carol.id) in listed(result)


async def test_discoverability_survives_editing_the_intro(world: World) -> None:
    """Editing an intro keeps the member's choice to be hidden."""
    done = await write_intro(world, world.bob, BOB)
    await world.bob.click(done.response, label="Hide me from /intro find")
    again = await write_intro(world, world.bob, BOB, location="Kyoto")
    assert "hidden" in again.response.content
    assert (await stored_intro(world, world.bob)).discoverable is False


async def test_only_the_owner_can_use_the_discoverability_button(world: World) -> None:
    """The button carries its member's id; nobody else can flip it."""
    from cogs.intros.views import DiscoverableButton

    await write_intro(world, world.bob, BOB)
    item = DiscoverableButton(world.bob.id, False).item
    message = await world.bot.get_channel(world.general.id).send("x", view=_view(item))
    result = await world.alice.click(world.general.last_message, custom_id=item.custom_id)
    assert_responded(result, contains="belongs to someone else", ephemeral=True)
    assert_error(world.env, NotAllowed)
    assert (await stored_intro(world, world.bob)).discoverable is True
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


async def test_autocomplete_is_capped_at_25(world: World) -> None:
    """However many heritages members list, autocomplete offers at most 25."""
    for number, member in enumerate((world.alice, world.bob, world.mod)):
        many = ", ".join(f"h{number}{letter}" for letter in "abcdefghijklmnopqrst")
        await write_intro(world, member, BOB, heritages=many)
    choices = await world.alice.autocomplete(world.general, "intro find", "heritage", "")
    assert len(choices) == 25
