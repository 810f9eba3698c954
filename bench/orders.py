"""Ordered, paged reads of the prompts feature on PostgreSQL, in a large guild beside small ones.

    .venv/bin/python -m bench.orders [--url postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--before]

Builds a scratch database on the server of `--url` (dropped afterwards), migrated to head, with one guild of
80,000 prompts imported in one go (one `created_at`), 60,000 decided suggestions and 134 pending, 60,000 answers
(2,000 pending, the newest), beside 30 guilds of 1,000 prompts each whose rows are interleaved with it. Times
each read through its storage function (25 runs after 5 untimed, so asyncpg's prepared statements have gone
to their generic plan) and prints the median and the slowest in ms. `--before` puts back the indexes that
migrations 0815 and 0816 replaced and drops 0817's, to compare; the lines "window count" time the statement
`prompt_page` ran before (`count(*) OVER ()`) in both modes. The defect and the figures: docs/scale.md,
"Ordered queries on PostgreSQL".
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.scratch import asyncpg_params, create_postgres, migrate
from storage import Database
from storage import prompt_answers as answers
from storage.prompts import bank, suggestions

BIG, SMALL = 1, 105

FILL = [
    # 30 small guilds (1,000 prompts each) before and after the large guild imports 80,000 at once
    """INSERT INTO prompts (guild_id, theme, text, text_key, source, created_at)
    SELECT 100 + g % 30, (ARRAY['family','food','language','holidays'])[1 + g % 4], 'small prompt ' || g, 'sk' || g,
           'default', '2026-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 15000) g""",
    """INSERT INTO prompts (guild_id, theme, text, text_key, source, created_at)
    SELECT 1, (ARRAY['family','food','language','holidays'])[1 + g % 4],
           'imported prompt ' || g || ' about grandmother stories', 'k' || g, 'import', '2026-03-01'
    FROM generate_series(1, 80000) g""",
    """INSERT INTO prompts (guild_id, theme, text, text_key, source, created_at)
    SELECT 100 + g % 30, (ARRAY['family','food','language','holidays'])[1 + g % 4], 'small prompt ' || g, 'sk' || g,
           'default', '2026-04-01'::timestamptz + g * interval '1 minute' FROM generate_series(15001, 30000) g""",
    # suggestions: the decided ones are the older, the pending ones the newest (as a review queue goes)
    """INSERT INTO prompt_suggestions (guild_id, user_id, theme, text, status, created_at)
    SELECT CASE WHEN g % 3 = 0 THEN 100 + g % 30 ELSE 1 END, 1000 + g % 5000, 'family', 'suggestion ' || g,
           CASE WHEN g > 89800 THEN 'pending' ELSE 'approved' END, '2026-02-01'::timestamptz + g * interval '1 second'
    FROM generate_series(1, 90000) g""",
    """INSERT INTO prompt_answers (guild_id, prompt_id, channel_id, message_id, user_id, author_key, text, status,
                                   created_at)
    SELECT CASE WHEN g % 4 = 0 THEN 100 + g % 30 ELSE 1 END, 1 + g % 1000, 5, g,
           CASE WHEN g > 78000 THEN 1000 + g % 5000 END, md5((g % 5000)::text), 'answer ' || g,
           CASE WHEN g > 78000 THEN 'pending' ELSE 'posted' END, '2026-02-01'::timestamptz + g * interval '1 minute'
    FROM generate_series(1, 80000) g""",
]

BEFORE = [  # the indexes 0815 and 0816 replaced, without 0817's
    "DROP INDEX ix_prompt_suggestions_queue",
    "CREATE INDEX ix_prompt_suggestions_guild_id ON prompt_suggestions (guild_id)",
    "DROP INDEX ix_prompt_answers_queue",
    "CREATE INDEX ix_prompt_answers_status ON prompt_answers (guild_id, status)",
    "DROP INDEX ix_prompt_answers_member",
]
MEMBER = 1000 + 78001 % 5000, hashlib.md5(str(78001 % 5000).encode()).hexdigest()  # has pending and posted answers

WINDOW_PAGE = text(
    "SELECT id, theme, text, count(*) OVER () FROM prompts WHERE guild_id = :guild_id "
    "ORDER BY id LIMIT :limit OFFSET :offset"
)


async def build(server_url: str, before: bool) -> tuple[str, Callable[[], Awaitable[None]]]:
    url, drop = await create_postgres(server_url, "lantern_orders")
    try:
        await fill(url, {**asyncpg_params(server_url), "database": make_url(url).database}, before)
    except BaseException:
        await drop()
        raise
    return url, drop


async def fill(url: str, params: dict[str, Any], before: bool) -> None:
    await migrate(url)
    conn = await asyncpg.connect(**params)
    try:
        for statement in FILL + (BEFORE if before else []):
            await conn.execute(statement)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def reads() -> dict[str, Callable[[Any], Awaitable[Any]]]:
    async def window_page(session: Any, guild: int, offset: int) -> Any:
        return (await session.execute(WINDOW_PAGE, {"guild_id": guild, "offset": offset, "limit": 10})).all()

    shapes: dict[str, Callable[[Any], Awaitable[Any]]] = {}
    for guild, size in ((BIG, "80,000"), (SMALL, "1,000")):
        shapes[f"bank page 1 ({size})"] = lambda s, g=guild: bank.prompt_page(s, g, None, offset=0, limit=10)
        shapes[f"bank page 1, a theme ({size})"] = lambda s, g=guild: bank.prompt_page(s, g, "food", offset=0, limit=10)
        shapes[f"bank page 1, window count ({size})"] = lambda s, g=guild: window_page(s, g, 0)
        shapes[f"autocomplete, common word ({size})"] = lambda s, g=guild: bank.search_prompts(s, g, "prompt")
        shapes[f"pending suggestions ({size})"] = lambda s, g=guild: suggestions.pending_suggestions(s, g, 10)
        shapes[f"pending answers ({size})"] = lambda s, g=guild: answers.pending_answers(s, g, 10)
    shapes["a member's answers (80,000)"] = lambda s: answers.member_answers(s, BIG, *MEMBER)
    shapes["bank page 400 (80,000)"] = lambda s: bank.prompt_page(s, BIG, None, offset=4000, limit=10)
    shapes["bank page 400, window count (80,000)"] = lambda s: window_page(s, BIG, 4000)
    return shapes


async def measure(url: str, reps: int) -> dict[str, list[float]]:
    database = Database(url)
    timings: dict[str, list[float]] = {}
    try:
        for name, read in reads().items():
            for rep in range(reps + 5):
                started = time.perf_counter()
                async with database.read() as session:
                    await read(session)
                if rep >= 5:
                    timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    finally:
        await database.dispose()
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--before", action="store_true", help="the indexes as they were before migrations 0815 and 0816"
    )
    parser.add_argument("--reps", type=int, default=25)
    args = parser.parse_args()
    url, drop = await build(args.url, args.before)
    try:
        timings = await measure(url, args.reps)
    finally:
        await drop()
    print(f"PostgreSQL, indexes {'before' if args.before else 'after'} 0815-0817 ({args.reps} runs each)")
    print(f"{'read':44s} {'median ms':>10s} {'max ms':>8s}")
    for name, values in timings.items():
        print(f"{name:44s} {statistics.median(values):10.2f} {max(values):8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
