"""limits: rate-limited member actions, kept across restarts

Revision ID: 0703
Revises: 0600
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0703"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_uses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("guild_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_uses")),
    )
    with op.batch_alter_table("rate_limit_uses", schema=None) as batch_op:
        batch_op.create_index("ix_rate_limit_uses_member", ["guild_id", "user_id", "action", "used_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_limit_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_limit_uses_member")
    op.drop_table("rate_limit_uses")
