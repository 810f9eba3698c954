"""Benchmark: resource search over 100,000 resources in one SQLite file.

    python -m bench.search [--rows 100000] [--guilds 10] [--queries 3000] [--db PATH] [--rebuild]

Builds (once) a database with Lantern's migrations, one large guild holding most rows and several
small ones, text drawn from a Zipf-like vocabulary so that some words are very common; then times
`storage.resources.search` (the function /resource search calls), each query in its own read
session, and prints p50/p95/p99 latency overall and per kind of query.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from core.search_text import index_text, parse_query
from storage import Database
from storage import resources as store
from storage.migrate import upgrade_to_head

COMMON = ["identity", "mixed", "heritage", "family", "guide", "community", "culture", "stories", "asian", "language"]
MEDIUM = ["career", "mentor", "podcast", "recipes", "tagalog", "japanese", "korean", "belonging", "parents", "school"]
RARE = [f"word{i}" for i in range(5000)]
THEMES = ["identity", "career", "culture", "community", "support", "growth"]
BIG_GUILD = 1_000_000_000_000_000_001


def words(rng: random.Random, count: int) -> str:
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.30:
            out.append(rng.choice(COMMON))
        elif roll < 0.45:
            out.append(rng.choice(MEDIUM))
        else:
            out.append(rng.choice(RARE[: 200 + int(rng.paretovariate(1.2) * 50) % 4800]))
    return " ".join(out)


def build(path: Path, rows: int, guilds: int) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}")
    database.prepare()

    async def migrate() -> None:
        try:
            await upgrade_to_head(database)
        finally:
            await database.dispose()

    asyncio.run(migrate())
    rng = random.Random(7)
    small = [BIG_GUILD + i for i in range(1, guilds)]
    now = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None).isoformat(sep=" ")
    connection = sqlite3.connect(path)
    with connection:
        batch, labels = [], []
        for i in range(1, rows + 1):
            guild = BIG_GUILD if rng.random() < 0.82 or not small else rng.choice(small)
            theme = rng.choice(THEMES)
            tags = ",".join(sorted({rng.choice(MEDIUM), rng.choice(COMMON)}))
            title, description = words(rng, rng.randint(3, 9)), words(rng, rng.randint(10, 60))
            batch.append(
                (
                    i,
                    guild,
                    f"https://example.org/r/{i}",
                    f"https://example.org/r/{i}",
                    title,
                    description,
                    theme,
                    tags,
                    "approved",
                    now,
                    now,
                    index_text(title),
                    index_text(tags),
                    index_text(description),
                )
            )
            labels.append((i, guild, "theme", theme))
        connection.executemany(
            "INSERT INTO resources (id, guild_id, url, canonical_url, title, description, themes, tags, status, "
            "created_at, approved_at, search_title, search_tags, search_description, helped_count, saved_count) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,0)",
            batch,
        )
        connection.executemany(
            "INSERT INTO resource_labels (resource_id, guild_id, kind, value) VALUES (?,?,?,?)", labels
        )
    connection.execute("INSERT INTO resources_fts (resources_fts) VALUES ('optimize')")
    connection.commit()
    connection.close()


def queries(rng: random.Random, count: int, guilds: int) -> list[tuple[str, int, str, str | None]]:
    small = [BIG_GUILD + i for i in range(1, guilds)] or [BIG_GUILD]
    kinds = [
        ("common word, large guild", lambda: (BIG_GUILD, rng.choice(COMMON), None)),
        ("two common words, large guild", lambda: (BIG_GUILD, " ".join(rng.sample(COMMON, 2)), None)),
        ("common word + theme, large guild", lambda: (BIG_GUILD, rng.choice(COMMON), rng.choice(THEMES))),
        ("medium word, large guild", lambda: (BIG_GUILD, rng.choice(MEDIUM), None)),
        ("rare word, large guild", lambda: (BIG_GUILD, rng.choice(RARE[:2000]), None)),
        ("no match (falls back to any word)", lambda: (BIG_GUILD, f"zzz{rng.randint(0, 99)} qqq", None)),
        ("common word, small guild", lambda: (rng.choice(small), rng.choice(COMMON), None)),
        ("mixed words, small guild", lambda: (rng.choice(small), f"{rng.choice(MEDIUM)} {rng.choice(COMMON)}", None)),
    ]
    out = []
    for _ in range(count):
        name, make = rng.choice(kinds)
        guild, text, theme = make()
        out.append((name, guild, text, theme))
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(path: Path, count: int, guilds: int) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}")
    rng = random.Random(11)
    plan = queries(rng, count, guilds)
    timings: dict[str, list[float]] = {}
    try:
        for _name, guild, text, theme in plan[:200]:  # warm the page cache and the pool
            async with database.read() as session:
                await store.search(session, guild, parse_query(text), theme=theme)
        for name, guild, text, theme in plan:
            started = time.perf_counter()
            async with database.read() as session:
                await store.search(session, guild, parse_query(text), theme=theme)
            timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    finally:
        await database.dispose()
    every = [t for values in timings.values() for t in values]
    print(f"{'query kind':40} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, values in [*sorted(timings.items()), ("ALL", every)]:
        print(
            f"{name:40} {len(values):5d} {statistics.median(values):8.2f} {percentile(values, 95):8.2f} "
            f"{percentile(values, 99):8.2f} {max(values):8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--guilds", type=int, default=10)
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/lantern-bench-search.db"))
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild or not args.db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        build(args.db, args.rows, args.guilds)
        print(f"built {args.rows} resources in {args.guilds} guilds in {time.perf_counter() - started:.1f} s")
    print(f"candidates ranked per query: {store.SEARCH_CANDIDATES}; results returned: {store.SEARCH_LIMIT}")
    asyncio.run(run(args.db, args.queries, args.guilds))


if __name__ == "__main__":
    main()
