"""school_section_data: 办学性质 (ownership) and 高中在校生数 (high_students)

Revision ID: e5f7a9b1c3d5
Revises: d4e6f8a0b2c3
Create Date: 2026-11-23 20:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e5f7a9b1c3d5'
down_revision = 'd4e6f8a0b2c3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('school_section_data', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ownership', sa.String(length=4), nullable=False, server_default='公办'))
        batch_op.add_column(sa.Column('high_students', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('school_section_data', schema=None) as batch_op:
        batch_op.drop_column('high_students')
        batch_op.drop_column('ownership')
