"""Turning text into search terms, the same way for what is stored and what a member types. Pure: no discord import.

Both backends index the output of `index_text` (kept in the `search_*` columns of `resources`) and
match the output of `parse_query`, so SQLite and PostgreSQL agree on what matches:

- **Case and width**: NFKC (full-width ＡＢＣ and half-width ｶﾀｶﾅ become ABC and カタカナ), then casefold.
- **Accents**: Latin, Greek and Cyrillic letters lose their marks, and đ, ø, ł, æ, œ, ı become d, o, l,
  ae, oe, i, so `gia dinh` finds `gia đình` and `cafe` finds `Café`. Kana and Hangul keep theirs
  (が is not か).
- **Plurals**: an English-style plural folds to its singular (`families`, `family` → `family`;
  `stories` → `story`; `aunties`, `auntie`, `aunty` → `aunty`; `boxes` → `box`; `asians` → `asian`),
  on words of four letters or more. Nothing else is stemmed, so `identity` never meets `identical`.
- **Chinese, Japanese, Korean**: a run of Han, kana or Hangul is indexed as its overlapping
  character pairs plus its last character (`家族の話` → `家族 族の の話 話`). A query run becomes the
  phrase of its pairs, which matches wherever it occurs as a substring (`家族` finds `家族の話`); a
  single character becomes a prefix term that matches any pair starting with it or a run ending
  with it.

Only words reach the database: every token is quoted, so FTS5 and tsquery operators typed by a
member are never interpreted. The SQL itself lives in storage/resources.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MAX_TERMS = 8
MIN_TERM_LENGTH = 1
MIN_PLURAL_LENGTH = 4

# Han (with extensions and compatibility ideographs), 々〆〇, kana, Hangul syllables and jamo.
_CJK = (
    "\u1100-\u11ff\u3005-\u3007\u3040-\u309f\u30a0-\u30ff\u3130-\u318f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\U00020000-\U0003ffff"
)
_RUN = re.compile(rf"([{_CJK}]+)|([^{_CJK}]+)")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile(r"(?<=\w)['’‘ʻʼ](?=\w)")  # lola's, Hawaiʻi, Hawai‘i
_LETTERS = {"đ": "d", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h", "ŧ": "t", "ð": "d", "þ": "th"}
_KEEP_S = ("ss", "us", "is")


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """One character without its marks (Latin, Greek, Cyrillic…); CJK characters unchanged."""
    if char in _LETTERS:
        return _LETTERS[char]
    if _CJK_CHAR.match(char):
        return char
    return "".join(part for part in unicodedata.normalize("NFD", char) if not unicodedata.combining(part))


def fold(text: str) -> str:
    """`text` case-folded, width-folded and without accents (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    if not text.isascii():
        text = "".join(_fold_char(char) if ord(char) > 127 else char for char in text)
    return _APOSTROPHES.sub("", text)


def folded_name(text: str) -> str:
    """`text` folded (`fold`), runs of spaces as one: how a typed name is compared with a theme's or an occasion's."""
    return " ".join(fold(text).split())


def typed_in(typed: str, *texts: str) -> bool:
    """Whether what a member typed occurs in any of `texts`, ignoring case, width, accents and extra spaces (an
    autocomplete's test: `tet nguyen` is in `Tết Nguyên Đán`, `hang` in `Hằng`)."""
    wanted = folded_name(typed)
    return any(wanted in folded_name(text) for text in texts)


def singular(word: str) -> str:
    """The singular of an ASCII plural (`families` → `family`); other words unchanged."""
    if len(word) < MIN_PLURAL_LENGTH or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > MIN_PLURAL_LENGTH:
        return word[:-3] + "y"
    if word.endswith("ie") and len(word) > MIN_PLURAL_LENGTH:
        return word[:-2] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith(("ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(_KEEP_S):
        return word[:-1]
    return word


def _pairs(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str) -> list[str]:
    """The tokens stored for `text`, in order: folded words and CJK character pairs."""
    out: list[str] = []
    for word in _WORD.finditer(fold(text)):
        for run in _RUN.finditer(word.group(0)):
            if run.group(1):
                out += [*_pairs(run.group(1)), run.group(1)[-1]]
            else:
                out.append(singular(run.group(2)))
    return out


def index_text(text: str) -> str:
    """What the search index holds for a field: its tokens separated by spaces."""
    return " ".join(tokens(text))


@dataclass(frozen=True)
class Term:
    """One thing the member asked for: a word, a run of CJK pairs (a phrase), or a CJK character (a prefix)."""

    tokens: tuple[str, ...]
    prefix: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def fts5(self) -> str:
        return f'"{self.text}"' + (" *" if self.prefix else "")

    def tsquery(self) -> str:
        if self.prefix:
            return f"'{self.tokens[0]}':*"
        if len(self.tokens) == 1:
            return f"'{self.tokens[0]}'"
        return "(" + " <-> ".join(f"'{token}'" for token in self.tokens) + ")"


@dataclass(frozen=True)
class SearchTerms:
    terms: tuple[Term, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def words(self) -> tuple[str, ...]:
        """Each term as the space-separated tokens it matches in the index."""
        return tuple(term.text for term in self.terms)

    def fts5(self, guild_id: int, *, any_word: bool = False, columns: str = "title description tags") -> str:
        """An FTS5 MATCH expression scoped to the guild's token in the `scope` column."""
        joiner = " OR " if any_word else " AND "
        words = joiner.join(term.fts5() for term in self.terms)
        return f'scope : "g{int(guild_id)}" AND {{{columns}}} : ({words})'

    def tsquery(self, *, any_word: bool = False) -> str:
        """A to_tsquery('simple', …) expression."""
        joiner = " | " if any_word else " & "
        return joiner.join(term.tsquery() for term in self.terms)


def parse_query(text: str) -> SearchTerms:
    """The distinct terms of `text`, folded as the index is, in order, at most MAX_TERMS."""
    seen: dict[Term, None] = {}
    for word in _WORD.finditer(fold((text or "")[:1000])):
        for run in _RUN.finditer(word.group(0)):
            if run.group(1):
                chars = run.group(1)
                term = Term((chars,), prefix=True) if len(chars) == 1 else Term(tuple(_pairs(chars)))
            else:
                term = Term((singular(run.group(2)),))
            if len(term.text) >= MIN_TERM_LENGTH:
                seen.setdefault(term, None)
            if len(seen) >= MAX_TERMS:
                return SearchTerms(tuple(seen))
    return SearchTerms(tuple(seen))
