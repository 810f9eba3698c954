"""Tables of the intros feature: one card per member, and its tags for find and autocomplete."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base
from storage.types import Snowflake


class Intro(Base):
    """A member's introduction in one guild, in their own words, and where its card is posted."""

    __tablename__ = "intros"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake]
    user_id: Mapped[Snowflake]
    name: Mapped[str] = mapped_column(String(100))
    heritages: Mapped[str] = mapped_column(String(300))
    languages: Mapped[str] = mapped_column(String(300), default="", server_default="")
    location: Mapped[str] = mapped_column(String(100), default="", server_default="")
    story: Mapped[str] = mapped_column(Text)
    # Opt-in: hidden from /intro find until the member says yes (migration 0704 hid every earlier intro).
    discoverable: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Set by migration 0704 for intros it hid: the owner is told once, the next time they use /intro.
    find_notice_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    channel_id: Mapped[Snowflake | None]
    message_id: Mapped[Snowflake | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    tags: Mapped[list[IntroTag]] = relationship(
        back_populates="intro", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class IntroTag(Base):
    """One normalised heritage or language of an intro (kind is 'heritage' or 'language')."""

    __tablename__ = "intro_tags"
    __table_args__ = (Index("ix_intro_tags_guild_kind_tag", "guild_id", "kind", "tag"),)

    intro_id: Mapped[int] = mapped_column(ForeignKey("intros.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    guild_id: Mapped[Snowflake]
    user_id: Mapped[Snowflake]

    intro: Mapped[Intro] = relationship(back_populates="tags")
