"""The support rules on their own: reading helplines a moderator typed, and the line under hard-theme prompts."""

from __future__ import annotations

import pytest

from cogs.care.reports import Target
from cogs.care.support import (
    DEFAULT_HELPLINES,
    LABEL_MAX,
    LINE_MAX,
    MAX_HELPLINES,
    URL_MAX,
    Support,
    dump_helplines,
    for_prompt,
    load_helplines,
    parse_helplines,
    support_line,
)
from core.errors import InvalidInput


def test_empty_helplines_mean_the_default_directory_which_is_stored_as_null() -> None:
    """Nothing typed is the international directory, stored as NULL so a better default reaches everyone."""
    assert parse_helplines("  \n ") == DEFAULT_HELPLINES
    assert dump_helplines(DEFAULT_HELPLINES) is None
    assert load_helplines(None) == DEFAULT_HELPLINES
    assert load_helplines("not json") == DEFAULT_HELPLINES


def test_helplines_round_trip() -> None:
    text = "Samaritans | https://www.samaritans.org\n  Befrienders   Worldwide |  https://befrienders.org/  "
    parsed = parse_helplines(text)
    assert parsed == (
        ("Samaritans", "https://www.samaritans.org"),
        ("Befrienders Worldwide", "https://befrienders.org/"),
    )
    assert load_helplines(dump_helplines(parsed)) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "Label | javascript:alert(1)",
        "Label | https://user:pw@example.org",
        "Label | https://example.org:8443/x",
        "Label | https://exa mple.org",
        "<@123> | https://example.org",
        "@everyone | https://example.org",
        " | https://example.org",
    ],
)
def test_helplines_that_could_mislead_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_helplines(text)


def test_the_support_line_fits_an_embed_field_at_its_largest() -> None:
    """Five of the longest helplines and the longest people text still fit, with whole links only."""
    helplines = tuple(("L" * LABEL_MAX, "https://example.org/" + "a" * (URL_MAX - 20)) for _ in range(MAX_HELPLINES))
    line = support_line(Support(channel_id=2**63 - 1, people="[x]" * 66, helplines=helplines))
    assert len(line) <= LINE_MAX
    assert line.endswith("`/support` lists more")
    assert line.count("](<") == line.count(">)")


def test_only_hard_themes_carry_the_line() -> None:
    assert for_prompt(Support(), "coping") and for_prompt(Support(), "support")
    assert for_prompt(Support(), "career") is None


def test_report_targets_round_trip() -> None:
    for target in (Target("message", 1, 2, 3), Target("message", 1, 2, None), Target("thread", 4, None, 5)):
        assert Target.decode(target.encode()) == target
    with pytest.raises(ValueError):
        Target.decode("x:1")
