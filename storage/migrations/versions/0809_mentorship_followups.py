"""invitations that resolve, did-you-meet answers and pair goals (issue 19)

Revision ID: 0809
Revises: 0600

`mentorship_notes` holds messages owed to members that belong to no single proposal step (the
reminder a day before an invitation lapses, the notice of a pause after two lapses, the explanation
of a round that found no mentor, the did-you-meet nudge in a pair thread), leased and settled like a
check-in's DM. `mentorship_meetings` keeps each member's answer to the nudge; `mentorship_goals` a
pair's one to three goals.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0809"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mentorship_notes",
        sa.Column("id", ID, nullable=False),
        sa.Column("guild_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("proposal_id", ID, nullable=True),
        sa.Column("pairing_id", ID, nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("delivery", sa.String(length=8), nullable=False),
        sa.Column("send_after", WHEN, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["mentorship_pairings.id"],
            name=op.f("fk_mentorship_notes_pairing_id_mentorship_pairings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["mentorship_proposals.id"],
            name=op.f("fk_mentorship_notes_proposal_id_mentorship_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorship_notes")),
        sa.UniqueConstraint("guild_id", "key", name=op.f("uq_mentorship_notes_guild_id_key")),
    )
    with op.batch_alter_table("mentorship_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentorship_notes_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentorship_notes_pairing_id"), ["pairing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentorship_notes_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentorship_notes_send_after"), ["send_after"], unique=False)
    op.create_table(
        "mentorship_meetings",
        sa.Column("id", ID, nullable=False),
        sa.Column("pairing_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("answer", sa.String(length=12), nullable=False),
        sa.Column("answered_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["mentorship_pairings.id"],
            name=op.f("fk_mentorship_meetings_pairing_id_mentorship_pairings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorship_meetings")),
        sa.UniqueConstraint("pairing_id", "user_id", name=op.f("uq_mentorship_meetings_pairing_id_user_id")),
    )
    with op.batch_alter_table("mentorship_meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentorship_meetings_pairing_id"), ["pairing_id"], unique=False)
    op.create_table(
        "mentorship_goals",
        sa.Column("id", ID, nullable=False),
        sa.Column("pairing_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint("position >= 1 AND position <= 3", name=op.f("ck_mentorship_goals_position_range")),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["mentorship_pairings.id"],
            name=op.f("fk_mentorship_goals_pairing_id_mentorship_pairings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorship_goals")),
        sa.UniqueConstraint("pairing_id", "position", name=op.f("uq_mentorship_goals_pairing_id_position")),
    )
    with op.batch_alter_table("mentorship_goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentorship_goals_pairing_id"), ["pairing_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mentorship_goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentorship_goals_pairing_id"))
    op.drop_table("mentorship_goals")
    with op.batch_alter_table("mentorship_meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentorship_meetings_pairing_id"))
    op.drop_table("mentorship_meetings")
    with op.batch_alter_table("mentorship_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentorship_notes_send_after"))
        batch_op.drop_index(batch_op.f("ix_mentorship_notes_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_mentorship_notes_pairing_id"))
        batch_op.drop_index(batch_op.f("ix_mentorship_notes_guild_id"))
    op.drop_table("mentorship_notes")
