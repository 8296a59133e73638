"""feedback: figures the team lead enters (座谈会 by participant type, questionnaires returned)

Revision ID: b8d0f2a4c6e8
Revises: a7c9e1f3b5d7
Create Date: 2026-11-23 23:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d0f2a4c6e8'
down_revision = 'a7c9e1f3b5d7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedbacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_figures', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('feedbacks', schema=None) as batch_op:
        batch_op.drop_column('entered_figures')
