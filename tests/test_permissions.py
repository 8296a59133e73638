"""Every URL rule of the app, walked: anonymous → /login (except the public ones); the wrong
role → 403. New routes are covered automatically; give their URL arguments a value below."""
import pytest

from app import create_app
from tests.conftest import csrf_token, login

# Every role, by the demo user who has it (reporter1 is bound to the county's first school).
ROLE_USERS = {"admin": "admin", "lead": "lead", "inspector": "inspector1", "expert": "expert", "reporter": "reporter1"}

_app = create_app("testing")
RULES = sorted(
    (r for r in _app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: (r.rule, r.endpoint)
)


def add_walk_records(demo, client):
    """What the URL arguments below point at, made the real way: the demo's 数据填报 (reports
    through the workflow, the first with an evidence file; the expert and the school reporter),
    a county and a province school-data import waiting for confirmation, and a photo uploaded by
    an inspector. Kept in demo["ids"]."""
    import uuid

    from app.extensions import db
    from app.indicators.school_import import stored_rows
    from app.models import DataImport, DataReport, ReportEvidence, SchoolSectionData
    from app.reporting.demo import add_demo_reports
    from app.routes.photos import storage

    demo["users"] = add_demo_reports(demo, storage=storage())
    county, admin = demo["county"], demo["users"]["admin"]
    year = db.session.scalar(db.select(db.func.max(SchoolSectionData.year)))
    rows = [{k: v for k, v in r.items() if k not in ("school_id", "warnings")} for r in stored_rows(county.id, year)]
    pending = DataImport(county=county, year=year, filename="学校数据.xlsx", rows=rows, warnings=[],
                         row_count=len(rows), uploaded_by=admin)
    province = DataImport(county_id=None, year=year, filename="全省学校数据.xlsx",
                          rows=[dict(r, county_code=county.code) for r in rows], warnings=[], row_count=len(rows),
                          uploaded_by=admin)
    db.session.add_all([pending, province])
    db.session.commit()
    evidence = db.session.execute(db.select(ReportEvidence).order_by(ReportEvidence.id)).scalars().first()
    report = db.session.get(DataReport, evidence.report_id)
    assert report.school_id == demo["users"]["reporter1"].school_id  # the reporter's own school's report
    from tests.test_photo_routes import upload

    visit = demo["inspection"].visits[0]
    token = login(client, visit.inspector.username)
    resp = upload(client, token, demo["inspection"].id, visit.school, str(uuid.uuid4()))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})
    demo["ids"] = {"rid": report.id, "eid": evidence.id, "county_import": pending.id, "province_import": province.id,
                   "photo_id": resp.get_json()["id"]}
    return demo


@pytest.fixture
def walk_demo(demo, client):
    return add_walk_records(demo, client)


@pytest.fixture
def role_demo(demo):
    """The demo with a user of every role (the 评估专家 and 学校填报员 too), without the records of
    walk_demo: access is decided before any record is looked up, and these walks run per route."""
    from app.reporting.demo import reporting_users

    demo["users"] = dict(demo["users"], **reporting_users(demo, "demo1234"))
    return demo


def url_args(demo, rule=None):
    school = demo["inspection"].visits[0].school
    ids = demo.get("ids", {})
    import_id = ids.get("province_import" if rule is not None and rule.rule.startswith("/school-data/province")
                        else "county_import", 1)
    return {
        "iid": demo["inspection"].id,
        "school_id": school.id,
        "item_code": "R5",
        "code": demo["county"].code,
        "token": school.qr_token,
        "import_id": import_id,
        "entry_id": 1,
        "subject_type": "archive_county",
        "subject_id": demo["county"].id,
        "dep_id": 1,
        "interview_id": 1,
        "action": "start",
        "group_id": demo["inspection"].groups[0].id,
        "pid": 1,
        "draw_id": 1,
        "kind": "schools",
        "photo_id": ids.get("photo_id", 1),
        "cid": 1,
        "problem_id": 1,
        "user_id": demo["users"]["inspector2"].id,
        "rid": ids.get("rid", 1),
        "eid": ids.get("eid", 1),
    }


def build_url(app, rule, demo):
    values = url_args(demo, rule)
    missing = [a for a in rule.arguments if a not in values]
    assert not missing, f"give {missing} a value in tests/test_permissions.py url_args()"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})


def method_of(rule):
    return "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


def test_every_view_declares_its_access():
    for rule in RULES:
        view = _app.view_functions[rule.endpoint]
        assert getattr(view, "_public", False) or getattr(view, "_roles", None), (
            f"{rule.endpoint} ({rule.rule}) has neither @public nor @roles(...)"
        )


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.endpoint}" for r in RULES])
def test_anonymous_is_sent_to_login(app, client, demo, rule):
    view = app.view_functions[rule.endpoint]
    url = build_url(app, rule, demo)
    method = method_of(rule)
    data = {"csrf_token": csrf_token(client)} if method != "GET" else None
    resp = client.open(url, method=method, data=data)
    if getattr(view, "_public", False):
        assert resp.status_code != 403
        return
    assert resp.status_code == 302, (url, resp.status_code)
    assert resp.headers["Location"].startswith("/login")


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.endpoint}" for r in RULES])
def test_wrong_role_is_refused(app, client, role_demo, rule):
    demo = role_demo
    view = app.view_functions[rule.endpoint]
    allowed = getattr(view, "_roles", None)
    if not allowed:
        pytest.skip("public")
    others = [u for role, u in ROLE_USERS.items() if role not in allowed]
    if not others:
        pytest.skip("every role may use it")
    url = build_url(app, rule, demo)
    method = method_of(rule)
    for username in others:
        token = login(client, username)
        resp = client.open(url, method=method, data={"csrf_token": token} if method != "GET" else None)
        assert resp.status_code == 403, (username, url, resp.status_code)
        assert "无权" in resp.get_data(as_text=True)
        client.post("/logout", data={"csrf_token": token})


def test_every_page_renders_for_a_user_allowed_to_see_it(app, client, walk_demo):
    """Every GET page, with the demo's fieldwork and reports in it, answers without a server error."""
    from app.demo import add_demo_activity

    demo = walk_demo
    add_demo_activity(demo)
    tokens = {}
    for rule in RULES:
        if "GET" not in rule.methods:
            continue
        view = app.view_functions[rule.endpoint]
        allowed = getattr(view, "_roles", None) or ("lead",)
        username = ROLE_USERS["lead" if "lead" in allowed else allowed[0]]
        if tokens.get("user") != username:
            if tokens.get("user"):
                client.post("/logout", data={"csrf_token": tokens["token"]})
            tokens = {"user": username, "token": login(client, username)}
        url = build_url(app, rule, demo)
        resp = client.get(url)
        assert resp.status_code < 500, (url, resp.status_code)
        if rule.endpoint != "checklist.scan_code":  # without ?code= it answers 404 by design
            assert resp.status_code != 404, (username, url)  # the ids above point at real rows


def test_administration_is_for_the_office_only():
    """Every /admin route is admin-only (the walk above then checks lead and inspector get 403)."""
    admin_rules = [r for r in RULES if r.endpoint.startswith("admin.")]
    assert len(admin_rules) >= 12
    for rule in admin_rules:
        assert rule.rule.startswith("/admin")
        assert _app.view_functions[rule.endpoint]._roles == ("admin",), rule.endpoint
