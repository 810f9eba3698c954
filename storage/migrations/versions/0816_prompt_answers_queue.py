"""anonymous answers: the review queue is read off an index in id order

Revision ID: 0816
Revises: 0813

`/prompt answers review` takes a guild's oldest pending answers (`WHERE guild_id, status = 'pending' ORDER BY
id LIMIT`). The index was (guild_id, status) without the id, so PostgreSQL walked the primary key from the
oldest answer (every guild's, every one already decided) until it had a page: 10 ms in a guild of 60,000
answers whose 2,000 newest wait (docs/scale.md, bench/orders.py). The new index replaces the one it extends
(no more index writes than before). SQLite already had the id there (every index ends with the rowid).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0816"
down_revision: str | Sequence[str] | None = "0813"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_prompt_answers_status", table_name="prompt_answers")
    op.create_index("ix_prompt_answers_queue", "prompt_answers", ["guild_id", "status", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_prompt_answers_queue", table_name="prompt_answers")
    op.create_index("ix_prompt_answers_status", "prompt_answers", ["guild_id", "status"], unique=False)
