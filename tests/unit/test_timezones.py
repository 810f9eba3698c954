"""Timezone names: canonical spelling and autocomplete search."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core import timezones


def test_canonical_accepts_any_case_and_spaces() -> None:
    assert timezones.canonical("asia/manila") == "Asia/Manila"
    assert timezones.canonical("America/New York") == "America/New_York"
    assert timezones.canonical("UTC") == "UTC"


def test_unknown_names_are_none() -> None:
    assert timezones.canonical("Mars/Olympus") is None
    assert timezones.canonical("") is None
    assert timezones.canonical("../../etc/passwd") is None


def test_search_prefers_prefix_then_city() -> None:
    assert timezones.search("Asia/Man")[0] == "Asia/Manila"
    assert timezones.search("tokyo") == ["Asia/Tokyo"]


@given(st.text(max_size=30))
def test_search_returns_at_most_25_valid_names(query: str) -> None:
    results = timezones.search(query)
    assert len(results) <= 25
    assert all(timezones.canonical(name) == name for name in results)
