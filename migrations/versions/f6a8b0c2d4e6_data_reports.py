"""data_reports and report_evidence (online reporting); users.school_id (学校填报员)

Revision ID: f6a8b0c2d4e6
Revises: e5f7a9b1c3d5
Create Date: 2026-11-23 22:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f6a8b0c2d4e6'
down_revision = 'e5f7a9b1c3d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=32), nullable=False),
        sa.Column('level', sa.String(length=8), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=True),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('standard_id', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('return_reason', sa.Text(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['county_id'], ['counties.id']),
        sa.ForeignKeyConstraint(['school_id'], ['schools.id']),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('subject', 'year', 'standard_id'),
    )
    with op.batch_alter_table('data_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_reports_county_id'), ['county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_reports_school_id'), ['school_id'], unique=False)
    op.create_table(
        'report_evidence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('target', sa.String(length=64), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('storage_key', sa.String(length=200), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('deleted_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['report_id'], ['data_reports.id']),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('report_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_evidence_report_id'), ['report_id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('school_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_users_school_id', 'schools', ['school_id'], ['id'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('fk_users_school_id', type_='foreignkey')
        batch_op.drop_column('school_id')
    with op.batch_alter_table('report_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_evidence_report_id'))
    op.drop_table('report_evidence')
    with op.batch_alter_table('data_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_reports_school_id'))
        batch_op.drop_index(batch_op.f('ix_data_reports_county_id'))
    op.drop_table('data_reports')
