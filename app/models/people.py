import secrets

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import utcnow

ROLES = {"admin": "督导办工作人员", "lead": "检查组组长", "inspector": "督学", "expert": "评估专家",
         "reporter": "学校填报员"}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(64), unique=True, nullable=False)
    name = db.Column(db.String(64), nullable=False)
    role = db.Column(db.String(16), nullable=False, default="inspector")
    password_hash = db.Column(db.String(256), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    school_id = db.Column(db.Integer, db.ForeignKey("schools.id"))  # a 学校填报员's school
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # Part of every login id (get_id): a new one ends every session and remember-me cookie.
    school = db.relationship("School")
    session_token = db.Column(db.String(32), nullable=False, default=lambda: secrets.token_hex(16))

    def get_id(self):
        """'<id>:<session token>:<login time>' — the loader refuses a rotated token or an old login."""
        import time

        return f"{self.id}:{self.session_token}:{int(time.time())}"

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def role_label(self):
        return ROLES.get(self.role, self.role)

    @property
    def is_active(self):
        return self.active

    def __repr__(self):
        return f"<User {self.username}>"


class LoginFailure(db.Model):
    """Failed logins counted per key ('user:<name>' or 'addr:<client address>'), in the database so
    that every worker sees them (app/accounts.py decides the wait)."""

    __tablename__ = "login_failures"
    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(200), unique=True, nullable=False)
    failures = db.Column(db.Integer, nullable=False, default=0)
    last_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    locked_until = db.Column(db.DateTime)
