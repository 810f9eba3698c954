"""private by default: intros hidden from /intro find until their owner says yes

Revision ID: 0704
Revises: 0600

`/intro find` was opt-out: every intro was findable unless its writer hid it. Every intro that was
findable becomes hidden, and `find_notice_pending` marks it so that its owner is told once, the next
time they use an /intro command.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0704"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intros", schema=None) as batch_op:
        batch_op.add_column(sa.Column("find_notice_pending", sa.Boolean(), server_default="0", nullable=False))
        batch_op.alter_column("discoverable", existing_type=sa.Boolean(), server_default="0", existing_nullable=False)
    intros = sa.table("intros", sa.column("discoverable", sa.Boolean()), sa.column("find_notice_pending", sa.Boolean()))
    op.execute(
        intros.update().where(intros.c.discoverable.is_(True)).values(discoverable=False, find_notice_pending=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("intros", schema=None) as batch_op:
        batch_op.alter_column("discoverable", existing_type=sa.Boolean(), server_default="1", existing_nullable=False)
        batch_op.drop_column("find_notice_pending")
