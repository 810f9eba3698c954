"""Per-guild memory is bounded (CACHE_SIZE): the least recently used goes first, so it stays flat as guilds grow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.cooldown import Cooldown
from core.errors import CoolingDown
from core.lru import LRU, LRUSet
from storage.guild_cache import GuildConfig, GuildConfigCache

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_least_recently_used_entry_goes_first() -> None:
    """Reading an entry keeps it; the one nobody touched longest is dropped when the LRU is full."""
    lru: LRU[int, str] = LRU(2)
    lru[1], lru[2] = "one", "two"
    assert lru.get(1) == "one"
    lru[3] = "three"
    assert (1 in lru, 2 in lru, 3 in lru, len(lru)) == (True, False, True, 2)


def test_a_set_of_seen_guilds_stays_within_its_size() -> None:
    """A thousand guilds pass through a set of ten: it holds the last ten."""
    seen: LRUSet[int] = LRUSet(10)
    for guild_id in range(1000):
        seen.add(guild_id)
    assert len(seen) == 10 and 999 in seen and 0 not in seen


def test_guild_config_copies_stay_flat_as_guilds_grow() -> None:
    """Copies of 10,000 guilds' configuration in a cache of 100: 100 kept, the newest; a dropped one is read again."""
    cache = GuildConfigCache(lambda: NOW, max_guilds=100)
    for guild_id in range(10_000):
        cache.store(guild_id, GuildConfig(None, ()), cache.generation)
    assert len(cache._copies) == 100
    assert cache.get(9_999) is not None and cache.get(0) is None


def test_a_cooldown_remembers_only_its_most_recent_channels() -> None:
    """/prompt random's cooldown over 50 channels with room for 10: the recent ones still cool down."""
    cooldown = Cooldown(1, timedelta(minutes=10), "A prompt was posted here a moment ago.", max_keys=10)
    for channel_id in range(50):
        cooldown.record(channel_id, NOW)
    assert len(cooldown._uses) == 10
    with pytest.raises(CoolingDown):
        cooldown.check(49, NOW + timedelta(minutes=1))
    cooldown.check(0, NOW + timedelta(minutes=1))  # forgotten: errs on the side of letting members talk
