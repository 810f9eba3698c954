"""/resource search finds what a member means: plurals, accents, Vietnamese without its marks, Chinese,
Japanese and Korean words inside unspaced titles, mixed scripts, and the best match among hundreds.

Run on PostgreSQL too (LANTERN_TEST_BACKEND=postgres): both backends index the same folded terms.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from alembic import command
from sqlalchemy import select, text

from core.search_text import parse_query
from storage import Database
from storage import resources as store
from storage.migrate import alembic_config, upgrade_to_head
from storage.models.resources import Resource
from tests.conftest import World

LIBRARY = [
    ("https://example.org/family", "Family stories from Penang", "", "community"),
    ("https://example.org/gia-dinh", "Gia đình là tất cả", "Vietnamese family traditions", "vietnamese"),
    ("https://example.org/tieng-viet", "Learn tieng Viet with your parents", "", "language"),
    ("https://example.org/kazoku", "家族の話", "A family story in Japanese", "japanese"),
    ("https://example.org/nihongo", "はじめての日本語", "", "japanese"),
    ("https://example.org/hangugeo", "한국어를 잊어버린 아이들", "Children who forgot Korean", "korean"),
    ("https://example.org/cafe", "Café Hapa", "A meeting place", "events"),
    ("https://example.org/hapa-kazoku", "Hapa 家族 photo essays", "", "photos"),
    ("https://example.org/aunties", "Ask the aunties", "", "advice"),
    ("https://example.org/tea", "茶道入門", "Tea ceremony basics", "japanese"),
]


def library_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["url", "title", "description", "tags"])
    writer.writerows(rows)
    return out.getvalue().encode()


async def import_rows(world: World, rows: list[tuple[str, str, str, str]]) -> None:
    await world.mod.slash(world.general, "resources import", file=("library.csv", library_csv(rows)))


def titles(result: Any) -> list[str]:
    if not result.response.embeds:
        return []
    description = result.response.embeds[0].description
    return [line.split("**[")[1].split("](")[0] for line in description.split("\n") if line.startswith("**[")]


async def search(world: World, query: str) -> list[str]:
    return titles(await world.alice.slash(world.general, "resource search", query=query))


async def test_a_plural_finds_the_singular_and_back(world: World) -> None:
    """`families` finds a title saying `Family`; `auntie` finds `aunties`."""
    await import_rows(world, LIBRARY)
    assert await search(world, "families") == ["Family stories from Penang", "家族の話", "Gia đình là tất cả"]
    assert await search(world, "auntie") == ["Ask the aunties"]


async def test_vietnamese_is_found_with_or_without_its_diacritics(world: World) -> None:
    """`gia dinh` finds `Gia đình`, and `tiếng Việt` finds a title typed without marks."""
    await import_rows(world, LIBRARY)
    assert await search(world, "gia dinh") == ["Gia đình là tất cả"]
    assert await search(world, "Gia Đình") == ["Gia đình là tất cả"]
    assert await search(world, "tiếng Việt") == ["Learn tieng Viet with your parents"]


async def test_accents_do_not_matter(world: World) -> None:
    """`cafe` finds `Café Hapa`; full-width letters are the same letters."""
    await import_rows(world, LIBRARY)
    assert await search(world, "cafe") == ["Café Hapa"]
    assert await search(world, "ＣＡＦＥ") == ["Café Hapa"]


async def test_a_chinese_or_japanese_word_is_found_inside_an_unspaced_title(world: World) -> None:
    """`家族` finds `家族の話`, `日本語` finds `はじめての日本語`, one character finds `茶道入門`."""
    await import_rows(world, LIBRARY)
    assert await search(world, "家族") == ["家族の話", "Hapa 家族 photo essays"]
    assert await search(world, "日本語") == ["はじめての日本語"]
    assert await search(world, "茶") == ["茶道入門"]
    assert await search(world, "族の") == ["家族の話"]


async def test_a_korean_word_is_found_with_its_particle_attached(world: World) -> None:
    """`한국어` finds `한국어를 …` (the object particle is written onto the word)."""
    await import_rows(world, LIBRARY)
    assert await search(world, "한국어") == ["한국어를 잊어버린 아이들"]


async def test_a_query_mixing_scripts_needs_both(world: World) -> None:
    """`hapa 家族` finds the title holding both, not the ones holding one of them."""
    await import_rows(world, LIBRARY)
    assert await search(world, "hapa 家族") == ["Hapa 家族 photo essays"]


async def test_an_old_title_match_outranks_hundreds_of_newer_mentions(world: World) -> None:
    """The oldest resource is titled with the words; 300 newer ones only mention them: it comes first."""
    rows = [("https://example.org/the-one", "Mixed family stories", "", "")]
    rows += [
        (f"https://example.org/mention-{i}", f"Notes {i}", "Some mixed family stories and more", "") for i in range(300)
    ]
    await import_rows(world, rows)
    assert (await search(world, "mixed family stories"))[0] == "Mixed family stories"


async def test_search_finds_nothing_for_a_near_miss(world: World) -> None:
    """`日本語` is not `日本` with something else after it, and `cafeteria` is not `café`."""
    await import_rows(world, [*LIBRARY, ("https://example.org/ryouri", "日本の料理", "", "")])
    assert await search(world, "日本語") == ["はじめての日本語"]
    result = await world.alice.slash(world.general, "resource search", query="cafeteria")
    assert "I found nothing for `cafeteria`" in (result.response.content or "")


async def test_resources_stored_before_the_upgrade_are_found_after_it(empty_db_url: str) -> None:
    """Migration 0804 indexes the rows already in the library, on either backend."""
    database = Database(empty_db_url)
    database.prepare()
    try:

        def to_0600(connection: Any) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "0600")

        async with database.writer.connect() as connection:
            await connection.run_sync(to_0600)
            await connection.execute(
                text(
                    "INSERT INTO resources (id, guild_id, url, canonical_url, title, description, themes, tags, "
                    "status, helped_count, saved_count, created_at) VALUES (1, 42, 'https://e.org/1', "
                    "'https://e.org/1', '家族の話', 'Gia đình', '', 'families', 'approved', 0, 0, CURRENT_TIMESTAMP)"
                )
            )
            await connection.commit()
        await upgrade_to_head(database)
        async with database.read() as session:
            for query in ("家族", "gia dinh", "family"):
                found = await store.search(session, 42, parse_query(query))
                assert [row.id for row in found] == [1], query
    finally:
        await database.dispose()


async def test_a_title_edited_through_the_models_is_searched_as_edited(world: World) -> None:
    """Changing a stored title re-indexes it: the new words are found, the old ones no longer."""
    await import_rows(world, LIBRARY)
    async with world.bot.db.write() as session:
        resource = (await session.scalars(select(Resource).where(Resource.title == "Café Hapa"))).one()
        resource.title = "家族 Café"
    assert await search(world, "cafe") == ["家族 Café"]
    assert "家族 Café" in await search(world, "家族")
    assert await search(world, "hapa") == ["Hapa 家族 photo essays"]


async def test_theme_and_tag_filters_together_keep_only_resources_with_both(world: World) -> None:
    """A theme and a tag narrow a search to the resources carrying both."""
    data = (
        "url,title,themes,tags\n"
        "https://example.org/a,家族 stories one,identity,books\n"
        "https://example.org/b,家族 stories two,identity,podcast\n"
        "https://example.org/c,家族 stories three,career,books\n"
    )
    await world.mod.slash(world.general, "resources import", file=("both.csv", data.encode()))
    result = await world.alice.slash(world.general, "resource search", query="家族", theme="identity", tag="books")
    assert titles(result) == ["家族 stories one"]
