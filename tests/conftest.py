"""Each test makes its own app and database (a fresh SQLite file, or TEST_DATABASE_URL)."""
import html as html_lib
import os
import re
import uuid

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db as _db

OUTPUT_DIR = os.path.join(os.path.dirname(__file__), "output")


def _database_settings(tmp_path):
    """SQLite file per test by default; with TEST_DATABASE_URL (PostgreSQL, see
    scripts/with-postgres.sh) a fresh schema per test in that database."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite3'}"}, None
    schema = "t_" + uuid.uuid4().hex[:16]
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": {"options": f"-csearch_path={schema}"}},
    }, schema


@pytest.fixture
def app(tmp_path):
    settings, schema = _database_settings(tmp_path)
    app = create_app("testing", UPLOAD_DIR=str(tmp_path / "uploads"), QR_CACHE_DIR=str(tmp_path / "qr"), **settings)
    with app.app_context():
        if schema:
            with _db.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        _db.create_all()
        yield app
        _db.session.remove()
        if schema:
            with _db.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        _db.engine.dispose()


@pytest.fixture
def live_server(app):
    """The app served by a real multi-threaded WSGI server (tests/live.py), for browser tests and
    for requests that must really run at the same time."""
    from tests.live import LiveServer

    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app):
    from app.demo import build_demo

    return build_demo()


def csrf_token(client):
    return client.get("/csrf-token").get_json()["token"]


def login(client, username, password="demo1234"):
    token = csrf_token(client)
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return csrf_token(client)


@pytest.fixture
def login_as(client):
    def _login(username):
        return login(client, username)

    return _login


def text_of(resp):
    """The visible text of an HTML response, tags removed, whitespace folded."""
    html = resp.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))
