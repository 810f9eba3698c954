"""Normalising free text (heritages, languages, resource tags) into tags. Pure: no discord import.

INTERFACE used by intros, mentorship and resources:
    split_entries(text) -> list[str]       the member's own words, one entry each, for display
    normalise_tag(entry) -> str | None     one entry's canonical tag (None if nothing is left)
    normalise_tags(text) -> frozenset[str] every canonical tag in a free-text field
(first version; the intros feature refines spellings and adds property tests)
"""

from __future__ import annotations

import re
import unicodedata

MAX_ENTRIES = 20
MAX_TAG_LENGTH = 40

_SEPARATORS = re.compile(r"\s*(?:[,/&;+|\n]|\band\b|\bund\b)\s*", re.IGNORECASE)
_NON_WORD = re.compile(r"[^\w\s'-]+")
_SPACES = re.compile(r"[\s_-]+")


def split_entries(text: str) -> list[str]:
    """Split on commas, slashes, '&', ';', '+', '|', new lines and the word 'and'; keep the words."""
    entries = [part.strip(" .\t") for part in _SEPARATORS.split(text or "")]
    return [entry for entry in entries if entry][:MAX_ENTRIES]


def normalise_tag(entry: str) -> str | None:
    folded = unicodedata.normalize("NFKC", entry).casefold()
    folded = _NON_WORD.sub(" ", folded)
    folded = _SPACES.sub(" ", folded).strip(" '")
    if not folded:
        return None
    return folded[:MAX_TAG_LENGTH]


def normalise_tags(text: str) -> frozenset[str]:
    tags = (normalise_tag(entry) for entry in split_entries(text))
    return frozenset(tag for tag in tags if tag)
