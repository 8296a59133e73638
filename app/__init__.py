"""Application factory: the only wiring place (config, extensions, blueprints, CLI)."""
import os

from flask import Flask, render_template
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import CONFIGS, INSTANCE_DIR, from_environment
from .extensions import csrf, db, login_manager, migrate


class ConfigError(RuntimeError):
    pass


def create_app(config_name=None, **overrides):
    config_name = config_name or os.environ.get("APP_ENV") or os.environ.get("FLASK_ENV") or "development"
    if config_name not in CONFIGS:
        raise ConfigError(f"unknown APP_ENV {config_name!r}; one of {', '.join(CONFIGS)}")
    app = Flask(__name__, instance_path=INSTANCE_DIR)
    app.config.from_object(CONFIGS[config_name])
    app.config.update(from_environment(config_name))
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY must be set outside development (环境变量 SECRET_KEY 未设置)")
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    from .security import init_security

    init_security(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"

    from . import models  # noqa: F401  (registers the tables)
    from .accounts import user_for_login_id

    @login_manager.user_loader
    def load_user(login_id):
        # '<id>:<session token>:<login time>': a rotated token or a login older than
        # LOGIN_MAX_AGE_DAYS ends the session and the remember-me cookie alike.
        return user_for_login_id(login_id, app.config["LOGIN_MAX_AGE_DAYS"])

    from .routes import register_blueprints

    register_blueprints(app)

    from .cli import register_cli

    register_cli(app)

    from .standards import get_standard

    app.jinja_env.globals["get_standard"] = get_standard
    app.jinja_env.globals["query_args"] = query_args
    from .indicators.school_data import template as school_data_template

    app.jinja_env.globals["school_data_template"] = school_data_template  # its limits, e.g. max_errors_shown
    from .routes.photos import photo_box

    app.jinja_env.globals["photo_box"] = photo_box

    from .indicators.metrics import shown
    from .timefmt import local_time

    tz_name = app.config["TIMEZONE"]
    app.jinja_env.filters["local_time"] = lambda dt, fmt="%m-%d %H:%M": local_time(dt, fmt, tz_name)
    app.jinja_env.filters["against"] = lambda value, threshold=None: shown(value, threshold)
    from .labels import zh

    app.jinja_env.filters["zh"] = zh

    @app.errorhandler(404)
    def not_found(e):
        return render_template("errors/404.html", message=getattr(e, "description", None)), 404

    @app.errorhandler(403)
    def forbidden(e):
        return render_template("errors/403.html", message=getattr(e, "description", None)), 403

    @app.errorhandler(413)
    def too_large(e):
        return render_template("errors/413.html"), 413

    @app.errorhandler(400)
    def bad_request(e):
        return render_template("errors/400.html", message=getattr(e, "description", None)), 400

    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite runs in WAL mode with foreign keys on; other databases are left alone."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.close()


def query_args(**changes):
    """The current query string with some arguments changed (None removes one), for links that
    sort, filter or switch tabs without losing the rest."""
    from urllib.parse import urlencode

    from flask import request

    args = request.args.to_dict()
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = v
    return urlencode(args)
