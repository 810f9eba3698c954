"""Members who left: their remaining data is erased once the guild's retention has passed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, PrimaryKeyConstraint, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import Snowflake


class Departure(Base):
    __tablename__ = "departures"
    __table_args__ = (PrimaryKeyConstraint("guild_id", "user_id"),)

    guild_id: Mapped[Snowflake] = mapped_column(ForeignKey("guild_settings.guild_id", ondelete="CASCADE"))
    user_id: Mapped[Snowflake]
    left_at: Mapped[datetime]
    purge_after: Mapped[datetime] = mapped_column(index=True)


class NamedMessage(Base):
    """A message Lantern posted that names a member (a mod-log entry about them), so that erasing their
    data can edit it to remove their name, id and words. Only ids are kept here."""

    __tablename__ = "named_messages"
    __table_args__ = (Index("ix_named_messages_member", "guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake]
    user_id: Mapped[Snowflake]
    channel_id: Mapped[Snowflake]
    message_id: Mapped[Snowflake]


class HeldMessage(Base):
    """A private message for a member whose DMs are closed, kept until they read it with `/mentor status`
    (only they see it there). Where the mentorship channel's content-free nudge is, to remove it then."""

    __tablename__ = "held_messages"
    __table_args__ = (Index("ix_held_messages_member", "guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake]
    user_id: Mapped[Snowflake]
    content: Mapped[str] = mapped_column(Text)
    components: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")  # the buttons, as JSON
    created_at: Mapped[datetime]
    nudge_channel_id: Mapped[Snowflake | None]
    nudge_message_id: Mapped[Snowflake | None]
