"""intros: a kept count of discoverable members per tag, for `/intro find`'s autocomplete

Revision ID: 0818
Revises: 0817

The autocomplete counted every tag row of the guild and looked up each one's intro for `discoverable`: with nothing
typed, 227-243 ms on SQLite and 227-290 ms on PostgreSQL in a guild of 80,000 intros (docs/scale.md, "Examined and
left alone"). storage.intros keeps `intro_tag_counts` wherever tags or `discoverable` change or an intro goes; this
migration fills it from the rows already there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0818"
down_revision: str | Sequence[str] | None = "0817"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intro_tag_counts",
        sa.Column("guild_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column("members", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "kind", "tag"),
    )
    op.execute(
        "INSERT INTO intro_tag_counts (guild_id, kind, tag, members) "
        "SELECT intro_tags.guild_id, intro_tags.kind, intro_tags.tag, count(*) FROM intro_tags "
        "JOIN intros ON intros.id = intro_tags.intro_id WHERE intros.discoverable "
        "GROUP BY intro_tags.guild_id, intro_tags.kind, intro_tags.tag"
    )


def downgrade() -> None:
    op.drop_table("intro_tag_counts")
