"""数据填报 on a phone: a school reporter logs in, opens its form from the home page, types the
figures (each edit saves itself: 已保存), attaches an evidence file and submits it for review."""
import os
import random

from app.extensions import db
from app.models import SchoolSectionData
from app.models.reporting import DataReport, ReportEvidence
from tests.browser.conftest import login_page, screenshot, wait_saved, wait_stored
from tests.conftest import OUTPUT_DIR

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _report(app):
    with app.app_context():
        db.session.remove()
        return db.session.execute(db.select(DataReport)).scalar()


def test_reporter_fills_attaches_and_submits_on_a_phone(app, demo, live_server, page, tmp_path):
    from app.reporting.demo import demo_raw, reporting_users

    with app.app_context():
        reporting_users(demo, "demo1234")
        school = demo["schools"][0]
        imported = db.session.execute(db.select(SchoolSectionData).filter_by(school_id=school.id)).scalar_one()
        imported_students = imported.students
    base = live_server.url
    login_page(page, base, "reporter1")
    assert "本校数据填报" in page.inner_text("main")
    screenshot(page, "reporting-phone-home", full_page=False)
    page.click("form.start-report button[type=submit]")
    page.wait_for_selector("#report-form")
    assert page.locator(".prefill-note").is_visible()
    assert page.locator("[name='小学.students']").input_value() == str(imported_students)
    assert page.locator("label[for='v-小学-students'] .imported").count() == 1
    screenshot(page, "reporting-phone-top", full_page=False)

    with app.app_context():
        report = db.session.execute(db.select(DataReport)).scalar_one()
        raw = demo_raw(report, random.Random(3))
    raw["小学.students"] = str(imported_students + 5)
    raw["小学.teachers"] = "41"
    for key, value in raw.items():
        field = page.locator(f"[name='{key}']")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        elif field.input_value() != value:
            field.fill(value)
    wait_saved(page)
    page.wait_for_selector("#report-form [data-save-state][data-kind=saved]")
    assert "已保存" in page.inner_text("#report-form [data-save-state]")
    stored = _report(app)
    assert stored.values["小学.students"] == imported_students + 5 and stored.values["小学.teachers"] == 41
    assert stored.version >= 2 and stored.status == "draft"

    # an evidence file for the teachers group
    path = os.path.join(tmp_path, "教师花名册.pdf")
    with open(path, "wb") as f:
        f.write(PDF)
    page.set_input_files("#g-teachers input[type=file]", path)
    page.click("#g-teachers .evidence-add button")
    page.wait_for_selector("#g-teachers .evidence-list a:has-text('教师花名册.pdf')")
    assert page.locator("#g-teachers .evidence-list li").count() == 1
    page.locator("#g-teachers").scroll_into_view_if_needed()
    screenshot(page, "reporting-phone-evidence", full_page=False)

    page.on("dialog", lambda d: d.accept())
    page.click("form[data-submit-report] button[type=submit]")
    page.wait_for_selector(".report-submitted")
    assert "等待审核" in page.inner_text("main")
    assert page.locator("#report-form input").count() == 3  # read-only now: only the hidden fields remain
    screenshot(page, "reporting-phone-submitted", full_page=False)
    with app.app_context():
        db.session.remove()
        stored = db.session.execute(db.select(DataReport)).scalar_one()
        assert stored.status == "submitted" and stored.submitted_by.username == "reporter1"
        assert stored.values["小学.teachers"] == 41
        evs = db.session.execute(db.select(ReportEvidence).filter_by(report_id=stored.id)).scalars().all()
        assert [(e.filename, e.target, e.size) for e in evs] == [("教师花名册.pdf", "teachers", len(PDF))]
    # no sideways scrolling at 390 px
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert os.path.exists(os.path.join(OUTPUT_DIR, "reporting-phone-top.png"))


def test_expert_reviews_on_a_phone(app, demo, live_server, page):
    """The demo's reports: the expert sees the county list with its counts, opens the one waiting,
    reads it with its evidence and sends it back with a reason; the school then sees the reason."""
    from app.reporting.demo import add_demo_reports
    from app.routes.photos import storage

    with app.app_context():
        add_demo_reports(demo, storage=storage())
        waiting = db.session.execute(db.select(DataReport).filter_by(status="submitted")).scalar_one()
        rid, name = waiting.id, waiting.school.name
    base = live_server.url
    login_page(page, base, "expert")
    page.click("header a.topnav:has-text('填报审核')")
    page.click(f"a.row-link:has-text('{demo['county'].name}')")
    page.wait_for_selector(".status-counts")
    assert "待审核 1" in page.inner_text(".status-counts") and "已退回 1" in page.inner_text(".status-counts")
    screenshot(page, "reporting-phone-review-list", full_page=False)
    page.click(f"a.row-link:has-text('{name}')")
    page.wait_for_selector("section.review")
    assert page.locator("#report-form input:not([type=hidden])").count() == 0
    assert page.locator(".evidence-list a:has-text('教师花名册.pdf')").count() == 1
    page.fill("section.review textarea[name=reason]", "图书册数与图书登记册不符")
    page.click("section.review button:has-text('退回修改')")
    page.wait_for_selector(".status-counts")
    with app.app_context():
        db.session.remove()
        report = db.session.get(DataReport, rid)
        assert report.status == "returned" and report.return_reason == "图书册数与图书登记册不符"
    page.goto(f"{base}/reports/{rid}")
    page.locator("section.review, .return-reason").first.wait_for()
    assert "图书册数与图书登记册不符" in page.inner_text(".return-reason")
    screenshot(page, "reporting-phone-returned", full_page=False)


def test_two_phones_edit_different_fields_of_one_report_both_stored(app, demo, live_server, browser, page):
    """reporter1 and the office open the same report; each changes a different figure and the page
    saves it. The second save was made on the version before the first: both figures are stored.
    A figure both change is kept as a 修改冲突; a later edit of another figure takes nothing back."""
    from app.models import RecordConflict
    from app.reporting import workflow
    from app.reporting.demo import fill, reporting_users
    from tests.browser.conftest import PHONE

    with app.app_context():
        users = reporting_users(demo, "demo1234")
        school = db.session.merge(demo["schools"][0])
        report, _ = workflow.start_report(users["reporter1"], "school", demo_year(), workflow.DEFAULT_STANDARD, school=school)
        fill(report, db.session.merge(users["reporter1"]), random.Random(5))
        rid, start_version = report.id, report.version
        books, computers, teachers = (report.values[k] for k in ("小学.books", "小学.computers", "小学.teachers"))
    base = live_server.url
    other = browser.new_context(**PHONE)
    other.set_default_timeout(15000)
    office = other.new_page()
    try:
        login_page(page, base, "reporter1")
        login_page(office, base, "admin")
        for p in (page, office):
            p.goto(f"{base}/reports/{rid}")
            p.wait_for_selector("#report-form[data-autosave]")
        page.fill("[name='小学.books']", str(books + 100))
        page.locator("[name='小学.books']").blur()
        wait_saved(page)

        def values():
            with app.app_context():
                db.session.remove()
                r = db.session.get(DataReport, rid)
                return r.values, r.version

        wait_stored(page, lambda: values()[0]["小学.books"] == books + 100)
        office.fill("[name='小学.computers']", str(computers + 7))  # this page still stands on the first version
        office.locator("[name='小学.computers']").blur()
        wait_saved(office)
        wait_stored(office, lambda: values()[0]["小学.computers"] == computers + 7)
        stored, version = values()
        assert stored["小学.books"] == books + 100 and stored["小学.computers"] == computers + 7
        assert version == start_version + 2
        assert "已保存" in office.inner_text("#report-form [data-save-state]")

        # the office, not having seen reporter1's 图书册数, changes it too: the later figure is
        # stored and reporter1's is kept as a 修改冲突, shown on reporter1's page
        office.fill("[name='小学.books']", str(books + 200))
        office.locator("[name='小学.books']").blur()
        wait_saved(office)
        wait_stored(office, lambda: values()[0]["小学.books"] == books + 200)

        def conflicts():
            with app.app_context():
                db.session.remove()
                return [c.overwritten["value"] for c in db.session.execute(db.select(RecordConflict)).scalars()]

        assert conflicts() == [books + 100]
        # reporter1 edits another figure: the page stands on the values it saved (base_values moved
        # with base_version), so its old 图书册数 is not sent as a change and takes nothing back
        page.fill("[name='小学.teachers']", str(teachers + 1))
        page.locator("[name='小学.teachers']").blur()
        wait_saved(page)
        wait_stored(page, lambda: values()[0]["小学.teachers"] == teachers + 1)
        stored, _version = values()
        assert stored["小学.books"] == books + 200 and stored["小学.computers"] == computers + 7
        assert conflicts() == [books + 100]
        page.reload()
        page.wait_for_selector(".conflict-notice")
        assert f"（{books + 100} 册）已被" in page.inner_text(".conflict-notice")
        assert "修改冲突" in page.inner_text("#conflicts")
        page.locator("#conflicts").scroll_into_view_if_needed()
        screenshot(page, "reporting-phone-conflict", full_page=False)
    finally:
        other.close()


def demo_year():
    return db.session.execute(db.select(SchoolSectionData.year)).scalars().first()
