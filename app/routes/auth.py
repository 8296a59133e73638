from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import db
from ..forms import LoginForm
from ..models import User
from ..permissions import ALL_ROLES, public, roles

bp = Blueprint("auth", __name__)


def _safe_next(target):
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = db.session.execute(db.select(User).filter_by(username=form.username.data.strip())).scalar()
        if user is None or not user.check_password(form.password.data) or not user.active:
            error = "用户名或密码错误。"
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
    elif request.method == "POST":
        error = "请填写用户名和密码。" if not form.csrf_token.errors else "页面已过期，请重新提交。"
    return render_template("auth/login.html", form=form, error=error), (400 if error else 200)


@bp.post("/logout")
@roles(*ALL_ROLES)
def logout():
    logout_user()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login"))
