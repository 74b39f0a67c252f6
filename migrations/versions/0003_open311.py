"""open311: API clients and ticket media

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_clients_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_api_clients_name'))
    )
    op.create_table('ticket_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=True),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('content_type', sa.String(length=50), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(storage_key IS NULL) <> (url IS NULL)', name=op.f('ck_ticket_media_key_or_url')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_media_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_media')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_ticket_media_storage_key'))
    )
    with op.batch_alter_table('ticket_media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_media_ticket_id'), ['ticket_id'], unique=False)
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_created_at')
    with op.batch_alter_table('ticket_media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_media_ticket_id'))

    op.drop_table('ticket_media')
    op.drop_table('api_clients')
