"""Accounts: create a user, set a password, change a role, disable or enable (no Flask here).

Every change is audited and refused with a Chinese OperationError; the caller commits. The
web pages (app/routes/admin.py, app/routes/setup.py) and `flask create-user` all go through
these functions, so the rules (app/account-rules.json) live in one place.

SESSION HOOK: every change that must end a user's open sessions (password set or reset, role
changed, account disabled) calls `_credentials_changed(user, reason)` below. The per-user
session token of the hardening work (rotated on logout, password change, role change, disable,
and "sign out everywhere") hooks in THERE and nowhere else. Until then a disabled user is
already refused on the next request because the login manager's user loader only loads
active users (app/__init__.py).
"""
import json
import os
import re

from .extensions import db
from .fieldwork.operations import OperationError, audit
from .models.people import ROLES, User

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
    """The one place where a user's open sessions are ended (see the module docstring).
    reason: "password" / "role" / "disabled". The session-token rotation hooks in here."""
    return None


def find_user(username):
    return db.session.execute(db.select(User).filter_by(username=username)).scalar()


def create_user(actor, username, name, role, password):
    """A new active user. `actor` is the user doing it (None from the command line)."""
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise OperationError(f"用户名须为{RULES['username']['description']}。")
    if db.session.execute(db.select(User.id).where(db.func.lower(User.username) == username.lower())).first():
        raise OperationError(f"用户名 {username} 已被使用。")
    name = _clean_name(name or username)
    _check_role(role)
    check_password_rule(password, username)
    user = User(username=username, name=name, role=role, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit(actor, "create", "user", user.id, f"新建账号 {name}（{username}，{ROLES[role]}）", None, _snapshot(user))
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


def change_role(actor, user, role):
    _check_role(role)
    if role == user.role:
        raise OperationError(f"{user.name}已是{ROLES[role]}。")
    if user.role == "admin" and user.active and _active_admins() <= 1:
        raise OperationError("至少要保留一位启用的督导办工作人员账号。")
    if actor is not None and actor.id == user.id:
        raise OperationError("不能修改自己的角色，请由其他督导办工作人员修改。")
    before = user.role
    user.role = role
    audit(actor, "update", "user", user.id, f"{user.name}（{user.username}）改为{ROLES[role]}",
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
    audit(actor, "update", "user", user.id, f"{'启用' if active else '停用'}账号 {user.name}（{user.username}）",
          {"active": not active}, {"active": active})
    if not active:
        _credentials_changed(user, "disabled")
    return user
