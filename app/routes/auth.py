from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ..accounts import LoginRefused, authenticate, change_password, log_out, sign_out_everywhere
from ..extensions import db
from ..fieldwork.operations import OperationError
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
    error, status, wait = None, 200, None
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, request.remote_addr,
                                current_app.config["LOGIN_THROTTLE"])
        except LoginRefused as e:
            db.session.commit()  # the counted failure and its audit entry
            error, status, wait = str(e), (429 if e.wait else 400), e.wait
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
    elif request.method == "POST":
        error, status = ("请填写用户名和密码。" if not form.csrf_token.errors else "页面已过期，请重新提交。"), 400
    resp = current_app.make_response((render_template("auth/login.html", form=form, error=error), status))
    if status == 429:
        resp.headers["Retry-After"] = str(int(wait + 0.999))
    return resp


@bp.post("/logout")
@roles(*ALL_ROLES)
def logout():
    log_out(current_user)
    db.session.commit()
    logout_user()
    flash("您已退出登录（所有设备上的登录都已结束）。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def password():
    from ..accounts import PASSWORD_RULE, password_rule_text

    error = None
    if request.method == "POST":
        new = request.form.get("new") or ""
        try:
            if new != (request.form.get("confirm") or ""):
                raise OperationError("两次输入的新密码不一致。")
            user = current_user._get_current_object()
            change_password(user, request.form.get("current"), new)
            db.session.commit()
        except OperationError as e:
            db.session.rollback()
            error = str(e)
        else:
            # every other session ended with the old token; this one continues with the new one
            login_user(user, remember=bool(request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))))
            flash("密码已修改，其他设备上的登录已结束。", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", rule=PASSWORD_RULE, rule_text=password_rule_text(), error=error), \
        (422 if error else 200)


@bp.post("/users/<int:user_id>/sign-out")
@roles("admin")
def sign_out_user(user_id):
    """An admin ends every session of a user (the admin pages link here)."""
    user = db.get_or_404(User, user_id, description="用户不存在。")
    sign_out_everywhere(user, current_user)
    db.session.commit()
    if user.id == current_user.id:
        logout_user()
        return redirect(url_for("auth.login"))
    flash(f"已让 {user.name} 在所有设备上退出登录。", "success")
    return redirect(url_for("admin.user_show", user_id=user.id))
