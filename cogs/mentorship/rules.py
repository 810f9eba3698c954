"""Pure rules of mentor pairing: theme lists typed by members, timings, conversation starters.

No discord import, no database.

Themes are typed as a comma-separated list ("career, identity"); autocomplete completes the last
item. Each item may be a theme key or its label, in any case, with or without accents (`core.themes`); unknown
items are refused by name.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import cache

from config.content import CONTENT_DIR, theme_label
from core.errors import InvalidInput
from core.search_text import folded_name
from core.themes import theme_table

INLINE_MATCH_LIMIT = 50_000  # mentees × mentors above which the engine runs in a worker process
STARTERS_PER_PAIR = 3
MAX_THEMES = 12
AUTOCOMPLETE_LIMIT = 25

Themes = Sequence[tuple[str, str]]  # (key, label) of a guild's enabled themes


def split_keys(stored: str) -> tuple[str, ...]:
    """A stored comma-separated key list → its keys, in order."""
    return tuple(key for key in (part.strip() for part in (stored or "").split(",")) if key)


def join_keys(keys: Iterable[str]) -> str:
    return ",".join(keys)


def _items(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def parse_themes(text: str, themes: Themes, *, field: str = "Themes", allow_empty: bool = False) -> tuple[str, ...]:
    """'Career guidance, identity' → ('career', 'identity'); unknown items are named back."""
    items = _items(text)
    hint = "Pick themes from the list as you type, separated by commas, for example `career, identity`."
    if not items:
        if allow_empty:
            return ()
        raise InvalidInput(field, "needs at least one theme", hint)
    table = theme_table(themes)
    unknown = [item for item in items if folded_name(item) not in table]
    if unknown:
        shown = ", ".join(f"`{item}`" for item in unknown[:5])
        raise InvalidInput(field, f"has {shown}, which isn't one of this server's themes", hint)
    keys: list[str] = []
    for item in items:
        key = table[folded_name(item)]
        if key not in keys:
            keys.append(key)
    if len(keys) > MAX_THEMES:
        raise InvalidInput(field, f"lists {len(keys)} themes; the limit is {MAX_THEMES}", hint)
    return tuple(keys)


def complete_themes(current: str, themes: Themes) -> list[tuple[str, str]]:
    """Autocomplete choices (name, value) that keep what was typed and complete the last item."""
    parts = (current or "").split(",")
    done = [part.strip() for part in parts[:-1] if part.strip()]
    last = folded_name(parts[-1])
    table = theme_table(themes)
    chosen = {table.get(folded_name(item)) for item in done}
    prefix = ", ".join(done)
    choices: list[tuple[str, str]] = []
    for key, label in themes:
        if key in chosen:
            continue
        words = [folded_name(key), folded_name(label), *folded_name(label).split()]
        if last and not any(word.startswith(last) for word in words):
            continue
        value = f"{prefix}, {key}" if prefix else key
        name = f"{prefix}, {label}" if prefix else label
        if len(value) > 100:
            continue
        choices.append((name[:100], value))
    return choices[:AUTOCOMPLETE_LIMIT]


def theme_labels(keys: Iterable[str], themes: Themes) -> list[str]:
    """Each key's label among `themes`; for a key not among them (a theme turned off since), its default label,
    or the key itself."""
    labels = dict(themes)
    return [labels.get(key) or theme_label(key) for key in keys]


def next_checkin_at(started_at: datetime, days: Sequence[int], sent: int) -> datetime | None:
    """When the next check-in is due after `sent` have gone out, or None when there are no more."""
    if sent >= len(days):
        return None
    return started_at + timedelta(days=days[sent])


def next_round_at(scheduled: datetime, every_days: int, now: datetime) -> datetime:
    """The next round after `scheduled`, skipping any missed while the bot was down (no burst)."""
    step = timedelta(days=every_days)
    following = scheduled + step
    if following <= now:
        following = now + step
    return following


def is_paused(paused: bool, paused_until: datetime | None, now: datetime) -> bool:
    """Paused, and not yet past an automatic resume time."""
    return paused and (paused_until is None or paused_until > now)


@cache
def load_starters() -> dict[str, tuple[str, ...]]:
    """Conversation starters per theme key, from config/starters.toml."""
    data = tomllib.loads((CONTENT_DIR / "starters.toml").read_text(encoding="utf-8"))
    return {key: tuple(lines) for key, lines in data["starters"].items()}


def pick_starters(
    shared: Sequence[str], fallback: Sequence[str], *, seed: int, count: int = STARTERS_PER_PAIR
) -> list[str]:
    """`count` different starters, drawn in turn from the shared themes (or `fallback`, then 'general')."""
    bank = load_starters()
    order = [key for key in shared if key in bank] or [key for key in fallback if key in bank] or ["general"]
    rng = random.Random(seed)
    pools = {key: rng.sample(list(bank[key]), len(bank[key])) for key in order}
    picked: list[str] = []
    while len(picked) < count and any(pools.values()):
        for key in order:
            if pools[key] and len(picked) < count:
                line = pools[key].pop()
                if line not in picked:
                    picked.append(line)
    for line in bank.get("general", ()):
        if len(picked) >= count:
            break
        if line not in picked:
            picked.append(line)
    return picked[:count]
