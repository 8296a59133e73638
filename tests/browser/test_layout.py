"""Every page an inspector or a lead opens on a phone fits a 360 px screen: no sideways scroll
(wide tables scroll inside their own box)."""
from tests.browser.conftest import login_page, main_pages, screenshot


def _pending_province_import(app, tmp_path):
    """A province file of two counties, uploaded and waiting on its preview (the admin's widest page)."""
    from app.extensions import db
    from app.models import County, DataImport
    from tests.conftest import login
    from tests.test_province_import import province_rows, upload
    from tests.test_school_data import write_xlsx

    with app.app_context():
        db.session.add_all([County(code="510801", name="甲县"), County(code="510802", name="乙县")])
        db.session.commit()
        client = app.test_client()
        resp = upload(client, login(client, "admin"), write_xlsx(tmp_path / "province.xlsx", province_rows()))
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        return db.session.scalar(db.select(db.func.max(DataImport.id)))


def test_pages_fit_a_narrow_phone(app, demo, live_server, browser, tmp_path):
    pages = main_pages(app, demo)
    pages["lead"].append(f"/inspections/{demo['inspection'].id}/draws/1")
    pages["admin"] = [f"/school-data/province/imports/{_pending_province_import(app, tmp_path)}", "/school-data/province"]
    for user, urls in pages.items():
        context = browser.new_context(viewport={"width": 360, "height": 780}, is_mobile=True, has_touch=True,
                                      locale="zh-CN", device_scale_factor=2)
        page = context.new_page()
        login_page(page, live_server.url, user)
        for url in urls:
            page.goto(live_server.url + url)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                screenshot(page, "too-wide-" + url.strip("/").replace("/", "-").replace("?", "-"))
            assert width <= 360, (url, width)
            if "/school-data/province/imports/" in url:
                assert "差异系数" in page.content()  # the preview itself, each county's evaluation in it
                screenshot(page, "province-preview-360", full_page=False)
        context.close()
