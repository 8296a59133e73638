"""The office uploads a school-data file in the browser: progress, errors, preview, results."""
from tests.browser.conftest import login_page, screenshot
from tests.test_school_data import good_rows, write_xlsx


def test_office_uploads_sees_errors_then_confirms(app, demo, live_server, page, tmp_path):
    login_page(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/counties/510999/data")
    rows = good_rows()
    rows[0]["students"] = "一百二"
    page.set_input_files("input[name=file]", write_xlsx(tmp_path / "bad.xlsx", rows))
    page.fill("input[name=year]", "2024")
    page.click("button:has-text('上传并检查')")
    page.wait_for_selector("#upload-result .flash-error")
    assert '第 2 行「在校生数」: "一百二" 不是整数' in page.inner_text("#upload-result")
    screenshot(page, "upload-errors", full_page=False)

    page.set_input_files("input[name=file]", write_xlsx(tmp_path / "ok.xlsx", good_rows()))
    page.click("button:has-text('上传并检查')")
    page.wait_for_url("**/imports/*")
    page.click("button:has-text('确认保存')")
    page.wait_for_url("**/results?year=2024")
    assert "已保存 示范县 2024 年 5 行学校数据" in page.inner_text("main")
    assert page.locator("svg.cv-chart").count() == 2
    # the phone layout does not scroll sideways outside the tables' own scroll boxes
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "results")
