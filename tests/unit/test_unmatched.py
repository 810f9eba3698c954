"""The unmatched explanation follows the matcher's hard rules, in order, and never names anyone."""

from __future__ import annotations

from datetime import UTC, datetime

from cogs.mentorship import unmatched
from engine import matching

AT = datetime(2026, 1, 1, tzinfo=UTC)
LABELS = {"career": "Career guidance", "identity": "Identity", "growth": "Personal growth"}


def mentor(
    user_id: int, themes: str, timezone: str = "Asia/Manila", *, available: bool = True, **kw: object
) -> unmatched.Mentor:
    profile = matching.MentorProfile(id=user_id, themes=frozenset(themes.split(",")), timezone=timezone, **kw)  # type: ignore[arg-type]
    return unmatched.Mentor(profile, available=available)


def mentee(themes: str = "career", timezone: str = "Asia/Tokyo", gap: int | None = None) -> matching.MenteeProfile:
    return matching.MenteeProfile(
        id=1, themes=frozenset(themes.split(",")), timezone=timezone, max_timezone_gap_hours=gap
    )


def explain(
    who: matching.MenteeProfile, mentors: list[unmatched.Mentor], excluded: frozenset[tuple[int, int]] = frozenset()
) -> unmatched.Explanation:
    return unmatched.explain(who, mentors, at=AT, excluded=set(excluded), labels=LABELS)


def test_no_mentor_covers_the_theme_and_a_covered_theme_is_suggested() -> None:
    result = explain(mentee("growth"), [mentor(2, "career")])
    assert result.reason == unmatched.THEME
    assert "*personal growth*" in result.why
    assert "*career guidance*" in result.suggestion


def test_a_not_covered_theme_is_not_covered() -> None:
    result = explain(mentee("career"), [mentor(2, "career,identity", not_covered=frozenset({"career"}))])
    assert result.reason == unmatched.THEME


def test_outside_the_window_suggests_widening_it() -> None:
    result = explain(mentee("career", "Europe/London", gap=2), [mentor(2, "career", "Asia/Manila")])
    assert result.reason == unmatched.WINDOW and "(2 hours)" in result.why
    assert "wider time difference" in result.suggestion


def test_exclusions_in_either_order_read_as_met_everyone() -> None:
    for pair in ((2, 1), (1, 2)):
        result = explain(mentee(), [mentor(2, "career")], frozenset({pair}))
        assert result.reason == unmatched.MET and "met everyone currently available" in result.why


def test_full_or_paused_mentors_read_as_places_taken() -> None:
    result = explain(mentee(), [mentor(2, "career", available=False)])
    assert result.reason == unmatched.FULL and "places taken" in result.why
    assert "free up" in result.suggestion


def test_the_member_themself_is_never_a_candidate() -> None:
    result = explain(mentee(), [mentor(1, "career")])
    assert result.reason == unmatched.THEME


def test_no_member_id_ever_appears_in_the_words() -> None:
    result = explain(mentee(), [mentor(987654321, "career,identity", available=False)])
    text = unmatched.message("Server", result, None, None)
    assert "987654321" not in text and "whenever the moderators start one" in text
