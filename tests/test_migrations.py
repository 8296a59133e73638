"""The committed migrations produce exactly the schema the models declare."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app import create_app
from app.extensions import db


def test_migrations_match_models(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(ctx, db.metadata)
        assert diff == [], f"models and migrations differ — run `flask db migrate`: {diff}"
        tables = set(db.inspect(db.engine).get_table_names())
        assert {"users", "schools", "inspections", "check_records", "audit_entries", "client_ops"} <= tables
        db.engine.dispose()


def test_session_migration_gives_users_tokens_and_inspections_their_rows(tmp_path):
    """d4e6f8a0b2c3 on a database with data: every user gets a session token of their own (old
    cookies end), every inspection its feedback and the standard's departments."""
    from sqlalchemy import text

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with app.app_context():
        upgrade(revision="c3d5e7f9a1b2")
        with db.engine.begin() as conn:
            for name in ("a", "b"):
                conn.execute(text("INSERT INTO users (username, name, role, password_hash, active, created_at) "
                                  "VALUES (:n, :n, 'inspector', 'x', 1, '2026-01-01')"), {"n": name})
            conn.execute(text("INSERT INTO counties (code, name, province, city, created_at) "
                              "VALUES ('510999', '示范县', '', '', '2026-01-01')"))
            conn.execute(text("INSERT INTO inspections (county_id, standard_id, level, title, status, current_step, "
                              "locked, watermark, created_at) VALUES (1, 'quality-2017', '县级自评', 't', 'running', 1, 0, 1, "
                              "'2026-01-01')"))
        upgrade()
        with db.engine.connect() as conn:
            tokens = [r[0] for r in conn.execute(text("SELECT session_token FROM users"))]
            assert len(set(tokens)) == 2 and all(len(t) == 32 for t in tokens)
            assert conn.execute(text("SELECT count(*) FROM feedbacks")).scalar() == 1
            from app.standards import get_standard

            assert conn.execute(text("SELECT count(*) FROM departments")).scalar() == len(
                get_standard("quality-2017").departments) > 0
        db.engine.dispose()
