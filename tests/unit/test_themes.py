"""The rules of changing a server's themes (core.themes.change_theme), checked over random sequences of changes:
whatever moderators type, keys never change, no two themes answer to one name, a theme is always on, and the list
stays within what one Discord list shows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config import default_theme_pairs
from core.errors import InvalidInput
from core.search_text import folded_name
from core.themes import LABEL_MAX, MARKUP, MAX_THEMES, ThemeRow, change_theme, find_theme, theme_table

NAMES = st.sampled_from(
    ["career", "Career guidance", "CAREER", "Work", "work", "Food & family", "food-family", "Food, family", "家族",
     "Gia đình", "gia dinh", "  ", "Networking", "theme-13", "theme-14", "x" * 81, "Sự nghiệp", "identity",
     "[Verify](https://evil.example)", "@everyone"]
)  # fmt: skip
CHANGES = st.tuples(NAMES, st.none() | NAMES, st.none() | st.booleans())


def defaults() -> list[ThemeRow]:
    return [ThemeRow(key, label, True) for key, label in default_theme_pairs()]


def apply(themes: list[ThemeRow], typed: str, name: str | None, enabled: bool | None) -> list[ThemeRow]:
    change = change_theme(themes, typed, name, enabled)
    if change.before is None:
        return [*themes, change.row]
    assert change.before in themes and change.row.key == change.before.key
    return [change.row if row.key == change.row.key else row for row in themes]


@settings(max_examples=300)
@given(st.lists(CHANGES, max_size=40))
def test_any_sequence_of_changes_keeps_the_rules(changes: list[tuple[str, str | None, bool | None]]) -> None:
    themes = defaults()
    for typed, name, enabled in changes:
        keys_before = [row.key for row in themes]
        try:
            themes = apply(themes, typed, name, enabled)
        except InvalidInput:
            continue
        assert [row.key for row in themes][: len(keys_before)] == keys_before  # keys never change or move
        names = [folded_name(row.key) for row in themes] + [folded_name(row.label) for row in themes]
        owners = theme_table([(row.key, row.label) for row in themes])
        assert all(owners[folded_name(row.label)] == row.key == owners[folded_name(row.key)] for row in themes), names
        assert any(row.enabled for row in themes) and len(themes) <= MAX_THEMES
        assert all(0 < len(row.label) <= LABEL_MAX and "," not in row.label for row in themes)
        assert not any(char in MARKUP for row in themes for char in row.label)
        assert all(row.label == " ".join(row.label.split()) for row in themes)


def test_a_theme_is_found_by_key_or_label_in_any_case_and_without_accents() -> None:
    themes = [*defaults(), ThemeRow("gia-dinh", "Gia đình", False)]
    assert find_theme(themes, "GIA DINH") == themes[-1]
    assert find_theme(themes, " career ") == find_theme(themes, "career guidance") == themes[3]
    assert find_theme(themes, "astrology") is None


@pytest.mark.parametrize(
    ("label", "key"),
    [("Food & family", "food-family"), ("Gia đình", "gia-dinh"), ("家族", "theme-13"), ("Networking!", "theme-13")],
)
def test_a_new_theme_gets_a_key_from_its_name(label: str, key: str) -> None:
    """ASCII words of the name, or `theme-N` when there are none or they are another theme's key or name."""
    assert change_theme(defaults(), label, None, None).row == ThemeRow(key, label, True)


def test_a_new_key_is_never_another_themes_name() -> None:
    """Career renamed `food-family`, then `Food & family` added: its key can't be `food-family`, which already
    names career."""
    themes = apply(defaults(), "career", "food-family", None)
    added = change_theme(themes, "Food & family", None, None).row
    assert added.key == "theme-13"
    assert find_theme([*themes, added], "food-family") == themes[3]


def test_the_last_theme_on_stays_on() -> None:
    themes = defaults()
    for key, _label in default_theme_pairs()[1:]:
        themes = apply(themes, key, None, False)
    with pytest.raises(InvalidInput, match="the only theme still on"):
        change_theme(themes, "identity", None, False)
    assert apply(themes, "identity", "Who I am", None)[0] == ThemeRow("identity", "Who I am", True)
