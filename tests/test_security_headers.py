"""Security headers on every response (issue 12): pages and static files alike; HSTS only over
HTTPS, which behind the proxy is known from X-Forwarded-Proto (PROXY_FIX)."""
import re

from app import create_app
from tests.conftest import login
from tests.test_permissions import walk_demo  # noqa: F401  (fixture)


def test_headers_on_a_page_and_a_static_file(client):
    for path in ("/login", "/static/css/app.css", "/sw.js"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert re.search(r"script-src 'self';", csp)
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP


def test_no_inline_script_or_style_attribute_in_pages(app, client, walk_demo):
    """Every GET page of the app (the URL map walked as in tests/test_permissions.py, with the
    demo's fieldwork, reports and imports, each page as a role allowed to see it) carries no
    inline script, event handler, javascript: URL or style attribute: the CSP would block them."""
    from app.demo import add_demo_activity
    from tests.test_permissions import ROLE_USERS, RULES, build_url

    add_demo_activity(walk_demo)
    user, token, checked = None, None, 0
    for rule in RULES:
        if "GET" not in rule.methods:
            continue
        allowed = getattr(app.view_functions[rule.endpoint], "_roles", None) or ("lead",)
        username = ROLE_USERS["lead" if "lead" in allowed else allowed[0]]
        if username != user:
            if token:
                client.post("/logout", data={"csrf_token": token})
            user, token = username, login(client, username)
        url = build_url(app, rule, walk_demo)
        resp = client.get(url)
        if resp.mimetype != "text/html":
            continue
        html = resp.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        bad = re.search(r".{0,60}(\son[a-z]+\s*=|hx-on|\sstyle\s*=).{0,60}", html, re.I | re.S)
        assert not bad, (url, bad and bad.group(0))
        assert not re.search(r"javascript:", html, re.I), url
        checked += 1
    assert checked >= 45  # the walk really rendered the app's pages


def test_hsts_over_https_and_behind_the_proxy(app, tmp_path):
    client = app.test_client()
    resp = client.get("/login", base_url="https://dudao.example.cn")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # without PROXY_FIX a forwarded header is not believed ...
    assert "Strict-Transport-Security" not in client.get("/login", headers={"X-Forwarded-Proto": "https"}).headers
    # ... with it (one hop, as `make serve` sets), it is
    proxied = create_app("testing", PROXY_FIX=1, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         UPLOAD_DIR=str(tmp_path / "u"))
    resp = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in resp.headers


def test_versioned_static_urls_are_long_cached_and_the_worker_is_not(client):
    html = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', html).group(1)
    resp = client.get(css)
    assert "max-age=31536000" in resp.headers["Cache-Control"] and "immutable" in resp.headers["Cache-Control"]
    assert "immutable" not in (client.get("/static/css/app.css?v=old").headers.get("Cache-Control") or "")
    assert client.get("/sw.js").headers["Cache-Control"] == "no-cache"
