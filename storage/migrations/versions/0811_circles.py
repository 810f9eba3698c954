"""peer circles: opt-in profiles, proposed circles, invitations and kept protections (issue 19)

Revision ID: 0811
Revises: 0600

`circle_profiles` is a member's opt-in; `circles` a proposed circle and what became of it (its owed
thread or closing message leased like an owed proposal notice); `circle_invites` one member's
invitation, private answer and membership, its DM leased like a check-in's; `circle_schedules` holds
recurring rounds (leased while one runs); `circle_protections`
keeps "these two were in a circle" for the other members after one of them erases their data.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0811"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "circle_profiles",
        sa.Column("id", ID, nullable=False),
        sa.Column("guild_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("themes", sa.String(length=400), nullable=False),
        sa.Column("heritages", sa.String(length=200), server_default="", nullable=False),
        sa.Column("size", sa.Integer(), server_default="6", nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("window_hours", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint("size >= 3 AND size <= 6", name=op.f("ck_circle_profiles_size_range")),
        sa.CheckConstraint(
            "window_hours IS NULL OR (window_hours >= 0 AND window_hours <= 12)",
            name=op.f("ck_circle_profiles_window_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_profiles")),
        sa.UniqueConstraint("guild_id", "user_id", name=op.f("uq_circle_profiles_guild_id_user_id")),
    )
    with op.batch_alter_table("circle_profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_circle_profiles_guild_id"), ["guild_id"], unique=False)
    op.create_table(
        "circles",
        sa.Column("id", ID, nullable=False),
        sa.Column("guild_id", ID, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("starter_themes", sa.String(length=400), server_default="", nullable=False),
        sa.Column("starter_heritages", sa.String(length=400), server_default="", nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("thread_id", ID, nullable=True),
        sa.Column("notice", sa.String(length=8), nullable=True),
        sa.Column("notice_due_at", WHEN, nullable=True),
        sa.Column("notice_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("checkins_sent", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_checkin_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circles")),
    )
    with op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_circles_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_circles_notice_due_at"), ["notice_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_circles_next_checkin_at"), ["next_checkin_at"], unique=False)
        batch_op.create_index("ix_circles_status_expires_at", ["status", "expires_at"], unique=False)
    op.create_table(
        "circle_invites",
        sa.Column("id", ID, nullable=False),
        sa.Column("circle_id", ID, nullable=False),
        sa.Column("guild_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("channel_id", ID, nullable=True),
        sa.Column("message_id", ID, nullable=True),
        sa.Column("delivery", sa.String(length=8), nullable=False),
        sa.Column("send_after", WHEN, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_circle_invites_circle_id_circles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_invites")),
        sa.UniqueConstraint("circle_id", "user_id", name=op.f("uq_circle_invites_circle_id_user_id")),
    )
    with op.batch_alter_table("circle_invites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_circle_invites_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_circle_invites_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_circle_invites_send_after"), ["send_after"], unique=False)
    op.create_table(
        "circle_checkins",
        sa.Column("id", ID, nullable=False),
        sa.Column("circle_id", ID, nullable=False),
        sa.Column("guild_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("delivery", sa.String(length=8), nullable=False),
        sa.Column("send_after", WHEN, nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "rating IS NULL OR (rating >= 1 AND rating <= 5)", name=op.f("ck_circle_checkins_rating_range")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_circle_checkins_circle_id_circles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_checkins")),
        sa.UniqueConstraint("circle_id", "user_id", "day", name=op.f("uq_circle_checkins_circle_id_user_id_day")),
    )
    with op.batch_alter_table("circle_checkins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_circle_checkins_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_circle_checkins_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_circle_checkins_send_after"), ["send_after"], unique=False)
    op.create_table(
        "circle_schedules",
        sa.Column("guild_id", ID, autoincrement=False, nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("next_round_at", WHEN, nullable=False),
        sa.Column("lease_until", WHEN, nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_circle_schedules")),
    )
    with op.batch_alter_table("circle_schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_circle_schedules_next_round_at"), ["next_round_at"], unique=False)
    op.create_table(
        "circle_protections",
        sa.Column("id", ID, nullable=False),
        sa.Column("guild_id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("pair_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_protections")),
        sa.UniqueConstraint(
            "guild_id",
            "owner_id",
            "pair_key",
            "kind",
            name=op.f("uq_circle_protections_guild_id_owner_id_pair_key_kind"),
        ),
    )
    with op.batch_alter_table("circle_protections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_circle_protections_guild_id"), ["guild_id"], unique=False)


def downgrade() -> None:
    op.drop_table("circle_protections")
    op.drop_table("circle_schedules")
    op.drop_table("circle_checkins")
    op.drop_table("circle_invites")
    op.drop_table("circles")
    op.drop_table("circle_profiles")
