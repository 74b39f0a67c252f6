"""forward clock: a policy's time from receipt to assignment

Revision ID: 0015
Revises: 0014

``sla_policies.forward_within`` (ISO 8601 duration, nullable: NULL means ``SLA_DEFAULT_FORWARD``)
budgets the ``forward`` clock, which runs while a ticket waits in ``received`` (new, or returned by
a department) and stops when it is assigned, rejected or merged. The clock and its alerts use the
existing ``sla_clocks`` and ``sla_alerts`` rows with ``kind = 'forward'``.
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sla_policies') as batch:
        batch.add_column(sa.Column('forward_within', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('sla_policies') as batch:
        batch.drop_column('forward_within')
