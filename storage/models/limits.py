"""Uses of member commands that have a rate limit, kept so that a restart doesn't reset the limits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import Snowflake


class RateLimitUse(Base):
    """One use of a limited action by a member. Rows older than the action's window are pruned when the
    member uses it again; `/privacy delete` erases them."""

    __tablename__ = "rate_limit_uses"
    __table_args__ = (Index("ix_rate_limit_uses_member", "guild_id", "user_id", "action", "used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake]
    user_id: Mapped[Snowflake]
    action: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[datetime]
