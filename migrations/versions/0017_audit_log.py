"""audit_events: the append-only audit log (sign-ins, views of personal data, account changes)

Revision ID: 0017
Revises: 0016

One row per audited act (services/audit.py). Indexed for the admin's filters, newest first: by
time, by action, by actor name, by target. On PostgreSQL a trigger refuses every UPDATE and
DELETE of a row, whoever the database user is, except the foreign key's ``ON DELETE SET NULL``
when an account is deleted (its name stays in ``actor_label``). TRUNCATE, a deliberate
table-wide act that row triggers do not see, stays possible (a restore, the test-suite's
cleanup). SQLite has no such trigger.
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# The one change let through: the foreign key's ON DELETE SET NULL when an account is deleted
# (the name stays in actor_label), so deleting a user is not blocked by its history.
REFUSE = """
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND ROW(NEW.id, NEW.at, NEW.actor_label, NEW.action, NEW.target_type, NEW.target_id, NEW.client_ip,
               NEW.details::text)
           IS NOT DISTINCT FROM ROW(OLD.id, OLD.at, OLD.actor_label, OLD.action, OLD.target_type, OLD.target_id,
                                    OLD.client_ip, OLD.details::text) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target_type', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=True),
    sa.Column('client_ip', sa.String(length=45), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    op.create_index('ix_audit_events_at', 'audit_events', ['at'])
    op.create_index('ix_audit_events_action_at', 'audit_events', ['action', 'at'])
    op.create_index('ix_audit_events_actor_label_at', 'audit_events', ['actor_label', 'at'])
    op.create_index('ix_audit_events_target', 'audit_events', ['target_type', 'target_id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(REFUSE)
        op.execute("CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_refuse_change()")
    op.drop_index('ix_audit_events_target', table_name='audit_events')
    op.drop_index('ix_audit_events_actor_label_at', table_name='audit_events')
    op.drop_index('ix_audit_events_action_at', table_name='audit_events')
    op.drop_index('ix_audit_events_at', table_name='audit_events')
    op.drop_table('audit_events')
