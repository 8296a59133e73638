"""Backup and restore: a round trip into a fresh database and a fresh photo folder (SQLite always,
PostgreSQL under TEST_DATABASE_URL), with real pg_dump/pg_restore, compared table by table and
photo by photo; restore refuses a database that already holds data."""
import hashlib
import io
import json
import os
import shutil
import uuid

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db
from app.media.storage import make_storage
from app.models import Photo
from tests.conftest import login

PG_URL = os.environ.get("TEST_DATABASE_URL")


def jpeg(color):
    buf = io.BytesIO()
    Image.new("RGB", (1000, 750), color).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def build_data(app):
    """The demo with its fieldwork, plus three photos uploaded through the route."""
    from app.demo import add_demo_activity, build_demo

    result = build_demo()
    add_demo_activity(result)
    iid = result["inspection"].id
    school = result["inspection"].visits[0].school
    client = app.test_client()
    token = login(client, "inspector1")
    for color in ((200, 40, 40), (40, 200, 40), (40, 40, 200)):
        resp = client.post(f"/inspections/{iid}/photos", content_type="multipart/form-data", data={
            "csrf_token": token, "client_uuid": str(uuid.uuid4()), "subject_type": "school",
            "subject_id": str(school.id), "item_code": "R5", "photo": (io.BytesIO(jpeg(color)), "p.jpg")})
        assert resp.status_code == 201, resp.get_data(as_text=True)


def snapshot():
    """Row counts of every table, and the sha256 of every photo file (original and thumbnail)."""
    names = inspect(db.engine).get_table_names()
    counts = {t: db.session.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in names}
    store = make_storage(current_app.config)
    photos = {}
    for p in db.session.execute(db.select(Photo).order_by(Photo.id)).scalars():
        photos[p.id] = (hashlib.sha256(store.get(p.data_key)).hexdigest(), hashlib.sha256(store.get(p.thumb_key)).hexdigest())
        assert photos[p.id][0] == p.sha256
    db.session.remove()
    return counts, photos


def round_trip(source, tmp_path, target_settings):
    with source.app_context():
        build_data(source)
        before, photos = snapshot()
    assert len(photos) == 3 and before["photos"] == 3 and before["check_records"] > 0
    out = tmp_path / "backups" / "2026-11-23"
    with source.app_context():  # the CLI runs in the app whose context is current
        result = source.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert "已备份到" in result.output and "照片文件 6 个" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"] == before and manifest["photos"]["count"] == 6 and manifest["missing_photos"] == []
    for key, digest in manifest["photos"]["files"].items():
        assert hashlib.sha256((out / "photos" / key).read_bytes()).hexdigest() == digest
    assert not os.path.exists(str(out) + ".partial")

    target = create_app("testing", UPLOAD_DIR=str(tmp_path / "fresh-uploads"), QR_CACHE_DIR=str(tmp_path / "qr2"),
                        **target_settings)
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(out)])
        assert result.exit_code == 0, result.output
        assert "核对通过" in result.output
        after, restored = snapshot()
        assert after == before
        assert restored == photos
        # the restored deployment works: a user signs in and opens a photo
        client = target.test_client()
        login(client, "inspector1")
        pid = next(iter(photos))
        full = client.get(f"/photos/{pid}/full.jpg")
        assert full.status_code == 200 and hashlib.sha256(full.data).hexdigest() == photos[pid][0]
        db.session.remove()
        db.engine.dispose()
    return manifest


def test_round_trip_on_sqlite(tmp_path):
    source = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'source.sqlite3'}",
                        UPLOAD_DIR=str(tmp_path / "uploads"), QR_CACHE_DIR=str(tmp_path / "qr"))
    with source.app_context():
        db.create_all()
    manifest = round_trip(source, tmp_path,
                          {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh' / 'restored.sqlite3'}"})
    assert manifest["database"]["dialect"] == "sqlite"
    with source.app_context():
        db.engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL round trip: needs TEST_DATABASE_URL (make test runs it under "
                                      "scripts/with-postgres.sh)")
def test_round_trip_on_postgresql(app, tmp_path):
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.fail("pg_dump/pg_restore missing: apt install postgresql-client")
    # the source lives in this test's schema; the target is a new database, schema public
    name = "restore_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        target_url = admin.url.set(database=name).render_as_string(hide_password=False)
        manifest = round_trip(app, tmp_path, {"SQLALCHEMY_DATABASE_URI": target_url})
        assert manifest["database"]["dialect"] == "postgresql" and manifest["database"]["schema"].startswith("t_")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_restore_refuses_a_database_that_holds_data(app, tmp_path):
    from app.demo import build_demo

    build_demo()
    out = tmp_path / "backup"
    assert app.test_cli_runner().invoke(args=["backup", str(out)]).exit_code == 0
    # a second backup into the same folder is refused: a backup never mixes two runs
    again = app.test_cli_runner().invoke(args=["backup", str(out)])
    assert again.exit_code != 0 and "已存在且不为空" in again.output
    before = db.session.execute(text("SELECT count(*) FROM users")).scalar_one()
    db.session.execute(text("DELETE FROM audit_entries"))  # a change made after the backup
    db.session.commit()
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["restore", str(out)])
    assert result.exit_code != 0
    assert "目标数据库已有数据" in result.output and "--force" in result.output
    assert db.session.execute(text("SELECT count(*) FROM users")).scalar_one() == before
    assert db.session.execute(text("SELECT count(*) FROM audit_entries")).scalar_one() == 0  # untouched
    db.session.remove()
    # --force overwrites it with the backup
    result = app.test_cli_runner().invoke(args=["restore", str(out), "--force"])
    assert result.exit_code == 0 and "核对通过" in result.output, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert db.session.execute(text("SELECT count(*) FROM audit_entries")).scalar_one() == manifest["tables"]["audit_entries"]
    db.session.remove()
