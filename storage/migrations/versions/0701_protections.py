"""mentorship: protections kept after the other member's erasure (keyed pair hashes), key fingerprint

Revision ID: 0701
Revises: 0600
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0701"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SNOWFLAKE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "mentorship_protections",
        sa.Column("id", SNOWFLAKE, nullable=False),
        sa.Column("guild_id", SNOWFLAKE, nullable=False),
        sa.Column("owner_id", SNOWFLAKE, nullable=False),
        sa.Column("pair_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorship_protections")),
        sa.UniqueConstraint(
            "guild_id",
            "owner_id",
            "pair_key",
            "kind",
            name=op.f("uq_mentorship_protections_guild_id_owner_id_pair_key_kind"),
        ),
    )
    with op.batch_alter_table("mentorship_protections", schema=None) as batch_op:
        batch_op.create_index("ix_mentorship_protections_guild_id_pair_key", ["guild_id", "pair_key"], unique=False)
    op.create_table(
        "protection_key_check",
        sa.Column("id", SNOWFLAKE, autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protection_key_check")),
    )


def downgrade() -> None:
    op.drop_table("protection_key_check")
    with op.batch_alter_table("mentorship_protections", schema=None) as batch_op:
        batch_op.drop_index("ix_mentorship_protections_guild_id_pair_key")
    op.drop_table("mentorship_protections")
