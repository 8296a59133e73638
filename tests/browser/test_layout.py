"""Every page an inspector or a lead opens on a phone fits a 360 px screen: no sideways scroll
(wide tables scroll inside their own box)."""
from tests.browser.conftest import login_page, main_pages, screenshot


def test_pages_fit_a_narrow_phone(app, demo, live_server, browser):
    pages = main_pages(app, demo)
    pages["lead"].append(f"/inspections/{demo['inspection'].id}/draws/1")
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
