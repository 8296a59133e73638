"""Configuration classes, read from the environment (DESIGN.md contracts)."""
import os
from datetime import timedelta

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.path.join(BASE_DIR, "instance")


def from_environment(name):
    """The settings the environment gives (DESIGN.md contracts), read when the app is made."""
    env = os.environ
    out = {}
    if env.get("SECRET_KEY"):
        out["SECRET_KEY"] = env["SECRET_KEY"]
    if env.get("DATABASE_URL") and name != "testing":
        url = env["DATABASE_URL"]
        # Some platforms still hand out postgres://; SQLAlchemy wants postgresql://.
        out["SQLALCHEMY_DATABASE_URI"] = "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url
    for key in ("UPLOAD_DIR", "QR_CACHE_DIR"):
        if env.get(key):
            out[key] = env[key]
    if env.get("PUBLIC_BASE_URL"):
        out["PUBLIC_BASE_URL"] = env["PUBLIC_BASE_URL"].rstrip("/")
    if env.get("TIMEZONE"):
        out["TIMEZONE"] = env["TIMEZONE"]
    if env.get("MAX_CONTENT_LENGTH"):
        out["MAX_CONTENT_LENGTH"] = int(env["MAX_CONTENT_LENGTH"])
    for key in ("PHOTO_STORAGE", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_REGION", "S3_PREFIX",
                "S3_ADDRESSING_STYLE"):
        if env.get(key):
            out[key] = env[key]
    for key in ("PHOTO_MAX_BYTES", "PHOTO_MAX_PIXELS", "S3_CONNECT_TIMEOUT", "S3_READ_TIMEOUT", "S3_MAX_ATTEMPTS"):
        if env.get(key):
            out[key] = int(env[key])
    if env.get("PROXY_FIX"):
        # behind a reverse proxy (deploy/Caddyfile): trust this many hops of X-Forwarded-For/-Proto
        out["PROXY_FIX"] = int(env["PROXY_FIX"])
    if env.get("SESSION_COOKIE_SECURE"):
        out["SESSION_COOKIE_SECURE"] = out["REMEMBER_COOKIE_SECURE"] = env["SESSION_COOKIE_SECURE"] == "1"
    return out


class Config:
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(INSTANCE_DIR, "dudaotong.sqlite3")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_DIR = os.path.join(INSTANCE_DIR, "uploads")
    PUBLIC_BASE_URL = ""
    QR_CACHE_DIR = os.path.join(INSTANCE_DIR, "qr")
    # Uploads: a compressed phone photo is < 1 MB; 15 MB leaves room for an uncompressed one.
    MAX_CONTENT_LENGTH = 15 * 1024 * 1024
    # Photos: one file at most 12 MB and 40 megapixels (decompression bombs); stored on local
    # disk under UPLOAD_DIR, or PHOTO_STORAGE=s3 with S3_BUCKET, S3_ENDPOINT_URL, S3_ACCESS_KEY, …
    PHOTO_MAX_BYTES = 12 * 1024 * 1024
    PHOTO_MAX_PIXELS = 40_000_000
    PHOTO_STORAGE = "local"
    # S3: a request waits at most this long (seconds) and is tried this often before the upload
    # answers 503 (the phone's outbox keeps the photo and sends it again later).
    S3_CONNECT_TIMEOUT = 5
    S3_READ_TIMEOUT = 30
    S3_MAX_ATTEMPTS = 3
    S3_ADDRESSING_STYLE = "auto"  # auto | path | virtual (bucket.endpoint; Aliyun OSS requires it)
    # CSRF tokens are tied to the session, not to an hour: an inspector's outbox may wait a
    # whole offline day before it is replayed (see app/static/js/outbox.js).
    WTF_CSRF_TIME_LIMIT = None
    # Inspectors stay signed in for 14 days on their phone; the server refuses a login (session or
    # remember-me cookie) older than LOGIN_MAX_AGE_DAYS whatever the cookie says.
    LOGIN_MAX_AGE_DAYS = 14
    REMEMBER_COOKIE_DURATION = timedelta(days=LOGIN_MAX_AGE_DAYS)
    # Failed logins (app/accounts.py): per account and per client address, the first
    # `free_failures` cost nothing; then a wait of first_wait_seconds, doubling with each further
    # failure up to max_wait_seconds. Counts are forgotten after forget_after_seconds without a
    # failure. An address allows more (a county office shares one address).
    LOGIN_THROTTLE = {
        "account": {"free_failures": 5, "first_wait_seconds": 30, "max_wait_seconds": 15 * 60},
        "address": {"free_failures": 20, "first_wait_seconds": 30, "max_wait_seconds": 15 * 60},
        "forget_after_seconds": 60 * 60,
    }
    # New passwords: at least 8 characters, not only digits.
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    JSON_AS_ASCII = False
    # Behind a reverse proxy: the number of proxy hops whose X-Forwarded-* headers are trusted
    # (0: none; `make serve` sets PROXY_FIX=1 for Caddy on the same machine).
    PROXY_FIX = 0
    # Strict-Transport-Security on HTTPS responses (one year).
    HSTS_MAX_AGE = 365 * 24 * 3600
    # Times are stored in UTC and shown in this zone.
    TIMEZONE = "Asia/Shanghai"


class DevelopmentConfig(Config):
    SECRET_KEY = "dev-only-not-secret"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"
    SQLALCHEMY_DATABASE_URI = "sqlite://"


class ProductionConfig(Config):
    # Behind HTTPS in production; SESSION_COOKIE_SECURE=0 for a plain-HTTP LAN deployment.
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
