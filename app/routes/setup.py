"""Setting up an inspection (the office and the team lead): create it, members and their roles,
groups with their leads, which school each group visits; and the audit page of every change."""
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..models import (
    AuditEntry, CheckRecord, County, Group, GroupMember, Inspection, InspectionMember, School, User, Visit,
)
from .. import accounts
from ..models.inspection import LEVELS, MEMBER_ROLES
from ..models.people import ROLES
from ..fieldwork.operations import OperationError, audit
from ..fieldwork.procedure import create_inspection_rows
from ..permissions import ALL_ROLES, inspection_or_404, is_team_lead, roles
from ..standards import STANDARD_IDS, get_standard
from ..timefmt import local_today

bp = Blueprint("setup", __name__)


def _date(value, label, required=True):
    value = (value or "").strip()
    if not value:
        if required:
            raise OperationError(f"请填写{label}。")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise OperationError(f"{label}格式不对（应为 年-月-日）。") from None


def _info_values(form, county):
    standard_id = form.get("standard_id")
    if standard_id not in STANDARD_IDS:
        raise OperationError("请选择评估标准。")
    level = form.get("level")
    if level not in LEVELS:
        raise OperationError(f"请选择检查层级：{'、'.join(LEVELS)}。")
    start, end = _date(form.get("start_date"), "开始日期"), _date(form.get("end_date"), "结束日期")
    if end < start:
        raise OperationError("结束日期不能早于开始日期。")
    title = (form.get("title") or "").strip()
    if not title:
        kind = "优质" if standard_id == "quality-2017" else "基本"
        title = f"{county.name}义务教育{kind}均衡发展{level}实地督导检查"
    if len(title) > 200:
        raise OperationError("标题最多 200 字。")
    year = form.get("year", type=int) or start.year
    return {"standard_id": standard_id, "level": level, "start_date": start, "end_date": end, "title": title,
            "year": year, "watermark": form.get("watermark") == "1"}


@bp.route("/inspections/new", methods=["GET", "POST"])
@roles("admin", "lead")
def new():
    counties = db.session.execute(db.select(County).order_by(County.code)).scalars().all()
    error = None
    if request.method == "POST":
        county = db.session.get(County, request.form.get("county_id", type=int) or 0)
        try:
            if county is None:
                raise OperationError("请选择县（市、区）。")
            values = _info_values(request.form, county)
            inspection = Inspection(county=county, status="running", current_step=1, **values)
            db.session.add(inspection)
            db.session.flush()
            role = "team_lead" if current_user.role == "lead" else "office"
            db.session.add(InspectionMember(inspection_id=inspection.id, user_id=current_user.id, role=role))
            create_inspection_rows(inspection)
            audit(current_user, "create", "inspection", inspection.id, f"新建检查：{values['title']}", None,
                  {k: str(v) for k, v in values.items()}, inspection.id)
            db.session.commit()
            flash("已新建检查，请添加成员、分组和检查学校。", "success")
            return redirect(url_for("setup.show", iid=inspection.id))
        except OperationError as e:
            db.session.rollback()
            error = str(e)
    return render_template("setup/new.html", counties=counties, levels=LEVELS,
                           standards=[get_standard(s) for s in STANDARD_IDS], error=error, form=request.form,
                           today=local_today(current_app.config["TIMEZONE"]).isoformat()), (422 if error else 200)


def _manage(iid):
    inspection = inspection_or_404(iid)
    if not (current_user.role == "admin" or is_team_lead(current_user, inspection)):
        abort(403, description="只有督导办或检查组组长可以设置本次检查。")
    return inspection


@bp.get("/inspections/<int:iid>/setup")
@roles("admin", "lead")
def show(iid):
    inspection = _manage(iid)
    members = sorted(inspection.members, key=lambda m: (list(MEMBER_ROLES).index(m.role), m.user.username))
    member_ids = {m.user_id for m in members}
    users = db.session.execute(db.select(User).where(User.active.is_(True)).order_by(User.name)).scalars().all()
    schools = db.session.execute(db.select(School).filter_by(county_id=inspection.county_id)
                                 .order_by(School.code)).scalars().all()
    visits = sorted(inspection.visits, key=lambda v: v.school.code)
    return render_template("setup/show.html", inspection=inspection, members=members, roles=MEMBER_ROLES,
                           candidates=[u for u in users if u.id not in member_ids], schools=schools, visits=visits,
                           levels=LEVELS, standards=[get_standard(s) for s in STANDARD_IDS],
                           account_roles=_account_roles(), password_rule=accounts.password_rule_text())


def _account_roles():
    """The account roles the current user may give to a new account made on the set-up page:
    a team lead makes 督学 and 组长 accounts only, the office any."""
    return {k: v for k, v in ROLES.items() if current_user.role == "admin" or k != "admin"}


def _member_users(inspection):
    return {m.user_id: m for m in inspection.members}


@bp.post("/inspections/<int:iid>/setup/<action>")
@roles("admin", "lead")
def change(iid, action):
    inspection = _manage(iid)
    form = request.form
    try:
        if action == "info":
            values = _info_values(form, inspection.county)
            before = {k: str(getattr(inspection, k)) for k in values}
            for k, v in values.items():
                setattr(inspection, k, v)
            audit(current_user, "update", "inspection", inspection.id, "修改检查信息", before,
                  {k: str(v) for k, v in values.items()}, iid)
            message = "检查信息已保存。"
        elif action == "member_add":
            user = db.session.get(User, form.get("user_id", type=int) or 0)
            role = form.get("role")
            if user is None or role not in MEMBER_ROLES:
                raise OperationError("请选择用户和角色。")
            if not user.active:
                raise OperationError(f"{user.name}的账号已停用。")
            if user.id in _member_users(inspection):
                raise OperationError(f"{user.name}已是本次检查的成员。")
            db.session.add(InspectionMember(inspection_id=iid, user_id=user.id, role=role))
            audit(current_user, "create", "member", user.id, f"添加成员 {user.name}（{MEMBER_ROLES[role]}）", None,
                  {"user": user.username, "role": role}, iid)
            message = f"已添加{user.name}。"
        elif action == "member_create":  # 新建账号并加入: one POST, nothing stored unless both succeed
            role = form.get("role")
            if role not in MEMBER_ROLES:
                raise OperationError("请选择在本次检查中的角色。")
            if form.get("account_role") not in _account_roles():
                raise OperationError("请选择账号角色（组长只能新建督学或检查组组长账号）。")
            user = accounts.create_user(current_user, form.get("username"), form.get("name"), form.get("account_role"),
                                        form.get("password"))
            db.session.add(InspectionMember(inspection_id=iid, user_id=user.id, role=role))
            audit(current_user, "create", "member", user.id, f"添加成员 {user.name}（{MEMBER_ROLES[role]}）", None,
                  {"user": user.username, "role": role}, iid)
            message = f"已新建账号 {user.name}（{user.username}）并加入本次检查。"
        elif action in ("member_role", "member_remove"):
            member = _member_users(inspection).get(form.get("user_id", type=int) or 0)
            if member is None:
                raise OperationError("该用户不是本次检查的成员。")
            leads = [m for m in inspection.members if m.role == "team_lead"]
            if action == "member_role":
                role = form.get("role")
                if role not in MEMBER_ROLES:
                    raise OperationError("请选择角色。")
                if member.role == "team_lead" and role != "team_lead" and len(leads) == 1:
                    raise OperationError("检查组至少要有一位组长。")
                audit(current_user, "update", "member", member.user_id, f"{member.user.name} 改为{MEMBER_ROLES[role]}",
                      {"role": member.role}, {"role": role}, iid)
                member.role = role
                message = "角色已修改。"
            else:
                if member.role == "team_lead" and len(leads) == 1:
                    raise OperationError("不能移除唯一的检查组组长。")
                if any(g.lead_user_id == member.user_id for g in inspection.groups):
                    raise OperationError(f"{member.user.name}是小组组长，请先更换小组组长。")
                for g in inspection.groups:
                    for gm in list(g.members):
                        if gm.user_id == member.user_id:
                            db.session.delete(gm)
                audit(current_user, "delete", "member", member.user_id, f"移除成员 {member.user.name}",
                      {"role": member.role}, None, iid)
                db.session.delete(member)
                message = "已移除。"
        elif action in ("group_add", "group_update"):
            name = (form.get("name") or "").strip()
            if not name or len(name) > 64:
                raise OperationError("请填写小组名称（64 字以内）。")
            members = _member_users(inspection)
            lead_id = form.get("lead_user_id", type=int)
            if lead_id not in members:
                raise OperationError("小组组长必须是本次检查的成员。")
            chosen = set(form.getlist("member_ids", type=int)) | {lead_id}
            if not chosen <= set(members):
                raise OperationError("小组成员必须是本次检查的成员。")
            if action == "group_add":
                group = Group(inspection=inspection, name=name, lead_user_id=lead_id)
                db.session.add(group)
                db.session.flush()
                before = None
            else:
                group = db.session.get(Group, form.get("group_id", type=int) or 0)
                if group is None or group.inspection_id != iid:
                    raise OperationError("小组不存在。")
                before = {"name": group.name, "lead": group.lead_user_id,
                          "members": sorted(m.user_id for m in group.members)}
                group.name, group.lead_user_id = name, lead_id
            for gm in list(group.members):
                if gm.user_id not in chosen:
                    db.session.delete(gm)
            have = {gm.user_id for gm in group.members}
            for uid in chosen - have:
                db.session.add(GroupMember(group_id=group.id, user_id=uid))
            audit(current_user, "create" if before is None else "update", "group", group.id, f"小组 {name}", before,
                  {"name": name, "lead": lead_id, "members": sorted(chosen)}, iid)
            message = f"{name}已保存。"
        elif action == "visit_save":
            school = db.session.get(School, form.get("school_id", type=int) or 0)
            if school is None or school.county_id != inspection.county_id:
                raise OperationError("请选择本县的学校。")
            group = db.session.get(Group, form.get("group_id", type=int) or 0) if form.get("group_id") else None
            if group is not None and group.inspection_id != iid:
                raise OperationError("小组不存在。")
            inspector_id = form.get("inspector_id", type=int) or None
            if inspector_id:
                if group is None:
                    raise OperationError("指定督学前请先选择小组。")
                if inspector_id not in {m.user_id for m in group.members}:
                    raise OperationError("该督学不在所选小组中。")
            planned = _date(form.get("planned_date"), "检查日期", required=False)
            visit = db.session.execute(db.select(Visit).filter_by(inspection_id=iid, school_id=school.id)).scalar()
            before = None
            if visit is None:
                visit = Visit(inspection_id=iid, school_id=school.id)
                db.session.add(visit)
            else:
                before = {"group": visit.group_id, "inspector": visit.inspector_id, "date": str(visit.planned_date)}
            visit.group_id = group.id if group else None
            visit.inspector_id = inspector_id
            visit.planned_date = planned
            db.session.flush()
            audit(current_user, "create" if before is None else "update", "visit", visit.id, f"检查学校 {school.name}",
                  before, {"group": visit.group_id, "inspector": inspector_id, "date": str(planned)}, iid)
            message = f"{school.name}已安排。"
        elif action == "visit_remove":
            visit = db.session.get(Visit, form.get("visit_id", type=int) or 0)
            if visit is None or visit.inspection_id != iid:
                raise OperationError("检查学校不存在。")
            if db.session.scalar(db.select(db.func.count(CheckRecord.id)).where(CheckRecord.visit_id == visit.id)):
                raise OperationError(f"{visit.school.name}已有检查记录，不能移除。")
            audit(current_user, "delete", "visit", visit.id, f"移除检查学校 {visit.school.name}",
                  {"school": visit.school.code}, None, iid)
            db.session.delete(visit)
            message = "已移除。"
        else:
            abort(404)
        db.session.commit()
        flash(message, "success")
    except OperationError as e:
        db.session.rollback()
        flash(str(e), "error")
    if action == "visit_save" and form.get("back") == "school" and form.get("school_id", type=int):
        return redirect(url_for("checklist.school", iid=iid, school_id=form.get("school_id", type=int)))
    return redirect(url_for("setup.show", iid=iid) + f"#{action.split('_')[0]}")


# ---------------------------------------------------------------- audit

@bp.get("/inspections/<int:iid>/audit")
@roles(*ALL_ROLES)
def audit_log(iid):
    inspection = inspection_or_404(iid)
    q = db.select(AuditEntry).filter(AuditEntry.inspection_id == iid)
    user_id = request.args.get("user", type=int)
    entity = request.args.get("entity") or None
    action = request.args.get("action") or None
    if user_id:
        q = q.filter(AuditEntry.user_id == user_id)
    if entity:
        q = q.filter(AuditEntry.entity == entity)
    if action:
        q = q.filter(AuditEntry.action == action)
    page = max(1, request.args.get("page", type=int) or 1)
    per = 100
    total = db.session.scalar(db.select(db.func.count()).select_from(q.subquery()))
    rows = db.session.execute(q.order_by(AuditEntry.id.desc()).offset((page - 1) * per).limit(per)).scalars().all()
    facets = db.session.execute(db.select(AuditEntry.entity, AuditEntry.action, AuditEntry.user_id)
                                .filter(AuditEntry.inspection_id == iid).distinct()).all()
    users = {u.id: u.name for u in db.session.scalars(db.select(User).where(User.id.in_({f[2] for f in facets if f[2]})))}
    names = users | {u.id: u.name for u in db.session.scalars(db.select(User))}

    def show(key, value):
        """A value as people read it: a person's name for an author, 是/否, lists joined."""
        if key in ("author_id", "inspector", "lead", "updated_by_id") and isinstance(value, int):
            return names.get(value, value)
        if key == "role" and isinstance(value, str):
            from ..models.inspection import MEMBER_ROLES
            from ..models.people import ROLES

            return MEMBER_ROLES.get(value) or ROLES.get(value, value)
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
            return "、".join(str(names.get(v, v)) if key == "members" else str(v) for v in value)
        return value

    return render_template("setup/audit.html", inspection=inspection, rows=rows, total=total, page=page, per=per,
                           entities=sorted({f[0] for f in facets}), actions=sorted({f[1] for f in facets}),
                           users=users, user_id=user_id, entity=entity, action=action, diff=diff, show=show)


def diff(before, after):
    """[(key, old, new)] of two JSON snapshots, only what changed (for the audit page)."""
    before = before if isinstance(before, dict) else ({} if before is None else {"值": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"值": after})
    out = []
    for k in list(dict.fromkeys(list(before) + list(after))):
        if k == "version":
            continue
        old, new = before.get(k), after.get(k)
        if old != new:
            out.append((k, "" if old is None else old, "" if new is None else new))
    return out
