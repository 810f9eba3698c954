"""Benchmark: does /resource search find what members mean, and is it still fast, at 100,000 resources?

    python -m bench.search_relevance [--rows 100000] [--reps 15] [--mix 1000] [--db PATH] [--rebuild]
                                     [--postgres URL]

One library, built the same way on SQLite (a file, reused unless --rebuild) and, with --postgres, in
a scratch PostgreSQL database: bench.search's Zipf-like background (one large guild with 82 % of
the rows, nine small ones; ten common words each in ~60 % of documents) plus PLANTED resources for
the judged queries below, inserted first so they are the *oldest* rows (what a newest-N cap loses).

Judged queries cover common words, plurals, accents, Vietnamese with and without diacritics,
Chinese/Japanese/Korean substrings and mixed scripts. The judge is independent of the search code:
a resource is relevant when, for every concept of the query, one of the concept's listed spellings
occurs in its title or tags (case and accents ignored; Latin spellings as whole words, CJK ones as
substrings). It is applied to every row, background included.

Reported per kind of query and overall:
- P@5: relevant results among the first five (mean over queries);
- R@25: relevant results among the first 25, over min(25, number relevant);
- ref: the same for the full-ranking reference, FTS5 bm25() (title 4, tags 2, description 1) over
  EVERY match of the same terms, no candidate cap (SQLite; the same rows exist on PostgreSQL);
- P@5 / ref, and overlap@25 with the reference's top 25;
- latency of `storage.resources.search` (what /resource search calls, rows loaded as ORM objects),
  each judged query --reps times plus --mix queries of bench.search's mix, one read session each;
- latency of `/resource browse`'s first page (`storage.resources.browse`), newest and most helpful, with and
  without a theme, in the large guild and a small one. Every row here shares one `created_at` and has no
  "helped" vote, as an imported library does: the ties the browse indexes must resolve in order.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import sqlite3
import statistics
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.scratch import asyncpg_params, create_postgres, migrate
from bench.search import BIG_GUILD, COMMON, MEDIUM, THEMES, queries, words
from core.search_text import index_text, parse_query
from storage import Database
from storage import resources as store


@dataclass(frozen=True)
class Judged:
    kind: str
    query: str
    concepts: tuple[tuple[str, ...], ...]  # every concept must appear, in one of its spellings


FAMILY = ("family", "families")
JUDGED = [
    Judged("common words", "family", (FAMILY,)),
    Judged("common words", "mixed heritage", (("mixed",), ("heritage", "heritages"))),
    Judged("common words", "asian family stories", (("asian", "asians"), FAMILY, ("story", "stories"))),
    Judged("common words", "community guide", (("community", "communities"), ("guide", "guides"))),
    Judged("common words", "japanese language", (("japanese",), ("language", "languages"))),
    Judged("plural/stem", "families", (FAMILY,)),
    Judged("plural/stem", "aunties", (("auntie", "aunty", "aunties", "aunt", "aunts"),)),
    Judged("plural/stem", "grandmother recipe", (("grandmother", "grandmothers"), ("recipe", "recipes"))),
    Judged("plural/stem", "biracial identities", (("biracial",), ("identity", "identities"))),
    Judged("plural/stem", "halfie podcasts", (("halfie", "halfies"), ("podcast", "podcasts"))),
    Judged("accents", "cafe", (("cafe", "cafes"),)),
    Judged("accents", "jose rizal", (("jose",), ("rizal",))),
    Judged("accents", "Hawaii", (("hawaii",),)),
    Judged("accents", "maori whakapapa", (("maori",), ("whakapapa",))),
    Judged("vietnamese, diacritics", "gia đình", (("gia dinh",),)),
    Judged("vietnamese, diacritics", "tiếng Việt", (("tieng viet",),)),
    Judged("vietnamese, diacritics", "áo dài", (("ao dai",),)),
    Judged("vietnamese, no diacritics", "gia dinh", (("gia dinh",),)),
    Judged("vietnamese, no diacritics", "tieng viet", (("tieng viet",),)),
    Judged("vietnamese, no diacritics", "viet kieu", (("viet kieu",),)),
    Judged("chinese/japanese/korean", "家族", (("家族",),)),
    Judged("chinese/japanese/korean", "日本語", (("日本語",),)),
    Judged("chinese/japanese/korean", "混血", (("混血",),)),
    Judged("chinese/japanese/korean", "한국어", (("한국어",),)),
    Judged("chinese/japanese/korean", "가족", (("가족",),)),
    Judged("chinese/japanese/korean", "茶", (("茶",),)),
    Judged("chinese/japanese/korean", "ハーフ", (("ハーフ",),)),
    Judged("mixed script", "hapa 家族", (("hapa", "hapas"), ("家族",))),
    Judged("mixed script", "nikkei 日系", (("nikkei",), ("日系",))),
    Judged("mixed script", "korean 한국어 class", (("korean",), ("한국어",), ("class", "classes"))),
]

# (title, tags, description): relevant resources for the judged queries and near misses (a concept
# only in the description, a longer word that merely starts the same, another script's look-alike).
PLANTED = [
    ("Families like ours: raising mixed kids", "parenting", "Advice from parents of mixed children"),
    ("Mixed Heritage Families Network", "community", "A network for families"),
    ("Asian family stories, told by grandchildren", "stories", "An oral history project"),
    ("A community guide to Lunar New Year", "culture", "Food, visits and red envelopes"),
    ("Japanese language for heritage learners", "japanese", "Classes for kids who hear it at home"),
    ("Ask the aunties", "advice", "Letters answered by three aunties"),
    ("My aunty's kitchen", "food,aunty", "Recipes from an aunty in Penang"),
    ("Auntie culture, explained", "culture", "Why every auntie asks when you will marry"),
    ("Aunts and uncles across two countries", "family", "Keeping in touch"),
    ("Aunties who raised us", "tribute", "Essays about aunties"),
    ("Grandmothers' recipes from Cebu", "food", "Twenty recipes"),
    ("Recipes my grandmother taught me", "food,recipes", "A cookbook"),
    ("A grandmother's recipe box", "recipes", "Scanned cards with notes"),
    ("Grandmother recipe archive", "archive", "Recipes shared by members"),
    ("Lola's kitchen", "food", "My grandmother's recipes, written down"),  # grandmother only in description
    ("Biracial identity in the workplace", "career,biracial", "Research summary"),
    ("Biracial identities: a reading list", "books", "Thirty books"),
    ("Growing up biracial: identity and belonging", "identity", "A memoir"),
    ("Identity questions for biracial teens", "teens", "Workbook"),
    ("Biracial and proud", "identity", "Portraits of biracial adults"),
    ("Halfie podcast", "podcast", "Weekly conversations"),
    ("The halfies podcast network", "podcasts", "Shows made by halfies"),
    ("Halfie: a podcast about being half", "audio,podcast", "Season two"),
    ("Podcasts for halfies", "list", "Recommendations"),
    ("Halfie voices (podcast)", "podcast", "Interviews"),
    ("Café Hapa", "cafe", "A meeting place"),
    ("The Filipino cafés of Daly City", "food", "A walking tour"),
    ("Cafe conversations in two languages", "language", "A meetup format"),
    ("Café culture in Saigon", "vietnam", "Cà phê sữa đá and more"),
    ("CAFÉ night: mixed heritage meetup", "events", "Monthly"),
    ("Cafeteria food memories", "food", "Not a café at all"),  # near miss: cafeteria
    ("José Rizal's letters", "history", "The letters of José Rizal"),
    ("Reading José Rizal today", "books,history", "Noli Me Tángere for new readers"),
    ("Jose Rizal for kids", "kids", "A picture book"),
    ("The Rizal family home", "history", "A visit to Calamba, where José was born"),  # jose only in description
    ("Jose Rizal and his travels", "history", "Europe and Asia"),
    ("José Rizal: a reading group", "books", "Weekly"),
    ("Hawaiʻi's mixed families", "hawaii", "Local stories"),
    ("Growing up hapa in Hawai‘i", "identity", "An essay"),
    ("Hawaii Pidgin for beginners", "language", "Da kine"),
    ("Hawai'i plantation history", "history", "Japanese, Filipino, Chinese and Portuguese workers"),
    ("Hawaiian words we use", "language", "Not the islands' name"),  # near miss: hawaiian
    ("Hawaii heritage trip", "travel", "An itinerary"),
    ("Māori and Chinese: whakapapa stories", "whakapapa", "Families of Aotearoa"),
    ("Maori whakapapa for mixed families", "maori", "How to start"),
    ("Whakapapa and Asian ancestry", "māori", "A workshop"),
    ("Gia đình là tất cả", "vietnamese", "Family is everything"),
    ("Gia dinh: Vietnamese family traditions", "family", "Tết at home"),
    ("Tiếng Việt for second-generation kids", "language,vietnamese", "Lessons"),
    ("Learn tieng Viet with your parents", "language", "A course"),
    ("Tiếng Việt and gia đình: a bilingual storybook", "books", "Picture book"),
    ("Áo dài: history and fit", "fashion", "What to wear to a wedding"),
    ("Ao dai rental for weddings", "fashion", "Sizes for everyone"),
    ("Sewing an áo dài", "fashion,sewing", "Pattern and video"),
    ("Áo Dài Day photo gallery", "events", "Members in their áo dài"),
    ("Our family in áo dài", "photos", "Three generations"),
    ("Việt Kiều coming home", "vietnamese", "Returning to Vietnam"),
    ("Viet Kieu identity", "identity", "Neither here nor there"),
    ("A Việt Kiều reading list", "books", "Novels"),
    ("Stories of Viet Kieu kids", "stories", "Interviews"),
    ("The word Việt Kiều", "language", "History of the term"),
    ("家族の話", "japanese", "A family story in Japanese"),
    ("私の家族と日本", "japanese", "Essay"),
    ("混血家族の記録", "japanese", "Documentary notes"),
    ("家族", "photos", "A photo series"),
    ("我们的家族历史", "chinese", "Our family history"),
    ("家の族長", "japanese", "Near miss: 家 and 族 apart"),
    ("日本語を学ぶハーフの子", "japanese", "Heritage language"),
    ("はじめての日本語", "japanese,language", "First Japanese"),
    ("日本語と英語の家族", "bilingual", "Two languages at home"),
    ("日本語", "language", "Textbook"),
    ("親子で日本語", "parents", "Parent and child"),
    ("日本の料理", "food", "Near miss: 日本 without 語"),
    ("混血兒的故事", "chinese", "Mixed children's stories"),
    ("我是混血", "chinese,identity", "I am mixed"),
    ("混血児として育つ", "japanese", "Growing up mixed"),
    ("混血與身份", "identity", "Mixed and identity"),
    ("混血", "documentary", "Film"),
    ("한국어 배우기", "korean", "Learning Korean"),
    ("한국어를 잊어버린 아이들", "korean", "Children who forgot Korean"),
    ("우리 집 한국어", "korean,family", "Korean at home"),
    ("한국어 class for adoptees", "korean,class", "Korean class for adoptees"),
    ("Korean 한국어 classes online", "korean", "Weekly classes"),
    ("우리 가족 이야기", "korean", "Our family story"),
    ("가족사진", "photos", "Family photos"),
    ("다문화 가족 지원", "support", "Multicultural family support"),
    ("가족과 함께", "korean", "With family"),
    ("입양 가족 모임", "community", "Adoptive family meetup"),
    ("茶道入門", "japanese", "Tea ceremony basics"),
    ("お茶の時間", "japanese", "Tea time"),
    ("奶茶 stories", "taiwanese", "Milk tea"),
    ("Chinese tea 茶", "tea", "Tea"),
    ("茶", "tea", "A poem"),
    ("ハーフの私", "japanese,identity", "Being half"),
    ("日本のハーフとアイデンティティ", "identity", "Half Japanese identity"),
    ("ハーフ・ストーリーズ", "stories", "Stories"),
    ("ハーフ", "documentary", "Film"),
    ("ハーフの子育て", "parenting", "Raising half kids"),
    ("Hapa 家族 stories", "hapa", "Stories"),
    ("家族 and being hapa", "identity", "Essay"),
    ("Hapas and their 家族", "family", "Photo essay"),
    ("Hapa family reunion", "hapa", "家族 gathering"),  # 家族 only in the description
    ("A hapa 家族 cookbook", "food", "Recipes"),
    ("Nikkei 日系人 history", "nikkei,history", "Japanese diaspora"),
    ("日系 Brazilians and Nikkei identity", "nikkei", "São Paulo"),
    ("Nikkei community: 日系 in Peru", "community", "Lima"),
    ("日系アメリカ人 (Nikkei) archive", "archive", "Photos"),
    ("Nikkei 日系 festival", "events", "Annual"),
]


def judge_fold(text: str) -> str:
    """The judge's own folding (not the search code's): NFKC, casefold, no marks, no okina or apostrophes."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return re.sub(r"(?<=\w)['’ʻ‘](?=\w)", "", text)


def judge_pattern(form: str) -> re.Pattern[str]:
    form = judge_fold(form)
    if form.isascii():
        return re.compile(rf"(?<![^\W_]){re.escape(form)}(?![^\W_])")
    return re.compile(re.escape(form))


# Data -------------------------------------------------------------------------------------------------


def library(rows: int, guilds: int) -> list[tuple[Any, ...]]:
    """Every row as (id, guild, title, description, theme, tags): planted first (oldest), then background."""
    rng = random.Random(7)
    small = [BIG_GUILD + i for i in range(1, guilds)]
    out = [
        (i + 1, BIG_GUILD, title, description, "culture", tags) for i, (title, tags, description) in enumerate(PLANTED)
    ]
    for i in range(len(out) + 1, rows + 1):
        guild = BIG_GUILD if rng.random() < 0.82 or not small else rng.choice(small)
        tags = ",".join(sorted({rng.choice(MEDIUM), rng.choice(COMMON)}))
        out.append((i, guild, words(rng, rng.randint(3, 9)), words(rng, rng.randint(10, 60)), rng.choice(THEMES), tags))
    return out


def records(data: list[tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    resources, labels = [], []
    for i, guild, title, description, theme, tags in data:
        resources.append(
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
                0,
                0,
                index_text(title),
                index_text(tags),
                index_text(description),
            )
        )
        labels.append((i, guild, "theme", theme))
    return resources, labels


COLUMNS = [
    "id", "guild_id", "url", "canonical_url", "title", "description", "themes", "tags", "status", "created_at",
    "approved_at", "helped_count", "saved_count", "search_title", "search_tags", "search_description",
]  # fmt: skip


def build_sqlite(path: Path, resources: list[tuple[Any, ...]], labels: list[tuple[Any, ...]]) -> None:
    asyncio.run(migrate(f"sqlite+aiosqlite:///{path}"))
    connection = sqlite3.connect(path)
    naive = [row[:9] + (row[9].replace(tzinfo=None).isoformat(sep=" "),) * 2 + row[11:] for row in resources]
    with connection:
        connection.executemany(
            f"INSERT INTO resources ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", naive
        )
        connection.executemany(
            "INSERT INTO resource_labels (resource_id, guild_id, kind, value) VALUES (?,?,?,?)", labels
        )
    connection.execute("INSERT INTO resources_fts (resources_fts) VALUES ('optimize')")
    connection.commit()
    connection.close()


async def build_postgres(
    server_url: str, resources: list[tuple[Any, ...]], labels: list[tuple[Any, ...]]
) -> tuple[str, Callable[[], Any]]:
    import asyncpg
    from sqlalchemy.engine import make_url

    url, drop = await create_postgres(server_url)
    try:
        await migrate(url)
        conn = await asyncpg.connect(**asyncpg_params(server_url), database=make_url(url).database)
        try:
            await conn.copy_records_to_table("resources", records=resources, columns=COLUMNS)
            await conn.copy_records_to_table(
                "resource_labels", records=labels, columns=["resource_id", "guild_id", "kind", "value"]
            )
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence('resources', 'id'), (SELECT max(id) FROM resources))"
            )
            await conn.execute("VACUUM ANALYZE resources")
            await conn.execute("VACUUM ANALYZE resource_labels")
            await conn.execute("VACUUM ANALYZE resources_search")
        finally:
            await conn.close()
    except BaseException:
        await drop()
        raise
    return url, drop


# Judging and the reference ------------------------------------------------------------------------


def relevant_sets(path: Path) -> dict[str, set[int]]:
    connection = sqlite3.connect(path)
    rows = connection.execute(
        "SELECT id, title || ' ' || replace(tags, ',', ' ') FROM resources WHERE guild_id = ? AND status = 'approved'",
        (BIG_GUILD,),
    ).fetchall()
    connection.close()
    folded = [(i, judge_fold(text)) for i, text in rows]
    out: dict[str, set[int]] = {}
    for judged in JUDGED:
        patterns = [[judge_pattern(form) for form in concept] for concept in judged.concepts]
        out[judged.query] = {
            i for i, text in folded if all(any(p.search(text) for p in concept) for concept in patterns)
        }
    return out


def reference(path: Path, query: str, limit: int = 25) -> tuple[list[int], float]:
    """FTS5 bm25() over every match (all terms, else any term), no cap; and how long it took in ms."""
    terms = parse_query(query)
    connection = sqlite3.connect(path)
    started = time.perf_counter()
    ids: list[int] = []
    for any_word in (False, True):
        ids = [
            row[0]
            for row in connection.execute(
                "SELECT rowid FROM resources_fts WHERE resources_fts MATCH ? "
                "ORDER BY bm25(resources_fts, 0.0, 4.0, 2.0, 1.0), rowid DESC LIMIT ?",
                (terms.fts5(BIG_GUILD, any_word=any_word), limit),
            )
        ]
        if ids or len(terms.terms) < 2:
            break
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    return ids, elapsed


OLD_WORD = re.compile(r"\w+", re.UNICODE)


def before(path: Path, query: str, limit: int = 25) -> list[int]:
    """What /resource search returned before migration 0804 (0401's index and query), for comparison.

    The 0401 index is rebuilt once in a side table `before_fts` of the benchmark file: unicode61 words
    over the raw fields; the newest 200 matches of the case-folded words ranked by 4/2/1 presence.
    """
    connection = sqlite3.connect(path)
    if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'before_fts'").fetchone():
        connection.execute(
            "CREATE VIRTUAL TABLE before_fts USING fts5(scope, title, description, tags, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
        connection.execute(
            "INSERT INTO before_fts (rowid, scope, title, description, tags) SELECT id, 'g' || guild_id, title, "
            "description, replace(tags, ',', ' ') FROM resources WHERE status = 'approved'"
        )
        connection.commit()
    words = list(dict.fromkeys(w.strip("_") for w in OLD_WORD.findall(query.casefold()) if w.strip("_")))[:8]
    ids: list[int] = []
    for joiner in (" AND ", " OR "):
        quoted = joiner.join(f'"{w}"' for w in words)
        match = f'scope : "g{BIG_GUILD}" AND {{title description tags}} : ({quoted})'
        score = " + ".join(
            f"{weight} * (instr(lower(r.{column}), ?) > 0)"
            for w in words
            for weight, column in ((4, "title"), (2, "tags"), (1, "description"))
        )
        params = [match] + [w for w in words for _ in range(3)] + [limit]
        ids = [
            row[0]
            for row in connection.execute(
                "WITH candidates AS (SELECT rowid AS id FROM before_fts WHERE before_fts MATCH ? "
                "ORDER BY rowid DESC LIMIT 200) "
                "SELECT r.id FROM candidates JOIN resources AS r ON r.id = candidates.id "
                f"ORDER BY {score} DESC, length(r.title), r.id DESC LIMIT ?",
                params,
            )
        ]
        if ids or len(words) < 2:
            break
    connection.close()
    return ids


def relevance_before(relevant: dict[str, set[int]], refs: dict[str, list[int]], path: Path) -> None:
    print("\n## Before (0401's index and query), same library and judge\n")
    print("| query kind | P@5 | ref P@5 | R@25 |\n|---|---|---|---|")
    ranked = {j.query: before(path, j.query) for j in JUDGED}
    for kind in dict.fromkeys(j.kind for j in JUDGED):
        group = [j for j in JUDGED if j.kind == kind]
        p = statistics.mean(precision(ranked[j.query], relevant[j.query]) for j in group)
        rp = statistics.mean(precision(refs[j.query], relevant[j.query]) for j in group)
        r = statistics.mean(recall(ranked[j.query], relevant[j.query]) for j in group)
        print(f"| {kind} | {p:.2f} | {rp:.2f} | {r:.2f} |")
    p = statistics.mean(precision(ranked[j.query], relevant[j.query]) for j in JUDGED)
    r = statistics.mean(recall(ranked[j.query], relevant[j.query]) for j in JUDGED)
    print(f"| **all judged** | **{p:.2f}** | | {r:.2f} |")


def precision(ranked: list[int], relevant: set[int], k: int = 5) -> float:
    return sum(1 for i in ranked[:k] if i in relevant) / k


def recall(ranked: list[int], relevant: set[int], k: int = 25) -> float:
    if not relevant:
        return 1.0
    return sum(1 for i in ranked[:k] if i in relevant) / min(k, len(relevant))


# Measuring ------------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(url: str, reps: int, mix: int, guilds: int) -> tuple[dict[str, list[int]], dict[str, list[float]]]:
    """Each judged query's ranked ids, and latency (ms) per kind of query."""
    database = Database(url)
    rng = random.Random(11)
    plan = [(j.kind, BIG_GUILD, j.query, None) for j in JUDGED] * reps
    plan += [(f"load mix: {name}", guild, text, theme) for name, guild, text, theme in queries(rng, mix, guilds)]
    random.Random(3).shuffle(plan)
    ranked: dict[str, list[int]] = {}
    timings: dict[str, list[float]] = {}
    try:
        for _kind, guild, text, theme in plan[:100]:  # warm the caches and the pool
            async with database.read() as session:
                await store.search(session, guild, parse_query(text), theme=theme)
        for kind, guild, text, theme in plan:
            started = time.perf_counter()
            async with database.read() as session:
                found = await store.search(session, guild, parse_query(text), theme=theme)
            timings.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
            if not kind.startswith("load mix"):
                ranked[text] = [row.id for row in found]
    finally:
        await database.dispose()
    return ranked, timings


BROWSE_SHAPES = {
    "newest": {},
    "newest, a theme": {"theme": THEMES[0]},
    "most helpful": {"most_helpful": True},
    "most helpful, a theme": {"theme": THEMES[3], "most_helpful": True},
}


async def measure_browse(url: str, reps: int = 30) -> dict[str, list[float]]:
    """Latency (ms) of a browse page by shape and guild size, after one untimed run of each."""
    database = Database(url)
    timings: dict[str, list[float]] = {}
    try:
        for name, shape in BROWSE_SHAPES.items():
            for guild, size in ((BIG_GUILD, "large guild"), (BIG_GUILD + 1, "small guild")):
                for rep in range(reps + 1):
                    started = time.perf_counter()
                    async with database.read() as session:
                        await store.browse(session, guild, limit=5, **shape)
                    if rep:
                        timings.setdefault(f"{name}, {size}", []).append((time.perf_counter() - started) * 1000)
    finally:
        await database.dispose()
    return timings


def report_browse(backend: str, timings: dict[str, list[float]]) -> None:
    print(f"\n| {backend}: /resource browse, first page | n | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    for kind, values in timings.items():
        p50, p99 = statistics.median(values), percentile(values, 99)
        print(f"| {kind} | {len(values)} | {p50:.2f} | {p99:.2f} | {max(values):.2f} |")


def report(
    backend: str, ranked: dict[str, list[int]], timings: dict[str, list[float]], relevant: dict[str, set[int]],
    refs: dict[str, list[int]],
) -> None:  # fmt: skip
    print(f"\n## {backend}\n")
    print("| query kind | n | P@5 | ref P@5 | P@5/ref | R@25 | ref R@25 | overlap@25 | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    kinds = list(dict.fromkeys(j.kind for j in JUDGED))
    totals: dict[str, list[float]] = {"p": [], "rp": [], "r": [], "rr": [], "o": []}
    for kind in kinds:
        group = [j for j in JUDGED if j.kind == kind]
        p = [precision(ranked[j.query], relevant[j.query]) for j in group]
        rp = [precision(refs[j.query], relevant[j.query]) for j in group]
        r = [recall(ranked[j.query], relevant[j.query]) for j in group]
        rr = [recall(refs[j.query], relevant[j.query]) for j in group]
        o = [len(set(ranked[j.query]) & set(refs[j.query])) / max(1, len(refs[j.query])) for j in group]
        for key, values in zip(["p", "rp", "r", "rr", "o"], (p, rp, r, rr, o), strict=True):
            totals[key] += values
        t = timings[kind]
        ratio = statistics.mean(p) / statistics.mean(rp) if statistics.mean(rp) else 1.0
        print(
            f"| {kind} | {len(group)} | {statistics.mean(p):.2f} | {statistics.mean(rp):.2f} | {ratio:.2f} | "
            f"{statistics.mean(r):.2f} | {statistics.mean(rr):.2f} | {statistics.mean(o):.2f} | "
            f"{statistics.median(t):.2f} | {percentile(t, 99):.2f} |"
        )
    judged_times = [t for kind in kinds for t in timings[kind]]
    mix_times = [t for kind, values in timings.items() if kind.startswith("load mix") for t in values]
    mp, mrp = statistics.mean(totals["p"]), statistics.mean(totals["rp"])
    print(
        f"| **all judged** | {len(JUDGED)} | **{mp:.2f}** | {mrp:.2f} | **{mp / mrp:.2f}** | "
        f"{statistics.mean(totals['r']):.2f} | {statistics.mean(totals['rr']):.2f} | "
        f"{statistics.mean(totals['o']):.2f} | {statistics.median(judged_times):.2f} | "
        f"**{percentile(judged_times, 99):.2f}** |"
    )
    print("\n| bench.search mix: query kind | n | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|")
    for kind, values in sorted(timings.items()):
        if kind.startswith("load mix"):
            name = kind.removeprefix("load mix: ")
            print(
                f"| {name} | {len(values)} | {statistics.median(values):.2f} | {percentile(values, 95):.2f} | "
                f"{percentile(values, 99):.2f} |"
            )
    every = judged_times + mix_times
    print(
        f"\nLatency, bench.search's mix ({len(mix_times)} queries): p50 {statistics.median(mix_times):.2f} ms, "
        f"p95 {percentile(mix_times, 95):.2f}, p99 {percentile(mix_times, 99):.2f}, max {max(mix_times):.2f}. "
        f"Everything ({len(every)} searches): p50 {statistics.median(every):.2f} ms, "
        f"p95 {percentile(every, 95):.2f}, **p99 {percentile(every, 99):.2f}**, max {max(every):.2f}."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--guilds", type=int, default=10)
    parser.add_argument("--reps", type=int, default=15, help="timed runs of each judged query")
    parser.add_argument("--mix", type=int, default=1000, help="timed queries of bench.search's mix")
    parser.add_argument("--db", type=Path, default=Path("/tmp/lantern-bench-relevance.db"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL (a scratch database is made there)")
    args = parser.parse_args()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    resources, labels = records(library(args.rows, args.guilds))
    if args.rebuild or not args.db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        build_sqlite(args.db, resources, labels)
        print(f"SQLite: built {args.rows} resources in {time.perf_counter() - started:.1f} s")
    relevant = relevant_sets(args.db)
    refs, ref_ms = {}, []
    for judged in JUDGED:
        refs[judged.query], elapsed = reference(args.db, judged.query)
        ref_ms.append(elapsed)
    print(
        f"{len(JUDGED)} judged queries; relevant resources per query: median "
        f"{statistics.median(len(s) for s in relevant.values()):.0f}, fewest {min(len(s) for s in relevant.values())}. "
        f"Reference (bm25 over every match) on SQLite: p50 {statistics.median(ref_ms):.1f} ms, max {max(ref_ms):.1f}."
    )
    print(f"Candidates per tier: {store.SEARCH_CANDIDATES}; results: {store.SEARCH_LIMIT}")
    relevance_before(relevant, refs, args.db)
    ranked, timings = asyncio.run(measure(f"sqlite+aiosqlite:///{args.db}", args.reps, args.mix, args.guilds))
    report("SQLite", ranked, timings, relevant, refs)
    report_browse("SQLite", asyncio.run(measure_browse(f"sqlite+aiosqlite:///{args.db}")))
    if args.postgres:

        async def on_postgres() -> tuple[dict[str, list[int]], dict[str, list[float]], dict[str, list[float]]]:
            started = time.perf_counter()
            url, drop = await build_postgres(args.postgres, resources, labels)
            print(f"\nPostgreSQL: built {args.rows} resources in {time.perf_counter() - started:.1f} s")
            try:
                ranked, timings = await measure(url, args.reps, args.mix, args.guilds)
                return ranked, timings, await measure_browse(url)
            finally:
                await drop()

        ranked, timings, browsing = asyncio.run(on_postgres())
        report("PostgreSQL", ranked, timings, relevant, refs)
        report_browse("PostgreSQL", browsing)


if __name__ == "__main__":
    main()
