"""The printable findings report in Chromium: A4 PDF with a sensible page count; screenshot."""
import os
import re
import subprocess

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
    path = os.path.join(OUTPUT_DIR, "report.pdf")
    pdf = page.pdf(format="A4", path=path, prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    # no forced break before every section: the body, then one page for each attachment
    assert 3 <= pages <= 6, pages
    text = subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True).stdout
    for n in range(1, pages + 1):  # page numbers from the @page margin boxes
        assert re.search(rf"—\s*{n}\s*—", text), n
    # odd pages number on the right, even pages on the left (GB/T 9704), at the foot of the page
    bbox = subprocess.run(["pdftotext", "-bbox", path, "-"], capture_output=True, text=True, check=True).stdout
    for n, (width, height, words) in enumerate(re.findall(
            r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', bbox, re.S), start=1):
        feet = [float(x) for x, y, w in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', words)
                if w == str(n) and float(y) > 0.85 * float(height)]
        assert feet, n
        assert (feet[0] > float(width) / 2) if n % 2 else (feet[0] < float(width) / 2), (n, feet, width)
    flat = re.sub(r"\s+", "", text)
    assert "示范县人民政府：" in flat and "附件：1.问题清单" in flat and "四川省人民政府教育督导室" in flat
    assert "2026年11月21日10:10" in flat  # the photo's caption in local time
    # the reports page downloads with a progress indicator
    page.goto(f"{live_server.url}/inspections/{demo['inspection'].id}/reports")
    with page.expect_download() as dl:
        page.click("a:has-text('整改清单（Excel）')")
    assert dl.value.suggested_filename == "示范县整改清单.xlsx"
    assert "已下载" in page.inner_text("#download-progress")
