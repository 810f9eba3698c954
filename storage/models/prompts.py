"""Tables of the prompts feature: the bank, suggestions, schedules and their claimed slots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import Snowflake


class PromptBank(Base):
    """One row per guild whose bank was seeded with the defaults (so seeding happens once)."""

    __tablename__ = "prompt_banks"

    guild_id: Mapped[Snowflake] = mapped_column(primary_key=True, autoincrement=False)
    seeded_at: Mapped[datetime]


class Prompt(Base):
    """A prompt in a guild's bank. `suggested_by_id` is the member who suggested it, if any."""

    __tablename__ = "prompts"
    __table_args__ = (UniqueConstraint("guild_id", "text_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    theme: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(300))
    text_key: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(16))  # default | added | imported | suggested
    suggested_by_id: Mapped[Snowflake | None] = mapped_column(index=True)
    # The cultural-calendar occasion (calendar.Occasion.key) it was written for; such prompts are posted on
    # their occasion only, never by /prompt random or a schedule (cogs/prompts/occasions.py).
    occasion: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime]


class PromptSuggestion(Base):
    """A member's suggestion, waiting for `/prompts review` (status pending → approved | rejected)."""

    __tablename__ = "prompt_suggestions"
    # The review queue: a guild's pending suggestions, oldest first (migration 0815).
    __table_args__ = (Index("ix_prompt_suggestions_queue", "guild_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake]
    user_id: Mapped[Snowflake] = mapped_column(index=True)
    theme: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    reason: Mapped[str | None] = mapped_column(String(300))
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class PromptSchedule(Base):
    """A recurring prompt stream. `next_run_at` is the source of truth for when it is next due."""

    __tablename__ = "prompt_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake] = mapped_column(index=True)
    channel_id: Mapped[Snowflake]
    cadence: Mapped[str] = mapped_column(String(32))  # cadence.Cadence.spec
    time: Mapped[str] = mapped_column(String(5))  # HH:MM in the guild's timezone
    themes: Mapped[str] = mapped_column(String(400), default="", server_default="")  # comma-separated keys
    thread: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    anchor: Mapped[str] = mapped_column(String(10))  # local ISO date that `every N days` counts from
    next_run_at: Mapped[datetime] = mapped_column(index=True)
    cycle: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    paused_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    @property
    def theme_keys(self) -> tuple[str, ...]:
        return tuple(key for key in self.themes.split(",") if key)


class PromptPost(Base):
    """One claimed slot of a schedule. The unique (schedule_id, slot) makes each slot post once.

    status: claimed (not yet on Discord) → posted; or dropped (the schedule paused before it could post);
    or skipped (a newer slot of the schedule was claimed first: after any outage at most one catch-up post).
    `lease_until` and `lease_owner` mark a claim some process (`LanternBot.instance_id`) is working on right
    now; an expired lease may be taken over by any process. `attempts`, `retry_at` and `last_error` track the
    claim's current step: posting while it is claimed, then opening its thread while `thread_state` is
    pending (pending → open | failed | gone; None when the schedule wants no thread).
    """

    __tablename__ = "prompt_posts"
    __table_args__ = (UniqueConstraint("schedule_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("prompt_schedules.id", ondelete="CASCADE"), index=True)
    slot: Mapped[datetime]
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id", ondelete="SET NULL"))
    cycle: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="claimed", server_default="claimed", index=True)
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    retry_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    message_id: Mapped[Snowflake | None]
    thread_state: Mapped[str | None] = mapped_column(String(16), index=True)
    thread_id: Mapped[Snowflake | None]
    claimed_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]
