"""Searching, browsing, importing and exporting the resource library; privacy of what members shared."""

from __future__ import annotations

import csv
import io
import json

from simcord import assert_error, assert_responded
from sqlalchemy import select

from core.errors import InvalidInput
from storage.models.resources import Resource, ResourceVote
from tests.conftest import World

LIBRARY_CSV = """url,title,description,themes,tags
https://example.org/hapa-handbook,The Hapa Handbook,A guide to mixed identity for teens,identity,"books, teens"
https://example.org/career-notes,Career notes for mixed kids,Interviews about identity at work,career,careers
https://example.org/recipes,Lola's recipes,Family cooking from Pampanga,culture,"food, tagalog"
https://example.org/podcast,Halfie podcast,Weekly conversations,"identity, community",podcast
"""


async def rows(world: World) -> list[Resource]:
    async with world.bot.db.read() as session:
        return list(await session.scalars(select(Resource).order_by(Resource.id)))


async def import_file(world: World, name: str, data: str | bytes, guild_member=None):
    payload = data.encode() if isinstance(data, str) else data
    return await (guild_member or world.mod).slash(world.general, "resources import", file=(name, payload))


def titles(result) -> list[str]:
    description = result.response.embeds[0].description
    return [line.split("**[")[1].split("](")[0] for line in description.split("\n") if line.startswith("**[")]


# Search ---------------------------------------------------------------------------------------


async def test_search_ranks_title_matches_above_description_matches(world: World) -> None:
    """'identity' in a title outranks 'identity' in a description; results are ephemeral."""
    await import_file(world, "library.csv", LIBRARY_CSV.replace("The Hapa Handbook", "The Identity Handbook"))
    result = await world.alice.slash(world.general, "resource search", query="identity")
    assert result.ephemeral
    assert titles(result) == ["The Identity Handbook", "Career notes for mixed kids"]


async def test_a_link_cannot_end_its_search_entry_early_and_show_a_link_of_its_own(world: World) -> None:
    """A member shares `…/x)[Verify](https://evil…)`: search and browse show one link, the title's, whose target
    holds all of it escaped; no text of the member's reads as a link of Lantern's. A row stored before links were
    written as URIs (square brackets as typed) is shown the same way."""
    await world.mod.slash(world.general, "setup options", review_resources=False)
    hostile = "https://example.org/x)[Verify](https://evil.example/login"
    await world.alice.slash(world.general, "resource share", url=hostile, title="Being hapa")
    safe = "**[Being hapa](https://example.org/x%29%5BVerify%5D%28https://evil.example/login)** · #1"
    search = await world.bob.slash(world.general, "resource search", query="hapa")
    browse = await world.bob.slash(world.general, "resource browse")
    assert search.response.embeds[0].description.split("\n")[0] == safe
    assert browse.response.embeds[0].description.split("\n")[0] == safe
    async with world.bot.db.write() as session:
        (await session.scalars(select(Resource))).one().url = hostile  # as an older row holds it
    search = await world.bob.slash(world.general, "resource search", query="hapa")
    assert search.response.embeds[0].description.split("\n")[0] == safe


async def test_search_matches_tags_and_every_word(world: World) -> None:
    """Tags are searched; several words must all match when some resource has them all."""
    await import_file(world, "library.csv", LIBRARY_CSV)
    result = await world.alice.slash(world.general, "resource search", query="tagalog food")
    assert titles(result) == ["Lola's recipes"]


async def test_search_filters_by_theme_and_tag(world: World) -> None:
    """A theme or tag filter keeps only resources carrying it."""
    await import_file(world, "library.csv", LIBRARY_CSV)
    by_theme = await world.alice.slash(world.general, "resource search", query="identity", theme="career")
    assert titles(by_theme) == ["Career notes for mixed kids"]
    by_tag = await world.alice.slash(world.general, "resource search", query="identity", tag="Books")
    assert titles(by_tag) == ["The Hapa Handbook"]


async def test_search_is_scoped_to_the_guild(world: World) -> None:
    """Another server's resources never show up."""
    await import_file(world, "library.csv", LIBRARY_CSV)
    other = world.env.create_guild("Elsewhere")
    channel = other.create_text_channel("general")
    stranger = other.add_member(world.env.create_user("stranger"))
    await world.env.settle()
    result = await stranger.slash(channel, "resource search", query="identity")
    assert_responded(result, contains="I found nothing for `identity`", ephemeral=True)


async def test_no_results_suggest_browsing_by_theme(world: World) -> None:
    """An unmatched search suggests /resource browse."""
    await import_file(world, "library.csv", LIBRARY_CSV)
    result = await world.alice.slash(world.general, "resource search", query="astronomy")
    assert_responded(result, contains="`/resource browse theme:`", ephemeral=True)


async def test_search_operators_typed_by_a_member_are_just_words(world: World) -> None:
    """FTS syntax in a query is not interpreted (no error, no other guild)."""
    await import_file(world, "library.csv", LIBRARY_CSV)
    result = await world.alice.slash(world.general, "resource search", query='hapa" OR scope:* NEAR(')
    assert titles(result) == ["The Hapa Handbook"]


async def test_results_are_paginated_with_buttons(world: World) -> None:
    """Twelve matches show five per page; Next and Previous move between pages; the ends are disabled."""
    lines = ["url,title"] + [f"https://example.org/story-{i},Story {i} of belonging" for i in range(12)]
    await import_file(world, "stories.csv", "\n".join(lines))
    result = await world.alice.slash(world.general, "resource search", query="belonging")
    first = titles(result)
    assert len(first) == 5
    assert buttons(result.response.message) == [
        ("Previous", "res:pg:search:0:-:-:new", True),
        ("Next", "res:pg:search:1:-:-:new", False),
    ]
    await world.alice.click(result.response, custom_id="res:pg:search:1:-:-:new")
    await world.alice.click(result.response, custom_id="res:pg:search:2:-:-:new")
    third = result.response.message  # the ephemeral message, edited in place
    assert third.embeds[0].footer.text == "Page 3"
    assert len(titles_of(third)) == 2
    assert buttons(third) == [
        ("Previous", "res:pg:search:1:-:-:new", False),
        ("Next", "res:pg:search:3:-:-:new", True),
    ]
    await world.alice.click(result.response, label="Previous")
    assert result.response.message.embeds[0].footer.text == "Page 2"
    seen = set(first) | set(titles_of(third)) | set(titles_of(result.response.message))
    assert len(seen) == 12


async def test_search_pages_after_a_restart_with_its_filters(world: World) -> None:
    """The query is read back from the results, the tag filter from the button: paging survives a restart."""
    lines = ["url,title,tags"] + [
        f"https://example.org/story-{i},Story {i} of belonging,{'books' if i % 2 else 'podcast'}" for i in range(14)
    ]
    await import_file(world, "stories.csv", "\n".join(lines))
    result = await world.alice.slash(world.general, "resource search", query="belonging", tag="Books")
    assert result.response.embeds[0].title == "Results for “belonging”"
    first = titles(result)
    await world.restart()
    await world.alice.click(result.response, custom_id="res:pg:search:1:-:books:new")
    second = result.response.message
    assert second.embeds[0].footer.text == "Page 2"
    assert len(titles_of(second)) == 2  # seven tagged books
    assert set(first).isdisjoint(titles_of(second))
    assert all(int(title.split()[1]) % 2 for title in first + titles_of(second))
    assert buttons(second)[1] == ("Next", "res:pg:search:2:-:books:new", True)


async def test_browse_pages_after_a_restart_keeping_theme_and_sort(world: World) -> None:
    """Browse's theme and sort live in the button's custom id (well under 100 characters)."""
    lines = ["url,title,themes"] + [f"https://example.org/read-{i},Read {i},identity" for i in range(6)]
    lines.append("https://example.org/career,Career read,career")
    await import_file(world, "reads.csv", "\n".join(lines))
    result = await world.alice.slash(world.general, "resource browse", theme="identity", sort="most helpful")
    assert result.response.embeds[0].title == "The library · Identity exploration · most helpful"
    [_, (label, custom_id, disabled)] = buttons(result.response.message)
    assert (label, custom_id, disabled) == ("Next", "res:pg:browse:1:identity:-:top", False)
    first = titles(result)
    await world.restart()
    await world.alice.click(result.response, custom_id=custom_id)
    second = result.response.message
    assert second.embeds[0].footer.text == "Page 2"
    assert second.embeds[0].title == "The library · Identity exploration · most helpful"
    assert len(titles_of(second)) == 1 and not set(first) & set(titles_of(second))
    assert "Career read" not in first + titles_of(second)


def buttons(message) -> list[tuple[str, str, bool]]:
    """(label, custom id, disabled) of each button on a message."""
    return [(button.label, button.custom_id, button.disabled) for row in message.components for button in row.children]


def titles_of(message) -> list[str]:
    description = message.embeds[0].description
    return [line.split("**[")[1].split("](")[0] for line in description.split("\n") if line.startswith("**[")]


# Browse ---------------------------------------------------------------------------------------


async def test_browse_by_theme_newest_or_most_helpful(world: World) -> None:
    """Browsing a theme lists its resources; 'most helpful' puts the most-helped first."""
    await world.mod.slash(world.general, "setup options", review_resources=False)
    for path, title in (("a", "First identity read"), ("b", "Second identity read")):
        await world.alice.slash(
            world.general, "resource share", url=f"https://example.org/{path}", title=title, themes="identity"
        )
    await world.bob.click(world.resources.history()[0], label="Helped me (0)")
    newest = await world.alice.slash(world.general, "resource browse", theme="identity")
    assert titles(newest) == ["Second identity read", "First identity read"]
    helpful = await world.alice.slash(world.general, "resource browse", theme="identity", sort="most helpful")
    assert titles(helpful) == ["First identity read", "Second identity read"]
    other = await world.alice.slash(world.general, "resource browse", theme="career")
    assert_responded(other, contains="Nothing here yet", ephemeral=True)


# Import and export ------------------------------------------------------------------------------


async def test_import_reports_added_duplicates_and_rejected_rows(world: World) -> None:
    """Good rows are added; duplicates (after canonicalisation) and bad rows are reported with reasons."""
    await import_file(world, "library.csv", LIBRARY_CSV)
    bad = (
        "url,title,description,themes,tags\n"
        "https://EXAMPLE.org/hapa-handbook/?utm_source=x,Same handbook,,,\n"
        "javascript:alert(1),Evil,,,\n"
        "https://example.org/new,,,,\n"
        f"https://example.org/long,{'x' * 151},,,\n"
        "https://example.org/astro,Stars,,astrology,\n"
        "https://example.org/fresh,Fresh read,,growth,\n"
        "https://example.org/fresh#again,Fresh again,,,\n"
    )
    result = await import_file(world, "more.csv", bad)
    text = result.response.content
    assert "1 resource added, 2 duplicates skipped, 4 rejected" in text
    assert "line 3: The link `javascript:alert(1)` is a `javascript:` link" in text
    assert "line 4: The title is empty" in text
    assert "line 5: The title is 151 characters long; the limit is 150" in text
    assert "line 6: The theme `astrology` isn't one of this server's themes" in text
    stored = await rows(world)
    assert len(stored) == 5
    assert stored[-1].title == "Fresh read" and stored[-1].status == "approved"


async def test_import_of_json_and_of_a_wrong_file_type(world: World) -> None:
    """A JSON list is imported; a .txt file is refused with a reason and nothing is added."""
    data = json.dumps([{"url": "https://example.org/j", "title": "From JSON", "tags": ["a", "b"]}])
    result = await import_file(world, "library.json", data)
    assert "1 resource added" in result.response.content
    result = await import_file(world, "notes.txt", "hello")
    assert "isn't a .csv or .json file" in result.response.content
    assert_error(world.env, InvalidInput)
    assert [r.tags for r in await rows(world)] == ["a,b"]


async def test_export_then_import_into_another_guild_gives_the_same_rows(world: World) -> None:
    """The exported CSV imported after deleting everything recreates the same library."""
    await import_file(world, "library.csv", LIBRARY_CSV)
    exported = await world.mod.slash(world.general, "resources export")
    assert_responded(exported, contains="4 resources", ephemeral=True)
    data = await exported.response.attachments[0].read()
    before = list(csv.reader(io.StringIO(data.decode())))
    assert before[0] == ["url", "title", "description", "themes", "tags"]
    for resource in await rows(world):
        await world.mod.slash(world.general, "resources remove", resource=resource.id)
    assert await rows(world) == []
    result = await import_file(world, "resources.csv", data)
    assert "4 resources added, 0 duplicates skipped, 0 rejected" in result.response.content
    again = await world.mod.slash(world.general, "resources export")
    after = list(csv.reader(io.StringIO((await again.response.attachments[0].read()).decode())))
    assert after == before


# Privacy ----------------------------------------------------------------------------------------


async def test_privacy_delete_keeps_approved_resources_anonymously(world: World) -> None:
    """Deleting a member's data removes their votes and pending shares and anonymises approved ones."""
    await world.mod.slash(world.general, "setup options", review_resources=False)
    await world.alice.slash(world.general, "resource share", url="https://example.org/kept", title="Kept")
    await world.bob.click(world.resources.last_message, label="Save (0)")
    await world.alice.click(world.resources.last_message, label="Helped me (0)")
    await world.mod.slash(world.general, "setup options", review_resources=True)
    await world.alice.slash(world.general, "resource share", url="https://example.org/waiting", title="Waiting")
    provider = world.bot.privacy.providers["Resources"]
    async with world.bot.db.read() as session:
        exported = await provider.export(session, world.guild.id, world.alice.id)
    assert [s["title"] for s in exported["shared"]] == ["Kept", "Waiting"]
    assert [h["title"] for h in exported["helped_me"]] == ["Kept"]
    async with world.bot.db.write() as session:
        await provider.delete(session, world.guild.id, world.alice.id)
    [kept] = await rows(world)
    assert (kept.title, kept.submitter_id, kept.helped_count, kept.saved_count) == ("Kept", None, 0, 1)
    async with world.bot.db.read() as session:
        voters = list(await session.scalars(select(ResourceVote.user_id)))
    assert voters == [world.bob.id]
