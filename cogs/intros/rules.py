"""Pure rules of introductions: the form's fields and their bounds, validation, and find's ranking.

No discord import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from cogs.intros.tags import LANGUAGE, normalise_tag, normalise_tags, split_entries
from core.errors import InvalidInput

FIND_LIMIT = 10
# What a refusal of the form promises: true because cards.checked_draft keeps the answers
# (storage.intro_drafts.DRAFT_KEEP).
KEPT_ANSWERS = "`/intro write` opens the form again with your answers, kept for a day"


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    label: str  # up to 45 characters: Discord's limit for a modal Label
    placeholder: str  # up to 100
    max_length: int
    required: bool
    paragraph: bool = False
    description: str = ""  # shown under the label; up to 100 characters


FIELDS: tuple[Field, ...] = (
    Field(
        "name",
        "Name and pronouns",
        "Mika (she/they)",
        80,
        True,
        description="What you'd like members here to call you.",
    ),
    Field(
        "heritages",
        "Heritages and cultures",
        "Japanese, Irish, Filipino",
        200,
        True,
        description="Separate them with commas: /intro find matches each one.",
    ),
    Field(
        "languages",
        "Languages",
        "English, Tagalog, learning Japanese",
        200,
        False,
        description="Optional. Languages you speak or are learning, separated by commas.",
    ),
    Field(
        "location",
        "Where you are",
        "Manchester, UK",
        100,
        False,
        description="Optional, and shown on your card: a city or a region is plenty.",
    ),
    Field(
        "story",
        "Your story and what you hope to find",
        "A little about you, and what brings you here",
        1000,
        True,
        paragraph=True,
        description="Shown on your intro card in the intro channel.",
    ),
)
FIELD_BY_KEY = {field.key: field for field in FIELDS}


@dataclass(frozen=True, slots=True)
class IntroDraft:
    """A member's intro as they wrote it, trimmed and checked."""

    name: str
    heritages: str
    languages: str
    location: str
    story: str

    def text(self) -> dict[str, str]:
        return {field.key: getattr(self, field.key) for field in FIELDS}

    def heritage_tags(self) -> frozenset[str]:
        return normalise_tags(self.heritages)

    def language_tags(self) -> frozenset[str]:
        return normalise_tags(self.languages, LANGUAGE)


def clean_draft(values: Mapping[str, str | None]) -> IntroDraft:
    """Trim each field and check it; raises InvalidInput naming the first field that is wrong (its words
    promise the answers are kept: call it through cards.checked_draft, which keeps them)."""
    cleaned: dict[str, str] = {}
    for field in FIELDS:
        raw = values.get(field.key) or ""
        text = raw.strip() if field.paragraph else " ".join(raw.split())
        if field.required and not text:
            raise InvalidInput(f"“{field.label}”", "is empty", f"Please fill it in: {KEPT_ANSWERS}.")
        if len(text) > field.max_length:
            raise InvalidInput(
                f"“{field.label}”",
                f"is {len(text)} characters long; the limit is {field.max_length}",
                f"Please shorten it: {KEPT_ANSWERS}.",
            )
        cleaned[field.key] = text
    return IntroDraft(**cleaned)


@dataclass(frozen=True, slots=True)
class Match:
    """One member found by /intro find, with what they share with the search."""

    user_id: int
    heritages: frozenset[str]
    languages: frozenset[str]
    keyword: bool
    updated_at: datetime
    themes: frozenset[str] = frozenset()

    @property
    def score(self) -> int:
        return len(self.heritages) + len(self.languages) + len(self.themes) + int(self.keyword)


def rank(matches: Iterable[Match], limit: int | None = FIND_LIMIT) -> list[Match]:
    """Best overlap first; among equals, the most recently updated intro, then the lowest id (all with no limit)."""
    useful = [match for match in matches if match.score > 0]
    useful.sort(key=lambda match: (-match.score, -match.updated_at.timestamp(), match.user_id))
    return useful[:limit]


def shared_words(text: str, tags: Iterable[str], kind: str | None = None) -> list[str]:
    """The member's own words for the entries whose tag is in `tags` ("Pinay" rather than "filipino")."""
    wanted = set(tags)
    seen: set[str] = set()
    words = []
    for entry in split_entries(text):
        tag = normalise_tag(entry, kind)
        if tag in wanted and tag not in seen:
            seen.add(tag)
            words.append(entry)
    return words
