"""A server's themes as people type them, and the rules of changing them (`/setup themes`). Pure: no discord
import, no database.

A theme is named by its key or its label, in any case or width, with or without accents (`Gia dinh` is the theme
labelled `Gia đình`). Keys never change (profiles, prompts, schedules and resources store them); labels are what
members see and type, so two themes may not share a name, and a label holds no comma (theme lists are typed as
comma-separated items).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import InvalidInput
from core.search_text import fold, folded_name

MAX_THEMES = 25  # a server's themes, on or off: one autocomplete list (Discord shows 25 choices) holds them all
LABEL_MAX = 80  # guild_themes.label
KEY_MAX = 32  # guild_themes.key
_NOT_KEY = re.compile(r"[^a-z0-9]+")
MARKUP = "[]<>@`*_~|\\"  # characters a name may not hold: Discord markdown, masked links, mentions


def theme_table(themes: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Each (key, label)'s key and label, folded (`folded_name`) → the key; look a typed name up by its
    `folded_name`."""
    table: dict[str, str] = {}
    for key, label in themes:
        table[folded_name(key)] = key
        table[folded_name(label)] = key
    return table


@dataclass(frozen=True, slots=True)
class ThemeRow:
    """One of a server's themes, on (members can choose it) or off."""

    key: str
    label: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class ThemeChange:
    """What `/setup themes` does: `row` as it will be stored; `before` is None for a new theme."""

    row: ThemeRow
    before: ThemeRow | None


def find_theme(themes: Sequence[ThemeRow], typed: str) -> ThemeRow | None:
    """The theme whose key or label is `typed` (any case, accents or none), on or off."""
    key = theme_table([(row.key, row.label) for row in themes]).get(folded_name(typed))
    return next((row for row in themes if row.key == key), None)


def change_theme(themes: Sequence[ThemeRow], typed: str, name: str | None, enabled: bool | None) -> ThemeChange:
    """Rename `typed` to `name` and/or turn it on or off; a `typed` that names no theme, given alone (or with
    `enabled`), is a new theme of that name. Refuses, naming the problem: a change that changes nothing, a name
    another theme has, a comma, the last theme turned off, more than MAX_THEMES themes."""
    found = find_theme(themes, typed)
    if found is None:
        if name is not None:
            raise InvalidInput(
                "The theme",
                f"`{typed.strip()[:LABEL_MAX]}` isn't one of this server's themes",
                "Pick the theme to rename from the list as you type; to add a theme, give its name as `theme` alone.",
            )
        if len(themes) >= MAX_THEMES:
            raise InvalidInput(
                "This server",
                f"already has {MAX_THEMES} themes (on or off), as many as one list can show",
                "Rename a theme you no longer use instead.",
            )
        label = _label(typed, themes, None)
        on = True if enabled is None else enabled
        return ThemeChange(ThemeRow(_new_key(label, themes), label, on), None)
    label = found.label if name is None else _label(name, themes, found)
    on = found.enabled if enabled is None else enabled
    if (label, on) == (found.label, found.enabled):
        raise InvalidInput(
            "That", "changed nothing", "Give the theme a new `name`, or turn it on or off with `enabled`."
        )
    if not on and found.enabled and sum(row.enabled for row in themes) == 1:
        raise InvalidInput(
            f"“{found.label}”", "is the only theme still on", "Turn another theme on first: members need one to pick."
        )
    return ThemeChange(ThemeRow(found.key, label, on), found)


def _label(text: str, themes: Sequence[ThemeRow], renamed: ThemeRow | None) -> str:
    label = " ".join(text.split())
    if not label:
        raise InvalidInput("The theme's name", "is empty", "Write a few words, for example `Food and family`.")
    if len(label) > LABEL_MAX:
        raise InvalidInput("The theme's name", f"is {len(label)} characters long; the limit is {LABEL_MAX}")
    if "," in label:
        raise InvalidInput(
            "The theme's name", "has a comma", "Members type themes as a list separated by commas; use `and` or `/`."
        )
    if any(char in MARKUP for char in label):
        raise InvalidInput(
            "The theme's name",
            f"has one of {' '.join(MARKUP)}",
            "Those change how Discord shows text (links, mentions, bold) wherever the name appears; leave them out.",
        )
    taken = find_theme([row for row in themes if row != renamed], label)
    if taken is not None:
        raise InvalidInput(
            "The name", f"`{label}` is already the theme “{taken.label}” (`{taken.key}`)", "Choose another name."
        )
    return label


def _new_key(label: str, themes: Sequence[ThemeRow]) -> str:
    """A key for a new theme: its name in lowercase ASCII words joined by hyphens (`Food & family` → `food-family`),
    or `theme-N` when that is empty or is another theme's key or name."""
    used = {row.key for row in themes} | {folded_name(row.label) for row in themes}  # (no name of another theme)
    key = _NOT_KEY.sub("-", fold(label)).strip("-")[:KEY_MAX].strip("-")
    number = len(themes) + 1
    while not key or key in used:
        key, number = f"theme-{number}", number + 1
    return key
