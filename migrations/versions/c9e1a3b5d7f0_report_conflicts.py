"""修改冲突 on data reports: record_conflicts.inspection_id nullable (a data report belongs to no
inspection); data_reports.value_authors (who stored each field's current value)

Revision ID: c9e1a3b5d7f0
Revises: b8d0f2a4c6e8
Create Date: 2026-11-24 00:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c9e1a3b5d7f0'
down_revision = 'b8d0f2a4c6e8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('record_conflicts', schema=None) as batch_op:
        batch_op.alter_column('inspection_id', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('data_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('value_authors', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('data_reports', schema=None) as batch_op:
        batch_op.drop_column('value_authors')
    op.execute("DELETE FROM record_conflicts WHERE inspection_id IS NULL")
    with op.batch_alter_table('record_conflicts', schema=None) as batch_op:
        batch_op.alter_column('inspection_id', existing_type=sa.Integer(), nullable=False)
