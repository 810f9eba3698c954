"""Tables of the intros feature: one card per member, its tags for find and autocomplete, and the
answers of a refused form, kept for a day so the next form opens with them."""

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
    # While the card is not posted yet (message_id is None): which submission is posting it, since when.
    # The database decides who posts, so two submissions at once make one card (storage.intros.claim_intro).
    card_claim: Mapped[str | None] = mapped_column(String(32))
    card_claimed_at: Mapped[datetime | None]
    # How many submissions stored their answers while the card was not posted (0 once it is): a claim whose
    # post fails removes the intro it created only if no other submission was told its answers were saved.
    unposted_saves: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    tags: Mapped[list[IntroTag]] = relationship(
        back_populates="intro", cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class IntroTag(Base):
    """One normalised heritage or language of an intro, or a theme its writer chose (kind is 'heritage', 'language'
    or 'theme'; a theme's tag is the guild theme's key)."""

    __tablename__ = "intro_tags"
    __table_args__ = (Index("ix_intro_tags_guild_kind_tag", "guild_id", "kind", "tag"),)

    intro_id: Mapped[int] = mapped_column(ForeignKey("intros.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    guild_id: Mapped[Snowflake]
    user_id: Mapped[Snowflake]

    intro: Mapped[Intro] = relationship(back_populates="tags")


class IntroTagCount(Base):
    """How many discoverable members of a guild carry a tag: `/intro find`'s autocomplete reads these rows instead of
    counting every tag row of the guild (~240 ms at 80,000 intros). Kept by storage.intros wherever an intro's tags
    or `discoverable` change or an intro goes; a count that reaches 0 is deleted. No member ids."""

    __tablename__ = "intro_tag_counts"

    guild_id: Mapped[Snowflake] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    members: Mapped[int]


class IntroFormDraft(Base):
    """What a member typed in an intro form I refused, as they typed it: the next form opens with it.

    Deleted when an intro is saved, by /privacy delete, and a day after it was kept
    (storage.intro_drafts.DRAFT_KEEP)."""

    __tablename__ = "intro_drafts"

    guild_id: Mapped[Snowflake] = mapped_column(primary_key=True)
    user_id: Mapped[Snowflake] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    heritages: Mapped[str] = mapped_column(Text)
    languages: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    story: Mapped[str] = mapped_column(Text)
    kept_at: Mapped[datetime] = mapped_column(index=True)
