"""anonymous answers: an index on the posted message, so a message deleted in Discord finds its answer

Revision ID: 0813
Revises: 0808

A moderator who deletes a posted "A member answered:" message in Discord (instead of using *Remove*) marks
the answer removed; every message deleted in a server is looked up here, so the lookup is indexed.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0813"
down_revision: str | Sequence[str] | None = "0808"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_prompt_answers_posted", "prompt_answers", ["posted_message_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_prompt_answers_posted", table_name="prompt_answers")
