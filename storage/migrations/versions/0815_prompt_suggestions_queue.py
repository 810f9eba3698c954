"""prompt suggestions: the review queue is read off an index in id order

Revision ID: 0815
Revises: 0600

`/prompts review` takes a guild's oldest pending suggestions (`WHERE guild_id, status = 'pending' ORDER BY id
LIMIT`) and counts them. The only index was (guild_id), so PostgreSQL walked the primary key from the oldest
suggestion (every guild's, every one already decided) until it had a page, and counted by reading all the
guild's suggestions: 22 ms in a guild of 60,000 decided suggestions and 134 pending, 1.2 ms after
(docs/scale.md, bench/orders.py). The new index replaces the one it extends (no more index writes than
before). SQLite already had the id there (every index ends with the rowid).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0815"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_prompt_suggestions_guild_id", table_name="prompt_suggestions")
    op.create_index("ix_prompt_suggestions_queue", "prompt_suggestions", ["guild_id", "status", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_prompt_suggestions_queue", table_name="prompt_suggestions")
    op.create_index("ix_prompt_suggestions_guild_id", "prompt_suggestions", ["guild_id"], unique=False)
