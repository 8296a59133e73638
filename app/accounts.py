"""Accounts: login checks with throttling, session tokens that end sessions, password rules, role
and status changes — plain Python over the models (no Flask request); every change is audited.
The numbers (failures allowed, waits, password rule, how long a login lasts) come from the
configuration, passed in by the caller (config.py: LOGIN_THROTTLE, PASSWORD_RULE, LOGIN_MAX_AGE_DAYS)."""
import hmac
import secrets
import time
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .fieldwork.operations import OperationError, audit
from .models import LoginFailure, User
from .models.base import utcnow
from .models.people import ROLES


class LoginRefused(Exception):
    """A login refused; `wait` seconds when throttled (else None), the message in Chinese."""

    def __init__(self, message, wait=None):
        super().__init__(message)
        self.wait = wait


# ------------------------------------------------------------------ sessions

def rotate_session_token(user):
    """A new token: every session and remember-me cookie made with the old one stops working."""
    user.session_token = secrets.token_hex(16)


def user_for_login_id(login_id, max_age_days, now=None):
    """The active user a login id (User.get_id: '<id>:<token>:<login time>') names, or None when the
    token was rotated since, the login is older than `max_age_days`, or the id is malformed."""
    try:
        uid, token, issued = str(login_id).split(":")
        uid, issued = int(uid), int(issued)
    except ValueError:
        return None
    now = time.time() if now is None else now
    if not (now - max_age_days * 86400 <= issued <= now + 300):
        return None
    user = db.session.execute(db.select(User).where(User.id == uid, User.active.is_(True))).scalar()
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def sign_out_everywhere(user, by, reason="强制退出所有设备"):
    """End every session and remember-me cookie of `user` (an admin's action, or the user's own)."""
    rotate_session_token(user)
    audit(by, "sign_out", "user", user.id, f"{reason}：{user.username}")


def log_out(user):
    """Logging out ends this user's sessions on every device (the token rotates)."""
    rotate_session_token(user)
    audit(user, "logout", "user", user.id, f"退出登录：{user.username}")


# ------------------------------------------------------------------ passwords

def password_problem(password, rule):
    """The Chinese reason a new password is refused under `rule` (PASSWORD_RULE), or None."""
    if len(password) < rule["min_length"]:
        return f"密码至少 {rule['min_length']} 位。"
    if len(password) > rule["max_length"]:
        return f"密码最多 {rule['max_length']} 位。"
    if not rule.get("all_digits_allowed", False) and password.isdigit():
        return "密码不能全是数字，请加入字母或符号。"
    return None


def change_password(user, current, new, rule, by=None):
    """The user's password changed (checking the current one unless an admin `by` sets it); every
    other session ends. Raises OperationError with a Chinese message."""
    if by is None and not user.check_password(current or ""):
        raise OperationError("当前密码不正确。")
    problem = password_problem(new or "", rule)
    if problem:
        raise OperationError(problem)
    if user.check_password(new):
        raise OperationError("新密码不能与当前密码相同。")
    user.set_password(new)
    rotate_session_token(user)
    audit(by or user, "password", "user", user.id, f"修改密码：{user.username}")


def set_role(user, role, by):
    if role not in ROLES:
        raise OperationError(f"角色只能是：{'、'.join(ROLES)}。")
    if role == user.role:
        return
    before = user.role
    user.role = role
    rotate_session_token(user)
    audit(by, "role", "user", user.id, f"修改角色：{user.username}", {"role": before}, {"role": role})


def set_active(user, active, by):
    if bool(active) == bool(user.active):
        return
    user.active = bool(active)
    rotate_session_token(user)
    audit(by, "enable" if active else "disable", "user", user.id,
          f"{'启用' if active else '停用'}账号：{user.username}", {"active": not active}, {"active": bool(active)})


# ------------------------------------------------------------------ login and its throttle

@lru_cache(maxsize=1)
def _dummy_hash():
    # same method and cost as a real password, so an unknown name takes as long as a known one
    return generate_password_hash(secrets.token_hex(8))


def _wait_for(failures, policy):
    over = failures - policy["free_failures"]
    if over < 0:
        return 0
    return min(policy["first_wait_seconds"] * (2 ** over), policy["max_wait_seconds"])


def wait_text(seconds):
    seconds = max(1, int(seconds + 0.999))
    if seconds < 60:
        return f"{seconds} 秒"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} 分 {rest} 秒" if rest else f"{minutes} 分钟"


def _keys(username, address):
    return {"account": "user:" + (username or "")[:64].lower(), "address": "addr:" + (address or "?")[:100]}


def throttle_wait(username, address, now=None):
    """Seconds until a login for `username` from `address` may be tried again (0: now)."""
    now = now or utcnow()
    rows = db.session.execute(db.select(LoginFailure).where(
        LoginFailure.key.in_(list(_keys(username, address).values())))).scalars().all()
    waits = [(r.locked_until - now).total_seconds() for r in rows if r.locked_until and r.locked_until > now]
    return max(waits, default=0)


def _count_failure(key, policy, forget_after, now):
    """One more failure for `key`, counted in the database (atomic across workers)."""
    row = db.session.execute(db.select(LoginFailure).where(LoginFailure.key == key)).scalar()
    if row is None:
        try:
            with db.session.begin_nested():
                row = LoginFailure(key=key, failures=0, last_at=now)
                db.session.add(row)
        except IntegrityError:  # another worker counted the first failure at the same moment
            row = db.session.execute(db.select(LoginFailure).where(LoginFailure.key == key)).scalar()
    if row.last_at < now - timedelta(seconds=forget_after):
        db.session.execute(update(LoginFailure).where(LoginFailure.id == row.id).values(failures=0))
    db.session.execute(update(LoginFailure).where(LoginFailure.id == row.id)
                       .values(failures=LoginFailure.failures + 1, last_at=now)
                       .execution_options(synchronize_session=False))
    failures = db.session.execute(db.select(LoginFailure.failures).where(LoginFailure.id == row.id)).scalar()
    wait = _wait_for(failures, policy)
    if wait:
        db.session.execute(update(LoginFailure).where(LoginFailure.id == row.id)
                           .values(locked_until=now + timedelta(seconds=wait))
                           .execution_options(synchronize_session=False))
    return wait


def authenticate(username, password, address, throttle):
    """The user for these credentials, or LoginRefused (Chinese message). A refusal is counted
    per account and per client address and audited; an unknown name costs one password check,
    the same as a known one. The caller commits (a refusal's counts and audit entry too)."""
    username = (username or "").strip()
    now = utcnow()
    wait = throttle_wait(username, address, now)
    if wait > 0:
        raise LoginRefused(f"登录失败次数过多，请 {wait_text(wait)}后再试。", wait)
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar()
    ok = check_password_hash(user.password_hash if user else _dummy_hash(), password or "")
    if user is not None and ok and user.active:
        db.session.execute(db.delete(LoginFailure).where(LoginFailure.key == _keys(username, address)["account"]))
        return user
    waits = [_count_failure(key, throttle[kind], throttle["forget_after_seconds"], now)
             for kind, key in _keys(username, address).items()]
    audit(None, "login_failed", "user", user.id if user else None,
          f"登录失败：{username[:64]}（{(address or '?')[:60]}）")
    wait = max(waits)
    if wait:
        raise LoginRefused(f"用户名或密码错误。登录失败次数过多，请 {wait_text(wait)}后再试。", wait)
    raise LoginRefused("用户名或密码错误。")
