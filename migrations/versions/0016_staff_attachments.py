"""staff attachments: who uploaded a ticket's file, and its original name

Revision ID: 0016
Revises: 0015

``ticket_media.uploaded_by_id`` (nullable FK to ``users``) is set for files staff upload on the
ticket page (photos, PDF answer documents): those are internal, never served by ``/media/<key>``
nor listed by a public view. NULL: a citizen's Open311 photo, as before. ``filename`` is the
uploader's name of the file, shown to staff only, never used as a path.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_media', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uploaded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('filename', sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ticket_media_uploaded_by_id_users'), 'users',
                                    ['uploaded_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('ticket_media', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ticket_media_uploaded_by_id_users'), type_='foreignkey')
        batch_op.drop_column('filename')
        batch_op.drop_column('uploaded_by_id')
