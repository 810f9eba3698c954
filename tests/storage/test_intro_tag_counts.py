"""`/intro find`'s tag autocomplete reads kept counts (storage/intros.py `_count_tags`, migration 0818): after any mix
of saves, tag changes, discoverability switched either way, refused cards and erasures, on either backend, the counts
are exactly what counting every tag row of the discoverable intros gives, and no count of 0 is kept."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from storage import Database, intros
from storage.migrate import alembic_config, upgrade_to_head
from storage.models.intros import Intro, IntroTag, IntroTagCount

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
HERITAGES = ["japanese", "filipino", "korean", "hmong", "ainu"]
LANGUAGES = ["english", "tagalog", "korean"]
THEMES = ["career", "culture", "identity", "growth"]
TEXT = {"name": "A", "heritages": "", "languages": "", "location": "", "story": "hello"}


async def recount(database: Database) -> dict[tuple[int, str, str], int]:
    """Every (guild, kind, tag) of the discoverable intros, counted row by row (what the autocomplete did before)."""
    async with database.read() as session:
        rows = await session.execute(
            select(IntroTag.guild_id, IntroTag.kind, IntroTag.tag, func.count())
            .join(Intro, Intro.id == IntroTag.intro_id)
            .where(Intro.discoverable.is_(True))
            .group_by(IntroTag.guild_id, IntroTag.kind, IntroTag.tag)
        )
        return {(guild, kind, tag): count for guild, kind, tag, count in rows}


async def kept(database: Database) -> dict[tuple[int, str, str], int]:
    async with database.read() as session:
        rows = await session.execute(
            select(IntroTagCount.guild_id, IntroTagCount.kind, IntroTagCount.tag, IntroTagCount.members)
        )
        return {(guild, kind, tag): members for guild, kind, tag, members in rows}


async def test_kept_counts_equal_a_recount_after_every_change(two_databases: tuple[Database, Database]) -> None:
    """Two guilds of six members; 150 random steps: a save with another set of tags (through `save_intro` or a
    claim), discoverability switched on or off (or set as it was), another choice of themes (some of them not
    offered, as when a theme is turned off), a created intro whose card was refused and taken away, an erasure.
    After every step the kept counts equal a recount, none is 0, and the autocomplete lists them most used first."""
    database, _ = two_databases
    rng = random.Random(818)
    for step in range(150):
        guild, member = rng.choice([41, 42]), rng.randint(1, 6)
        heritages = rng.sample(HERITAGES, rng.randint(0, 3))
        languages = rng.sample(LANGUAGES, rng.randint(0, 2))
        action = rng.choice(["save", "save", "claim", "discoverable", "discoverable", "themes", "refused", "erase"])
        answers = {
            "guild_id": guild,
            "user_id": member,
            "text": TEXT,
            "heritage_tags": heritages,
            "language_tags": languages,
            "now": NOW,
        }
        async with database.write() as session:
            if action == "save":
                await intros.save_intro(session, **answers, card=intros.CardRef(1, 1000 + member))
            elif action in ("claim", "refused"):
                claim = await intros.claim_intro(session, **answers, token=f"t{step}")
                if action == "refused":
                    await intros.release_claim(session, claim, f"t{step}")
            elif action == "discoverable":
                await intros.set_discoverable(session, guild, member, rng.random() < 0.6)
            elif action == "themes":
                offered = rng.sample(THEMES, 3)
                chosen = rng.sample(offered, rng.randint(0, 3))
                await intros.set_themes(session, guild, member, chosen, offered=offered)
            else:
                await intros.delete_member(session, guild, member)
        counts = await kept(database)
        assert counts == await recount(database), f"step {step} ({action})"
        assert all(members > 0 for members in counts.values())
        async with database.read() as session:
            listed = await intros.tag_counts(session, guild, intros.HERITAGE)
        expected = sorted(
            ((tag, members) for (g, kind, tag), members in counts.items() if g == guild and kind == intros.HERITAGE),
            key=lambda item: (-item[1], item[0]),
        )
        assert listed == expected
    assert await recount(database), "the steps never left a discoverable intro with tags"
    themed = {kind for (_guild, kind, _tag) in await recount(database)}
    assert intros.THEME in themed, "the steps never left a discoverable intro with themes"


async def test_the_migration_counts_the_tags_already_there(db_url: str) -> None:
    """Migration 0818 fills the counts from the intros and tags a database already holds: rows written without the
    counts (as before 0818), then 0818 undone and done again."""
    database = Database(db_url)
    database.prepare()

    def migrate(connection: Connection, down: bool) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, "0817" if down else "heads")

    people = [(41, 1, True, ["japanese", "hmong"]), (41, 2, True, ["japanese"]), (41, 3, False, ["japanese"])]
    try:
        await upgrade_to_head(database)
        async with database.write() as session:
            for guild, member, discoverable, tags in [*people, (42, 1, True, ["japanese"])]:
                intro = Intro(
                    guild_id=guild, user_id=member, name="A", heritages="", story="", created_at=NOW, updated_at=NOW
                )
                intro.discoverable = discoverable
                intro.tags = [IntroTag(guild_id=guild, user_id=member, kind="heritage", tag=tag) for tag in tags]
                session.add(intro)
        assert await kept(database) == {}  # (written around storage.intros: nothing counted)
        for down in (True, False):
            async with database.writer.connect() as connection:
                await connection.run_sync(migrate, down)
                await connection.commit()
        assert await kept(database) == {
            (41, "heritage", "japanese"): 2,
            (41, "heritage", "hmong"): 1,
            (42, "heritage", "japanese"): 1,
        }
        assert await kept(database) == await recount(database)
    finally:
        await database.dispose()


async def test_two_members_swapping_tags_at_once_both_save(
    db_url: str, two_databases: tuple[Database, Database]
) -> None:
    """Two discoverable members save at the same moment, one going from Japanese to Korean and the other the other
    way, twenty times (two `Database` handles, as two processes): every save goes through (no deadlock between the
    counts each one lowers and raises) and the counts equal a recount."""
    first, second = two_databases
    swaps = {1: (["japanese"], ["korean"]), 2: (["korean"], ["japanese"])}

    async def save(database: Database, member: int, heritages: list[str]) -> None:
        async with database.write() as session:
            await intros.save_intro(
                session,
                guild_id=41,
                user_id=member,
                text=TEXT,
                heritage_tags=heritages,
                language_tags=[],
                card=intros.CardRef(1, 1000 + member),
                now=NOW,
            )

    for member, (start, _) in swaps.items():
        await save(first, member, start)
        async with first.write() as session:
            await intros.set_discoverable(session, 41, member, True)
    for turn in range(20):
        await asyncio.gather(
            *(
                save(database, member, tags[(turn + 1) % 2])
                for database, (member, tags) in zip((first, second), swaps.items(), strict=True)
            )
        )
        assert (
            await kept(first)
            == await recount(first)
            == {(41, "heritage", "japanese"): 1, (41, "heritage", "korean"): 1}
        )


async def test_one_member_choosing_themes_twice_at_once(two_databases: tuple[Database, Database]) -> None:
    """The same member's themes chosen from two handles at the same moment (two menus, two processes), twenty
    times: both go through, the themes are one of the two choices, and the counts equal a recount."""
    first, second = two_databases
    async with first.write() as session:
        await intros.save_intro(
            session,
            guild_id=41,
            user_id=1,
            text=TEXT,
            heritage_tags=["ainu"],
            language_tags=[],
            card=intros.CardRef(1, 1001),
            now=NOW,
        )
        await intros.set_discoverable(session, 41, 1, True)
    choices = (["career", "culture"], ["culture", "identity"])

    async def choose(database: Database, themes: list[str]) -> None:
        async with database.write() as session:
            await intros.set_themes(session, 41, 1, themes, offered=THEMES)

    for _turn in range(20):
        await asyncio.gather(
            *(choose(database, themes) for database, themes in zip((first, second), choices, strict=True))
        )
        async with first.read() as session:
            intro = await intros.get_intro(session, 41, 1)
            assert intro is not None
            assert intros.intro_tags(intro, intros.THEME) in [sorted(themes) for themes in choices]
        assert await kept(first) == await recount(first)
