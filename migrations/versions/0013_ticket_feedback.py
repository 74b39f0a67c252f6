"""ticket_feedback: the citizen's rating of an answer, and the hash of the link token

Revision ID: 0013
Revises: 0012

One row per ticket whose answer was sent (services/feedback.py). Only the SHA-256 of the token
in the resolution SMS link is stored; ``rated_at`` is indexed for the supervisor's figures over
a period. Disputes are ``citizen_dispute`` events in ``ticket_events``.
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ticket_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('token_event_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rated_via', sa.String(length=10), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating IS NULL OR (rating >= 1 AND rating <= 5)',
                       name=op.f('ck_ticket_feedback_rating_range')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_feedback_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['token_event_id'], ['ticket_events.id'],
                            name=op.f('fk_ticket_feedback_token_event_id_ticket_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_feedback')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_ticket_feedback_ticket_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_ticket_feedback_token_hash'))
    )
    op.create_index('ix_ticket_feedback_rated_at', 'ticket_feedback', ['rated_at'])


def downgrade():
    op.drop_index('ix_ticket_feedback_rated_at', table_name='ticket_feedback')
    op.drop_table('ticket_feedback')
