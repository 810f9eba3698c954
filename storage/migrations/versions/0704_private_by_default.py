"""private by default: intros hidden from /intro find until their owner says yes; messages naming a member

Revision ID: 0704
Revises: 0600

`/intro find` was opt-out: every intro was findable unless its writer hid it. Every intro that was
findable becomes hidden, and `find_notice_pending` marks it so that its owner is told once, the next
time they use an /intro command. `named_messages` holds the ids of Lantern's mod-log entries that name
a member, so that `/privacy delete` can edit them (core/traces.py). `held_messages` keeps a private
message for a member whose DMs are closed until they read it in `/mentor status` (core/held.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0704"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SNOWFLAKE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("intros", schema=None) as batch_op:
        batch_op.add_column(sa.Column("find_notice_pending", sa.Boolean(), server_default="0", nullable=False))
        batch_op.alter_column("discoverable", existing_type=sa.Boolean(), server_default="0", existing_nullable=False)
    intros = sa.table("intros", sa.column("discoverable", sa.Boolean()), sa.column("find_notice_pending", sa.Boolean()))
    op.execute(
        intros.update().where(intros.c.discoverable.is_(True)).values(discoverable=False, find_notice_pending=True)
    )
    op.create_table(
        "named_messages",
        sa.Column("id", SNOWFLAKE, nullable=False),
        sa.Column("guild_id", SNOWFLAKE, nullable=False),
        sa.Column("user_id", SNOWFLAKE, nullable=False),
        sa.Column("channel_id", SNOWFLAKE, nullable=False),
        sa.Column("message_id", SNOWFLAKE, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_named_messages")),
    )
    with op.batch_alter_table("named_messages", schema=None) as batch_op:
        batch_op.create_index("ix_named_messages_member", ["guild_id", "user_id"], unique=False)
    op.create_table(
        "held_messages",
        sa.Column("id", SNOWFLAKE, nullable=False),
        sa.Column("guild_id", SNOWFLAKE, nullable=False),
        sa.Column("user_id", SNOWFLAKE, nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("components", sa.Text(), server_default="[]", nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("nudge_channel_id", SNOWFLAKE, nullable=True),
        sa.Column("nudge_message_id", SNOWFLAKE, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_messages")),
    )
    with op.batch_alter_table("held_messages", schema=None) as batch_op:
        batch_op.create_index("ix_held_messages_member", ["guild_id", "user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("held_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_held_messages_member")
    op.drop_table("held_messages")
    with op.batch_alter_table("named_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_named_messages_member")
    op.drop_table("named_messages")
    with op.batch_alter_table("intros", schema=None) as batch_op:
        batch_op.alter_column("discoverable", existing_type=sa.Boolean(), server_default="1", existing_nullable=False)
        batch_op.drop_column("find_notice_pending")
