"""Accounts: who may log in and for how long, and what the office changes about them — plain
Python over the models (no Flask request); every change is audited.

- Sessions: a per-user session token is part of the login id; rotating it ends every session
  and remember-me cookie of that user (logout, password, role, disabling, sign out everywhere).
- Login: failures are counted per account and per address in the database and throttled; unknown
  users cost the same time as known ones. The numbers come from config (LOGIN_THROTTLE,
  LOGIN_MAX_AGE_DAYS), passed in by the caller.
- Account rules (password, username, name length) are data: app/account-rules.json, shared by
  the admin pages, the password page and the CLI.
"""
import hmac
import json
import os
import re
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
    user = db.session.execute(_active_user_stmt(), {"uid": uid}).scalar()
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user


@lru_cache(maxsize=1)
def _active_user_stmt():
    """Built once: every request loads its user with it (building a statement costs more than
    running it on SQLite)."""
    from sqlalchemy import bindparam

    return db.select(User).where(User.id == bindparam("uid"), User.active.is_(True))


def sign_out_everywhere(user, by, reason="强制退出所有设备"):
    """End every session and remember-me cookie of `user` (an admin's action, or the user's own)."""
    rotate_session_token(user)
    audit(by, "sign_out", "user", user.id, f"{reason}：{user.username}")


def log_out(user):
    """Logging out ends this user's sessions on every device (the token rotates)."""
    rotate_session_token(user)
    audit(user, "logout", "user", user.id, f"退出登录：{user.username}")


# ------------------------------------------------------------------ account rules and the office's changes

with open(os.path.join(os.path.dirname(__file__), "account-rules.json"), encoding="utf-8") as _f:
    RULES = json.load(_f)

PASSWORD_RULE = RULES["password"]
USERNAME_RE = re.compile(RULES["username"]["pattern"])


def password_rule_text():
    """The rule in words, for forms and the CLI's help."""
    r = PASSWORD_RULE
    parts = [f"至少 {r['min_length']} 位"]
    if r.get("not_only_digits"):
        parts.append("不能全是数字")
    if r.get("not_username"):
        parts.append("不能与用户名相同")
    return "，".join(parts)


def check_password_rule(password, username):
    """Raise OperationError (Chinese) when `password` breaks the rule."""
    r = PASSWORD_RULE
    password = password or ""
    if len(password) < r["min_length"]:
        raise OperationError(f"密码至少 {r['min_length']} 位。")
    if len(password) > r["max_length"]:
        raise OperationError(f"密码最多 {r['max_length']} 位。")
    if r.get("not_only_digits") and password.isdigit():
        raise OperationError("密码不能全是数字，请加入字母或符号。")
    if r.get("not_username") and username and password.strip().lower() == username.strip().lower():
        raise OperationError("密码不能与用户名相同。")


def _clean_name(name):
    name = (name or "").strip()
    if not name:
        raise OperationError("请填写姓名。")
    if len(name) > RULES["name_max_length"]:
        raise OperationError(f"姓名最多 {RULES['name_max_length']} 字。")
    return name


def _check_role(role):
    if role not in ROLES:
        raise OperationError("请选择账号角色：" + "、".join(ROLES.values()) + "。")
    return role


def _snapshot(user):
    return {"username": user.username, "name": user.name, "role": user.role, "active": user.active}


def _credentials_changed(user, reason):
    """The one place where a user's open sessions are ended by an account change.
    reason: "password" / "role" / "disabled"."""
    rotate_session_token(user)


def find_user(username):
    return db.session.execute(db.select(User).filter_by(username=username)).scalar()


def _reporter_school(role, school_id):
    """The school a 学校填报员 is bound to (required for that role; None for the others)."""
    if role != "reporter":
        return None
    from .models import School

    school = db.session.get(School, int(school_id)) if str(school_id or "").isdigit() else None
    if school is None:
        raise OperationError("学校填报员须选择所在学校。")
    return school


def create_user(actor, username, name, role, password, school_id=None):
    """A new active user. `actor` is the user doing it (None from the command line). A 学校填报员
    (reporter) is bound to its school."""
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise OperationError(f"用户名须为{RULES['username']['description']}。")
    if db.session.execute(db.select(User.id).where(db.func.lower(User.username) == username.lower())).first():
        raise OperationError(f"用户名 {username} 已被使用。")
    name = _clean_name(name or username)
    _check_role(role)
    school = _reporter_school(role, school_id)
    check_password_rule(password, username)
    user = User(username=username, name=name, role=role, active=True, school_id=school.id if school else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit(actor, "create", "user", user.id, f"新建账号 {name}（{username}，{ROLES[role]}{'，' + school.name if school else ''}）",
          None, _snapshot(user))
    return user


def set_password(actor, user, password):
    """Set or reset a password (the old one stops working)."""
    check_password_rule(password, user.username)
    user.set_password(password)
    audit(actor, "update", "user", user.id, f"重置 {user.name}（{user.username}）的密码", None, {"password": "已重置"})
    _credentials_changed(user, "password")
    return user


def _active_admins():
    return db.session.scalar(db.select(db.func.count(User.id)).where(User.role == "admin", User.active.is_(True)))


def change_role(actor, user, role, school_id=None):
    _check_role(role)
    school = _reporter_school(role, school_id if school_id not in (None, "") else user.school_id)
    if role == user.role and (school is None or school.id == user.school_id):
        raise OperationError(f"{user.name}已是{ROLES[role]}。")
    if user.role == "admin" and user.active and _active_admins() <= 1:
        raise OperationError("至少要保留一位启用的督导办工作人员账号。")
    if actor is not None and actor.id == user.id:
        raise OperationError("不能修改自己的角色，请由其他督导办工作人员修改。")
    before = user.role
    user.role = role
    user.school_id = school.id if school else None
    audit(actor, "role", "user", user.id, f"{user.name}（{user.username}）改为{ROLES[role]}{'（' + school.name + '）' if school else ''}",
          {"role": before}, {"role": role})
    _credentials_changed(user, "role")
    return user


def set_active(actor, user, active):
    """Disable (the user can no longer log in and open sessions end) or enable an account."""
    active = bool(active)
    if user.active == active:
        raise OperationError(f"{user.name}的账号已{'启用' if active else '停用'}。")
    if not active:
        if actor is not None and actor.id == user.id:
            raise OperationError("不能停用自己的账号。")
        if user.role == "admin" and _active_admins() <= 1:
            raise OperationError("至少要保留一位启用的督导办工作人员账号。")
    user.active = active
    audit(actor, "enable" if active else "disable", "user", user.id, f"{'启用' if active else '停用'}账号 {user.name}（{user.username}）",
          {"active": not active}, {"active": active})
    if not active:
        _credentials_changed(user, "disabled")
    return user

def change_password(user, current, new, by=None):
    """The user's own password changed (checking the current one unless an admin `by` sets it);
    every other session ends. Raises OperationError with a Chinese message."""
    if by is None and not user.check_password(current or ""):
        raise OperationError("当前密码不正确。")
    check_password_rule(new, user.username)
    if user.check_password(new):
        raise OperationError("新密码不能与当前密码相同。")
    user.set_password(new)
    rotate_session_token(user)
    audit(by or user, "password", "user", user.id, f"修改密码：{user.username}")


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
