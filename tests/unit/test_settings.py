"""Settings: built from keyword arguments alone, validated at start."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from bot import create_bot
from config import Settings
from config.settings import parse_shard_ids


def make(**kwargs: object) -> Settings:
    return Settings(_env_file=None, **kwargs)  # type: ignore[arg-type]


def test_defaults_use_sqlite_under_data() -> None:
    settings = make()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("/data/lantern.db")
    assert settings.token_value() is None


def test_token_is_secret_and_blank_means_missing() -> None:
    settings = make(discord_token="abc.def")
    assert "abc.def" not in repr(settings)
    assert settings.token_value() == "abc.def"
    assert make(discord_token="   ").token_value() is None


def test_unknown_log_level_is_refused() -> None:
    with pytest.raises(ValidationError):
        make(log_level="chatty")


@pytest.mark.parametrize(
    "address",
    [
        "https://example.org/lantern-privacy",
        "http://example.org:8080/p?lang=ja#top",
        "https://xn--r8jz45g.jp/%E5%AE%B6",
    ],
)
def test_a_privacy_notice_address_is_kept(address: str) -> None:
    assert make(privacy_notice_url=f" {address} ").privacy_notice_url == address
    assert make(privacy_notice_url="  ").privacy_notice_url is None


@pytest.mark.parametrize(
    "bad",
    [
        "example.org/privacy",  # no scheme: /about would show a link that goes nowhere
        "javascript:alert(1)",
        "https://example.org/a b",
        "https://example.org/privacy)[Verify](https://evil.example",  # would end /about's link early
        "https://例え.jp/家族",  # Discord's rules want an ASCII URI
    ],
)
def test_a_privacy_notice_address_that_would_break_the_link_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="must be a web address starting with https://"):
        make(privacy_notice_url=bad)


@pytest.mark.parametrize(("text", "ids"), [("0-3", [0, 1, 2, 3]), ("0,2,5", [0, 2, 5]), ("1, 3-4", [1, 3, 4])])
def test_shard_ids_parse(text: str, ids: list[int]) -> None:
    assert parse_shard_ids(text) == ids


@pytest.mark.parametrize("bad", ["", "3-1", "-1", "a"])
def test_bad_shard_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_shard_ids(bad)


def test_a_process_owns_only_the_guilds_of_its_shards() -> None:
    """With 2 shards, process 0 owns guilds whose (id >> 22) % 2 == 0, and not the others."""
    bot = create_bot(make(shard_count=2, shard_ids="0"))
    even_guild = 4 << 22
    odd_guild = 5 << 22
    assert bot.owns_guild(even_guild)
    assert not bot.owns_guild(odd_guild)
    assert create_bot(make()).owns_guild(odd_guild)


def test_shard_ids_must_be_below_shard_count() -> None:
    with pytest.raises(ValueError):
        make(shard_count=2, shard_ids="0-2").shard_id_list()


def test_match_weights_are_four_points_adding_up_to_100_themes_first() -> None:
    """MATCH_WEIGHTS (PRODUCT.md: "Weights are configuration"): read as themes, heritage, language, timezone."""
    assert make().weight_points() == (50, 20, 15, 15)
    assert make(match_weights=" 40, 30 ,20,10").weight_points() == (40, 30, 20, 10)
    assert make(match_weights="100,0,0,0").match_weights == "100,0,0,0"
    for bad, says in [
        ("50,20,15", "four whole numbers"),
        ("50,20,15,-15", "four whole numbers"),
        ("50,20,15,1.5", "four whole numbers"),
        ("60,20,15,15", "add up to 100 (these add up to 110)"),
        ("20,50,15,15", "themes must have the largest weight"),
    ]:
        with pytest.raises(ValidationError, match=re.escape(says)):
            make(match_weights=bad)
