"""The first walk through: log in → scan a school's QR → answer an item → see it in the findings."""
from app.extensions import db
from app.models import CheckRecord
from tests.browser.conftest import login_page, screenshot, wait_saved


def test_inspector_records_a_finding_the_lead_sees(app, demo, live_server, browser, page):
    from tests.browser.conftest import PHONE

    school = demo["inspection"].visits[0].school
    login_page(page, live_server.url, "inspector1")
    page.goto(f"{live_server.url}/s/{school.qr_token}")
    page.wait_for_selector("h1:has-text('%s')" % school.name)

    item = page.locator("#item-G5")
    item.locator("label.verdict:has-text('不达标')").click()
    item.locator("input[name=observed_value]").fill("58")
    item.locator("textarea[name=note]").fill("五年级二班实有58人，超过45人")
    item.locator("button[type=submit]").click()
    wait_saved(page, "#item-G5")
    screenshot(page, "checklist-after-save")

    # Saved without a reload: the other items are still where they were.
    page.reload()
    kept = page.locator("#item-G5")
    assert kept.locator("input[value='不达标']").is_checked()
    assert kept.locator("textarea[name=note]").input_value() == "五年级二班实有58人，超过45人"
    assert kept.locator("input[name=observed_value]").input_value() == "58"
    screenshot(page, "checklist", full_page=False)

    with app.app_context():
        rows = db.session.execute(db.select(CheckRecord)).scalars().all()
        assert [(r.item_code, r.verdict) for r in rows] == [("G5", "不达标")]

    # The lead sees it on the findings page.
    lead = browser.new_context(**PHONE).new_page()
    login_page(lead, live_server.url, "lead")
    lead.goto(f"{live_server.url}/inspections/{demo['inspection'].id}/findings")
    text = lead.locator("main").inner_text()
    assert school.name in text and "五年级二班实有58人，超过45人" in text and "张督学" in text
    screenshot(lead, "findings")
    lead.context.close()


def test_phone_layout_has_no_horizontal_scroll_and_big_targets(app, demo, live_server, page):
    school = demo["inspection"].visits[0].school
    page.set_viewport_size({"width": 360, "height": 740})
    login_page(page, live_server.url, "inspector1")
    page.goto(f"{live_server.url}/s/{school.qr_token}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    small = page.evaluate("""() => [...document.querySelectorAll('button, .verdict span')]
        .filter(e => e.offsetParent && e.getBoundingClientRect().height < 44).map(e => e.outerHTML.slice(0, 80))""")
    assert small == []


def test_qr_sheet_prints_on_a4(app, demo, live_server, browser):
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    login_page(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/counties/{demo['county'].code}/qr")
    page.wait_for_load_state("networkidle")
    loaded = page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert loaded
    pdf = page.pdf(format="A4")
    import re

    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == -(-len(demo["county"].schools) // 8)
    screenshot(page, "qr-sheet", full_page=False)
    ctx.close()
