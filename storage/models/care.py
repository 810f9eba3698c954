"""Tables of the care feature: where a server's members find support, and reports to moderators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import Snowflake


class CareSupport(Base):
    """What `/support` and the line under hard-theme prompts point to, set with `/setup support`.

    `helplines` is a JSON list of [label, https link]; NULL means the default international directory.
    Nothing here is about a member."""

    __tablename__ = "care_support"

    guild_id: Mapped[Snowflake] = mapped_column(
        ForeignKey("guild_settings.guild_id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    channel_id: Mapped[Snowflake | None]
    people: Mapped[str | None] = mapped_column(String(200))
    helplines: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class CareReport(Base):
    """A member's report of a message (kind "message") or of a pair thread (kind "thread") to the moderators.

    `user_id` is the reporter, kept for the rate limit, duplicates and abuse of reporting; NULL once they
    erased their data (their words go too). `reported_user_id` is the message's author (or the other member
    of a pair thread), NULL once they erased theirs. `handled_by_id` is the moderator who marked it handled.
    A reporter reports a message once: the unique constraint holds it (thread reports have no message id)."""

    __tablename__ = "care_reports"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id", "message_id"),
        Index("ix_care_reports_member", "guild_id", "user_id"),
        Index("ix_care_reports_reported", "guild_id", "reported_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(ForeignKey("guild_settings.guild_id", ondelete="CASCADE"))
    user_id: Mapped[Snowflake | None]
    reported_user_id: Mapped[Snowflake | None]
    kind: Mapped[str] = mapped_column(String(8))
    channel_id: Mapped[Snowflake]
    message_id: Mapped[Snowflake | None]
    reason: Mapped[str] = mapped_column(String(16))
    details: Mapped[str | None] = mapped_column(Text)
    reporter_hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime]
    modlog_channel_id: Mapped[Snowflake | None]
    modlog_message_id: Mapped[Snowflake | None]
    handled_at: Mapped[datetime | None]
    handled_by_id: Mapped[Snowflake | None]
