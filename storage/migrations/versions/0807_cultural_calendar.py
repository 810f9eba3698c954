"""cultural calendar: occasions a guild follows, occasion posts claimed once, occasion prompts in the bank

Revision ID: 0807
Revises: 0600

`guild_occasions` holds the occasions a guild turned on with `/prompts calendar` (channel, days before,
time, when the next post falls due); `occasion_posts` claims each post once per (guild, family, day) with a
lease, as `prompt_posts` does for schedules. `prompts.occasion` marks the calendar's prompts, which only
occasion posts use. `occasion_banks` records which guilds hold them: none do yet, so every existing guild
is given the calendar's prompts the first time its bank or calendar is used (cogs/prompts/occasions.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0807"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SNOWFLAKE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("prompts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("occasion", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_prompts_occasion"), ["occasion"], unique=False)
    op.create_table(
        "occasion_banks",
        sa.Column("guild_id", SNOWFLAKE, autoincrement=False, nullable=False),
        sa.Column("seeded_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_occasion_banks")),
    )
    op.create_table(
        "guild_occasions",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("guild_id", SNOWFLAKE, nullable=False),
        sa.Column("occasion", sa.String(length=40), nullable=False),
        sa.Column("channel_id", SNOWFLAKE, nullable=False),
        sa.Column("days_before", sa.Integer(), server_default="0", nullable=False),
        sa.Column("time", sa.String(length=5), server_default="09:00", nullable=False),
        sa.Column("thread", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("paused", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("next_day", sa.Date(), nullable=True),
        sa.Column("next_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("days_before >= 0 AND days_before <= 14", name=op.f("ck_guild_occasions_days_before_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guild_occasions")),
        sa.UniqueConstraint("guild_id", "occasion", name=op.f("uq_guild_occasions_guild_id_occasion")),
    )
    with op.batch_alter_table("guild_occasions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guild_occasions_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guild_occasions_next_at"), ["next_at"], unique=False)
    op.create_table(
        "occasion_posts",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("guild_id", SNOWFLAKE, nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("occasions", sa.String(length=400), nullable=False),
        sa.Column("channel_id", SNOWFLAKE, nullable=False),
        sa.Column("thread", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("prompt_id", BIGINT, nullable=True),
        sa.Column("status", sa.String(length=16), server_default="claimed", nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("retry_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("message_id", SNOWFLAKE, nullable=True),
        sa.Column("thread_state", sa.String(length=16), nullable=True),
        sa.Column("thread_id", SNOWFLAKE, nullable=True),
        sa.Column("claimed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("posted_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["prompt_id"], ["prompts.id"], name=op.f("fk_occasion_posts_prompt_id_prompts"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occasion_posts")),
        sa.UniqueConstraint("guild_id", "family", "day", name=op.f("uq_occasion_posts_guild_id_family_day")),
    )
    with op.batch_alter_table("occasion_posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_occasion_posts_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_occasion_posts_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("occasion_posts")
    op.drop_table("guild_occasions")
    op.drop_table("occasion_banks")
    prompts = sa.table("prompts", sa.column("occasion", sa.String()))
    op.execute(prompts.delete().where(prompts.c.occasion.is_not(None)))
    with op.batch_alter_table("prompts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompts_occasion"))
        batch_op.drop_column("occasion")
