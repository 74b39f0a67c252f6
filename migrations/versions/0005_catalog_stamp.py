"""catalog stamp: the key of the per-process catalogue caches

Revision ID: 0005
Revises: 0004
"""
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('catalog_stamp',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_stamp'))
    )
    # Random per database: a cache filled from another database never matches it.
    op.bulk_insert(table, [{'id': 1, 'stamp': uuid.uuid4().hex, 'changed_at': datetime.now(UTC)}])


def downgrade():
    op.drop_table('catalog_stamp')
