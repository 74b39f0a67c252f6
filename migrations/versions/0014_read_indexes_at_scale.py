"""read indexes at scale: filter combinations with priority, counts from the index alone, late answers

Revision ID: 0014
Revises: 0013

Measured at 1,000,000 tickets (bench/reads.py, docs/perf-reads.md); each index and what it serves:

- tickets (priority, created_at, id), (category_id, priority, created_at, id) and
  (channel, priority, created_at, id), the last replacing (channel): ?priority= alone or with
  ?category= or ?channel= in list order, and their totals counted from the index (before: every
  ticket of the category or channel read to count the few urgent ones, 190-240 ms);
- tickets (status, created_at, id) INCLUDE (department_id), replacing (status, created_at): open
  tickets per department (inbox totals, the SLA summary, the dashboard's backlog) from the index;
- tickets (department_id, created_at, id) INCLUDE (assigned_at): department staff's list totals;
- tickets (created_at, id) INCLUDE (department_id, status): the dashboard's tickets received in
  the period per department and status;
- tickets (resolved_at) INCLUDE (department_id, created_at, assigned_at, accepted_at, id): the
  tickets resolved in a period and their figures (counts, medians) from the index;
- sla_clocks (breached, due_at) WHERE stopped_at IS NULL INCLUDE (ticket_id, kind, warned),
  replacing (due_at): the at-risk list walks the running clocks not yet breached by deadline
  (before: past the breached ones, 16,581 of 23,608 at 1M, each read from the table), and the
  inbox and the summary read the running clocks' flags from the index alone;
- call_tickets (ticket_id): a ticket's calls on its detail page (the primary key leads with
  call_id: every link was read, 30-60 ms at 1M);
- sla_alerts (ticket_id) WHERE kind = 'resolve' AND level = 'breach': whether an answered ticket
  was late, probed per ticket of a period (before: a hash of every resolve breach ever, or with
  PostgreSQL's default work_mem a linear search of them per ticket).

INCLUDE columns exist on PostgreSQL only; on SQLite those indexes keep their key columns.

Revises 0013 (ticket feedback).
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

RUNNING = sa.text("stopped_at IS NULL")
RESOLVE_BREACH = sa.text("kind = 'resolve' AND level = 'breach'")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SET LOCAL maintenance_work_mem = '256MB'")  # index builds over millions of rows
    op.drop_index('ix_tickets_channel', table_name='tickets')
    op.create_index('ix_tickets_priority_created', 'tickets', ['priority', 'created_at', 'id'])
    op.create_index('ix_tickets_category_priority_created', 'tickets', ['category_id', 'priority', 'created_at', 'id'])
    op.create_index('ix_tickets_channel_priority_created', 'tickets', ['channel', 'priority', 'created_at', 'id'])
    op.drop_index('ix_tickets_status_created', table_name='tickets')
    op.create_index('ix_tickets_status_created', 'tickets', ['status', 'created_at', 'id'],
                    postgresql_include=['department_id'])
    op.drop_index('ix_tickets_department_created', table_name='tickets')
    op.create_index('ix_tickets_department_created', 'tickets', ['department_id', 'created_at', 'id'],
                    postgresql_include=['assigned_at'])
    op.drop_index('ix_tickets_created_id', table_name='tickets')
    op.create_index('ix_tickets_created_id', 'tickets', ['created_at', 'id'],
                    postgresql_include=['department_id', 'status'])
    op.drop_index('ix_tickets_resolved_at', table_name='tickets')
    op.create_index('ix_tickets_resolved_at', 'tickets', ['resolved_at'],
                    postgresql_include=['department_id', 'created_at', 'assigned_at', 'accepted_at', 'id'])
    op.drop_index('ix_sla_clocks_running_due', table_name='sla_clocks')
    op.create_index('ix_sla_clocks_running_due', 'sla_clocks', ['breached', 'due_at'], postgresql_where=RUNNING,
                    sqlite_where=RUNNING, postgresql_include=['ticket_id', 'kind', 'warned'])
    op.create_index('ix_sla_alerts_resolve_breach', 'sla_alerts', ['ticket_id'], postgresql_where=RESOLVE_BREACH,
                    sqlite_where=RESOLVE_BREACH)
    op.create_index('ix_call_tickets_ticket_id', 'call_tickets', ['ticket_id'])


def downgrade():
    op.drop_index('ix_call_tickets_ticket_id', table_name='call_tickets')
    op.drop_index('ix_sla_alerts_resolve_breach', table_name='sla_alerts')
    op.drop_index('ix_sla_clocks_running_due', table_name='sla_clocks')
    op.create_index('ix_sla_clocks_running_due', 'sla_clocks', ['due_at'], postgresql_where=RUNNING,
                    sqlite_where=RUNNING)
    op.drop_index('ix_tickets_resolved_at', table_name='tickets')
    op.create_index('ix_tickets_resolved_at', 'tickets', ['resolved_at'])
    op.drop_index('ix_tickets_created_id', table_name='tickets')
    op.create_index('ix_tickets_created_id', 'tickets', ['created_at', 'id'])
    op.drop_index('ix_tickets_department_created', table_name='tickets')
    op.create_index('ix_tickets_department_created', 'tickets', ['department_id', 'created_at', 'id'])
    op.drop_index('ix_tickets_status_created', table_name='tickets')
    op.create_index('ix_tickets_status_created', 'tickets', ['status', 'created_at'])
    op.drop_index('ix_tickets_channel_priority_created', table_name='tickets')
    op.drop_index('ix_tickets_category_priority_created', table_name='tickets')
    op.drop_index('ix_tickets_priority_created', table_name='tickets')
    op.create_index('ix_tickets_channel', 'tickets', ['channel'])
