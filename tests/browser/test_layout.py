"""Every page an inspector or a lead opens on a phone fits a 360 px screen: no sideways scroll
(wide tables scroll inside their own box)."""
from app.demo import add_demo_activity
from tests.browser.conftest import login_page, screenshot


def test_pages_fit_a_narrow_phone(app, demo, live_server, browser):
    with app.app_context():
        from app.extensions import db

        add_demo_activity({"inspection": db.session.merge(demo["inspection"]),
                           "users": {k: db.session.merge(v) for k, v in demo["users"].items()}})
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    g1 = demo["inspection"].groups[0].id
    pages = {
        "inspector1": ["/", f"/inspections/{iid}", f"/inspections/{iid}/schools/{school.id}", f"/inspections/{iid}/hearing",
                       f"/inspections/{iid}/archives", f"/inspections/{iid}/departments", f"/inspections/{iid}/interviews",
                       f"/inspections/{iid}/interviews/new?type=家长", f"/inspections/{iid}/groups/{g1}/summary",
                       f"/inspections/{iid}/draws", f"/inspections/{iid}/schools/{school.id}/photos"],
        "lead": [f"/inspections/{iid}/feedback", f"/inspections/{iid}/setup", f"/inspections/{iid}/audit",
                 f"/inspections/{iid}/reports", f"/inspections/{iid}/draws/1", "/counties/510999/data",
                 "/counties/510999/results", f"/inspections/{iid}/conflicts"],
    }
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
        context.close()
