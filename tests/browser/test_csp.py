"""Every main page works under the app's Content-Security-Policy: walking them in Chromium logs
no CSP violation (no inline script, handler, style attribute or eval left anywhere)."""
from app.demo import add_demo_activity
from tests.browser.conftest import login_page


def test_main_pages_raise_no_csp_violation(app, demo, live_server, browser):
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
                       f"/inspections/{iid}/draws", f"/inspections/{iid}/schools/{school.id}/photos", "/offline"],
        "lead": [f"/inspections/{iid}/feedback", f"/inspections/{iid}/setup", f"/inspections/{iid}/audit",
                 f"/inspections/{iid}/reports", f"/inspections/{iid}/report", "/counties/510999/data",
                 "/counties/510999/results", "/counties/510999/qr", f"/inspections/{iid}/conflicts", "/inspections/new"],
    }
    for user, urls in pages.items():
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                      locale="zh-CN")
        page = context.new_page()
        messages = []
        page.on("console", lambda msg: messages.append((page.url, msg.type, msg.text)))
        page.on("pageerror", lambda err: messages.append((page.url, "pageerror", str(err))))
        login_page(page, live_server.url, user)
        for url in urls:
            resp = page.goto(live_server.url + url)
            assert resp.status == 200, url
            assert "default-src 'self'" in resp.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
        # a verdict tap (htmx and the outbox at work) and the print button's script still run
        page.goto(f"{live_server.url}/inspections/{iid}/schools/{school.id}")
        page.wait_for_load_state("networkidle")
        context.close()
        bad = [m for m in messages if "Content Security Policy" in m[2] or "Refused to" in m[2] or m[1] == "pageerror"]
        assert not bad, bad


def test_setup_member_filter_narrows_the_list(app, demo, live_server, page):
    """The member filter on 检查准备 (bound by page.js, no inline handler) narrows the user list."""
    with app.app_context():
        from app.extensions import db
        from app.models import User

        for k in range(1, 11):
            u = User(username=f"duxue{k:02d}", name=f"候选督学{k:02d}", role="inspector")
            u.set_password("demo1234")
            db.session.add(u)
        u = User(username="wangfang", name="王芳", role="inspector")
        u.set_password("demo1234")
        db.session.add(u)
        db.session.commit()
    iid = demo["inspection"].id
    login_page(page, live_server.url, "lead")
    page.goto(f"{live_server.url}/inspections/{iid}/setup")
    box = page.locator("input.member-filter")
    select = page.locator("select[name=user_id]")
    visible = "s => Array.from(s.options).filter(o => !o.hidden).map(o => o.text)"
    assert len(select.evaluate(visible)) >= 11
    box.fill("王芳")
    assert select.evaluate(visible) == ["王芳（wangfang，督学）"]
    assert select.evaluate("s => s.selectedOptions[0].text").startswith("王芳")
    box.fill("duxue0")
    shown = select.evaluate(visible)
    assert len(shown) == 9 and all("duxue0" in t for t in shown)
    box.fill("")
    assert len(select.evaluate(visible)) >= 11
