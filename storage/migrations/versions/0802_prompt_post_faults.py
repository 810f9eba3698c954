"""prompt posts under faults: who holds a claim, per-claim retries with backoff, the prompt's thread

Revision ID: 0802
Revises: 0600

`lease_owner` names the process (`LanternBot.instance_id`) holding a claim's lease, so that an expired
lease is taken over by one process only. `attempts`, `retry_at` and `last_error` let one failing claim
back off (1, 2, 4 … 30 minutes) while the others post. `thread_state` and `thread_id` keep a prompt's
thread pending after a transient failure, to be opened on a later run without posting the prompt again.
Existing rows keep their data: their counters start at 0 and their thread state is unknown (NULL), so no
old thread is retried. Several unposted claims of one schedule (left by Discord outages before this
revision) are reduced to the newest at the next run (status "skipped").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0802"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SNOWFLAKE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("prompt_posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("retry_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("thread_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("thread_id", SNOWFLAKE, nullable=True))
        batch_op.create_index(batch_op.f("ix_prompt_posts_thread_state"), ["thread_state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("prompt_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_posts_thread_state"))
        batch_op.drop_column("thread_id")
        batch_op.drop_column("thread_state")
        batch_op.drop_column("last_error")
        batch_op.drop_column("retry_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_owner")
    prompt_posts = sa.table("prompt_posts", sa.column("status", sa.String()))
    op.execute(prompt_posts.update().where(prompt_posts.c.status == "skipped").values(status="dropped"))
