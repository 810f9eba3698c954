"""Parsing moderator options: welcome templates and check-in days."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.options import parse_checkins, parse_welcome_template, render_welcome


def test_welcome_template_renders_both_placeholders() -> None:
    """{member} and {server} are filled in."""
    template = parse_welcome_template("  Hi {member}, welcome to {server}!  ")
    assert render_welcome(template, member="<@1>", server="Kin") == "Hi <@1>, welcome to Kin!"


@pytest.mark.parametrize("bad", ["", "   ", "Hi {user}", "Hi {member", "x" * 1001, "{0}"])
def test_bad_welcome_templates_are_refused(bad: str) -> None:
    """Empty, over-long, unbalanced and unknown-placeholder templates are refused."""
    with pytest.raises(InvalidInput):
        parse_welcome_template(bad)


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), min_size=1, max_size=200).filter(str.strip))
def test_any_brace_free_text_is_a_valid_template(text: str) -> None:
    """Plain text without braces is always accepted and renders to itself (stripped)."""
    template = parse_welcome_template(text)
    assert render_welcome(template, member="m", server="s") == text.strip()


@pytest.mark.parametrize(
    ("given_text", "stored"), [("14,45", "14,45"), (" 7 ; 30 ", "7,30"), ("off", "off"), ("OFF", "off"), ("1", "1")]
)
def test_checkins_are_normalised(given_text: str, stored: str) -> None:
    assert parse_checkins(given_text) == stored


@pytest.mark.parametrize("bad", ["", "abc", "45,14", "14,14", "0,5", "1,2,3,4", "366", "-3"])
def test_bad_checkins_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_checkins(bad)


@given(st.lists(st.integers(1, 365), min_size=1, max_size=3, unique=True))
def test_checkins_round_trip(days: list[int]) -> None:
    """Any up-to-three distinct days, given in order, are stored as given."""
    text = ",".join(str(d) for d in sorted(days))
    assert parse_checkins(text) == text


@given(st.text(max_size=200))
def test_strip_control_leaves_no_control_character_and_keeps_the_rest(text: str) -> None:
    """Control characters go (tab and new lines stay); everything else is kept in order."""
    from core.text import strip_control

    cleaned = strip_control(text)
    assert "\x00" not in cleaned
    assert all(ch in "\t\n\r" or not (ord(ch) < 0x20 or ord(ch) == 0x7F) for ch in cleaned)
    assert cleaned == "".join(ch for ch in text if ch in "\t\n\r" or not (ord(ch) < 0x20 or ord(ch) == 0x7F))
