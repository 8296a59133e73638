import re
import uuid

from app.extensions import db
from app.models import AuditEntry, CheckRecord, ClientOp, Visit
from tests.conftest import text_of


def _visit(demo):
    return db.session.execute(db.select(Visit).filter_by(inspection_id=demo["inspection"].id).order_by(Visit.id)).scalars().first()


def _item_url(demo, school, code="R5"):
    return f"/inspections/{demo['inspection'].id}/schools/{school.id}/items/{code}"


def test_qr_token_opens_that_schools_checklist(client, demo, login_as):
    login_as("inspector1")
    school = _visit(demo).school
    resp = client.get(f"/s/{school.qr_token}")
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/inspections/{demo['inspection'].id}/schools/{school.id}"
    page = client.get(resp.headers["Location"])
    assert page.status_code == 200
    body = text_of(page)
    assert school.name in body and "生均体育运动场馆面积" not in body or "体育运动场馆面积与填报一致" in body
    assert "已作答 0 / 18 项" in body


def test_bad_qr_token_gives_chinese_404(client, demo, login_as):
    login_as("inspector1")
    resp = client.get("/s/not-a-real-token")
    assert resp.status_code == 404
    assert "二维码无效" in text_of(resp)


def test_qr_requires_login_and_comes_back(client, demo):
    school = _visit(demo).school
    resp = client.get(f"/s/{school.qr_token}")
    assert resp.status_code == 302 and "/login?next=" in resp.headers["Location"]


def test_same_uuid_twice_stores_one_record(client, demo, login_as):
    token = login_as("inspector1")
    school = _visit(demo).school
    cid = str(uuid.uuid4())
    form = {"csrf_token": token, "client_uuid": cid, "verdict": "不达标", "observed_value": "3200", "note": "运动场被占用"}
    headers = {"HX-Request": "true"}
    first = client.post(_item_url(demo, school), data=form, headers=headers)
    second = client.post(_item_url(demo, school), data=form, headers=headers)
    assert first.status_code == 200 and second.status_code == 200
    assert db.session.scalar(db.select(db.func.count(CheckRecord.id))) == 1
    assert db.session.scalar(db.select(db.func.count(ClientOp.id))) == 1
    record = db.session.execute(db.select(CheckRecord)).scalar()
    assert (record.verdict, record.note, record.version) == ("不达标", "运动场被占用", 1)
    assert "第 1 版" in text_of(second)


def test_new_uuid_for_same_item_updates_with_version_and_audit(client, demo, login_as):
    token = login_as("inspector1")
    school = _visit(demo).school
    base = {"csrf_token": token, "verdict": "存疑", "note": "待核实"}
    client.post(_item_url(demo, school), data={**base, "client_uuid": str(uuid.uuid4())})
    resp = client.post(
        _item_url(demo, school),
        data={**base, "client_uuid": str(uuid.uuid4()), "verdict": "不达标", "note": "实测不足", "base_version": "1"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200
    rows = db.session.execute(db.select(CheckRecord)).scalars().all()
    assert len(rows) == 1 and rows[0].version == 2 and rows[0].verdict == "不达标"
    audits = db.session.execute(db.select(AuditEntry).filter_by(entity="check_record").order_by(AuditEntry.id)).scalars().all()
    assert [a.action for a in audits] == ["create", "update"]
    assert audits[1].before["verdict"] == "存疑" and audits[1].after["verdict"] == "不达标"
    assert audits[1].after["version"] == 2


def test_bad_verdict_gets_chinese_error_and_nothing_stored(client, demo, login_as):
    token = login_as("inspector1")
    school = _visit(demo).school
    resp = client.post(_item_url(demo, school), data={"csrf_token": token, "client_uuid": str(uuid.uuid4()), "verdict": "好"},
                       headers={"HX-Request": "true"})
    assert resp.status_code == 422
    assert "请选择结论" in text_of(resp)
    assert db.session.scalar(db.select(db.func.count(CheckRecord.id))) == 0


def test_post_without_csrf_is_refused(client, demo, login_as):
    login_as("inspector1")
    school = _visit(demo).school
    resp = client.post(_item_url(demo, school), data={"client_uuid": str(uuid.uuid4()), "verdict": "达标"})
    assert resp.status_code == 400
    assert db.session.scalar(db.select(db.func.count(CheckRecord.id))) == 0


def test_findings_page_lists_problems_by_school(client, demo, login_as):
    token = login_as("inspector1")
    school = _visit(demo).school
    client.post(_item_url(demo, school, "G5"), data={"csrf_token": token, "client_uuid": str(uuid.uuid4()),
                                                     "verdict": "不达标", "observed_value": "58", "note": "五年级二班58人"},
                headers={"HX-Request": "true"})
    client.post(_item_url(demo, school, "Q3"), data={"csrf_token": token, "client_uuid": str(uuid.uuid4()), "verdict": "达标"},
                headers={"HX-Request": "true"})
    client.post("/logout", data={"csrf_token": token})
    login_as("lead")
    body = text_of(client.get(f"/inspections/{demo['inspection'].id}/findings"))
    assert school.name in body and "五年级二班58人" in body and "张督学" in body
    assert "Q3" not in body
    overview = text_of(client.get(f"/inspections/{demo['inspection'].id}"))
    assert "已作答检查项 2 条，发现问题 1 个" in overview


def test_qr_sheet_images_decode_to_school_urls(client, demo, login_as):
    login_as("admin")
    county = demo["county"]
    resp = client.get(f"/counties/{county.code}/qr")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert html.count('<figure class="qr">') == len(county.schools)
    assert html.count('class="sheet"') == -(-len(county.schools) // 8)
    school = county.schools[0]
    png = client.get(f"/qr/{school.qr_token}.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    import io

    from PIL import Image

    import zxingcpp

    img = Image.open(io.BytesIO(png.data))
    decoded = zxingcpp.read_barcodes(img)
    assert [d.text for d in decoded] == [f"http://localhost/s/{school.qr_token}"]


def test_qr_codes_point_to_public_base_url(app, client, demo, login_as):
    import io

    import zxingcpp
    from PIL import Image

    app.config["PUBLIC_BASE_URL"] = "https://dd.example.edu.cn"
    login_as("lead")
    school = demo["county"].schools[3]
    png = client.get(f"/qr/{school.qr_token}.png")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [d.text for d in decoded] == [f"https://dd.example.edu.cn/s/{school.qr_token}"]


def test_login_wrong_password_in_chinese(client, demo):
    from tests.conftest import csrf_token

    resp = client.post("/login", data={"username": "inspector1", "password": "nope", "csrf_token": csrf_token(client)})
    assert "用户名或密码错误" in text_of(resp)


def test_healthz(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok", "database": "ok"}


def test_checklist_page_shows_every_change_though_it_is_kept_between_views(client, demo, login_as):
    """The page is put together from cached parts: each view still shows the visit's state, the
    group's name, the person's own name, a message once, and the new answer count."""
    from app.models import Group

    token = login_as("inspector1")
    visit = _visit(demo)
    school, iid = visit.school, demo["inspection"].id
    url = f"/inspections/{iid}/schools/{school.id}"
    first = text_of(client.get(url))
    assert "开始检查" in first and demo["users"]["inspector1"].name in first and "已作答 0 / 18 项" in first
    assert client.post(f"{url}/visit/start", data={"csrf_token": token}).status_code == 302
    started = text_of(client.get(url))
    assert "完成本校检查" in started and "开始检查（记录到校时间）" not in started
    group = db.session.get(Group, visit.group_id)
    group.name = "改名后的第一组"
    db.session.commit()
    assert "改名后的第一组" in text_of(client.get(url))
    client.post(_item_url(demo, school, "G5"), data={"csrf_token": token, "client_uuid": str(uuid.uuid4()),
                                                      "verdict": "达标"})  # a plain form post: flashes 已保存
    once = text_of(client.get(url))
    assert "G5 已保存" in once and "已作答 1 / 18 项" in once
    again = client.get(url).get_data(as_text=True)
    assert "G5 已保存" not in again and "已作答 1 / 18 项" in text_of(client.get(url))
    uuids = re.findall(r'name="client_uuid" value="([^"]+)"', again)
    assert len(uuids) == len(set(uuids)) >= 18  # every form a fresh one
    assert not set(uuids) & set(re.findall(r'name="client_uuid" value="([^"]+)"', client.get(url).get_data(as_text=True)))
    client.post("/logout", data={"csrf_token": token})
    login_as("inspector2")
    who = re.search(r'<span class="who">([^<]*)<small>', client.get(url).get_data(as_text=True)).group(1)
    assert who == demo["users"]["inspector2"].name  # not the page kept for inspector1
