"""intro claims and drafts: the database decides which submission posts a card; a refused form is kept a day

Revision ID: 0801
Revises: 0600

Two submissions of the intro form at once (two devices) both saw "no intro yet" and both posted a
card. Now the first submission claims the intro row before posting (`card_claim`, `card_claimed_at`);
the others save their answers to that row and leave the posting to it. A claim left by a post that
never finished grows stale after a minute and the next submission posts the card.

`intro_drafts` keeps what a member typed in a form I refused, so that the refusal's "`/intro write`
opens the form again with your answers" is true; it is deleted on save, by /privacy delete, and after a day.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0801"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SNOWFLAKE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("intros", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_claim", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("card_claimed_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("unposted_saves", SNOWFLAKE, server_default="0", nullable=False))
    op.create_table(
        "intro_drafts",
        sa.Column("guild_id", SNOWFLAKE, nullable=False),
        sa.Column("user_id", SNOWFLAKE, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("heritages", sa.Text(), nullable=False),
        sa.Column("languages", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("story", sa.Text(), nullable=False),
        sa.Column("kept_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_intro_drafts")),
    )
    with op.batch_alter_table("intro_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intro_drafts_kept_at"), ["kept_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("intro_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intro_drafts_kept_at"))
    op.drop_table("intro_drafts")
    with op.batch_alter_table("intros", schema=None) as batch_op:
        batch_op.drop_column("unposted_saves")
        batch_op.drop_column("card_claimed_at")
        batch_op.drop_column("card_claim")
