"""Default content shipped with Lantern, loaded from data files in this folder."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CONTENT_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Theme:
    key: str
    label: str


@cache
def default_themes() -> tuple[Theme, ...]:
    """The default theme list (config/themes.toml), in display order."""
    data = tomllib.loads((CONTENT_DIR / "themes.toml").read_text(encoding="utf-8"))
    return tuple(Theme(key=t["key"], label=t["label"]) for t in data["theme"])


@cache
def default_theme_pairs() -> tuple[tuple[str, str], ...]:
    """(key, label) of the default themes, in display order."""
    return tuple((theme.key, theme.label) for theme in default_themes())


def theme_label(key: str) -> str:
    """The default label of a theme key, or the key itself when it is not a default theme."""
    for theme in default_themes():
        if theme.key == key:
            return theme.label
    return key
