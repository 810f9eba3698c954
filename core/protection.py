"""The deployment's protection key: how a block or a "never again" outlives the other person's data.

When a member erases their data (or is purged after leaving), the protections *other* members hold
against them (a block, a past invitation or pairing) are kept as a keyed hash of the pair:
HMAC-SHA256(key, guild, the two member ids), owned by the member it protects. The hash lets Lantern
recognise the pair again if the erased member opts in later; without the key it says nothing about
who the other member was.

Where the key lives (see PRIVACY.md): the `PROTECTION_KEY` setting when it is set (required when
processes on several machines share one PostgreSQL database), otherwise a key file created on the
first start: beside the SQLite database file, or in `data/` for PostgreSQL. Never in the database:
member ids are public snowflakes a guild can enumerate, so a key stored next to the hashes would let
anyone holding a database copy (a backup, a database host) test every pair and undo the erasure.

No discord import: the bot builds one `ProtectionKey` and hands it to the features that need it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from config.settings import DATA_DIR
from storage.database import sqlite_path

log = logging.getLogger(__name__)

KEY_FILE_SUFFIX = ".protection-key"
MIN_SETTING_LENGTH = 32


class ProtectionKeyError(RuntimeError):
    """The protection key can't be read, or isn't the one the database's protections were made with."""


def default_key_file(database_url: str) -> Path:
    """Beside a SQLite database file (`data/lantern.db` → `data/lantern.db.protection-key`); for any
    other database, `data/lantern.protection-key` in the project."""
    database = sqlite_path(database_url)
    if database is not None:
        return database.with_name(database.name + KEY_FILE_SUFFIX)
    return DATA_DIR / f"lantern{KEY_FILE_SUFFIX}"


def _create_key_file(path: Path) -> None:
    """Write a new random key, readable by the owner only; a process starting at the same moment that
    wins the race keeps its key (the file is linked into place, never overwritten)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(draft, path)
            log.info("created the protection key %s: back it up apart from the database", path)
        except FileExistsError:
            pass
    finally:
        draft.unlink(missing_ok=True)


class ProtectionKey:
    """Keyed pair hashes. The key is read (or created) on first use, not when the bot is built."""

    def __init__(self, *, secret: str | None, key_file: Path) -> None:
        self._secret = secret
        self.key_file = key_file
        self._key: bytes | None = None
        self._mac: hmac.HMAC | None = None

    @property
    def source(self) -> str:
        return "the PROTECTION_KEY setting" if self._secret else str(self.key_file)

    def key(self) -> bytes:
        if self._key is None:
            self._key = self._load()
            self._mac = hmac.new(self._key, digestmod=hashlib.sha256)
        return self._key

    def _load(self) -> bytes:
        if self._secret:
            if len(self._secret.strip()) < MIN_SETTING_LENGTH:
                raise ProtectionKeyError(f"PROTECTION_KEY must be at least {MIN_SETTING_LENGTH} characters long")
            return self._secret.strip().encode("utf-8")
        if not self.key_file.exists():
            _create_key_file(self.key_file)
        try:
            text = self.key_file.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise ProtectionKeyError(f"can't read the protection key {self.key_file}: {error}") from error
        if len(text) < MIN_SETTING_LENGTH:
            raise ProtectionKeyError(f"the protection key {self.key_file} is too short or empty")
        return text.encode("ascii")

    def pair(self, guild_id: int, first: int, second: int) -> str:
        """The hash of two members in a guild, the same whichever order they are given in."""
        low, high = (first, second) if first <= second else (second, first)
        if self._mac is None:
            self.key()
        assert self._mac is not None
        mac = self._mac.copy()  # the keyed state is computed once; a round hashes owners × members pairs
        mac.update(f"lantern-protection:v1:{guild_id}:{low}:{high}".encode("ascii"))
        return mac.hexdigest()

    def fingerprint(self) -> str:
        """A value stored in the database to notice a different key (a restore without the key file)."""
        return hmac.new(self.key(), b"lantern-protection:fingerprint", hashlib.sha256).hexdigest()
