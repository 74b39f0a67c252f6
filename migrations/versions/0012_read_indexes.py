"""read indexes: lists in their order at any depth, running clocks by deadline, resolved tickets by time

Revision ID: 0012
Revises: 0011

Each index and the query that uses it (the comments in the models say the same):

- tickets (created_at, id), replacing (created_at): GET /tickets newest first at any page, the
  inbox's part without a running deadline (oldest first), tickets received in a period;
- tickets (department_id, created_at, id): ?department= and department staff's lists;
- tickets (category_id, created_at, id), replacing (category_id): ?category=;
- tickets (contact_id, created_at, id), replacing (contact_id): a caller's tickets, newest first;
- tickets (resolved_at): the SLA summary and the dashboard's on-time rates over a period;
- sla_clocks (due_at) WHERE stopped_at IS NULL: the at-risk list and the summary's at-risk and
  breached counts, which read running clocks only (a few thousand among millions);
- calls (from_number, started_at, id), replacing (from_number): a caller's calls, newest first;
- extension_requests (status, created_at): the pending requests, oldest first.

The replaced single-column indexes are prefixes of their replacements: every lookup they
served (foreign keys, equality) is served still.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

RUNNING = sa.text("stopped_at IS NULL")


def upgrade():
    op.drop_index('ix_tickets_created_at', table_name='tickets')
    op.drop_index('ix_tickets_category_id', table_name='tickets')
    op.drop_index('ix_tickets_contact_id', table_name='tickets')
    op.create_index('ix_tickets_created_id', 'tickets', ['created_at', 'id'])
    op.create_index('ix_tickets_department_created', 'tickets', ['department_id', 'created_at', 'id'])
    op.create_index('ix_tickets_category_created', 'tickets', ['category_id', 'created_at', 'id'])
    op.create_index('ix_tickets_contact_created', 'tickets', ['contact_id', 'created_at', 'id'])
    op.create_index('ix_tickets_resolved_at', 'tickets', ['resolved_at'])
    op.create_index('ix_sla_clocks_running_due', 'sla_clocks', ['due_at'],
                    postgresql_where=RUNNING, sqlite_where=RUNNING)
    op.drop_index('ix_calls_from_number', table_name='calls')
    op.create_index('ix_calls_from_started', 'calls', ['from_number', 'started_at', 'id'])
    op.create_index('ix_extension_requests_status_created', 'extension_requests', ['status', 'created_at'])


def downgrade():
    op.drop_index('ix_extension_requests_status_created', table_name='extension_requests')
    op.drop_index('ix_calls_from_started', table_name='calls')
    op.create_index('ix_calls_from_number', 'calls', ['from_number'])
    op.drop_index('ix_sla_clocks_running_due', table_name='sla_clocks')
    op.drop_index('ix_tickets_resolved_at', table_name='tickets')
    op.drop_index('ix_tickets_contact_created', table_name='tickets')
    op.drop_index('ix_tickets_category_created', table_name='tickets')
    op.drop_index('ix_tickets_department_created', table_name='tickets')
    op.drop_index('ix_tickets_created_id', table_name='tickets')
    op.create_index('ix_tickets_contact_id', 'tickets', ['contact_id'])
    op.create_index('ix_tickets_category_id', 'tickets', ['category_id'])
    op.create_index('ix_tickets_created_at', 'tickets', ['created_at'])
