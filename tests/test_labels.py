"""Chinese wherever a user looks: the audit page, the standard tabs, 相关指标, the favicon."""
import uuid

from tests.conftest import login, text_of


def test_audit_page_speaks_chinese(client, demo):
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    t = login(client, "inspector1")
    client.post(f"/inspections/{iid}/schools/{school.id}/items/G12",
                data={"csrf_token": t, "client_uuid": str(uuid.uuid4()), "verdict": "不达标", "note": "无证"})
    client.post("/logout", data={"csrf_token": t})
    login(client, "lead")
    page = text_of(client.get(f"/inspections/{iid}/audit"))
    assert "新建 · 检查记录" in page and "结论：" in page and "录入人：" in page
    for code in ("check_record", "author_id", " create ", "update ·", "#"):
        assert code not in page, code


def test_standard_tabs_and_related_indicators_carry_no_ids(client, demo):
    t = login(client, "admin")
    page = text_of(client.get(f"/counties/{demo['county'].code}/results"))
    assert "优质均衡" in page and "教督〔2017〕6号" in page
    assert "quality-2017" not in page and "basic-2012" not in page
    client.post("/logout", data={"csrf_token": t})
    login(client, "inspector1")
    hearing = client.get(f"/inspections/{demo['inspection'].id}/hearing").get_data(as_text=True)
    assert '<option value="G12">G12 ' in hearing and "持证" in hearing


def test_favicon(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/x-icon" and resp.data[:4] == b"\x00\x00\x01\x00"
