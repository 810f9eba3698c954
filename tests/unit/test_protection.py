"""The protection key: created once beside the database, private to its owner, and the pair hash is
symmetric, keyed and tied to the guild."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from core.protection import ProtectionKey, ProtectionKeyError, default_key_file


def test_the_key_file_sits_beside_a_sqlite_database_and_in_data_for_postgres(tmp_path: Path) -> None:
    """SQLite: `<database>.protection-key`; any other database: data/lantern.protection-key."""
    assert default_key_file(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}") == tmp_path / "x.db.protection-key"
    assert default_key_file("postgresql+asyncpg://u@h/db").name == "lantern.protection-key"


def test_the_key_file_is_created_once_and_readable_only_by_its_owner(tmp_path: Path) -> None:
    """A first use creates a random key (mode 0600); a second bot reads the same key."""
    path = tmp_path / "lantern.db.protection-key"
    first = ProtectionKey(secret=None, key_file=path)
    digest = first.pair(1, 2, 3)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ProtectionKey(secret=None, key_file=path).pair(1, 2, 3) == digest
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no draft left behind


def test_the_pair_hash_is_symmetric_keyed_and_per_guild(tmp_path: Path) -> None:
    """Either order gives the same hash; another guild or another key gives another; no id shows in it."""
    key = ProtectionKey(secret="s" * 40, key_file=tmp_path / "unused")
    assert key.pair(7, 111, 222) == key.pair(7, 222, 111)
    assert key.pair(8, 111, 222) != key.pair(7, 111, 222)
    assert ProtectionKey(secret="t" * 40, key_file=tmp_path / "unused").pair(7, 111, 222) != key.pair(7, 111, 222)
    assert len(key.pair(7, 111, 222)) == 64
    assert not (tmp_path / "unused").exists()


def test_a_short_setting_is_refused(tmp_path: Path) -> None:
    """PROTECTION_KEY needs at least 32 characters."""
    with pytest.raises(ProtectionKeyError, match="at least 32"):
        ProtectionKey(secret="short", key_file=tmp_path / "k").pair(1, 2, 3)
