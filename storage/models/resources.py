"""Tables of the resources feature.

The full-text index is not a model: on SQLite it is the FTS5 table `resources_fts` kept in step
by triggers, on PostgreSQL the table `resources_search` of stored tsvectors kept by a trigger; both
are created by raw SQL in migration 0804 and listed in the unmanaged sets below. They index the
`search_*` columns, which hold title, tags and description as `core.search_text.index_text`
folds them (accents, plurals, CJK character pairs), computed in Python on insert and whenever the
ORM changes those fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from core.search_text import index_text
from storage.base import UNMANAGED_INDEXES, UNMANAGED_TABLES, Base
from storage.types import Snowflake

UNMANAGED_TABLES.update({"resources_fts", "resources_search"})
UNMANAGED_INDEXES.update(
    {"ix_resources_search", "ix_resources_search_guild", "ix_resources_search_strong", "ix_resources_search_document"}
)

PENDING = "pending"
APPROVED = "approved"
HELPED = "helped"
SAVED = "saved"
THEME = "theme"
TAG = "tag"
SEARCHED = {"search_title": "title", "search_tags": "tags", "search_description": "description"}


def _indexed(field: str) -> Any:
    """A column default: the search index's form of `field` from the same INSERT (ORM or Core)."""

    def default(context: Any) -> str:
        return index_text(context.get_current_parameters().get(field) or "")

    return default


class Resource(Base):
    """A shared link: pending review or in the library (rejected ones are deleted)."""

    __tablename__ = "resources"
    __table_args__ = (
        UniqueConstraint("guild_id", "canonical_url"),
        # /resource browse's two orders, each ending with its tie-break (migration 0814)
        Index("ix_resources_browse_newest", "guild_id", "status", "created_at", "id"),
        Index("ix_resources_browse_helpful", "guild_id", "status", "helped_count", "id"),
        Index("ix_resources_guild_submitter", "guild_id", "submitter_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guild_id: Mapped[Snowflake]
    url: Mapped[str] = mapped_column(String(2000))
    canonical_url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Theme keys and normalised tags, comma-separated, for display and export; `ResourceLabel` indexes them.
    themes: Mapped[str] = mapped_column(String(400), default="", server_default="")
    tags: Mapped[str] = mapped_column(String(400), default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default=PENDING, server_default=PENDING)
    submitter_id: Mapped[Snowflake | None]
    channel_id: Mapped[Snowflake | None]
    message_id: Mapped[Snowflake | None]
    helped_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    saved_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    # What the full-text index holds (core.search_text.index_text of title, tags, description).
    search_title: Mapped[str] = mapped_column(Text, default=_indexed("title"), server_default="")
    search_tags: Mapped[str] = mapped_column(Text, default=_indexed("tags"), server_default="")
    search_description: Mapped[str] = mapped_column(Text, default=_indexed("description"), server_default="")

    @property
    def theme_keys(self) -> list[str]:
        return comma_keys(self.themes)

    @property
    def tag_list(self) -> list[str]:
        return comma_keys(self.tags)


def comma_keys(stored: str) -> list[str]:
    """A resource's `themes` or `tags` column as stored (comma-separated keys) as a list."""
    return [key for key in stored.split(",") if key]


class ResourceLabel(Base):
    """One theme key or tag of a resource, for filtering browse and search."""

    __tablename__ = "resource_labels"
    __table_args__ = (
        UniqueConstraint("resource_id", "kind", "value"),
        Index("ix_resource_labels_lookup", "guild_id", "kind", "value", "resource_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    guild_id: Mapped[Snowflake]
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(80))


class ResourceVote(Base):
    """A member's "Helped me" or "Save" on a resource: one of each kind per member, toggled."""

    __tablename__ = "resource_votes"
    __table_args__ = (
        UniqueConstraint("resource_id", "user_id", "kind"),
        Index("ix_resource_votes_member", "guild_id", "user_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    guild_id: Mapped[Snowflake]
    user_id: Mapped[Snowflake]
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]


@event.listens_for(Resource, "before_update")
def _reindex(_mapper: Any, _connection: Any, target: Resource) -> None:
    """An edited title, description or tags (through the ORM) is indexed again."""
    state = inspect(target)
    for column, field in SEARCHED.items():
        if state.attrs[field].history.has_changes():
            setattr(target, column, index_text(getattr(target, field) or ""))
