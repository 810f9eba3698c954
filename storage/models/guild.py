"""Per-guild configuration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import Snowflake

DEFAULT_WELCOME = "Welcome to {server}, {member}! When you're ready, introduce yourself so people can find kin."
DEFAULT_CHECKINS = "14,45"


class GuildSettings(Base):
    """Where each feature posts and how it behaves, for one guild."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[Snowflake] = mapped_column(primary_key=True, autoincrement=False)
    intro_channel_id: Mapped[Snowflake | None]
    welcome_channel_id: Mapped[Snowflake | None]
    prompts_channel_id: Mapped[Snowflake | None]
    resources_channel_id: Mapped[Snowflake | None]
    mentorship_channel_id: Mapped[Snowflake | None]
    modlog_channel_id: Mapped[Snowflake | None]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    welcome_message: Mapped[str | None] = mapped_column(Text)
    intro_role_id: Mapped[Snowflake | None]
    review_resources: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    pairing_checkins: Mapped[str] = mapped_column(String(32), default=DEFAULT_CHECKINS, server_default=DEFAULT_CHECKINS)
    retention_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # When a member erases their data: keep the resources they shared (anonymously) or remove them.
    keep_shared_resources: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def welcome_template(self) -> str:
        return self.welcome_message or DEFAULT_WELCOME

    @property
    def checkin_days(self) -> tuple[int, ...]:
        if not self.pairing_checkins or self.pairing_checkins == "off":
            return ()
        return tuple(int(part) for part in self.pairing_checkins.split(","))


class GuildTheme(Base):
    """A guild's theme list: the defaults, renamed, disabled or extended by moderators."""

    __tablename__ = "guild_themes"
    __table_args__ = (UniqueConstraint("guild_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(ForeignKey("guild_settings.guild_id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(80))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
