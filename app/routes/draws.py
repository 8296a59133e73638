"""Random draws of schools and interviewees: make a record, show it, re-run it (复核).
The drawing itself is app.fieldwork.draws (no Flask); a second draw is always a new record."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..fieldwork import draws as drawing
from ..fieldwork.draw_basics import new_seed
from ..fieldwork.roster import parse_roster
from ..extensions import db
from ..models import Draw, School, Visit
from ..fieldwork.operations import audit
from ..permissions import ALL_ROLES, is_team_lead, record_in, require_capture, roles
from ..permissions import inspection_or_404 as _inspection

bp = Blueprint("draws", __name__)

KIND_LABELS = {"schools": "抽取检查学校", "interviewees": "抽取访谈对象（名单）", "seats": "抽取访谈学生（班级座号）"}


def school_population(inspection):
    """The county's schools as the draw sees them (ids, codes, types, 学段, enrolment)."""
    from ..indicators.school_import import stored_rows

    students = {}
    years = sorted({inspection.year or 0, (inspection.year or 1) - 1}, reverse=True)
    for year in years:
        for r in stored_rows(inspection.county_id, year):
            students.setdefault(r["school_id"], 0)
            students[r["school_id"]] += r["students"] or 0
        if students:
            break
    schools = db.session.execute(db.select(School).filter_by(county_id=inspection.county_id).order_by(School.code)).scalars()
    return [{"id": s.id, "code": s.code, "name": s.name, "school_type": s.school_type, "area_type": s.urban_rural,
             "sections": s.sections or ["小学"], "students": int(students.get(s.id, 0))} for s in schools]


@bp.get("/inspections/<int:iid>/draws")
@roles(*ALL_ROLES)
def index(iid):
    inspection = _inspection(iid)
    records = db.session.execute(db.select(Draw).filter_by(inspection_id=iid).order_by(Draw.id.desc())).scalars().all()
    return render_template("draws/index.html", inspection=inspection, records=records, labels=KIND_LABELS,
                           is_team_lead=is_team_lead(current_user, inspection),
                           types=["教师", "学生", "家长", "校长", "人大代表/政协委员", "群众", "部门工作人员"])


@bp.post("/inspections/<int:iid>/draws/<kind>")
@roles("inspector", "lead")
def make(iid, kind):
    inspection = _inspection(iid)
    require_capture(inspection)
    form = request.form
    title = (form.get("title") or "").strip()[:200]
    try:
        if kind == "schools":
            if not is_team_lead(current_user, inspection):
                abort(403, description="只有检查组组长可以抽取检查学校。")
            rule = drawing.normalize_school_rule({
                "count": form.get("count", type=int) or 0,
                "strata": form.getlist("strata"),
                "require": form.getlist("require"),
            })
            population = school_population(inspection)
        elif kind == "interviewees":
            f = request.files.get("roster")
            population = parse_roster(text=form.get("roster_text") or None,
                                              file_bytes=f.read() if f and f.filename else None,
                                              filename=f.filename if f and f.filename else None,
                                              default_type=form.get("default_type") or "")
            rule = {"count": form.get("count", type=int) or 0}
        elif kind == "seats":
            classes = [c.strip() for c in (form.get("classes") or "").replace("，", ",").replace("\n", ",").split(",") if c.strip()]
            rule = {"classes": classes, "seats": form.get("seats", type=int) or 0,
                    "count": form.get("count", type=int) or 0, "per_class": form.get("per_class", type=int) or 1}
            population = None
        else:
            abort(404)
        seed = new_seed()
        result = drawing.run(kind, population, rule, seed)
    except drawing.DrawError as e:
        flash(f"未抽取：{e}", "error")
        return redirect(url_for("draws.index", iid=iid))
    record = Draw(inspection_id=iid, kind=kind, title=title or KIND_LABELS[kind], population=population or [],
                  rule=rule, seed=seed, result=result, algorithm=drawing.ALGORITHM, drawn_by_id=current_user.id)
    db.session.add(record)
    db.session.flush()
    audit(current_user, "draw", "draw", record.id, f"{record.title}：抽中 {len(result['selected'])} 个", None,
          {"seed": seed, "selected": result["selected"]}, iid)
    db.session.commit()
    flash(f"已抽取，记录编号 {record.id}。", "success")
    return redirect(url_for("draws.show", iid=iid, draw_id=record.id))


def _draw(iid, draw_id):
    from ..models import Inspection

    return record_in(Draw, draw_id, db.session.get(Inspection, iid), "抽签记录不存在。")


def _selected_rows(record):
    if record.kind == "seats":
        return [f"{s['class']} {s['seat']}号" for s in record.result["selected"]]
    by_id = {str(p["id"]): p for p in record.population}
    rows = []
    for sid in record.result["selected"]:
        p = by_id.get(str(sid), {})
        if record.kind == "schools":
            rows.append(f"{p.get('name', sid)}（{p.get('school_type', '')}，{p.get('area_type', '')}）")
        else:
            rows.append(f"{p.get('label', sid)}{('（' + p['type'] + '）') if p.get('type') else ''}")
    return rows


def rule_lines(record):
    """The rule in words (the record also shows it as stored)."""
    r = record.rule or {}
    if record.kind == "schools":
        out = [f"抽取学校 {r.get('count')} 所"]
        if r.get("strata"):
            out.append("分层：" + "、".join(r["strata"]))
        if r.get("require"):
            out.append("至少抽取（县内有时）：" + "、".join(r["require"]))
        if r.get("exclude_types"):
            out.append("不参与抽取：" + "、".join(r["exclude_types"]))
        return out
    if record.kind == "interviewees":
        out = [f"从名单 {len(record.population or [])} 人中抽取 {r.get('count')} 人"]
        if r.get("per_type"):
            out.append("按类型：" + "、".join(f"{k} {v} 人" for k, v in r["per_type"].items()))
        return out
    return [f"班级：{'、'.join(r.get('classes') or [])}", f"座号 1–{r.get('seats')}，每班 {r.get('per_class')} 人，共 {r.get('count')} 人"]


@bp.get("/inspections/<int:iid>/draws/<int:draw_id>")
@roles(*ALL_ROLES)
def show(iid, draw_id):
    inspection = _inspection(iid)
    record = _draw(iid, draw_id)
    check = None
    if request.args.get("verify"):
        try:
            ok, rerun = drawing.verify({"kind": record.kind, "population": record.population or None, "rule": record.rule,
                                        "seed": record.seed, "result": record.result, "algorithm": record.algorithm})
            check = {"ok": ok, "selected": rerun["selected"]}
        except drawing.DrawError as e:
            check = {"ok": False, "error": str(e)}
    visits = {v.school_id for v in inspection.visits}
    import json

    return render_template("draws/show.html", inspection=inspection, record=record, rows=_selected_rows(record),
                           rule_lines=rule_lines(record), rule_json=json.dumps(record.rule, ensure_ascii=False),
                           check=check, labels=KIND_LABELS, visits=visits,
                           is_team_lead=is_team_lead(current_user, inspection))


@bp.post("/inspections/<int:iid>/draws/<int:draw_id>/visits")
@roles("lead")
def make_visits(iid, draw_id):
    """Put the drawn schools on the inspection's visit list (groups are assigned in set-up)."""
    inspection = _inspection(iid)
    if not is_team_lead(current_user, inspection) or inspection.locked:
        abort(403, description="只有检查组组长可以确定检查学校。")
    record = _draw(iid, draw_id)
    if record.kind != "schools":
        abort(404)
    have = {v.school_id for v in inspection.visits}
    added = 0
    for sid in record.result["selected"]:
        if sid not in have:
            db.session.add(Visit(inspection_id=iid, school_id=sid))
            added += 1
    audit(current_user, "create", "visit", None, f"按抽签记录 {record.id} 确定检查学校 {added} 所", None,
          {"draw_id": record.id, "added": added}, iid)
    db.session.commit()
    flash(f"已将 {added} 所抽中学校列入检查学校，请在检查设置中分配小组。", "success")
    return redirect(url_for("draws.show", iid=iid, draw_id=draw_id))
