"""sessions that end and login throttling: users.session_token, login_failures; every
inspection's feedback and department rows made up front (GET pages no longer create them)

Revision ID: d4e6f8a0b2c3
Revises: c3d5e7f9a1b2
Create Date: 2026-11-23 20:30:00

"""
import json
import os
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e6f8a0b2c3'
down_revision = 'c3d5e7f9a1b2'
branch_labels = None
depends_on = None

STANDARDS = os.path.join(os.path.dirname(__file__), "..", "..", "app", "standards")


def _departments(standard_id):
    """The standard's departments as its data file lists them (read here, not through app code)."""
    try:
        with open(os.path.join(STANDARDS, f"{standard_id}.json"), encoding="utf-8") as f:
            return json.load(f).get("departments", [])
    except OSError:
        return []


def upgrade():
    op.create_table('login_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_at', sa.DateTime(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures')),
        sa.UniqueConstraint('key', name=op.f('uq_login_failures_key'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=32), nullable=True))
    conn = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    for (uid,) in conn.execute(sa.select(users.c.id)).all():
        conn.execute(users.update().where(users.c.id == uid).values(session_token=secrets.token_hex(16)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=32), nullable=False)

    # Rows that GET pages used to create on first view: one feedback and the standard's
    # departments for every inspection that lacks them.
    inspections = sa.table('inspections', sa.column('id', sa.Integer), sa.column('standard_id', sa.String))
    feedbacks = sa.table('feedbacks', sa.column('inspection_id', sa.Integer), sa.column('vetoes', sa.JSON),
                         sa.column('process', sa.Text), sa.column('achievements', sa.Text),
                         sa.column('requirements', sa.Text), sa.column('addressee', sa.String),
                         sa.column('issuer', sa.String), sa.column('overall', sa.Text),
                         sa.column('problems_text', sa.Text), sa.column('closing', sa.Text),
                         sa.column('version', sa.Integer))
    departments = sa.table('departments', sa.column('inspection_id', sa.Integer), sa.column('name', sa.String),
                           sa.column('indicator_codes', sa.JSON), sa.column('documents_seen', sa.Text),
                           sa.column('note', sa.Text), sa.column('version', sa.Integer))
    have_feedback = {r[0] for r in conn.execute(sa.select(feedbacks.c.inspection_id)).all()}
    have_departments = {}
    for iid, name in conn.execute(sa.select(departments.c.inspection_id, departments.c.name)).all():
        have_departments.setdefault(iid, set()).add(name)
    for iid, standard_id in conn.execute(sa.select(inspections.c.id, inspections.c.standard_id)).all():
        if iid not in have_feedback:
            conn.execute(feedbacks.insert().values(inspection_id=iid, vetoes={}, process="", achievements="",
                                                   requirements="", addressee="", issuer="", overall="",
                                                   problems_text="", closing="", version=1))
        for d in _departments(standard_id):
            if d["name"] not in have_departments.get(iid, set()):
                conn.execute(departments.insert().values(inspection_id=iid, name=d["name"],
                                                         indicator_codes=list(d["indicators"]),
                                                         documents_seen="", note="", version=1))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_token')
    op.drop_table('login_failures')
