"""Members who left: their remaining data is erased once the guild's retention has passed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, PrimaryKeyConstraint
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
