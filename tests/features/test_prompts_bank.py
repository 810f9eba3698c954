"""The prompt bank: defaults, /prompts add, import, list, remove, and who can see /prompts."""

from __future__ import annotations

import pytest
from simcord import SetupError, assert_error, assert_responded
from sqlalchemy import func, select

from cogs.prompts.bank import default_prompts
from cogs.prompts.calendar_prompts import occasion_prompts
from core.errors import InvalidInput, NotFound
from storage.models.prompts import Prompt
from tests.conftest import World


async def bank(world: World) -> list[Prompt]:
    async with world.bot.db.read() as session:
        rows = await session.execute(select(Prompt).where(Prompt.guild_id == world.guild.id).order_by(Prompt.id))
        return list(rows.scalars().all())


async def seed(world: World) -> list[Prompt]:
    """Use the bank once (a list), which seeds it."""
    await world.mod.slash(world.general, "prompts list")
    return await bank(world)


async def add(world: World, text: str, theme: str):
    shown = await world.mod.slash(world.general, "prompts add")
    return await world.mod.submit_modal(shown, {"text": text, "theme": theme})


async def test_the_bank_is_seeded_once_on_first_use(world: World) -> None:
    """A new server gets the default prompts (and the cultural calendar's) the first time its bank is used, once."""
    assert await bank(world) == []
    seeded = await seed(world)
    assert len([p for p in seeded if p.occasion is None]) == len(default_prompts()) >= 60
    assert len(seeded) == len(default_prompts()) + len(occasion_prompts())
    await seed(world)
    assert len(await bank(world)) == len(seeded)


async def test_removed_defaults_do_not_come_back(world: World) -> None:
    """Seeding is remembered: a moderator's removal of a default prompt sticks."""
    first = (await seed(world))[0]
    await world.mod.slash(world.general, "prompts remove", prompt=first.id)
    await seed(world)
    assert first.id not in {p.id for p in await bank(world)}


async def test_moderator_adds_a_prompt_through_the_modal(world: World) -> None:
    """The modal takes text and a theme (by label, any case); the prompt is stored with the theme's key."""
    result = await add(world, "What song reminds you of a grandparent?", "cultural knowledge sharing")
    assert_responded(result, contains="Added prompt #", ephemeral=True)
    stored = [p for p in await bank(world) if p.source == "added"]
    assert [(p.text, p.theme) for p in stored] == [("What song reminds you of a grandparent?", "culture")]
    assert world.modlog.history()[-1].embeds[0].title == "Prompt added"


async def test_add_refuses_an_unknown_theme_and_stores_nothing(world: World) -> None:
    """A theme the server doesn't have is named back; nothing is added."""
    before = len(await seed(world))
    result = await add(world, "What song reminds you of a grandparent?", "astrology")
    assert_responded(result, contains="`astrology` isn't one of this server's themes", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert len(await bank(world)) == before


async def test_add_refuses_a_duplicate(world: World) -> None:
    """The same prompt with different case and punctuation is a duplicate."""
    await add(world, "What song reminds you of a grandparent?", "culture")
    result = await add(world, "what song reminds you of a grandparent", "growth")
    assert_responded(result, contains="is already in the bank", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert len([p for p in await bank(world) if p.source == "added"]) == 1


async def test_add_modal_bounds_the_prompt_length(world: World) -> None:
    """The text field holds at most 300 characters."""
    shown = await world.mod.slash(world.general, "prompts add")
    with pytest.raises(SetupError):
        await world.mod.submit_modal(shown, {"text": "x" * 301, "theme": "growth"})


async def test_theme_autocomplete_offers_the_servers_themes(world: World) -> None:
    """Typing 'car' offers Career guidance, by its key."""
    choices = await world.mod.autocomplete(world.general, "prompts add", "theme", "car")
    assert [(c["name"], c["value"]) for c in choices] == [("Career guidance", "career")]


async def test_import_txt_reports_added_duplicates_and_rejections(world: World) -> None:
    """A .txt import adds new lines, skips duplicates (of the bank and within the file) and says why lines fail."""
    await seed(world)
    existing = default_prompts()[0].text
    content = "\n".join(
        [
            "What is a smell that takes you straight back to childhood?",
            existing,
            "What is a smell that takes you straight back to childhood?",
            "too short",
            "x" * 301,
            "",
            "Which festival food would you share with this server?",
        ]
    )
    result = await world.mod.slash(
        world.general, "prompts import", file=("prompts.txt", content.encode()), theme="culture"
    )
    report = result.response.content
    assert "Added 2 prompts" in report
    assert "Skipped 2 duplicates" in report
    assert "Rejected 2 lines" in report
    assert "line 4: is too short" in report
    assert "line 5: is 301 characters long" in report
    imported = [p for p in await bank(world) if p.source == "imported"]
    assert {p.theme for p in imported} == {"culture"}
    assert len(imported) == 2


async def test_import_csv_uses_each_rows_theme(world: World) -> None:
    """A .csv with a header row uses each row's theme and rejects unknown themes."""
    content = (
        "text,theme\n"
        '"Who taught you to cook, and what did they teach you?",culture\n'
        "What does rest look like for you this month?,Coping strategies\n"
        "What's your star sign?,astrology\n"
        '"Who taught you to cook, and what did they teach you?",growth\n'
    )
    result = await world.mod.slash(world.general, "prompts import", file=("bank.csv", content.encode()))
    report = result.response.content
    assert "Added 2 prompts" in report
    assert "Skipped 1 duplicate" in report
    assert "line 4: unknown theme `astrology`" in report
    imported = {p.text: p.theme for p in await bank(world) if p.source == "imported"}
    assert imported == {
        "Who taught you to cook, and what did they teach you?": "culture",
        "What does rest look like for you this month?": "coping",
    }


async def test_import_refuses_other_files_and_large_files(world: World) -> None:
    """Only .txt and .csv up to 64 KB are read; nothing is added otherwise."""
    result = await world.mod.slash(world.general, "prompts import", file=("bank.pdf", b"%PDF"))
    assert_responded(result, contains="isn't a .txt or .csv file", ephemeral=True)
    assert_error(world.env, InvalidInput)
    big = ("What is a question worth asking?\n" * 3000).encode()
    result = await world.mod.slash(world.general, "prompts import", file=("big.txt", big), theme="growth")
    assert_responded(result, contains="the limit is 64 KB", ephemeral=True)
    assert_error(world.env, InvalidInput)
    assert await bank(world) == []


async def test_list_is_paginated_with_buttons(world: World) -> None:
    """The list shows ten prompts a page; Next and Previous move between pages, edited in place."""
    seeded = await seed(world)
    result = await world.mod.slash(world.general, "prompts list")
    first = result.response.embeds[0]
    pages = (len(seeded) + 9) // 10
    assert first.footer.text == f"Page 1 of {pages} · {len(seeded)} prompts"
    assert f"`#{seeded[0].id}`" in first.description and f"`#{seeded[10].id}`" not in first.description
    message = result.response.message
    assert buttons(message) == [("Previous", "prompts:pg:0:-", True), ("Next", "prompts:pg:1:-", False)]
    await world.mod.click(message, custom_id="prompts:pg:1:-")
    second = world.env.backend.get_message(message.channel.id, message.id)
    assert f"Page 2 of {pages}" in second.embeds[0]["footer"]["text"]
    assert f"`#{seeded[10].id}`" in second.embeds[0]["description"]
    assert buttons(result.response.message) == [
        ("Previous", "prompts:pg:0:-", False),
        ("Next", "prompts:pg:2:-", False),
    ]
    await world.mod.click(message, label="Previous")
    again = world.env.backend.get_message(message.channel.id, message.id)
    assert f"Page 1 of {pages}" in again.embeds[0]["footer"]["text"]


def buttons(message) -> list[tuple[str, str, bool]]:
    """(label, custom id, disabled) of each button on a message as the bot sees it."""
    return [(button.label, button.custom_id, button.disabled) for row in message.components for button in row.children]


async def test_list_pages_after_a_restart_keeping_the_theme(world: World) -> None:
    """The page buttons carry the page and theme: they still work after a restart, and stop at the last page."""
    await seed(world)
    extra = "\n".join(f"What did identity mean to you at age {age}, looking back?" for age in range(10, 16))
    await world.mod.slash(world.general, "prompts import", file=("more.txt", extra.encode()), theme="identity")
    identity = [p for p in await bank(world) if p.theme == "identity"]
    assert len(identity) > 10
    result = await world.mod.slash(world.general, "prompts list", theme="identity")
    message = result.response.message
    pages = -(-len(identity) // 10)  # the calendar's identity prompts are in the bank too
    assert result.response.embeds[0].footer.text == f"Page 1 of {pages} · {len(identity)} prompts"
    await world.restart()
    await world.mod.click(message, custom_id="prompts:pg:1:identity")
    second = world.env.backend.get_message(message.channel.id, message.id)
    assert second.embeds[0]["footer"]["text"] == f"Page 2 of {pages} · {len(identity)} prompts"
    assert f"`#{identity[10].id}`" in second.embeds[0]["description"]
    for page in range(2, pages):
        await world.mod.click(message, custom_id=f"prompts:pg:{page}:identity")
    assert buttons(result.response.message) == [
        ("Previous", f"prompts:pg:{pages - 2}:identity", False),
        ("Next", f"prompts:pg:{pages}:identity", True),
    ]


async def test_list_filters_by_theme(world: World) -> None:
    """With a theme, only that theme's prompts are listed."""
    seeded = await seed(world)
    result = await world.mod.slash(world.general, "prompts list", theme="career")
    careers = [p for p in seeded if p.theme == "career"]
    assert result.response.embeds[0].footer.text == f"Page 1 of 1 · {len(careers)} prompts"


async def test_remove_deletes_the_prompt_and_logs_it(world: World) -> None:
    """A removed prompt leaves the bank and the mod-log names it."""
    target = (await seed(world))[3]
    choices = await world.mod.autocomplete(world.general, "prompts remove", "prompt", str(target.id))
    assert target.id in [c["value"] for c in choices]
    result = await world.mod.slash(world.general, "prompts remove", prompt=target.id)
    assert_responded(result, contains=f"Removed prompt #{target.id}", ephemeral=True)
    assert target.id not in {p.id for p in await bank(world)}
    assert world.modlog.history()[-1].embeds[0].title == "Prompt removed"


async def test_prompt_autocomplete_takes_percent_and_underscore_as_typed(world: World) -> None:
    """A `%` or `_` typed into the prompt list is that character, not a wildcard matching every prompt."""
    await seed(world)
    await add(world, "What share of your family speaks a heritage language: 10%, 50%, 100%?", "culture")
    [added] = [p for p in await bank(world) if "%" in p.text]

    async def offered(typed: str) -> list[int]:
        return [c["value"] for c in await world.mod.autocomplete(world.general, "prompts remove", "prompt", typed)]

    assert await offered("%") == [added.id]
    assert await offered("0%") == [added.id]
    assert await offered("_") == []
    assert await offered("HERITAGE LANGUAGE: 10") == [added.id]


async def test_remove_unknown_prompt_says_so(world: World) -> None:
    """Removing a number that isn't in the bank changes nothing."""
    before = len(await seed(world))
    result = await world.mod.slash(world.general, "prompts remove", prompt=99999)
    assert_responded(result, contains="I can't find a prompt numbered `#99999`", ephemeral=True)
    assert_error(world.env, NotFound)
    assert len(await bank(world)) == before


async def test_members_cannot_see_prompts_but_can_see_prompt(world: World) -> None:
    """/prompts is for moderators only; /prompt is for everyone."""
    visible = world.alice.available_commands(world.general)
    assert not [name for name in visible if name.startswith("prompts")]
    assert {"prompt suggest", "prompt random"} <= set(visible)
    assert "prompts schedule" in world.mod.available_commands(world.general)
    with pytest.raises(SetupError):
        await world.alice.slash(world.general, "prompts list")
    async with world.bot.db.read() as session:
        assert (await session.execute(select(func.count(Prompt.id)))).scalar_one() == 0
