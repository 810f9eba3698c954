"""Lantern's settings: one pydantic-settings class, read from the environment and `.env`."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# From a clone (where ./lantern lives), data/ sits beside the code; installed as a package (pip install .),
# the code is in site-packages and data/ belongs in the folder Lantern runs in.
DATA_DIR = PROJECT_ROOT / "data" if (PROJECT_ROOT / "lantern").is_file() else Path("data")
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{DATA_DIR / 'lantern.db'}"


def parse_shard_ids(text: str) -> list[int]:
    """'0-3' → [0, 1, 2, 3]; '0,2,5' → [0, 2, 5]."""
    ids: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            low, high = (int(x) for x in part.split("-", 1))
            if low > high:
                raise ValueError(f"bad shard range {part!r}")
            ids.update(range(low, high + 1))
        else:
            ids.add(int(part))
    if not ids or min(ids) < 0:
        raise ValueError(f"bad shard ids {text!r}")
    return sorted(ids)


# https://host/path?query#fragment with only a URI's characters, less the brackets and parentheses a markdown link
# cannot hold.
_NOTICE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~:/?#@!$&'*+,;=%-]*)?")


def parse_weights(value: str) -> tuple[int, int, int, int]:
    """'50,20,15,15' → (50, 20, 15, 15): four whole numbers, none negative, adding up to 100, the first (themes)
    the largest; ValueError naming the problem otherwise."""
    parts = [part.strip() for part in value.split(",")]
    if len(parts) != 4 or not all(part.isdigit() for part in parts):
        raise ValueError("must be four whole numbers separated by commas: themes, heritage, language, timezone")
    theme, heritage, language, timezone = (int(part) for part in parts)
    if theme + heritage + language + timezone != 100:
        raise ValueError(f"must add up to 100 (these add up to {theme + heritage + language + timezone})")
    if theme < max(heritage, language, timezone):
        raise ValueError("themes must have the largest weight")
    return theme, heritage, language, timezone


class Settings(BaseSettings):
    """Everything a deployer can set. Build it with keyword arguments alone in tests."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    discord_token: SecretStr | None = Field(
        default=None, description="The bot token from the Discord developer portal."
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db.",
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    sync_commands_on_start: bool = Field(
        default=False, description="Sync slash commands at every start (otherwise use `python bot.py sync`)."
    )
    dev_guild_id: int | None = Field(
        default=None, description="If set, `sync` without --guild syncs to this guild only (instant)."
    )
    scheduler_enabled: bool = Field(default=True, description="Run APScheduler, which calls run_due_jobs on a timer.")
    due_jobs_interval_seconds: int = Field(
        default=30, ge=5, le=3600, description="How often APScheduler looks for due work."
    )
    due_requests_per_second: int = Field(
        default=48,
        ge=1,
        le=50,
        description="How many requests a second due work (prompt posts) may make. Discord allows 50 in all; a "
        "little under it drains a backlog as fast as Discord lets it without 429s (docs/scale.md).",
    )
    due_concurrency: int = Field(
        default=16,
        ge=1,
        le=64,
        description="How many due posts may be in flight at once: enough to keep the pace while each request "
        "waits for Discord's answer (about 50-150 ms), few enough that a 429 costs little.",
    )
    cache_size: int = Field(
        default=5000,
        ge=10,
        le=1_000_000,
        description="How many guilds (or channels) each of Lantern's per-process caches keeps: a guild's "
        "configuration, a channel's /prompt random cooldown, a bank known to be seeded, a mod-log warning already "
        "sent. The least recently used goes first, so memory stays flat however many guilds the process serves.",
    )
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, le=60000)
    backup_dir: Path | None = Field(
        default=None, description="If set (SQLite only), a backup of the database is made here once a day."
    )
    backup_keep: int = Field(default=14, ge=1, le=3650, description="How many daily backups to keep in BACKUP_DIR.")
    freeze_heap_on_ready: bool = Field(
        default=True,
        description="Once ready, move what startup loaded (Discord's caches) out of the garbage collector's "
        "full passes, which otherwise stall the bot for tens of milliseconds on a large server (docs/scale.md).",
    )
    proposal_expiry_days: int = Field(
        default=3, ge=1, le=30, description="Days a mentor proposal waits for an answer before it lapses."
    )
    match_weights: str = Field(
        default="50,20,15,15",
        description="The points of a pairing's score (0-100) for shared themes, heritage, language and timezone "
        "closeness, in that order: four whole numbers adding up to 100, themes the largest (PRODUCT.md).",
    )
    privacy_notice_url: str | None = Field(
        default=None, description="Where your copy of PRIVACY.md is published; /about links to it."
    )
    protection_key: SecretStr | None = Field(
        default=None,
        description="The secret that keeps blocks and 'never again' enforceable after the other member erases "
        "their data (PRIVACY.md). Set it (32+ characters) when processes on several machines share one database; "
        "otherwise Lantern creates a key file on first start.",
    )
    protection_key_file: Path | None = Field(
        default=None,
        description="Where the protection key file lives (default: beside the SQLite database, or data/ for "
        "PostgreSQL). Back it up apart from the database.",
    )
    shard_count: int | None = Field(
        default=None, ge=1, description="Total shards across all processes (leave unset to let Discord decide)."
    )
    shard_ids: str | None = Field(
        default=None, description="The shards this process runs: '0-3' or '0,1,2' (needs SHARD_COUNT)."
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return upper

    @field_validator("privacy_notice_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        """An https (or http) address written as a URI: `/about` puts it in a markdown link, where a space, a
        bracket or a parenthesis would break the link (and Discord's rules want an ASCII URI)."""
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not _NOTICE_URL.fullmatch(value):
            raise ValueError(
                "must be a web address starting with https:// (or http://), written without "
                "spaces, brackets or parentheses; letters outside English as %-escapes"
            )
        return value

    @field_validator("match_weights")
    @classmethod
    def _weights(cls, value: str) -> str:
        return ",".join(str(part) for part in parse_weights(value))

    def weight_points(self) -> tuple[int, int, int, int]:
        """MATCH_WEIGHTS as (themes, heritage, language, timezone) points."""
        return parse_weights(self.match_weights)

    @field_validator("shard_ids")
    @classmethod
    def _shard_list(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_shard_ids(value)
        return value.strip()

    def shard_id_list(self) -> list[int] | None:
        if self.shard_ids is None:
            return None
        ids = parse_shard_ids(self.shard_ids)
        if self.shard_count is None or any(shard >= self.shard_count for shard in ids):
            raise ValueError("SHARD_IDS needs SHARD_COUNT, and every id must be below it")
        return ids

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def token_value(self) -> str | None:
        if self.discord_token is None:
            return None
        token = self.discord_token.get_secret_value().strip()
        return token or None
