"""The printable findings report in Chromium: A4 PDF with a sensible page count; screenshot."""
import os
import re

from tests import scenario
from tests.browser.conftest import login_page, screenshot
from tests.conftest import OUTPUT_DIR


def test_printable_report_prints_to_a4(app, client, demo, live_server, page):
    scenario.run(client, demo)
    login_page(page, live_server.url, "lead")
    page.goto(f"{live_server.url}/inspections/{demo['inspection'].id}/report")
    page.wait_for_selector("h1:has-text('反馈意见')")
    screenshot(page, "report-page")
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    pdf = page.pdf(format="A4", path=os.path.join(OUTPUT_DIR, "report.pdf"))
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    # five major sections each start on a new page; the content is short, so 5–12 pages
    assert 5 <= pages <= 12, pages
    # the reports page downloads with a progress indicator
    page.goto(f"{live_server.url}/inspections/{demo['inspection'].id}/reports")
    with page.expect_download() as dl:
        page.click("a:has-text('整改清单（Excel）')")
    assert dl.value.suggested_filename == "示范县整改清单.xlsx"
    assert "已下载" in page.inner_text("#download-progress")
