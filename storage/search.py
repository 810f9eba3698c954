"""Full-text search of a guild's library. Takes a session; never opens one.

`search` is the one function /resource search (through storage.resources) and bench/ call. Both
backends index the `search_*` columns (cogs.resources.search.index_text: folded accents, plurals,
CJK character pairs) and match the terms of cogs.resources.search.parse_query, so they agree on
what matches; the score below is one SQL expression, so they agree on the order too.

**Candidates, in two tiers.** Ranking every match of a common word costs a pass over its whole
doclist (tens of thousands of entries), so the index is asked twice, each time for the newest
`SEARCH_CANDIDATES` matches only:

1. *strong*: every term in the title or the tags (what a resource says it is about);
2. *broad*: every term anywhere, the description included.

A query with fewer strong matches than the cap (almost every query that names a topic, and every
query combining two common words) is ranked over *all* its title/tag matches, so an old resource
titled with the words is never lost behind hundreds of newer ones that only mention them.

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

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.resources.search import SearchTerms, Term
from storage.models.resources import TAG, THEME, Resource

SEARCH_CANDIDATES = 200
SEARCH_LIMIT = 25
# (weight, column, typical length in tokens) for the score; b = 0.75 length normalisation, k1 = 1.2.
FIELDS = ((4.0, "search_title", 6.0), (2.0, "search_tags", 2.0), (1.0, "search_description", 30.0))
LENGTH_B = 0.75
SATURATION_K1 = 1.2
PG_DOCUMENT = (
    "(setweight(to_tsvector('simple', search_title), 'A') || "
    "setweight(to_tsvector('simple', search_tags), 'B') || "
    "setweight(to_tsvector('simple', search_description), 'C'))"
)
PG_STRONG = "(to_tsvector('simple', search_title || ' ' || search_tags))"


def _needle(term: Term) -> str:
    """What `' ' || field || ' '` contains exactly when the field holds the term."""
    return f" {term.text}" if term.prefix else f" {term.text} "


def score_sql(terms: SearchTerms, params: dict[str, Any], *, postgres: bool) -> str:
    """The score of row `r` for `terms` (parameters added to `params`), the same on both backends."""
    find = "strpos" if postgres else "instr"
    per_term = []
    for index, term in enumerate(terms.terms):
        params[f"n{index}"] = _needle(term)
        parts = []
        for weight, column, typical in FIELDS:
            length = f"(length(r.{column}) - length(replace(r.{column}, ' ', '')) + 1)"
            norm = f"({1 - LENGTH_B} + {LENGTH_B / typical} * {length})"
            parts.append(
                f"(CASE WHEN {find}(' ' || r.{column} || ' ', :n{index}) > 0 THEN {weight} / {norm} ELSE 0 END)"
            )
        weighted = " + ".join(parts)
        per_term.append(f"(({weighted}) / ({SATURATION_K1} + {weighted}))")
    return " + ".join(per_term)


async def _ranked_ids(
    session: AsyncSession,
    guild_id: int,
    terms: SearchTerms,
    filters: list[tuple[str, str]],
    *,
    any_word: bool,
    limit: int,
) -> list[int]:
    params: dict[str, Any] = {"guild_id": guild_id, "cap": SEARCH_CANDIDATES, "limit": limit}
    clauses = []
    for index, (kind, value) in enumerate(filters):
        params[f"kind{index}"], params[f"value{index}"] = kind, value
        clauses.append(
            f"AND EXISTS (SELECT 1 FROM resource_labels WHERE resource_id = {{id}} "
            f"AND kind = :kind{index} AND value = :value{index})"
        )
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        params["tsquery"] = terms.tsquery(any_word=any_word)
        where = f"guild_id = :guild_id AND status = 'approved' {' '.join(clauses).format(id='resources.id')}"
        tier = "SELECT id FROM resources WHERE {document} @@ to_tsquery('simple', :tsquery) AND " + where
        strong = tier.format(document=PG_STRONG) + " ORDER BY id DESC LIMIT :cap"
        broad = tier.format(document=PG_DOCUMENT) + " ORDER BY id DESC LIMIT :cap"
    else:
        params["strong"] = terms.fts5(guild_id, any_word=any_word, columns="title tags")
        params["broad"] = terms.fts5(guild_id, any_word=any_word)
        filtered = " ".join(clauses).format(id="resources_fts.rowid")
        tier = "SELECT rowid AS id FROM resources_fts WHERE resources_fts MATCH :{name} {filtered} "
        strong = tier.format(name="strong", filtered=filtered) + "ORDER BY rowid DESC LIMIT :cap"
        broad = tier.format(name="broad", filtered=filtered) + "ORDER BY rowid DESC LIMIT :cap"
    score = score_sql(terms, params, postgres=postgres)
    sql = (
        f"WITH strong AS ({strong}), broad AS ({broad}), "
        "candidates AS (SELECT id FROM strong UNION SELECT id FROM broad) "
        "SELECT r.id FROM candidates JOIN resources AS r ON r.id = candidates.id "
        f"ORDER BY {score} DESC, length(r.title), r.id DESC LIMIT :limit"
    )
    return list((await session.execute(text(sql), params)).scalars())


async def search(
    session: AsyncSession,
    guild_id: int,
    terms: SearchTerms,
    *,
    theme: str | None = None,
    tag: str | None = None,
    limit: int = SEARCH_LIMIT,
) -> list[Resource]:
    """The guild's approved resources matching every term (or, failing that, any term), best first."""
    if not terms:
        return []
    filters = [(THEME, theme)] if theme else []
    if tag:
        filters.append((TAG, tag))
    ids = await _ranked_ids(session, guild_id, terms, filters, any_word=False, limit=limit)
    if not ids and len(terms.terms) > 1:
        ids = await _ranked_ids(session, guild_id, terms, filters, any_word=True, limit=limit)
    if not ids:
        return []
    rows = {row.id: row for row in await session.scalars(select(Resource).where(Resource.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]
