"""The one-line reason a pair is proposed: "You both listed career guidance and speak Tagalog; 1 hour
apart". Theme keys are shown by the guild's labels, else the default labels (config/themes.toml)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from config.content import default_themes, theme_label


def reason_text(
    themes: Sequence[str],
    heritages: Sequence[str],
    languages: Sequence[str],
    gap_hours: float,
    theme_labels: dict[str, str] | None = None,
) -> str:
    """One line for humans: "You both listed career guidance and speak Tagalog; 1 hour apart"."""
    if theme_labels:
        labels, defaults = theme_labels.get, _default_labels()
        clauses = [f"listed {_and([(labels(key) or defaults.get(key, key)).lower() for key in themes])}"]
    else:
        clauses = [_listed(tuple(themes))]
    if heritages:
        clauses.append(_clause("share {} heritage", tuple(heritages)))
    if languages:
        clauses.append(_clause("speak {}", tuple(languages)))
    plural = "" if gap_hours == 1 else "s"
    apart = f"{gap_hours:g} hour{plural} apart" if gap_hours else "no time difference"
    return f"You both {_and(clauses)}; {apart}"


@lru_cache(maxsize=4096)
def _listed(themes: tuple[str, ...]) -> str:
    """The themes clause with the default labels (memoised: a few hundred theme sets recur)."""
    defaults = _default_labels()
    return f"listed {_and([defaults.get(key, key).lower() for key in themes])}"


@lru_cache(maxsize=4096)
def _clause(template: str, tags: tuple[str, ...]) -> str:
    """A heritage or language clause, tags title-cased (memoised)."""
    return template.format(_and([tag.title() for tag in tags]))


@lru_cache(maxsize=1)
def _default_labels() -> dict[str, str]:
    """`theme_label` as a dict (it scans the theme list on every call)."""
    return {theme.key: theme_label(theme.key) for theme in default_themes()}


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
