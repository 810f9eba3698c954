"""mentorship: profiles, proposals, pairings, check-ins, blocks, round schedules

Revision ID: 0201
Revises: 0001
Create Date: 2026-11-22 17:23:01.778760
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = '0201'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mentee_profiles',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('themes', sa.String(length=400), nullable=False),
    sa.Column('heritages', sa.String(length=200), server_default='', nullable=False),
    sa.Column('languages', sa.String(length=200), server_default='', nullable=False),
    sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False),
    sa.Column('heritage_preference', sa.String(length=8), server_default='any', nullable=False),
    sa.Column('max_timezone_gap_hours', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('paused', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('paused_until', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentee_profiles')),
    sa.UniqueConstraint('guild_id', 'user_id', name=op.f('uq_mentee_profiles_guild_id_user_id'))
    )

    with op.batch_alter_table('mentee_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentee_profiles_guild_id'), ['guild_id'], unique=False)

    op.create_table('mentor_profiles',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('themes', sa.String(length=400), nullable=False),
    sa.Column('not_covered', sa.String(length=400), server_default='', nullable=False),
    sa.Column('heritages', sa.String(length=200), server_default='', nullable=False),
    sa.Column('languages', sa.String(length=200), server_default='', nullable=False),
    sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False),
    sa.Column('capacity', sa.Integer(), server_default='1', nullable=False),
    sa.Column('active_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('bio', sa.String(length=300), nullable=True),
    sa.Column('paused', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('paused_until', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('active_count >= 0', name=op.f('ck_mentor_profiles_active_count_not_negative')),
    sa.CheckConstraint('capacity >= 1 AND capacity <= 5', name=op.f('ck_mentor_profiles_capacity_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_profiles')),
    sa.UniqueConstraint('guild_id', 'user_id', name=op.f('uq_mentor_profiles_guild_id_user_id'))
    )

    with op.batch_alter_table('mentor_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_profiles_guild_id'), ['guild_id'], unique=False)

    op.create_table('mentorship_blocks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('blocked_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorship_blocks')),
    sa.UniqueConstraint('guild_id', 'user_id', 'blocked_user_id', name=op.f('uq_mentorship_blocks_guild_id_user_id_blocked_user_id'))
    )

    with op.batch_alter_table('mentorship_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentorship_blocks_guild_id'), ['guild_id'], unique=False)

    op.create_table('mentorship_proposals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mentor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mentee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('shared_themes', sa.String(length=400), server_default='', nullable=False),
    sa.Column('forced', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('declined_by', sa.String(length=8), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mentor_answered_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mentee_answered_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mentor_channel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('mentor_message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('mentee_channel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('mentee_message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorship_proposals')),
    sa.UniqueConstraint('guild_id', 'mentor_id', 'mentee_id', name=op.f('uq_mentorship_proposals_guild_id_mentor_id_mentee_id'))
    )

    with op.batch_alter_table('mentorship_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentorship_proposals_guild_id'), ['guild_id'], unique=False)
        batch_op.create_index('ix_mentorship_proposals_status_expires_at', ['status', 'expires_at'], unique=False)

    op.create_table('mentorship_schedules',
    sa.Column('guild_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('next_round_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_round_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('guild_id', name=op.f('pk_mentorship_schedules'))
    )

    with op.batch_alter_table('mentorship_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentorship_schedules_next_round_at'), ['next_round_at'], unique=False)

    op.create_table('mentorship_pairings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('proposal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mentor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mentee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('thread_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('started_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=16), nullable=True),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.Column('checkins_sent', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_checkin_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['proposal_id'], ['mentorship_proposals.id'], name=op.f('fk_mentorship_pairings_proposal_id_mentorship_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorship_pairings'))
    )

    with op.batch_alter_table('mentorship_pairings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentorship_pairings_guild_id'), ['guild_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentorship_pairings_next_checkin_at'), ['next_checkin_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentorship_pairings_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('mentorship_checkins',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pairing_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('sent_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)', name=op.f('ck_mentorship_checkins_rating_range')),
    sa.ForeignKeyConstraint(['pairing_id'], ['mentorship_pairings.id'], name=op.f('fk_mentorship_checkins_pairing_id_mentorship_pairings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorship_checkins')),
    sa.UniqueConstraint('pairing_id', 'user_id', 'day', name=op.f('uq_mentorship_checkins_pairing_id_user_id_day'))
    )

    with op.batch_alter_table('mentorship_checkins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentorship_checkins_pairing_id'), ['pairing_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mentorship_checkins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentorship_checkins_pairing_id'))

    op.drop_table('mentorship_checkins')

    with op.batch_alter_table('mentorship_pairings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentorship_pairings_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_mentorship_pairings_next_checkin_at'))
        batch_op.drop_index(batch_op.f('ix_mentorship_pairings_guild_id'))

    op.drop_table('mentorship_pairings')

    with op.batch_alter_table('mentorship_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentorship_schedules_next_round_at'))

    op.drop_table('mentorship_schedules')

    with op.batch_alter_table('mentorship_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_mentorship_proposals_status_expires_at')
        batch_op.drop_index(batch_op.f('ix_mentorship_proposals_guild_id'))

    op.drop_table('mentorship_proposals')

    with op.batch_alter_table('mentorship_blocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentorship_blocks_guild_id'))

    op.drop_table('mentorship_blocks')

    with op.batch_alter_table('mentor_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_profiles_guild_id'))

    op.drop_table('mentor_profiles')

    with op.batch_alter_table('mentee_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentee_profiles_guild_id'))

    op.drop_table('mentee_profiles')
