"""Full-text search of a guild's library. Takes a session or a connection (`Reader`); never opens one.

`search` is the one function /resource search (through storage.resources) and bench/ call. Both
backends index the `search_*` columns (core.search_text.index_text: folded accents, plurals,
CJK character pairs) and match the terms of core.search_text.parse_query, so they agree on
what matches; the score below is one SQL expression, so they agree on the order too.

**Candidates, in two tiers.** Ranking every match of a common word costs a pass over its whole
doclist (tens of thousands of entries), so the index is asked twice, each time for the newest
`SEARCH_CANDIDATES` matches only:

1. *strong*: every term in the title or the tags (what a resource says it is about);
2. *broad*: every term anywhere, the description included.

A query with fewer strong matches than the cap (almost every query that names a topic, and every
query combining two common words) is ranked over *all* its title/tag matches, so an old resource
titled with the words is never lost behind hundreds of newer ones that only mention them.

On PostgreSQL each tier first walks the newest PG_WINDOW rows (of the guild, or of the first label
filter) and asks the GIN index for every match only when a full window holds fewer matches than a
page; so a tier there keeps between `limit` and SEARCH_CANDIDATES of the newest matches.

**Score.** A BM25F-style sum over the terms: each field a term occurs in adds its weight (title 4,
tags 2, description 1) divided by the field's length relative to a typical length, and each term's
sum saturates (`x / (1.2 + x)`). Ties go to the shorter title, then the newer resource. There is no
IDF: every candidate of an all-terms query contains every term. If all-terms finds nothing, the
search is retried with any term (OR).

Theme and tag filters are a correlated EXISTS on `resource_labels`, applied while collecting the
candidates, so a filter never empties a page of candidates that were already cut.
See docs/search.md for the measurements behind these choices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import text

from core.search_text import SearchTerms, Term
from storage.database import Reader, dialect_name
from storage.models.resources import TAG, THEME, Resource, comma_keys

SEARCH_CANDIDATES = 200
SEARCH_LIMIT = 25
PG_WINDOW = 2000


@dataclass(frozen=True, slots=True)
class Listed:
    """A resource as a result list (`/resource search`, `browse`, `saved`) shows it: plain columns, read without
    an ORM object (a result page is hot: loading `Resource` objects through a session cost the event loop more
    than the query)."""

    id: int
    title: str
    url: str
    description: str
    themes: str
    tags: str
    helped_count: int

    @property
    def theme_keys(self) -> list[str]:
        return comma_keys(self.themes)

    @property
    def tag_list(self) -> list[str]:
        return comma_keys(self.tags)


# The columns of `Listed`, in its order.
LISTED = tuple(Resource.__table__.columns[name] for name in Listed.__slots__)


def listed(rows: Iterable[Sequence[Any]]) -> list[Listed]:
    """The rows of a statement selecting `LISTED`, as `Listed`."""
    return [Listed(*row) for row in rows]


# (weight, column, typical length in characters) for the score; b = 0.75 length normalisation, k1 = 1.2.
FIELDS = ((4.0, "search_title", 40.0), (2.0, "search_tags", 16.0), (1.0, "search_description", 250.0))
LENGTH_B = 0.75
SATURATION_K1 = 1.2


def _needle(term: Term) -> str:
    """What `' ' || field || ' '` contains exactly when the field holds the term."""
    return f" {term.text}" if term.prefix else f" {term.text} "


def ranking_sql(terms: SearchTerms, params: dict[str, Any], *, postgres: bool) -> str:
    """CTEs `padded` and `weighted` over `candidates`, then the ranked rows: the same on both backends.

    Each row's fields are padded and their length norms computed once (MATERIALIZED, so neither
    backend evaluates them again per term); each term's weighted field sum is one column.
    """
    find = "strpos" if postgres else "instr"
    padded, norms, weights, total = [], [], [], []
    for field, (_weight, column, typical) in enumerate(FIELDS):
        padded.append(f"' ' || r.{column} || ' ' AS f{field}")
        norms.append(f"{1 - LENGTH_B} + {LENGTH_B / typical} * length(r.{column}) AS l{field}")
    for index, term in enumerate(terms.terms):
        params[f"n{index}"] = _needle(term)
        parts = [
            f"(CASE WHEN {find}(f{field}, :n{index}) > 0 THEN {weight} / l{field} ELSE 0 END)"
            for field, (weight, _column, _typical) in enumerate(FIELDS)
        ]
        weights.append(f"{' + '.join(parts)} AS w{index}")
        total.append(f"w{index} / ({SATURATION_K1} + w{index})")
    return (
        f"padded AS MATERIALIZED (SELECT r.id, length(r.title) AS title_length, {', '.join(padded)}, "
        f"{', '.join(norms)} FROM candidates JOIN resources AS r ON r.id = candidates.id), "
        f"weighted AS MATERIALIZED (SELECT id, title_length, {', '.join(weights)} FROM padded) "
        f"SELECT {', '.join(f'r.{column.name}' for column in LISTED)} FROM weighted "
        "JOIN resources AS r ON r.id = weighted.id "
        f"ORDER BY {' + '.join(total)} DESC, weighted.title_length, weighted.id DESC LIMIT :limit"
    )


async def _ranked(
    reader: Reader,
    guild_id: int,
    terms: SearchTerms,
    filters: list[tuple[str, str]],
    *,
    any_word: bool,
    limit: int,
) -> list[Listed]:
    params: dict[str, Any] = {"cap": SEARCH_CANDIDATES, "limit": limit}
    clauses = []
    for index, (kind, value) in enumerate(filters):
        params[f"kind{index}"], params[f"value{index}"] = kind, value
        clauses.append(
            f"AND EXISTS (SELECT 1 FROM resource_labels WHERE resource_id = {{id}} "
            f"AND kind = :kind{index} AND value = :value{index})"
        )
    postgres = dialect_name(reader) == "postgresql"
    ctes: list[str] = []
    if postgres:
        # The tsquery and the guild are written into the statement, not bound: asyncpg prepares statements,
        # and after a few runs PostgreSQL would reuse a generic plan that cannot tell a common word from a rare
        # one (walking the newest rows suits the first, the GIN index the second), nor a guild of 2,000
        # resources from one of 82,000 (bench.search: with the guild bound, a common word in the small guild took
        # p99 29-33 ms instead of 10-13 once the plan went generic: docs/search.md). Terms hold only letters,
        # digits and CJK characters (parse_query); quotes are doubled all the same; the guild is an integer.
        tsquery = terms.tsquery(any_word=any_word).replace("'", "''")
        query = f"to_tsquery('simple', '{tsquery}')"
        guild = int(guild_id)
        every = " ".join(clauses).format(id="resources_search.id")
        params["window"] = PG_WINDOW
        if filters:  # the newest rows carrying the first label, through its index; the others are tested
            rest = " ".join(clauses[1:]).format(id="resources_search.id")
            labelled = (
                f"l.guild_id = {guild} AND l.kind = :kind0 AND l.value = :value0 "
                "ORDER BY l.resource_id DESC LIMIT :window"
            )
            window = (
                "SELECT s.id, s.{vector} FROM resource_labels AS l "
                f"JOIN resources_search AS s ON s.id = l.resource_id WHERE {labelled}"
            )
            full = f"SELECT count(*) FROM (SELECT 1 FROM resource_labels AS l WHERE {labelled}) AS newest"
        else:
            rest = ""
            newest = f"FROM resources_search WHERE guild_id = {guild} ORDER BY id DESC LIMIT :window"
            window = f"SELECT id, {{vector}} {newest}"
            full = f"SELECT count(*) FROM (SELECT 1 {newest}) AS newest"
        for name, vector in (("strong", "strong"), ("broad", "document")):
            # The newest PG_WINDOW rows first: an index walk that stops at the cap of matches. Only when
            # they hold fewer matches than a page of results, and older rows exist, is the GIN index asked
            # for every match; that test sits above the query's LIMIT, so nothing below it (not even
            # parallel workers) starts when the window was enough.
            ctes.append(
                f"{name}_recent AS MATERIALIZED (SELECT id FROM ({window.format(vector=vector)}) AS resources_search "
                f"WHERE {vector} @@ {query} {rest} ORDER BY id DESC LIMIT :cap)"
            )
            ctes.append(
                f"{name} AS (SELECT id FROM {name}_recent UNION SELECT id FROM (SELECT id FROM resources_search "
                f"WHERE guild_id = {guild} AND {vector} @@ {query} {every} ORDER BY id + 0 DESC LIMIT :cap) "
                f"AS every_match WHERE (SELECT count(*) FROM {name}_recent) < :limit AND ({full}) >= :window)"
            )
    else:
        params["strong"] = terms.fts5(guild_id, any_word=any_word, columns="title tags")
        params["broad"] = terms.fts5(guild_id, any_word=any_word)
        filtered = " ".join(clauses).format(id="resources_fts.rowid")
        tier = "SELECT rowid AS id FROM resources_fts WHERE resources_fts MATCH :{name} {filtered} "
        for name in ("strong", "broad"):
            ctes.append(f"{name} AS ({tier.format(name=name, filtered=filtered)} ORDER BY rowid DESC LIMIT :cap)")
    sql = f"WITH {', '.join(ctes)}, candidates AS (SELECT id FROM strong UNION SELECT id FROM broad), " + ranking_sql(
        terms, params, postgres=postgres
    )
    return listed(await reader.execute(_statement(sql), params))


@lru_cache(maxsize=256)
def _statement(sql: str) -> Any:
    """One round trip: the ranked rows come back as `Listed`'s columns. Built once per shape of query on SQLite
    (terms, filters and tiers are bound), where the same few shapes recur; on PostgreSQL the tsquery is part of
    the text, so only repeated searches find theirs here."""
    return text(sql).columns(*LISTED)


async def search(
    reader: Reader,
    guild_id: int,
    terms: SearchTerms,
    *,
    theme: str | None = None,
    tag: str | None = None,
    limit: int = SEARCH_LIMIT,
) -> list[Listed]:
    """The guild's approved resources matching every term (or, failing that, any term), best first."""
    if not terms:
        return []
    filters = [(THEME, theme)] if theme else []
    if tag:
        filters.append((TAG, tag))
    found = await _ranked(reader, guild_id, terms, filters, any_word=False, limit=limit)
    if not found and len(terms.terms) > 1:
        found = await _ranked(reader, guild_id, terms, filters, any_word=True, limit=limit)
    return found
