"""`/intro find`'s tag autocomplete in a guild of 80,000 intros, on SQLite and (with --postgres) PostgreSQL.

    .venv/bin/python -m bench.intro_tags [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--before]

Builds a scratch database (a SQLite file; on PostgreSQL a database dropped afterwards), migrated to head, with one
guild of 80,000 intros carrying two of 65 heritage tags each (80 % discoverable) beside 8 guilds of 1,000, and the
kept counts filled as migration 0818 fills them. Times `storage.intros.tag_counts` (25 calls after 5) with nothing
typed, a few letters, and letters no tag holds, and prints the median and the slowest in ms. `--before` also times
the query it ran before 0818 (every tag row counted, each looking up its intro). Figures: docs/scale.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, text

from bench.scratch import create_postgres, migrate
from storage import Database
from storage.intros import HERITAGE, tag_counts
from storage.models.intros import Intro, IntroTag

TAGS = [f"heritage {i}" for i in range(60)] + ["japanese", "filipino", "chinese", "korean", "vietnamese"]
FILL_COUNTS = (
    "INSERT INTO intro_tag_counts (guild_id, kind, tag, members) SELECT intro_tags.guild_id, intro_tags.kind, "
    "intro_tags.tag, count(*) FROM intro_tags JOIN intros ON intros.id = intro_tags.intro_id WHERE intros.discoverable "
    "GROUP BY intro_tags.guild_id, intro_tags.kind, intro_tags.tag"
)


async def fill(database: Database) -> None:
    rng = random.Random(1)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    intros, tags = [], []
    for guild, count in [(1, 80_000)] + [(100 + g, 1_000) for g in range(8)]:
        for _ in range(count):
            intro_id = len(intros) + 1
            user_id = 10_000_000 + intro_id
            intros.append(
                {
                    "id": intro_id,
                    "guild_id": guild,
                    "user_id": user_id,
                    "name": "x",
                    "heritages": "h",
                    "story": "s",
                    "discoverable": rng.random() < 0.8,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            tags += [
                {"intro_id": intro_id, "kind": HERITAGE, "tag": tag, "guild_id": guild, "user_id": user_id}
                for tag in rng.sample(TAGS, 2)
            ]
    async with database.write() as session:
        for start in range(0, len(intros), 5_000):
            await session.execute(insert(Intro), intros[start : start + 5_000])
        for start in range(0, len(tags), 5_000):
            await session.execute(insert(IntroTag), tags[start : start + 5_000])
        await session.execute(text(FILL_COUNTS))


async def before(database: Database, guild_id: int, typed: str) -> list[tuple[str, int]]:
    """The query `tag_counts` ran before migration 0818."""
    query = (
        select(IntroTag.tag, func.count())
        .join(Intro, Intro.id == IntroTag.intro_id)
        .where(IntroTag.guild_id == guild_id, IntroTag.kind == HERITAGE, Intro.discoverable.is_(True))
        .group_by(IntroTag.tag)
        .order_by(func.count().desc(), IntroTag.tag)
        .limit(25)
    )
    if typed:
        query = query.where(IntroTag.tag.contains(typed, autoescape=True))
    async with database.read() as session:
        return [(tag, count) for tag, count in await session.execute(query)]


async def now_(database: Database, guild_id: int, typed: str) -> list[tuple[str, int]]:
    async with database.read() as session:
        return await tag_counts(session, guild_id, HERITAGE, typed)


async def timed(read: Callable[[], Awaitable[object]], reps: int) -> tuple[float, float]:
    times = []
    for index in range(reps + 5):
        started = time.perf_counter()
        await read()
        if index >= 5:
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


async def run(url: str, label: str, reps: int, compare: bool) -> None:
    await migrate(url)
    database = Database(url)
    database.prepare()
    try:
        await fill(database)
        print(f"{label}:")
        for name, guild, typed in [
            ("80,000 intros, nothing typed", 1, ""),
            ("80,000 intros, 'jap' typed", 1, "jap"),
            ("80,000 intros, 'zzz' typed", 1, "zzz"),
            ("1,000 intros, nothing typed", 100, ""),
        ]:
            assert await now_(database, guild, typed) == await before(database, guild, typed)
            ways = [("kept counts", now_), *([("before 0818", before)] if compare else [])]
            for way, read in ways:
                median, slowest = await timed(lambda r=read, g=guild, t=typed: r(database, g, t), reps)
                print(f"  {name}, {way}: median {median:.1f} ms, slowest {slowest:.1f} ms")
    finally:
        await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", help="also on a scratch database of this PostgreSQL server")
    parser.add_argument("--before", action="store_true", help="also time the query used before migration 0818")
    parser.add_argument("--reps", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        await run(f"sqlite+aiosqlite:///{folder}/bench.db", "SQLite", args.reps, args.before)
    if args.postgres:
        url, drop = await create_postgres(args.postgres)
        try:
            await run(url, "PostgreSQL", args.reps, args.before)
        finally:
            await drop()


if __name__ == "__main__":
    asyncio.run(main())
