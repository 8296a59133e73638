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
    """The service worker, from the site root so that its scope covers every page."""
    from flask import current_app, send_from_directory

    resp = send_from_directory(current_app.static_folder, "sw.js", mimetype="application/javascript", max_age=0)
    resp.headers["Service-Worker-Allowed"] = "/"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/offline")
@public
def offline():
    """Shown by the service worker for a page that was never loaded while online."""
    from flask import render_template

    return render_template("errors/offline.html")
