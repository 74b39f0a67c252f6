"""org admin: a category's level, the communes a commune People's Committee answers for

Revision ID: 0018
Revises: 0017

``categories.level`` ("province" | "commune", existing rows "province") and
``departments.commune_codes`` (a JSON list of commune codes, existing rows ``[]``, or their
single ``commune_code`` when they have one), both edited on the admin screens. Routing does not
read them yet.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('level', sa.String(length=10), nullable=False, server_default='province'))
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commune_codes', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    departments = sa.table('departments', sa.column('id', sa.Integer), sa.column('commune_code', sa.String),
                           sa.column('commune_codes', sa.JSON))
    bind = op.get_bind()
    for row in bind.execute(sa.select(departments.c.id, departments.c.commune_code)
                            .where(departments.c.commune_code.is_not(None))):
        bind.execute(departments.update().where(departments.c.id == row.id)
                     .values(commune_codes=[row.commune_code]))


def downgrade():
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_column('commune_codes')
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('level')
