"""feedback document text: 主送, 落款, edited paragraphs, photo choice; doubtful problems

Revision ID: c3d5e7f9a1b2
Revises: c1a7e0f3b2d4
Create Date: 2026-11-23 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d5e7f9a1b2'
down_revision = 'c1a7e0f3b2d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedbacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('addressee', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('issuer', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('overall', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('problems_text', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('closing', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('photo_choice', sa.JSON(), nullable=True))
    with op.batch_alter_table('feedback_problems', schema=None) as batch_op:
        batch_op.add_column(sa.Column('doubtful', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('feedback_problems', schema=None) as batch_op:
        batch_op.drop_column('doubtful')
    with op.batch_alter_table('feedbacks', schema=None) as batch_op:
        batch_op.drop_column('photo_choice')
        batch_op.drop_column('closing')
        batch_op.drop_column('problems_text')
        batch_op.drop_column('overall')
        batch_op.drop_column('issuer')
        batch_op.drop_column('addressee')
