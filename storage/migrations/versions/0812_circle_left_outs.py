"""peer circles: the message owed to a member a round left out, and the funnel's formed and left times

Revision ID: 0812
Revises: 0811

`circle_left_outs` owes a member a real round left out a private message saying why (leased like an
invitation); `circles.formed_at` keeps when a circle formed (its `decided_at` moves on when it ends) and
`circle_invites.left_at` when a member left it, so that `/circles stats` can tell who was still in a circle
30, 60 and 90 days after it formed. Circles formed before this keep their decided time as formed time.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0812"
down_revision: str | Sequence[str] | None = "0811"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("formed_at", WHEN, nullable=True))
    op.execute("UPDATE circles SET formed_at = decided_at WHERE status = 'formed'")
    with op.batch_alter_table("circle_invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_at", WHEN, nullable=True))
    op.create_table(
        "circle_left_outs",
        sa.Column("id", ID, nullable=False),
        sa.Column("guild_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("delivery", sa.String(length=8), nullable=False),
        sa.Column("send_after", WHEN, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_left_outs")),
    )
    with op.batch_alter_table("circle_left_outs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_circle_left_outs_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_circle_left_outs_send_after"), ["send_after"], unique=False)


def downgrade() -> None:
    op.drop_table("circle_left_outs")
    with op.batch_alter_table("circle_invites", schema=None) as batch_op:
        batch_op.drop_column("left_at")
    with op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.drop_column("formed_at")
