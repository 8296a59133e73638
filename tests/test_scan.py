"""QR codes that work on site: the sheet warns when its codes point to this machine only, and
inspectors open a school from inside the app (camera, or the school code typed)."""
from tests.conftest import login, text_of


def test_qr_sheet_warns_when_codes_point_to_loopback(app, client, demo):
    login(client, "admin")
    code = demo["county"].code
    page = text_of(client.get(f"/counties/{code}/qr", base_url="http://127.0.0.1:5000"))
    assert "只有本机能打开" in page and "PUBLIC_BASE_URL" in page
    page = text_of(client.get(f"/counties/{code}/qr", base_url="http://192.168.1.20:5000"))
    assert "只有本机能打开" not in page
    app.config["PUBLIC_BASE_URL"] = "https://dudao.example.cn"
    assert "只有本机能打开" not in text_of(client.get(f"/counties/{code}/qr", base_url="http://localhost:5000"))


def test_typed_school_code_opens_the_checklist(client, demo):
    login(client, "inspector1")
    school = demo["inspection"].visits[0].school
    full_width = school.code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    resp = client.get(f"/scan/code?code={full_width}", follow_redirects=True)
    assert resp.request.path == f"/inspections/{demo['inspection'].id}/schools/{school.id}"
    missing = client.get("/scan/code?code=0000000000")
    assert missing.status_code == 404 and "没有找到学校标识码为 0000000000 的学校" in text_of(missing)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/scan"' in home and "扫码进入学校" in home
