"""Tables of anonymous answers under prompts and of "This one was good" votes (issue 20).

Who wrote an anonymous answer is kept two ways, and PRIVACY.md says who can learn it and when:
- `user_id`, the writer's id, only while the answer waits for review (to tell them the outcome); it is
  cleared when a moderator approves or rejects it;
- `author_key`, a keyed hash of guild and writer (HMAC-SHA256 with the deployment's protection key,
  core/protection.py), for as long as the answer is kept: it lets the writer find, see and erase their own
  answers and holds the daily limit, and says nothing about them to anyone holding the database alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.types import Snowflake


class PromptAnswer(Base):
    """An anonymous answer under a posted prompt: pending → approved (posted) | rejected; approved → removed.

    `channel_id`/`message_id` are the prompt's message (its thread, when it has one, has the same id);
    `posted_channel_id`/`posted_message_id` the "A member answered:" message once approved."""

    __tablename__ = "prompt_answers"
    __table_args__ = (
        Index("ix_prompt_answers_author", "guild_id", "author_key"),
        Index("ix_prompt_answers_queue", "guild_id", "status", "id"),  # pending ones, oldest first (0816)
        Index("ix_prompt_answers_posted", "posted_message_id"),  # a deleted message finds its answer
        Index("ix_prompt_answers_member", "guild_id", "user_id"),  # a member's pending answers: export, erasure (0817)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake]
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id", ondelete="SET NULL"))
    channel_id: Mapped[Snowflake]
    message_id: Mapped[Snowflake]
    user_id: Mapped[Snowflake | None]
    author_key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    posted_channel_id: Mapped[Snowflake | None]
    posted_message_id: Mapped[Snowflake | None]


class PromptVote(Base):
    """A member's "This one was good" on one posted prompt message: once per member per message."""

    __tablename__ = "prompt_votes"
    __table_args__ = (
        UniqueConstraint("guild_id", "message_id", "user_id"),
        Index("ix_prompt_votes_prompt", "guild_id", "prompt_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake]
    message_id: Mapped[Snowflake]
    user_id: Mapped[Snowflake]
    prompt_id: Mapped[int | None] = mapped_column(ForeignKey("prompts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
