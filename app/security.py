"""Response headers every page and file carries (issue 12): a strict Content-Security-Policy (no
inline script, no eval, no inline style attributes; a per-response nonce only for the <style>
block of the standalone printable report), frame-ancestors 'none', nosniff, Referrer-Policy,
HSTS over HTTPS; and versioned static URLs (?v=<hash of the file>) that may be cached for a year.
Wired in create_app(); the proxy in front (deploy/Caddyfile) adds nothing but compression."""
import hashlib
import os
import secrets

from flask import g, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data: blob:; "
       "connect-src 'self'; worker-src 'self'; manifest-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
STATIC_MAX_AGE = 365 * 24 * 3600  # a versioned static URL never changes its content


def csp_nonce():
    """This response's nonce for a <style> block (standalone printable pages only)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def static_version(app, filename):
    """A short hash of a static file's content, cached per process while the file's modification
    time and size stay the same (an edited file gets a new URL at once, in development too)."""
    cache = app.extensions.setdefault("ddt_static_versions", {})
    path = os.path.join(app.static_folder, filename)
    try:
        st = os.stat(path)
    except OSError:
        return None
    stamp = (st.st_mtime_ns, st.st_size)
    hit = cache.get(filename)
    if hit is None or hit[0] != stamp:
        try:
            with open(path, "rb") as f:
                hit = cache[filename] = (stamp, hashlib.sha256(f.read()).hexdigest()[:10])
        except OSError:
            return None
    return hit[1]


def init_security(app):
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.url_defaults
    def versioned_static(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = static_version(app, values["filename"])
            if version:
                values["v"] = version

    hsts = f"max-age={int(app.config['HSTS_MAX_AGE'])}; includeSubDomains"

    @app.after_request
    def security_headers(resp):
        h = resp.headers
        h["Content-Security-Policy"] = CSP.format(nonce=csp_nonce())
        h["X-Content-Type-Options"] = "nosniff"
        h["Referrer-Policy"] = "same-origin"
        h["X-Frame-Options"] = "DENY"  # for browsers older than frame-ancestors
        if request.is_secure:
            h["Strict-Transport-Security"] = hsts
        if (request.endpoint == "static" and request.args.get("v")
                and request.args["v"] == static_version(app, (request.view_args or {}).get("filename", ""))):
            h["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"
        return resp
