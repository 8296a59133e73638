"""data_imports: a province import has no county (county_id nullable) and keeps a summary

Revision ID: a7c9e1f3b5d7
Revises: f6a8b0c2d4e6
Create Date: 2026-11-23 22:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c9e1f3b5d7'
down_revision = 'f6a8b0c2d4e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('data_imports', schema=None) as batch_op:
        batch_op.alter_column('county_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('summary', sa.JSON(), nullable=True))


def downgrade():
    op.execute("DELETE FROM data_imports WHERE county_id IS NULL")
    with op.batch_alter_table('data_imports', schema=None) as batch_op:
        batch_op.drop_column('summary')
        batch_op.alter_column('county_id', existing_type=sa.Integer(), nullable=False)
