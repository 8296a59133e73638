"""client_ops.inspection_id: a client UUID is looked up within its own inspection

Revision ID: c1a7e0f3b2d4
Revises: 88adbf40f64f
Create Date: 2026-11-23 20:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c1a7e0f3b2d4'
down_revision = '88adbf40f64f'
branch_labels = None
depends_on = None

SOURCES = {"check_record": "check_records", "photo": "photos", "hearing_entry": "hearing_entries",
           "interview": "interviews", "department": "departments"}


def upgrade():
    with op.batch_alter_table('client_ops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inspection_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_client_ops_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_foreign_key('fk_client_ops_inspection_id', 'inspections', ['inspection_id'], ['id'])
    for kind, table in SOURCES.items():
        op.execute(f"UPDATE client_ops SET inspection_id = (SELECT {table}.inspection_id FROM {table} "
                   f"WHERE {table}.id = client_ops.record_id) WHERE kind = '{kind}'")


def downgrade():
    with op.batch_alter_table('client_ops', schema=None) as batch_op:
        batch_op.drop_constraint('fk_client_ops_inspection_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_client_ops_inspection_id'))
        batch_op.drop_column('inspection_id')
