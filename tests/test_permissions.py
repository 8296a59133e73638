"""Every URL rule of the app, walked: anonymous → /login (except the public ones); the wrong
role → 403. New routes are covered automatically; give their URL arguments a value below."""
import pytest

from app import create_app
from tests.conftest import csrf_token, login

_app = create_app("testing")
RULES = sorted(
    (r for r in _app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: (r.rule, r.endpoint)
)


def url_args(demo):
    school = demo["inspection"].visits[0].school
    return {
        "iid": demo["inspection"].id,
        "school_id": school.id,
        "item_code": "R5",
        "code": demo["county"].code,
        "token": school.qr_token,
        "import_id": 1,
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
        "photo_id": 1,
        "cid": 1,
        "problem_id": 1,
        "user_id": demo["users"]["inspector2"].id,
        "rid": 1,
        "eid": 1,
    }


def build_url(app, rule, demo):
    values = url_args(demo)
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
def test_wrong_role_is_refused(app, client, demo, rule):
    view = app.view_functions[rule.endpoint]
    allowed = getattr(view, "_roles", None)
    if not allowed:
        pytest.skip("public")
    others = [u for u, role in (("admin", "admin"), ("lead", "lead"), ("inspector1", "inspector")) if role not in allowed]
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


def test_every_page_renders_for_a_user_allowed_to_see_it(app, client, demo):
    """Every GET page, with the demo's fieldwork in it, answers without a server error."""
    from app.demo import add_demo_activity

    add_demo_activity(demo)
    tokens = {}
    for rule in RULES:
        if "GET" not in rule.methods:
            continue
        view = app.view_functions[rule.endpoint]
        allowed = getattr(view, "_roles", None) or ("lead",)
        username = {"lead": "lead", "admin": "admin", "inspector": "inspector1"}[
            "lead" if "lead" in allowed else allowed[0]]
        if tokens.get("user") != username:
            if tokens.get("user"):
                client.post("/logout", data={"csrf_token": tokens["token"]})
            tokens = {"user": username, "token": login(client, username)}
        url = build_url(app, rule, demo)
        resp = client.get(url)
        assert resp.status_code < 500, (url, resp.status_code)


def test_administration_is_for_the_office_only():
    """Every /admin route is admin-only (the walk above then checks lead and inspector get 403)."""
    admin_rules = [r for r in RULES if r.endpoint.startswith("admin.")]
    assert len(admin_rules) >= 12
    for rule in admin_rules:
        assert rule.rule.startswith("/admin")
        assert _app.view_functions[rule.endpoint]._roles == ("admin",), rule.endpoint
