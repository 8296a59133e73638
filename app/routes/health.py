from flask import Blueprint, jsonify
from sqlalchemy import text

from ..extensions import csrf, db
from ..permissions import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as e:  # the point of this route is to say so
        return jsonify(status="error", database=str(e.__class__.__name__)), 503
    return jsonify(status="ok", database="ok")


@bp.get("/favicon.ico")
@public
def favicon():
    """Browsers ask the site root for it on every page."""
    from flask import current_app, send_from_directory

    resp = send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/x-icon", max_age=7 * 86400)
    return resp


@bp.get("/csrf-token")
@public
def csrf_token():
    """A fresh CSRF token for the outbox before it replays queued submissions."""
    from flask_wtf.csrf import generate_csrf

    return jsonify(token=generate_csrf())


csrf.exempt(healthz)


@bp.get("/sw.js")
@public
def service_worker():
    """The service worker, from the site root so that its scope covers every page. Its VERSION
    is a hash of the static files, so any change to them installs a new worker with a fresh
    static cache (queued submissions live in IndexedDB and are not touched)."""
    import hashlib
    import os
    import re

    from flask import Response, current_app, url_for

    ext = current_app.extensions
    if "ddt_sw" not in ext:
        static = current_app.static_folder
        digest = hashlib.sha256()
        for rel in ("sw.js", "css/app.css", "js/outbox.js", "js/photo.js", "js/page.js", "vendor/htmx-2.0.11.min.js"):
            with open(os.path.join(static, rel), "rb") as f:
                digest.update(f.read())
        with open(os.path.join(static, "sw.js"), encoding="utf-8") as f:
            source = f.read()
        source = re.sub(r'var VERSION = "[^"]*";', f'var VERSION = "{digest.hexdigest()[:12]}";', source, count=1)
        # precache the versioned URLs the pages use: a first visit's files come from the HTTP cache
        ext["ddt_sw"] = re.sub(r'"/static/([^"?]+)"', lambda m: '"%s"' % url_for("static", filename=m.group(1)), source)
    resp = Response(ext["ddt_sw"], mimetype="application/javascript")
    resp.headers["Service-Worker-Allowed"] = "/"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/offline")
@public
def offline():
    """Shown by the service worker for a page that was never loaded while online."""
    from flask import render_template

    return render_template("errors/offline.html")
