"""intros: one card per member and its heritage/language tags

Revision ID: 0101
Revises: 0001
Create Date: 2026-11-22 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0101'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('intros',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('heritages', sa.String(length=300), nullable=False),
    sa.Column('languages', sa.String(length=300), server_default='', nullable=False),
    sa.Column('location', sa.String(length=100), server_default='', nullable=False),
    sa.Column('story', sa.Text(), nullable=False),
    sa.Column('discoverable', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('channel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intros')),
    sa.UniqueConstraint('guild_id', 'user_id', name=op.f('uq_intros_guild_id_user_id'))
    )
    op.create_table('intro_tags',
    sa.Column('intro_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.Column('guild_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['intro_id'], ['intros.id'], name=op.f('fk_intro_tags_intro_id_intros'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('intro_id', 'kind', 'tag', name=op.f('pk_intro_tags'))
    )
    with op.batch_alter_table('intro_tags', schema=None) as batch_op:
        batch_op.create_index('ix_intro_tags_guild_kind_tag', ['guild_id', 'kind', 'tag'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('intro_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_intro_tags_guild_kind_tag')

    op.drop_table('intro_tags')
    op.drop_table('intros')
