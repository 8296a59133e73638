"""The deployment of deploy/Caddyfile, for real: Caddy (`tls internal`, admin off, its data in a
temporary directory) on a free loopback port in front of the app (PROXY_FIX=1, as `make serve`
runs it). Over HTTPS, trusting Caddy's own root: pages, static files and /sw.js come compressed
with the security headers and HSTS; versioned static files are cached for a year and /sw.js is
not; a body over the app's limit stops at the proxy and one just under it (more than 15 MB, at most
15 MiB) reaches the app; a cold phone visit stays under 60 KB; and
Chromium, trusting Caddy's certificate by its key, registers the service worker."""
import base64
import gzip
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from app import create_app
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, PHONE, login_page
from tests.live import LiveServer

CADDYFILE = os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "Caddyfile")
COLD_VISIT_LIMIT = 60 * 1024

pytestmark = pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed (make browser-deps)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def proxied(app, tmp_path):
    """(https base URL, ssl context trusting Caddy's root, the root's path)."""
    behind = create_app("testing", PROXY_FIX=1, **{k: app.config[k] for k in (
        "SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "UPLOAD_DIR", "QR_CACHE_DIR")})
    server = LiveServer(behind)
    server.start()
    https_port, http_port = _free_port(), _free_port()
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               HOME=str(tmp_path), DUDAO_HOST="127.0.0.1", DUDAO_HTTPS_PORT=str(https_port),
               DUDAO_HTTP_PORT=str(http_port), DUDAO_UPSTREAM=server.url.split("//")[1])
    env.pop("DUDAO_TLS", None)
    log = open(tmp_path / "caddy.log", "wb")
    caddy = subprocess.Popen(["caddy", "run", "--config", CADDYFILE, "--adapter", "caddyfile"], env=env,
                             stdout=log, stderr=subprocess.STDOUT)
    root = tmp_path / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    base = f"https://127.0.0.1:{https_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if root.exists():
                    ctx = ssl.create_default_context(cafile=str(root))
                    urllib.request.urlopen(base + "/healthz", context=ctx, timeout=5).read()
                    break
            except (OSError, ssl.SSLError):
                pass
            if time.monotonic() > deadline or caddy.poll() is not None:
                raise AssertionError("caddy did not serve HTTPS: " + (tmp_path / "caddy.log").read_text()[-3000:])
            time.sleep(0.2)
        yield base, ctx, root
    finally:
        caddy.terminate()
        caddy.wait(10)
        log.close()
        server.stop()


def _get(base, ctx, path, encoding="gzip", headers=None):
    req = urllib.request.Request(base + path, headers=dict({"Accept-Encoding": encoding}, **(headers or {})))
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_https_through_caddy_compressed_with_headers(proxied, demo):
    base, ctx, _root = proxied
    status, headers, body = _get(base, ctx, "/login")
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    page = gzip.decompress(body).decode()
    assert "督导通 · 登录" in page
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "same-origin"
    assert headers["Strict-Transport-Security"].startswith("max-age=")  # the app sees HTTPS via X-Forwarded-Proto

    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert any("app.css?v=" in a for a in assets) and any("htmx" in a for a in assets)
    for path in assets:
        status, headers, _ = _get(base, ctx, path)
        assert status == 200 and headers["Content-Encoding"] == "gzip", path
        assert "immutable" in headers["Cache-Control"] and "max-age=31536000" in headers["Cache-Control"], path
        assert headers["X-Content-Type-Options"] == "nosniff" and "Strict-Transport-Security" in headers
        status, headers, _ = _get(base, ctx, path, encoding="zstd")
        assert headers["Content-Encoding"] == "zstd", path

    status, headers, body = _get(base, ctx, "/sw.js")
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "no-cache" and "immutable" not in headers["Cache-Control"]
    assert b"ddt-static-" in gzip.decompress(body)
    assert "Strict-Transport-Security" in headers


def _post_body(base, ctx, size):
    """(status, whether the app answered: its CSP header is on the response) for a POST of `size`
    bytes: a form with a file, which the app reads in full (its CSRF check parses the form)."""
    head = (b'--b0undary\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n")
    tail = b"\r\n--b0undary--\r\n"
    body = head + b"x" * (size - len(head) - len(tail)) + tail
    assert len(body) == size
    req = urllib.request.Request(base + "/login", data=body, method="POST",
                                 headers={"Content-Type": "multipart/form-data; boundary=b0undary"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as resp:
            return resp.status, "Content-Security-Policy" in resp.headers
    except urllib.error.HTTPError as e:
        return e.code, "Content-Security-Policy" in e.headers
    except (ConnectionError, ssl.SSLError, urllib.error.URLError):
        return 413, False  # Caddy may close the connection while the body is still being sent


def test_a_body_over_the_apps_limit_stops_at_the_proxy(proxied, demo):
    base, ctx, _root = proxied
    limit = create_app("testing").config["MAX_CONTENT_LENGTH"]  # 15 MiB
    # over the app's limit: stopped by Caddy, the app never sees it
    assert _post_body(base, ctx, limit + 1) == (413, False)
    # 15 MB < size ≤ 15 MiB: within the app's limit, so Caddy must pass it on (a "15MB" limit would not)
    between = 15_000_000 + (limit - 15_000_000) // 2
    status, from_app = _post_body(base, ctx, between)
    assert from_app and status != 413, status


def test_a_cold_phone_visit_downloads_under_60_kb(proxied, demo, capsys):
    """Bytes over the wire (bodies as compressed, plus response headers) for the login page and
    every file it loads, as a phone with an empty cache gets them (Chromium offers zstd)."""
    base, ctx, _root = proxied
    ua = {"Accept": "text/html"}
    total = 0
    status, headers, body = _get(base, ctx, "/login", encoding="gzip, deflate, br, zstd", headers=ua)
    page_bytes = len(body) + len(str(headers))
    total += page_bytes
    html = gzip.decompress(_get(base, ctx, "/login", headers=ua)[2]).decode()  # to read the asset list
    parts = [("/login", page_bytes, headers.get("Content-Encoding"))]
    for path in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        status, headers, body = _get(base, ctx, path, encoding="gzip, deflate, br, zstd")
        size = len(body) + len(str(headers))
        parts.append((path, size, headers.get("Content-Encoding")))
        total += size
    # then signing in: the home page, the scripts only signed-in pages load, the service worker
    # and what it precaches that the browser does not have yet (/offline; the rest is cached)
    import http.cookiejar
    import json

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx),
                                         urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    token = json.loads(opener.open(base + "/csrf-token").read())["token"]
    opener.open(urllib.request.Request(base + "/login", data=urllib.parse.urlencode(
        {"username": "inspector1", "password": "demo1234", "csrf_token": token}).encode(),
        headers={"Referer": base + "/login"})).read()  # Flask-WTF checks the referrer over HTTPS
    seen = {p for p, _s, _e in parts}
    signed_in = 0
    for path in ["/", None, "/sw.js", "/offline"]:
        if path is None:  # the home page's own files not loaded yet
            home = gzip.decompress(opener.open(urllib.request.Request(base + "/", headers={
                "Accept-Encoding": "gzip"})).read()).decode()
            for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', home):
                if asset not in seen:
                    seen.add(asset)
                    resp = opener.open(urllib.request.Request(base + asset, headers={"Accept-Encoding": "gzip, deflate, br, zstd"}))
                    size = len(resp.read()) + len(str(resp.headers))
                    parts.append((asset, size, resp.headers.get("Content-Encoding")))
                    signed_in += size
            continue
        resp = opener.open(urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip, deflate, br, zstd"}))
        size = len(resp.read()) + len(str(resp.headers))
        parts.append((path, size, resp.headers.get("Content-Encoding")))
        signed_in += size
    with capsys.disabled():
        print(f"\ncold visit through Caddy: login page {total / 1024:.1f} KB, then signing in "
              f"{signed_in / 1024:.1f} KB more (total {(total + signed_in) / 1024:.1f} KB) — " + ", ".join(
                  f"{p.split('?')[0]} {s / 1024:.1f} KB ({e})" for p, s, e in parts))
    assert total <= COLD_VISIT_LIMIT, parts
    assert total + signed_in <= COLD_VISIT_LIMIT, parts


def _spki_hash(base, ctx):
    """base64(sha256(SubjectPublicKeyInfo)) of the certificate Caddy serves (openssl)."""
    host, port = base.split("//")[1].split(":")
    with socket.create_connection((host, int(port))) as sock, ctx.wrap_socket(sock, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
    pem = ssl.DER_cert_to_PEM_cert(der).encode()
    pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout"], input=pem, capture_output=True, check=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub, capture_output=True,
                          check=True).stdout
    import hashlib

    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def test_service_worker_registers_over_https_through_caddy(proxied, demo, browser):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to compute the certificate's key hash for Chromium")
    base, ctx, _root = proxied
    spki = _spki_hash(base, ctx)
    trusting = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                           args=CHROMIUM_FLAGS + [f"--ignore-certificate-errors-spki-list={spki}"])
    try:
        context = trusting.new_context(**PHONE)
        context.set_default_timeout(20000)
        page = context.new_page()
        login_page(page, base, "inspector1")
        assert page.evaluate("window.isSecureContext") is True
        state = page.evaluate("""async () => {
            const reg = await navigator.serviceWorker.ready;
            return {scope: reg.scope, active: !!reg.active, script: reg.active && reg.active.scriptURL};
        }""")
        assert state["active"] and state["scope"] == base + "/" and state["script"] == base + "/sw.js"
        assert page.locator("#insecure-banner").is_hidden()
        context.close()
    finally:
        trusting.close()
