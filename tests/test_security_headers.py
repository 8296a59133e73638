"""Security headers on every response (issue 12): pages and static files alike; HSTS only over
HTTPS, which behind the proxy is known from X-Forwarded-Proto (PROXY_FIX)."""
import re

from app import create_app


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


def test_no_inline_script_or_style_attribute_in_pages(client, demo):
    from tests.conftest import login

    login(client, "lead")
    iid = demo["inspection"].id
    for path in ("/login", "/", f"/inspections/{iid}", f"/inspections/{iid}/schools/{demo['inspection'].visits[0].school_id}",
                 f"/inspections/{iid}/reports", "/counties/510999/qr", f"/inspections/{iid}/report"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+=|hx-on|\sstyle=", html), path


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
