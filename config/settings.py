"""Lantern's settings: one pydantic-settings class, read from the environment and `.env`."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'data' / 'lantern.db'}"


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
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, le=60000)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return upper

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def token_value(self) -> str | None:
        if self.discord_token is None:
            return None
        token = self.discord_token.get_secret_value().strip()
        return token or None
