"""care: where members find support (/setup support), and reports to moderators

Revision ID: 0806
Revises: 0600

`care_support` holds a server's support channel, the people or roles to ask, and its helplines (NULL:
the default international directory). `care_reports` holds members' reports of a message or a pair
thread: the reporter (kept for the rate limit, duplicates and abuse of reporting), the member reported,
the reason and the reporter's words, where the mod-log entry is, and who marked it handled and when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0806"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SNOWFLAKE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "care_support",
        sa.Column("guild_id", SNOWFLAKE, autoincrement=False, nullable=False),
        sa.Column("channel_id", SNOWFLAKE, nullable=True),
        sa.Column("people", sa.String(length=200), nullable=True),
        sa.Column("helplines", sa.Text(), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["guild_id"],
            ["guild_settings.guild_id"],
            name=op.f("fk_care_support_guild_id_guild_settings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_care_support")),
    )
    op.create_table(
        "care_reports",
        sa.Column("id", SNOWFLAKE, nullable=False),
        sa.Column("guild_id", SNOWFLAKE, nullable=False),
        sa.Column("user_id", SNOWFLAKE, nullable=True),
        sa.Column("reported_user_id", SNOWFLAKE, nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("channel_id", SNOWFLAKE, nullable=False),
        sa.Column("message_id", SNOWFLAKE, nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("reporter_hidden", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("modlog_channel_id", SNOWFLAKE, nullable=True),
        sa.Column("modlog_message_id", SNOWFLAKE, nullable=True),
        sa.Column("handled_at", WHEN, nullable=True),
        sa.Column("handled_by_id", SNOWFLAKE, nullable=True),
        sa.ForeignKeyConstraint(
            ["guild_id"],
            ["guild_settings.guild_id"],
            name=op.f("fk_care_reports_guild_id_guild_settings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_reports")),
        sa.UniqueConstraint(
            "guild_id", "user_id", "message_id", name=op.f("uq_care_reports_guild_id_user_id_message_id")
        ),
    )
    with op.batch_alter_table("care_reports", schema=None) as batch_op:
        batch_op.create_index("ix_care_reports_member", ["guild_id", "user_id"], unique=False)
        batch_op.create_index("ix_care_reports_reported", ["guild_id", "reported_user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("care_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_care_reports_reported")
        batch_op.drop_index("ix_care_reports_member")
    op.drop_table("care_reports")
    op.drop_table("care_support")
