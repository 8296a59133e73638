import pytest

from app import ConfigError, create_app


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app("production")


def test_production_starts_with_secret_key_and_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    app = create_app("production", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert app.config["SECRET_KEY"] == "x" * 32
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_database_url_is_read_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://dd.example.edu.cn/")
    app = create_app("development")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.db"
    assert app.config["PUBLIC_BASE_URL"] == "https://dd.example.edu.cn"


def test_sqlite_runs_in_wal_mode(app):
    from sqlalchemy import text

    from app.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_remember_me_keeps_inspector_signed_in_14_days(client, demo):
    from tests.conftest import csrf_token

    resp = client.post("/login", data={"username": "inspector1", "password": "demo1234", "remember": "y",
                                       "csrf_token": csrf_token(client)})
    cookie = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert cookie, resp.headers
    import re
    from datetime import datetime, timedelta, timezone
    from email.utils import parsedate_to_datetime

    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie[0]).group(1))
    assert timedelta(days=13) < expires - datetime.now(timezone.utc) <= timedelta(days=14, minutes=1)


def test_login_redirects_only_to_local_next(client, demo):
    from tests.conftest import csrf_token

    resp = client.post("/login?next=https://evil.example.com/", data={
        "username": "inspector1", "password": "demo1234", "csrf_token": csrf_token(client)})
    assert resp.headers["Location"] == "/"


def test_demo_command_creates_users_and_says_how_to_log_in(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "inspector1" in result.output and "demo1234" in result.output
    from app.extensions import db
    from app.models import School, User

    assert {u.username for u in db.session.execute(db.select(User)).scalars()} == {
        "admin", "lead", "inspector1", "inspector2", "inspector3", "inspector4", "expert", "reporter1"}
    assert "reporter1" in result.output and "学校填报员" in result.output
    from app.models.reporting import DataReport

    statuses = [r.status for r in db.session.execute(db.select(DataReport)).scalars()]
    assert statuses.count("returned") == 1 and statuses.count("draft") == 1 and statuses.count("approved") > len(statuses) // 2
    schools = db.session.execute(db.select(School)).scalars().all()
    assert len(schools) >= 28
    assert {"小学", "初中", "九年一贯制学校", "教学点", "特殊教育学校"} <= {s.school_type for s in schools}
    assert {"城区", "镇区", "乡村"} == {s.urban_rural for s in schools}
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0 and "跳过" in again.output


def test_create_user_cli(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "zhang", "--name", "张三", "--role", "lead"], input="secret123\nsecret123\n")
    assert result.exit_code == 0, result.output
    from app.extensions import db
    from app.models import User

    user = db.session.execute(db.select(User).filter_by(username="zhang")).scalar()
    assert user.role == "lead" and user.check_password("secret123") and user.password_hash != "secret123"


def test_times_are_shown_in_china_time():
    from datetime import datetime

    from app.timefmt import local_time

    assert local_time(datetime(2026, 11, 22, 16, 30)) == "11-23 00:30"
    assert local_time(None) == ""


def test_service_worker_from_the_root_versioned_by_its_files(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "application/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/" and resp.headers["Cache-Control"] == "no-cache"
    import re

    version = re.search(r'var VERSION = "([0-9a-f]{12})";', resp.get_data(as_text=True))
    assert version and version.group(1) != "dev"
    assert client.get("/offline").status_code == 200 and "当前没有网络" in client.get("/offline").get_data(as_text=True)
