"""The office creates an account from its phone (390 px), and the admin pages fit the screen."""
from tests.browser.conftest import login_page, screenshot


def test_office_creates_a_user_on_a_phone(app, demo, live_server, page):
    base = live_server.url
    login_page(page, base, "admin")
    page.click("header >> text=管理")
    page.wait_for_url("**/admin")
    screenshot(page, "admin-index")
    page.click("text=账号")
    page.wait_for_url("**/admin/users")
    page.fill("#new input[name=username]", "zhao")
    page.fill("#new input[name=name]", "赵督学")
    page.fill("#new input[name=password]", "12345678")
    page.click("#new button[type=submit]")
    page.wait_for_selector(".flash-error")
    assert "不能全是数字" in page.inner_text(".flash-error")
    screenshot(page, "admin-users-refused")
    page.fill("#new input[name=password]", "secret123")
    page.click("#new button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "已新建账号 赵督学" in page.inner_text(".flash-success")
    assert page.locator(".row-link:has-text('赵督学')").count() == 1
    screenshot(page, "admin-users")
    page.click(".row-link:has-text('赵督学')")
    page.wait_for_selector("h1:has-text('赵督学')")
    screenshot(page, "admin-user")
    code = demo["county"].code
    school = demo["inspection"].visits[0].school
    for url, name in ((f"/admin/counties", "admin-counties"), (f"/admin/counties/{code}/schools", "admin-schools"),
                      (f"/admin/counties/{code}/schools/{school.id}", "admin-school"),
                      (f"/inspections/{demo['inspection'].id}/setup", "admin-setup")):
        page.goto(base + url)
        screenshot(page, name)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url

    # The set-up page's 成员 card with the 新建账号并加入 form open.
    page.click("#member summary:has-text('新建账号并加入')")
    import os

    from tests.conftest import OUTPUT_DIR

    page.locator("#member").screenshot(path=os.path.join(OUTPUT_DIR, "admin-setup-member.png"))

    # The new account logs in on another phone.
    other = page.context.browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    p2 = other.new_page()
    login_page(p2, base, "zhao", "secret123")
    assert "赵督学" in p2.inner_text("header")
    other.close()
