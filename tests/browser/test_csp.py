"""Every main page works under the app's Content-Security-Policy: walking them in Chromium logs
no CSP violation (no inline script, handler, style attribute or eval left anywhere)."""
from tests.browser.conftest import login_page, main_pages


def test_main_pages_raise_no_csp_violation(app, demo, live_server, browser):
    iid, school = demo["inspection"].id, demo["inspection"].visits[0].school
    pages = main_pages(app, demo)
    pages["inspector1"].append("/offline")
    pages["lead"] += [f"/inspections/{iid}/report", "/counties/510999/qr", "/inspections/new"]
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
