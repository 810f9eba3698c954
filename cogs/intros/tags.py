"""Normalising free text (heritages, languages, resource tags) into tags. Pure: no discord import.

INTERFACE used by intros, mentorship and resources:
    split_entries(text) -> list[str]                    the member's own words, one entry each, for display
    normalise_tag(entry, kind=None) -> str | None       one entry's canonical tag (None if nothing is left)
    normalise_tags(text, kind=None) -> frozenset[str]   every canonical tag in a free-text field

`kind` is optional: None (any field) or "language" (a language field, where "Filipino" means Tagalog
and "Taiwanese" means Hokkien). Spellings that mean the same thing live in config/tags.toml.

Folding: Unicode compatibility forms, case, accents on Latin letters ("Việt" → "viet"), apostrophes
("Hawaiʻi" → "hawaii"), punctuation and spacing; numbers and qualifiers ("half", "fluent",
"learning", "mom's side") are dropped unless nothing else is left.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

MAX_ENTRIES = 20
MAX_TAG_LENGTH = 40

HERITAGE = "heritage"
LANGUAGE = "language"

TABLE_PATH = Path(__file__).resolve().parents[2] / "config" / "tags.toml"

_SEPARATORS = re.compile(r"\s*(?:[,/&;+|\n、，／＆·•]|\band\b|\bund\b)\s*", re.IGNORECASE)
_APOSTROPHES = re.compile(r"['’‘ʻʼ`´]")
_NON_WORD = re.compile(r"[\W_]+")


@cache
def _table() -> dict[str, Any]:
    return tomllib.loads(TABLE_PATH.read_text(encoding="utf-8"))


@cache
def qualifiers() -> frozenset[str]:
    """Words dropped from an entry unless nothing else is left ("half", "fluent", "mom's side")."""
    return frozenset(str(word) for word in _table().get("qualifiers", []))


def _strip_latin_accents(text: str) -> str:
    """Remove combining marks that sit on Latin letters only (kana voicing marks are kept)."""
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and out and out[-1] < "\u0250":
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def _fold(entry: str) -> str | None:
    """Everything but the spelling table: case, accents, punctuation, numbers, qualifiers, length."""
    text = unicodedata.normalize("NFKC", entry)
    text = unicodedata.normalize("NFKC", text.casefold())
    text = _strip_latin_accents(text)
    text = _APOSTROPHES.sub("", text)
    words = [word for word in _NON_WORD.sub(" ", text).split() if not word.isdigit()]
    if not words:
        return None
    dropped = qualifiers()
    kept = [word for word in words if word not in dropped] or words
    if len(kept[0]) > MAX_TAG_LENGTH:
        head = kept[0][:MAX_TAG_LENGTH]
        return None if head.isdigit() else head
    folded = kept[0]
    for word in kept[1:]:  # whole words only, so a cut never makes a number or a qualifier
        if len(folded) + 1 + len(word) > MAX_TAG_LENGTH:
            break
        folded = f"{folded} {word}"
    return folded


def _load_section(section: dict[str, list[str]], where: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for canonical, variants in section.items():
        tag = _fold(canonical)
        if tag != canonical:
            raise ValueError(f"{where}: canonical tag {canonical!r} is not in folded form ({tag!r})")
        for spelling in (canonical, *variants):
            key = _fold(spelling)
            if key is None:
                raise ValueError(f"{where}: {spelling!r} folds to nothing")
            if mapping.get(key, tag) != tag:
                raise ValueError(f"{where}: {spelling!r} means both {mapping[key]!r} and {tag!r}")
            mapping[key] = tag
    return mapping


@cache
def spelling_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(common, language) maps from a folded spelling to its canonical tag."""
    data = _table()
    return (
        _load_section(data.get("common", {}), "common"),
        _load_section(data.get("language", {}), "language"),
    )


def split_entries(text: str) -> list[str]:
    """Split on commas, slashes, '&', ';', '+', '|', new lines and the word 'and'; keep the words.

    Underscores count as spaces first, as they do when an entry is folded: otherwise "_and" would not split
    (no word boundary after '_') yet fold to the tag "and" (found by the idempotence property)."""
    entries = [part.strip(" .\t") for part in _SEPARATORS.split((text or "").replace("_", " "))]
    return [entry for entry in entries if entry][:MAX_ENTRIES]


def normalise_tag(entry: str, kind: str | None = None) -> str | None:
    """One entry's canonical tag: "Pinay" → "filipino"; with kind="language", "Filipino" → "tagalog"."""
    folded = _fold(entry)
    if folded is None:
        return None
    common, language = spelling_tables()
    if kind == LANGUAGE:
        if folded in language:
            return language[folded]
        folded = common.get(folded, folded)
        return language.get(folded, folded)
    return common.get(folded, folded)


def normalise_tags(text: str, kind: str | None = None) -> frozenset[str]:
    """Every canonical tag in a free-text field (at most MAX_ENTRIES)."""
    tags = (normalise_tag(entry, kind) for entry in split_entries(text))
    return frozenset(tag for tag in tags if tag)


def tag_label(tag: str) -> str:
    """How a tag is shown in autocomplete and lists: 'sri lankan' → 'Sri Lankan'."""
    return " ".join(word[:1].upper() + word[1:] for word in tag.split())
