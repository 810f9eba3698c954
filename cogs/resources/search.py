"""Turning what a member typed into a full-text query. Pure: no discord import.

Only words reach the database: every term is quoted, so FTS5 and tsquery operators typed by a
member are never interpreted. The SQL itself lives in storage/resources.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TERMS = 8
MIN_TERM_LENGTH = 1
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchTerms:
    words: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.words)

    def fts5(self, guild_id: int, *, any_word: bool = False) -> str:
        """An FTS5 MATCH expression scoped to the guild's token in the `scope` column."""
        joiner = " OR " if any_word else " AND "
        words = joiner.join(f'"{word}"' for word in self.words)
        return f'scope : "g{int(guild_id)}" AND {{title description tags}} : ({words})'

    def tsquery(self, *, any_word: bool = False) -> str:
        """A to_tsquery('simple', …) expression."""
        joiner = " | " if any_word else " & "
        return joiner.join(f"'{word}'" for word in self.words)


def parse_query(text: str) -> SearchTerms:
    """The distinct words of `text`, case-folded, in order, at most MAX_TERMS."""
    seen: dict[str, None] = {}
    for match in _WORD.finditer((text or "").casefold()):
        word = match.group(0).strip("_")
        if len(word) >= MIN_TERM_LENGTH and word:
            seen.setdefault(word, None)
        if len(seen) >= MAX_TERMS:
            break
    return SearchTerms(tuple(seen))
