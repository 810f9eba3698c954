"""Pure rules of mentor pairing: themes typed by members, timings, conversation starters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cogs.mentorship import rules
from config import default_themes
from core.errors import InvalidInput

THEMES = [(theme.key, theme.label) for theme in default_themes()]
AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_themes_accept_keys_and_labels_in_any_case_without_duplicates() -> None:
    """'Career guidance, IDENTITY, career' → ('career', 'identity')."""
    assert rules.parse_themes("Career guidance, IDENTITY, career", THEMES) == ("career", "identity")


def test_unknown_themes_are_named_back() -> None:
    """Each unknown item is quoted in the message."""
    with pytest.raises(InvalidInput) as caught:
        rules.parse_themes("career, astrology, tarot", THEMES)
    assert "`astrology`, `tarot`" in caught.value.user_message()


def test_empty_theme_list_is_refused_unless_allowed() -> None:
    """At least one theme is needed for an offer; 'not covered' may be empty."""
    with pytest.raises(InvalidInput):
        rules.parse_themes(" , ", THEMES)
    assert rules.parse_themes("", THEMES, allow_empty=True) == ()


def test_autocomplete_completes_the_last_item_and_skips_chosen_ones() -> None:
    """What was typed is kept; themes already chosen aren't offered again; at most 25 choices."""
    choices = rules.complete_themes("identity, car", THEMES)
    assert choices == [("identity, Career guidance", "identity, career")]
    assert all("identity, identity" not in value for _, value in rules.complete_themes("identity, ", THEMES))
    assert len(rules.complete_themes("", THEMES)) == len(THEMES) <= rules.AUTOCOMPLETE_LIMIT


def test_every_theme_has_at_least_three_starters() -> None:
    """config/starters.toml covers all twelve themes with three or more starters each."""
    bank = rules.load_starters()
    for key, _label in THEMES:
        assert len(bank[key]) >= 3, key


@pytest.mark.parametrize(
    "shared", [("career",), ("career", "identity"), (), ("identity", "culture", "growth", "advocacy")]
)
def test_three_different_starters_from_the_shared_themes(shared: tuple[str, ...]) -> None:
    """Three distinct starters, drawn from the shared themes when there are any; deterministic by seed."""
    picked = rules.pick_starters(shared, ("support",), seed=7)
    assert len(picked) == 3 == len(set(picked))
    bank = rules.load_starters()
    pool = {line for key in (shared or ("support",)) for line in bank[key]}
    assert set(picked) <= pool
    assert picked == rules.pick_starters(shared, ("support",), seed=7)


def test_checkins_follow_the_guild_days() -> None:
    """Day 14 then day 45, then none."""
    assert rules.next_checkin_at(AT, (14, 45), 0) == AT + timedelta(days=14)
    assert rules.next_checkin_at(AT, (14, 45), 1) == AT + timedelta(days=45)
    assert rules.next_checkin_at(AT, (14, 45), 2) is None


def test_next_round_skips_missed_rounds_without_a_burst() -> None:
    """After downtime the next round is a full interval from now, not a catch-up series."""
    assert rules.next_round_at(AT, 7, AT + timedelta(minutes=1)) == AT + timedelta(days=7)
    late = AT + timedelta(days=30)
    assert rules.next_round_at(AT, 7, late) == late + timedelta(days=7)


def test_pause_with_a_date_ends_by_itself() -> None:
    """A pause with an end time no longer counts once that time has passed."""
    assert rules.is_paused(True, None, AT)
    assert rules.is_paused(True, AT + timedelta(days=1), AT)
    assert not rules.is_paused(True, AT, AT)
    assert not rules.is_paused(False, None, AT)
