"""The cultural calendar's prompts (config/occasions.toml): at least three for each occasion, ready to seed a
guild's bank the way `bank.seed_rows` does. No discord import.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from cogs.prompts import calendar
from cogs.prompts.bank import clean_text, text_key
from config.content import CONTENT_DIR


@dataclass(frozen=True, slots=True)
class OccasionPrompt:
    occasion: str  # an occasion key (calendar.OCCASIONS)
    theme: str  # a theme key (config/themes.toml)
    text: str


@cache
def occasion_prompts() -> tuple[OccasionPrompt, ...]:
    """Every occasion's prompts, in file order."""
    data = tomllib.loads((CONTENT_DIR / "occasions.toml").read_text(encoding="utf-8"))
    return tuple(
        OccasionPrompt(occasion=p["occasion"], theme=p["theme"], text=clean_text(p["text"])) for p in data["prompt"]
    )


def prompts_for(key: str) -> tuple[OccasionPrompt, ...]:
    """The prompts of one occasion (UnknownOccasion if there is no such occasion)."""
    occasion = calendar.get(key)
    return tuple(prompt for prompt in occasion_prompts() if prompt.occasion == occasion.key)


def seed_rows() -> list[tuple[str, str, str, str]]:
    """(occasion, theme, text, key) of every occasion prompt, for seeding a guild's bank."""
    return [(p.occasion, p.theme, p.text, text_key(p.text)) for p in occasion_prompts()]
