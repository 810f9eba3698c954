"""Tables of the cultural calendar (cogs/prompts/occasions.py): which occasions a guild follows, and each
occasion post claimed exactly once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import Snowflake


class OccasionBank(Base):
    """One row per guild whose bank holds the calendar's prompts (so they are seeded once, also for guilds
    whose bank was seeded before the calendar existed)."""

    __tablename__ = "occasion_banks"

    guild_id: Mapped[Snowflake] = mapped_column(primary_key=True, autoincrement=False)
    seeded_at: Mapped[datetime]


class GuildOccasion(Base):
    """An occasion a guild has turned on. `next_day` is the occasion's next (guild-local) date and `next_at` the
    moment its post falls due (`days_before` days earlier at `time`); both None when the calendar behind it has
    no later date. Paused (and `paused_reason` set) when its channel or a permission went missing."""

    __tablename__ = "guild_occasions"
    __table_args__ = (
        UniqueConstraint("guild_id", "occasion"),
        CheckConstraint("days_before >= 0 AND days_before <= 14", name="days_before_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    occasion: Mapped[str] = mapped_column(String(40))  # calendar.Occasion.key
    channel_id: Mapped[Snowflake]
    days_before: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    time: Mapped[str] = mapped_column(String(5), default="09:00", server_default="09:00")  # HH:MM, guild-local
    thread: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    paused_reason: Mapped[str | None] = mapped_column(Text)
    next_day: Mapped[date | None] = mapped_column(Date)
    next_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OccasionPost(Base):
    """One occasion post of a guild: the unique (guild_id, family, day) makes a festival post once per date, even
    when several members of its family (Chinese New Year, Seollal, Tết) are on and fall on the same day.

    `day` is the occasion's guild-local date; `occasions` the comma-separated keys the post names. Status and
    lease columns work as in `prompt_posts`: claimed → posted, or dropped (turned off or paused before it
    could post); `lease_owner` is a process id (`LanternBot.instance_id`); `attempts`, `retry_at` and
    `last_error` back off one failing post; `thread_state` pending → open | failed | gone.
    """

    __tablename__ = "occasion_posts"
    __table_args__ = (UniqueConstraint("guild_id", "family", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    family: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    occasions: Mapped[str] = mapped_column(String(400))
    channel_id: Mapped[Snowflake]
    thread: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="claimed", server_default="claimed", index=True)
    due_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    message_id: Mapped[Snowflake | None]
    thread_state: Mapped[str | None] = mapped_column(String(16))
    thread_id: Mapped[Snowflake | None]
    claimed_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key in self.occasions.split(",") if key)
