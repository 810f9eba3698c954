"""anonymous answers: a member's pending answers are found by an index

Revision ID: 0817
Revises: 0816

`/privacy export` and `/privacy delete` read or remove a member's answers (`WHERE guild_id AND (author_key = … OR
user_id = …)`: reviewed answers keep only the keyed hash, pending ones the id). Only the hash had an index, so
PostgreSQL scanned every answer: 9.6 ms in 80,000 (docs/scale.md, "Ordered queries on PostgreSQL"). With both
it combines the two indexes. A pending answer's user_id is cleared when it is reviewed, so the index stays as
small as the queue.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0817"
down_revision: str | Sequence[str] | None = "0816"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_prompt_answers_member", "prompt_answers", ["guild_id", "user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_prompt_answers_member", table_name="prompt_answers")
