"""Administration pages for the office (督导办): accounts, counties, schools. Thin: parse the
form, call app/accounts.py or app/registry.py, commit or roll back, say what happened."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import accounts, registry
from ..extensions import db
from ..fieldwork.operations import OperationError
from ..models import AuditEntry, County, School, User
from ..models.people import ROLES
from ..permissions import roles

bp = Blueprint("admin", __name__, url_prefix="/admin")

ENTITY_LABELS = {"user": "账号", "county": "县（市、区）", "school": "学校"}


def _done(message, target):
    db.session.commit()
    flash(message, "success")
    return redirect(target)


def _refused(error, target):
    db.session.rollback()
    flash(str(error), "error")
    return redirect(target)


@bp.get("")
@roles("admin")
def index():
    recent = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.inspection_id.is_(None), AuditEntry.entity.in_(ENTITY_LABELS))
        .order_by(AuditEntry.id.desc()).limit(30)).scalars().all()
    counts = {
        "users": db.session.scalar(db.select(db.func.count(User.id))),
        "counties": db.session.scalar(db.select(db.func.count(County.id))),
        "schools": db.session.scalar(db.select(db.func.count(School.id))),
    }
    return render_template("admin/index.html", recent=recent, counts=counts, labels=ENTITY_LABELS)


# ---------------------------------------------------------------- users

def _user_or_404(user_id):
    return db.get_or_404(User, user_id, description="账号不存在。")


@bp.get("/users")
@roles("admin")
def users():
    q = (request.args.get("q") or "").strip()
    stmt = db.select(User).order_by(User.active.desc(), User.role, User.username)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(User.username.ilike(like, escape="\\") | User.name.ilike(like, escape="\\"))
    rows = db.session.execute(stmt.limit(500)).scalars().all()
    return render_template("admin/users.html", users=rows, q=q, roles=ROLES, rule=accounts.password_rule_text(),
                           form={}, schools=_all_schools())


@bp.post("/users")
@roles("admin")
def user_create():
    f = request.form
    try:
        user = accounts.create_user(current_user, f.get("username"), f.get("name"), f.get("role"), f.get("password"),
                                   school_id=f.get("school_id"))
    except OperationError as e:
        db.session.rollback()
        rows = db.session.execute(db.select(User).order_by(User.active.desc(), User.role, User.username).limit(500)).scalars().all()
        return render_template("admin/users.html", users=rows, q="", roles=ROLES, rule=accounts.password_rule_text(),
                               form=f, error=str(e), schools=_all_schools()), 422
    return _done(f"已新建账号 {user.name}（{user.username}），请把初始密码告诉本人。", url_for("admin.users", q=user.username))


@bp.get("/users/<int:user_id>")
@roles("admin")
def user_show(user_id):
    user = _user_or_404(user_id)
    history = db.session.execute(db.select(AuditEntry).filter_by(entity="user", entity_id=user.id)
                                 .order_by(AuditEntry.id.desc()).limit(20)).scalars().all()
    return render_template("admin/user.html", user=user, roles=ROLES, rule=accounts.password_rule_text(),
                           history=history, schools=_all_schools())


def _all_schools():
    """Every school, by county: the choice of a 学校填报员's school."""
    return db.session.execute(db.select(School).join(County).order_by(County.code, School.code)
                              .options(db.joinedload(School.county))).scalars().all()


@bp.post("/users/<int:user_id>/<action>")
@roles("admin")
def user_change(user_id, action):
    user = _user_or_404(user_id)
    back = url_for("admin.user_show", user_id=user.id)
    f = request.form
    try:
        if action == "password":
            if f.get("password") != f.get("password2"):
                raise OperationError("两次输入的密码不一致。")
            accounts.set_password(current_user, user, f.get("password"))
            message = f"已重置 {user.name} 的密码，原密码不再可用。"
        elif action == "role":
            accounts.change_role(current_user, user, f.get("role"), school_id=f.get("school_id"))
            message = f"{user.name}已改为{user.role_label}。"
        elif action == "disable":
            accounts.set_active(current_user, user, False)
            message = f"已停用 {user.name} 的账号，其登录已失效。"
        elif action == "enable":
            accounts.set_active(current_user, user, True)
            message = f"已启用 {user.name} 的账号。"
        else:
            abort(404)
    except OperationError as e:
        return _refused(e, back)
    return _done(message, back)


# ---------------------------------------------------------------- counties

def _county_or_404(code):
    county = db.session.execute(db.select(County).filter_by(code=code)).scalar()
    if county is None:
        abort(404, description=f"没有代码为 {code} 的县（市、区）。")
    return county


@bp.get("/counties")
@roles("admin")
def counties():
    rows = db.session.execute(db.select(County).order_by(County.code)).scalars().all()
    counts = dict(db.session.execute(db.select(School.county_id, db.func.count(School.id)).group_by(School.county_id)).all())
    return render_template("admin/counties.html", counties=rows, counts=counts)


@bp.post("/counties")
@roles("admin")
def county_create():
    f = request.form
    try:
        county = registry.create_county(current_user, f.get("code"), f.get("name"), f.get("province"), f.get("city"))
    except OperationError as e:
        return _refused(e, url_for("admin.counties"))
    return _done(f"已新建 {county.name}（{county.code}）。", url_for("admin.schools", code=county.code))


@bp.post("/counties/<code>/rename")
@roles("admin")
def county_rename(code):
    county = _county_or_404(code)
    f = request.form
    try:
        registry.rename_county(current_user, county, f.get("name"), f.get("province"), f.get("city"))
    except OperationError as e:
        return _refused(e, url_for("admin.schools", code=code))
    return _done(f"已改名为 {county.name}。", url_for("admin.schools", code=code))


# ---------------------------------------------------------------- schools

def _school_in(county, school_id):
    school = db.session.get(School, school_id)
    if school is None or school.county_id != county.id:
        abort(404, description="学校不存在。")
    return school


def _parents(county, exclude=None):
    return [s for s in county.schools if s.school_type != "教学点" and s is not exclude]


@bp.get("/counties/<code>/schools")
@roles("admin")
def schools(code):
    county = _county_or_404(code)
    q = (request.args.get("q") or "").strip()
    rows = county.schools
    if q:
        rows = [s for s in rows if q.lower() in s.code.lower() or q in s.name]
    return render_template("admin/schools.html", county=county, schools=rows, q=q, types=registry.SCHOOL_TYPES,
                           areas=registry.URBAN_RURAL, parents=_parents(county), form={})


@bp.post("/counties/<code>/schools")
@roles("admin")
def school_create(code):
    county = _county_or_404(code)
    try:
        school = registry.create_school(current_user, county, request.form)
    except OperationError as e:
        db.session.rollback()
        return render_template("admin/schools.html", county=county, schools=county.schools, q="",
                               types=registry.SCHOOL_TYPES, areas=registry.URBAN_RURAL, parents=_parents(county),
                               form=request.form, error=str(e)), 422
    return _done(f"已新增 {school.name}（{school.code}）。", url_for("admin.schools", code=code))


@bp.get("/counties/<code>/schools/<int:school_id>")
@roles("admin")
def school_show(code, school_id):
    county = _county_or_404(code)
    school = _school_in(county, school_id)
    others = [s for s in county.schools if s.id != school.id]
    return render_template("admin/school.html", county=county, school=school, types=registry.SCHOOL_TYPES,
                           areas=registry.URBAN_RURAL, parents=_parents(county, exclude=school), others=others)


@bp.post("/counties/<code>/schools/<int:school_id>/edit")
@roles("admin")
def school_edit(code, school_id):
    county = _county_or_404(code)
    school = _school_in(county, school_id)
    back = url_for("admin.school_show", code=code, school_id=school_id)
    try:
        registry.update_school(current_user, school, request.form)
    except OperationError as e:
        return _refused(e, back)
    return _done(f"{school.name}已保存。", back)


@bp.post("/counties/<code>/schools/<int:school_id>/qr")
@roles("admin")
def school_qr(code, school_id):
    county = _county_or_404(code)
    school = _school_in(county, school_id)
    back = url_for("admin.school_show", code=code, school_id=school_id)
    if request.form.get("confirm") != "1":
        return render_template("admin/confirm.html", title=f"重新生成{school.name}的二维码？",
                               message="重新生成后，已经打印、张贴的旧二维码立即失效，扫码会显示“不存在”。请重新打印本校二维码。",
                               action=url_for("admin.school_qr", code=code, school_id=school_id),
                               back_url=back, confirm_label="重新生成二维码")
    registry.regenerate_qr(current_user, school)
    return _done(f"已为{school.name}生成新二维码，旧二维码已失效。请重新打印。", back)


@bp.post("/counties/<code>/schools/<int:school_id>/merge")
@roles("admin")
def school_merge(code, school_id):
    county = _county_or_404(code)
    target = _school_in(county, school_id)
    back = url_for("admin.school_show", code=code, school_id=school_id)
    source_id = request.form.get("source_id", type=int)
    if not source_id:
        flash("请选择要并入的学校。", "error")
        return redirect(back)
    source = _school_in(county, source_id)
    try:
        if request.form.get("confirm") != "1":
            plan = registry.merge_plan(target, source)
            lines = [f"{label}：{n}" for label, n in plan.items() if n]
            return render_template(
                "admin/confirm.html", title=f"把{source.name}并入{target.name}？",
                message=(f"「{source.name}」（{source.code}）的数据、检查安排、记录和照片将归入「{target.name}」"
                         f"（{target.code}），随后删除「{source.name}」，其二维码失效。此操作不能撤销。"),
                lines=lines, action=url_for("admin.school_merge", code=code, school_id=school_id),
                hidden={"source_id": source.id}, back_url=back, confirm_label="确认合并")
        name = source.name
        registry.merge_schools(current_user, target, source)
    except OperationError as e:
        return _refused(e, back)
    return _done(f"已把{name}并入{target.name}。", back)
