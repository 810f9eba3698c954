"""due work that can't be lost: owed proposal notices, check-in deliveries, leased scheduled rounds

Revision ID: 0805
Revises: 0600

A proposal's owed message (the round's invitation, the lapse notice) is kept on the proposal
(`notice`, `notice_due_at`, `notice_attempts`) until it is sent or settled; a check-in row says
where its DM stands (`delivery`, `send_after`, `attempts`; rows written before are "sent"); a
scheduled round is leased (`lease_until`) while a process runs it. A process that dies between the
claim and the message leaves a lease that runs out, and the next run takes the work over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0805"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("mentorship_proposals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("notice_due_at", WHEN, nullable=True))
        batch_op.add_column(sa.Column("notice_attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_mentorship_proposals_notice_due_at"), ["notice_due_at"], unique=False)
    with op.batch_alter_table("mentorship_checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery", sa.String(length=8), server_default="sent", nullable=False))
        batch_op.add_column(sa.Column("send_after", WHEN, nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(batch_op.f("ix_mentorship_checkins_send_after"), ["send_after"], unique=False)
    with op.batch_alter_table("mentorship_schedules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentorship_schedules", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
    with op.batch_alter_table("mentorship_checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentorship_checkins_send_after"))
        batch_op.drop_column("attempts")
        batch_op.drop_column("send_after")
        batch_op.drop_column("delivery")
    with op.batch_alter_table("mentorship_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentorship_proposals_notice_due_at"))
        batch_op.drop_column("notice_attempts")
        batch_op.drop_column("notice_due_at")
        batch_op.drop_column("notice")
