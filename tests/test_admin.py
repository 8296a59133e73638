"""Administration pages: the office onboards its team, counties and schools from the browser."""
import pytest

from app.extensions import db
from app.models import AuditEntry, County, InspectionMember, School, SchoolSectionData, User, Visit
from tests.conftest import csrf_token, login, text_of


def _user(username):
    return db.session.execute(db.select(User).filter_by(username=username)).scalar()


def _create(client, token, username="zhao", password="secret123", role="inspector", name="赵督学"):
    return client.post("/admin/users", data={"csrf_token": token, "username": username, "name": name,
                                             "role": role, "password": password})


def test_created_user_logs_in_and_a_disabled_one_is_signed_out_at_once(app, client, demo):
    token = login(client, "admin")
    resp = _create(client, token)
    assert resp.status_code == 302
    user = _user("zhao")
    assert user.role == "inspector" and user.active and user.check_password("secret123")
    entry = db.session.execute(db.select(AuditEntry).filter_by(entity="user", entity_id=user.id)).scalar()
    assert entry.action == "create" and entry.user_id == _user("admin").id and "secret123" not in str(entry.after)
    assert "赵督学" in text_of(client.get("/admin/users?q=zha"))
    assert "赵督学" not in text_of(client.get("/admin/users?q=nobody"))

    # The new user's phone: its own cookies, and its own app context per visit (the fixture's
    # context would otherwise share flask_login's cached user between the two clients).
    phone = app.test_client()
    with app.app_context():
        login(phone, "zhao", "secret123")
    with app.app_context():
        resp = phone.get("/")
        assert resp.status_code == 200 and "赵督学" in text_of(resp)

    resp = client.post(f"/admin/users/{user.id}/disable", data={"csrf_token": token}, follow_redirects=True)
    assert "已停用" in text_of(resp)
    db.session.expire_all()
    assert _user("zhao").active is False
    # The open session on the phone ends with its next request.
    with app.app_context():
        resp = phone.get("/")
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    # And the password no longer lets them in.
    with app.app_context():
        t = csrf_token(phone)
        resp = phone.post("/login", data={"username": "zhao", "password": "secret123", "csrf_token": t})
        assert resp.status_code == 400 and "用户名或密码错误" in text_of(resp)

    client.post(f"/admin/users/{user.id}/enable", data={"csrf_token": token})
    with app.app_context():
        login(phone, "zhao", "secret123")
    with app.app_context():
        assert phone.get("/").status_code == 200


def test_reset_password_old_fails_new_works(app, client, demo):
    token = login(client, "admin")
    uid = _user("inspector1").id
    resp = client.post(f"/admin/users/{uid}/password",
                       data={"csrf_token": token, "password": "newpass99", "password2": "newpass99"},
                       follow_redirects=True)
    assert "已重置" in text_of(resp)
    other = app.test_client()
    with app.app_context():
        t = csrf_token(other)
        resp = other.post("/login", data={"username": "inspector1", "password": "demo1234", "csrf_token": t})
        assert resp.status_code == 400 and "用户名或密码错误" in text_of(resp)
    with app.app_context():
        login(other, "inspector1", "newpass99")
        assert "张督学" in text_of(other.get("/"))


@pytest.mark.parametrize("password,message", [
    ("short1", "至少 8 位"),
    ("12345678901", "不能全是数字"),
    ("liuliuliu", "不能与用户名相同"),
])
def test_password_rule_refusals_store_nothing(client, demo, password, message):
    token = login(client, "admin")
    resp = _create(client, token, username="liuliuliu", password=password)
    assert resp.status_code == 422 and message in text_of(resp)
    assert _user("liuliuliu") is None
    uid = _user("inspector2").id
    if password == "liuliuliu":
        password = "Inspector2"  # the rule compares with the user's own username, case aside
    resp = client.post(f"/admin/users/{uid}/password",
                       data={"csrf_token": token, "password": password, "password2": password}, follow_redirects=True)
    assert message in text_of(resp)
    db.session.expire_all()
    assert _user("inspector2").check_password("demo1234")


def test_user_form_refusals(client, demo):
    token = login(client, "admin")
    assert "已被使用" in text_of(_create(client, token, username="Inspector1"))
    assert "用户名须为" in text_of(_create(client, token, username="<b>x</b>"))
    resp = _create(client, token, username="wang2", name="<script>alert(1)</script>")
    assert resp.status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    uid = _user("inspector2").id
    resp = client.post(f"/admin/users/{uid}/password",
                       data={"csrf_token": token, "password": "goodpass1", "password2": "goodpass2"}, follow_redirects=True)
    assert "不一致" in text_of(resp)


def test_change_role_and_guard_the_last_admin(client, demo):
    token = login(client, "admin")
    uid = _user("inspector3").id
    resp = client.post(f"/admin/users/{uid}/role", data={"csrf_token": token, "role": "lead"}, follow_redirects=True)
    assert "检查组组长" in text_of(resp)
    db.session.expire_all()
    assert _user("inspector3").role == "lead"
    admin_id = _user("admin").id
    resp = client.post(f"/admin/users/{admin_id}/role", data={"csrf_token": token, "role": "inspector"},
                       follow_redirects=True)
    assert "至少要保留一位" in text_of(resp)
    resp = client.post(f"/admin/users/{admin_id}/disable", data={"csrf_token": token}, follow_redirects=True)
    assert "不能停用自己" in text_of(resp) or "至少要保留一位" in text_of(resp)
    db.session.expire_all()
    assert _user("admin").role == "admin" and _user("admin").active


def test_create_and_rename_a_county(client, demo):
    token = login(client, "admin")
    resp = client.post("/admin/counties", data={"csrf_token": token, "code": "330110", "name": "余杭区",
                                                "province": "浙江省", "city": "杭州市"})
    assert resp.status_code == 302
    county = db.session.execute(db.select(County).filter_by(code="330110")).scalar()
    assert county.name == "余杭区"
    for bad, message in (("33011", "6 位数字"), ("33011x", "6 位数字"), ("330110", "已存在")):
        resp = client.post("/admin/counties", data={"csrf_token": token, "code": bad, "name": "某县"},
                           follow_redirects=True)
        assert message in text_of(resp)
    assert db.session.scalar(db.select(db.func.count(County.id))) == 2
    resp = client.post("/admin/counties/330110/rename", data={"csrf_token": token, "name": "临平区",
                                                              "province": "浙江省", "city": "杭州市"}, follow_redirects=True)
    assert "临平区" in text_of(resp)
    db.session.expire_all()
    assert db.session.get(County, county.id).name == "临平区"
    actions = db.session.execute(db.select(AuditEntry.action).filter_by(entity="county", entity_id=county.id)).scalars().all()
    assert sorted(actions) == ["create", "update"]


def _school_form(token, **kw):
    data = {"csrf_token": token, "code": "5109990901", "name": "城北小学", "school_type": "小学", "urban_rural": "城区",
            "parent_code": ""}
    data.update(kw)
    return data


def test_add_a_school_and_edit_it(client, demo):
    token = login(client, "admin")
    code = demo["county"].code
    resp = client.post(f"/admin/counties/{code}/schools", data=_school_form(token))
    assert resp.status_code == 302
    school = db.session.execute(db.select(School).filter_by(code="5109990901")).scalar()
    assert school.county_id == demo["county"].id and school.qr_token
    assert "城北小学" in text_of(client.get(f"/admin/counties/{code}/schools?q=城北"))
    # Refused: a duplicate code, a 教学点 without its school.
    resp = client.post(f"/admin/counties/{code}/schools", data=_school_form(token, name="重复"))
    assert resp.status_code == 422 and "已被「城北小学」使用" in text_of(resp)
    resp = client.post(f"/admin/counties/{code}/schools", data=_school_form(token, code="5109990902", school_type="教学点"))
    assert resp.status_code == 422 and "所属学校" in text_of(resp)
    # Edit: becomes a 教学点 of another school, with a new name and code.
    parent = next(s for s in demo["schools"] if s.school_type == "小学")
    resp = client.post(f"/admin/counties/{code}/schools/{school.id}/edit",
                       data=_school_form(token, code="5109990903", name="城北教学点", school_type="教学点",
                                         urban_rural="乡村", parent_code=parent.code), follow_redirects=True)
    assert "已保存" in text_of(resp)
    db.session.expire_all()
    school = db.session.get(School, school.id)
    assert (school.code, school.name, school.school_type, school.urban_rural, school.parent_code) == (
        "5109990903", "城北教学点", "教学点", "乡村", parent.code)
    audit = db.session.execute(db.select(AuditEntry).filter_by(entity="school", entity_id=school.id, action="update")).scalar()
    assert audit.before["name"] == "城北小学" and audit.after["name"] == "城北教学点"


def _copy_row(row, school_id, year):
    cols = {c.name: getattr(row, c.name) for c in SchoolSectionData.__table__.columns if c.name not in ("id", "updated_at")}
    cols.update(school_id=school_id, year=year, import_id=None)
    return SchoolSectionData(**cols)


def test_merge_two_campuses(client, demo):
    token = login(client, "admin")
    code = demo["county"].code
    inspection = demo["inspection"]
    a = next(s for s in demo["schools"] if s.school_type == "小学" and s.id not in {v.school_id for v in inspection.visits})
    row = db.session.execute(db.select(SchoolSectionData).filter_by(school_id=a.id)).scalars().first()
    client.post(f"/admin/counties/{code}/schools", data=_school_form(token, name="城关小学东校区"))
    b = db.session.execute(db.select(School).filter_by(code="5109990901")).scalar()
    b_id, b_token = b.id, b.qr_token
    db.session.add(_copy_row(row, b.id, row.year - 1))
    db.session.add(Visit(inspection_id=inspection.id, school_id=b.id))
    db.session.commit()

    resp = client.post(f"/admin/counties/{code}/schools/{a.id}/merge", data={"csrf_token": token, "source_id": b_id})
    assert resp.status_code == 200 and "确认合并" in text_of(resp) and "检查安排：1" in text_of(resp)
    assert db.session.get(School, b_id) is not None  # nothing done before the confirmation
    resp = client.post(f"/admin/counties/{code}/schools/{a.id}/merge",
                       data={"csrf_token": token, "source_id": b_id, "confirm": "1"}, follow_redirects=True)
    assert "已把城关小学东校区并入" in text_of(resp)
    db.session.expire_all()
    assert db.session.get(School, b_id) is None
    years = db.session.execute(db.select(SchoolSectionData.year).filter_by(school_id=a.id)).scalars().all()
    assert row.year - 1 in years and row.year in years
    assert db.session.execute(db.select(Visit).filter_by(inspection_id=inspection.id, school_id=a.id)).scalar()
    assert db.session.execute(db.select(AuditEntry).filter_by(entity="school", action="merge", entity_id=a.id)).scalar()
    assert client.get(f"/s/{b_token}").status_code == 404


def test_merge_refused_when_both_have_the_same_year_and_section(client, demo):
    token = login(client, "admin")
    code = demo["county"].code
    a, b = [s for s in demo["schools"] if s.school_type == "小学"][:2]
    resp = client.post(f"/admin/counties/{code}/schools/{a.id}/merge",
                       data={"csrf_token": token, "source_id": b.id, "confirm": "1"}, follow_redirects=True)
    assert "不能合并" in text_of(resp)
    db.session.expire_all()
    assert db.session.get(School, b.id) is not None


def test_regenerate_qr_token(client, demo):
    token = login(client, "admin")
    school = demo["inspection"].visits[0].school
    code, sid, old = demo["county"].code, school.id, school.qr_token
    assert client.get(f"/s/{old}").status_code == 302
    resp = client.post(f"/admin/counties/{code}/schools/{sid}/qr", data={"csrf_token": token})
    assert resp.status_code == 200 and "旧二维码立即失效" in text_of(resp)
    db.session.expire_all()
    assert db.session.get(School, sid).qr_token == old  # asked first
    client.post(f"/admin/counties/{code}/schools/{sid}/qr", data={"csrf_token": token, "confirm": "1"})
    db.session.expire_all()
    new = db.session.get(School, sid).qr_token
    assert new != old
    assert client.get(f"/s/{old}").status_code == 404
    assert client.get(f"/s/{new}").status_code == 302


def test_team_member_created_on_the_spot(client, demo):
    token = login(client, "lead")
    iid = demo["inspection"].id
    page = text_of(client.get(f"/inspections/{iid}/setup"))
    assert "新建账号并加入" in page
    data = {"csrf_token": token, "username": "sun", "name": "孙督学", "account_role": "inspector", "role": "member",
            "password": "sunpass12"}
    resp = client.post(f"/inspections/{iid}/setup/member_create", data=data, follow_redirects=True)
    assert "已新建账号 孙督学" in text_of(resp)
    user = _user("sun")
    assert user.role == "inspector" and user.check_password("sunpass12")
    assert db.session.execute(db.select(InspectionMember).filter_by(inspection_id=iid, user_id=user.id)).scalar().role == "member"
    # A team lead cannot make an office account; a bad password stores neither account nor membership.
    resp = client.post(f"/inspections/{iid}/setup/member_create",
                       data=dict(data, username="qian", account_role="admin"), follow_redirects=True)
    assert "组长只能新建" in text_of(resp) and _user("qian") is None
    resp = client.post(f"/inspections/{iid}/setup/member_create",
                       data=dict(data, username="qian", password="12345678"), follow_redirects=True)
    assert "不能全是数字" in text_of(resp) and _user("qian") is None


def test_disabled_user_is_not_offered_as_a_member(client, demo):
    token = login(client, "admin")
    zhou = User(username="zhou", name="周停用", role="inspector", active=False)
    zhou.set_password("x" * 10)
    db.session.add(zhou)
    db.session.commit()
    iid = demo["inspection"].id
    assert "周停用" not in text_of(client.get(f"/inspections/{iid}/setup"))
    resp = client.post(f"/inspections/{iid}/setup/member_add", data={"csrf_token": token, "user_id": zhou.id,
                                                                     "role": "member"}, follow_redirects=True)
    assert "已停用" in text_of(resp)


def test_admin_pages_need_the_admin_role_and_csrf(client, demo):
    login(client, "lead")
    for url in ("/admin", "/admin/users", "/admin/counties", f"/admin/counties/{demo['county'].code}/schools"):
        assert client.get(url).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "admin")
    assert client.post("/admin/users", data={"username": "nocsrf", "name": "x", "role": "inspector",
                                             "password": "secret123"}).status_code == 400
    assert _user("nocsrf") is None
    assert "管理" in text_of(client.get("/"))


def test_admin_signs_a_user_out_everywhere_from_the_user_page(app, client, demo):
    from tests.conftest import login as login_client

    phone = app.test_client()
    with app.app_context():
        login_client(phone, "inspector2")
        assert phone.get("/").status_code == 200
    token = login_client(client, "admin")
    uid = demo["users"]["inspector2"].id
    page = client.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert f"/users/{uid}/sign-out" in page and "在所有设备上退出登录" in page
    resp = client.post(f"/users/{uid}/sign-out", data={"csrf_token": token})
    assert resp.headers["Location"].endswith(f"/admin/users/{uid}")
    with app.app_context():
        assert "/login" in phone.get("/").headers.get("Location", "")
