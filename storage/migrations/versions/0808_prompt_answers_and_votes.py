"""prompts people love and anonymous answers: "This one was good" votes, answers waiting for review

Revision ID: 0808
Revises: 0600

`prompt_votes` holds one "This one was good" per member per posted prompt message (a unique constraint),
with the prompt it was about, for `/prompts stats` and the schedule's choice once its bank is exhausted.
`prompt_answers` holds anonymous answers under a prompt: the writer's id only while the answer waits for
review, a keyed hash of the writer (`author_key`) for as long as the answer is kept, the words, where the
prompt is and where the answer was posted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0808"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SNOWFLAKE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "prompt_answers",
        sa.Column("id", SNOWFLAKE, nullable=False),
        sa.Column("guild_id", SNOWFLAKE, nullable=False),
        sa.Column("prompt_id", SNOWFLAKE, nullable=True),
        sa.Column("channel_id", SNOWFLAKE, nullable=False),
        sa.Column("message_id", SNOWFLAKE, nullable=False),
        sa.Column("user_id", SNOWFLAKE, nullable=True),
        sa.Column("author_key", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("posted_channel_id", SNOWFLAKE, nullable=True),
        sa.Column("posted_message_id", SNOWFLAKE, nullable=True),
        sa.ForeignKeyConstraint(
            ["prompt_id"], ["prompts.id"], name=op.f("fk_prompt_answers_prompt_id_prompts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_answers")),
    )
    with op.batch_alter_table("prompt_answers", schema=None) as batch_op:
        batch_op.create_index("ix_prompt_answers_author", ["guild_id", "author_key"], unique=False)
        batch_op.create_index("ix_prompt_answers_status", ["guild_id", "status"], unique=False)
    op.create_table(
        "prompt_votes",
        sa.Column("id", SNOWFLAKE, nullable=False),
        sa.Column("guild_id", SNOWFLAKE, nullable=False),
        sa.Column("message_id", SNOWFLAKE, nullable=False),
        sa.Column("user_id", SNOWFLAKE, nullable=False),
        sa.Column("prompt_id", SNOWFLAKE, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["prompt_id"], ["prompts.id"], name=op.f("fk_prompt_votes_prompt_id_prompts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_votes")),
        sa.UniqueConstraint(
            "guild_id", "message_id", "user_id", name=op.f("uq_prompt_votes_guild_id_message_id_user_id")
        ),
    )
    with op.batch_alter_table("prompt_votes", schema=None) as batch_op:
        batch_op.create_index("ix_prompt_votes_prompt", ["guild_id", "prompt_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("prompt_votes", schema=None) as batch_op:
        batch_op.drop_index("ix_prompt_votes_prompt")
    op.drop_table("prompt_votes")
    with op.batch_alter_table("prompt_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_prompt_answers_status")
        batch_op.drop_index("ix_prompt_answers_author")
    op.drop_table("prompt_answers")
