"""drop the catalog stamp: intake reads the routing catalogue from its tables again

Revision ID: 0007
Revises: 0006
"""
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('catalog_stamp')


def downgrade():
    table = op.create_table('catalog_stamp',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_stamp'))
    )
    op.bulk_insert(table, [{'id': 1, 'stamp': uuid.uuid4().hex, 'changed_at': datetime.now(UTC)}])
