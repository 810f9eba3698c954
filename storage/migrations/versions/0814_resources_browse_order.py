"""resources: the browse indexes end with the id, the order's tie-break

Revision ID: 0814
Revises: 0600

`/resource browse` orders a guild's approved resources by `created_at DESC, id DESC` (newest) or
`helped_count DESC, id DESC` (most helpful). The indexes held everything but the id, so on PostgreSQL a page
of a large library sorted every row tied on the last indexed column: rows imported together share their
`created_at`, and most resources have no "helped" vote at all. A page of a guild of 82,000 such resources took
60-90 ms there. With the id in the index, a page is read off the index in order. SQLite already had it (every
index ends with the rowid), so there the change only renames.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0814"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_resources_guild_status_created", table_name="resources")
    op.drop_index("ix_resources_guild_status_helped", table_name="resources")
    op.create_index("ix_resources_browse_newest", "resources", ["guild_id", "status", "created_at", "id"], unique=False)
    op.create_index(
        "ix_resources_browse_helpful", "resources", ["guild_id", "status", "helped_count", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_resources_browse_helpful", table_name="resources")
    op.drop_index("ix_resources_browse_newest", table_name="resources")
    op.create_index(
        "ix_resources_guild_status_created", "resources", ["guild_id", "status", "created_at"], unique=False
    )
    op.create_index(
        "ix_resources_guild_status_helped", "resources", ["guild_id", "status", "helped_count"], unique=False
    )
