"""The school checklist an inspector works on a phone (分组检查学校)."""
from collections import OrderedDict
from functools import lru_cache

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import bindparam
from flask_login import current_user

from ..extensions import db
from ..models import CheckRecord, Inspection, InspectionMember, School, Visit
from ..fieldwork.operations import OperationError, new_uuid, new_uuids, save_check_record
from ..permissions import ALL_ROLES, current_inspection_for, is_team_lead, roles
from ..fieldwork.measurements import MeasureError, judge, parse_rows
from ..standards import get_standard
from .capture import overwritten_notices, refused, saved, wants_json
from .photos import photo_ids

bp = Blueprint("checklist", __name__)


@bp.get("/s/<token>")
@roles(*ALL_ROLES)
def scan(token):
    """Where a school's QR code lands: that school's checklist in the user's current inspection."""
    school = db.session.execute(db.select(School).filter_by(qr_token=token)).scalar()
    if school is None:
        abort(404, description="二维码无效：没有找到对应的学校。请确认扫描的是督导通打印的学校二维码。")
    inspection = current_inspection_for(current_user, school)
    if inspection is None:
        abort(404, description=f"{school.name}不在您参加的任何检查中。")
    return redirect(url_for("checklist.school", iid=inspection.id, school_id=school.id))


@bp.get("/scan")
@roles(*ALL_ROLES)
def scan_page():
    """扫码 inside the app: the camera reads a school's code here, in the browser the inspector
    is logged into; the school code can be typed instead."""
    return render_template("checklist/scan.html", code=None)


@bp.get("/scan/code")
@roles(*ALL_ROLES)
def scan_code():
    code = (request.args.get("code") or "").strip()
    from ..spreadsheets import normalise_text

    code = normalise_text(code)
    school = db.session.execute(db.select(School).filter_by(code=code)).scalar() if code else None
    if school is None:
        flash(f"没有找到学校标识码为 {code} 的学校，请核对后重新输入。", "error")
        return render_template("checklist/scan.html", code=code), 404
    return redirect(url_for("checklist.scan", token=school.qr_token))


def _load(iid, school_id):
    inspection = db.session.get(Inspection, iid, options=[db.joinedload(Inspection.county)])
    if inspection is None:
        abort(404, description="检查不存在。")
    school = db.get_or_404(School, school_id, description="学校不存在。")
    if school.county_id != inspection.county_id:
        abort(404, description="该学校不属于本次检查的县（市、区）。")
    return inspection, school


# The checklist is the hottest page: its statements are built once per process (building a
# SQLAlchemy statement costs more than running it on SQLite) and run with bound parameters.
@lru_cache(maxsize=None)
def _records_stmt():
    return (db.select(CheckRecord).options(db.joinedload(CheckRecord.author))
            .where(CheckRecord.inspection_id == bindparam("iid"), CheckRecord.subject_type == "school",
                   CheckRecord.subject_id == bindparam("sid")))


def school_records(inspection, school):
    rows = db.session.execute(_records_stmt(), {"iid": inspection.id, "sid": school.id}).scalars().all()
    return {r.item_code: r for r in rows}


@lru_cache(maxsize=None)
def _page_stmt():
    return (db.select(Inspection, School, InspectionMember.role, Visit)
            .join(School, (School.id == bindparam("sid")) & (School.county_id == Inspection.county_id))
            .outerjoin(InspectionMember, (InspectionMember.inspection_id == Inspection.id)
                       & (InspectionMember.user_id == bindparam("uid")))
            .outerjoin(Visit, (Visit.inspection_id == Inspection.id) & (Visit.school_id == School.id))
            .options(db.joinedload(Inspection.county), db.joinedload(Visit.group))
            .where(Inspection.id == bindparam("iid")))


def _load_page(iid, school_id):
    """Inspection, school, the user's membership role and the visit in one query (the
    checklist is the hottest page: its query count must not grow with anything)."""
    row = db.session.execute(_page_stmt(), {"sid": school_id, "uid": current_user.id, "iid": iid}).first()
    if row is None:
        _load(iid, school_id)  # says which of the two is missing
        abort(404)
    inspection, school, member_role, visit = row
    if member_role is None and current_user.role != "admin":
        abort(403, description=f"{current_user.name}不是本次检查的成员。")
    return inspection, school, visit


@bp.get("/inspections/<int:iid>/schools/<int:school_id>")
@roles(*ALL_ROLES)
def school(iid, school_id):
    """The checklist page. It is the hottest page: one query decides whether this user may see it
    and tells the state of everything it shows; the page is put together from two per-process
    caches keyed by that state (the item list, shared by everyone, and the page around it, per
    user), and only what changed is rendered again. The CSRF token, each form's fresh UUID and
    this person's overwritten-answer notices go in last, on every view."""
    row = db.session.execute(_view_stmt(), {"iid": iid, "sid": school_id, "uid": current_user.id}).first()
    if row is None:
        _load(iid, school_id)  # says which of the two is missing
        abort(404)
    if row.member_role is None and current_user.role != "admin":
        abort(403, description=f"{current_user.name}不是本次检查的成员。")
    tz = current_app.config["TIMEZONE"]
    state = tuple(row)[len(_PAGE_COLUMNS):]
    items_key = (iid, school_id, row.standard_id, row.locked, tz, state)
    shell_key = (current_user.id, current_user.name, current_user.role, tuple(row), tz)
    items, shell = _cache_get(_items_cache, items_key), _cache_get(_shells, shell_key)
    if items is None or shell is None:
        inspection, school, visit = _load_page(iid, school_id)
        standard = inspection.standard
        if items is None:
            items = _cache_put(_items_cache, items_key, render_items(inspection, school, standard))
        if shell is None:
            photo_only = items[1]
            can_add_visit = visit is None and (current_user.role == "admin" or is_team_lead(current_user, inspection))
            one_off = bool(session.get("_flashes"))  # a message for this view only: the page is not kept
            page = render_template(
                "checklist/school.html", inspection=inspection, school=school, standard=standard, visit=visit,
                answered=row.answered, photo_only=photo_only, items_html=Markup(ITEMS_MARK),
                can_add_visit=can_add_visit).replace(generate_csrf(), CSRF_MARK)
            shell = tuple(page.split(ITEMS_MARK, 1))
            if not (one_off or can_add_visit):  # (nor one listing the inspection's groups to pick from)
                _cache_put(_shells, shell_key, shell)
    html = (shell[0] + items[0] + shell[1]).replace(CSRF_MARK, generate_csrf())
    if row.open_conflicts:  # open conflicts at this school: is one of them this user's answer?
        html = _with_notices(html, iid, school_id)
    parts = html.split(UUID_MARK)
    uuids = new_uuids(len(parts) - 1) + [""]
    return "".join(part + uuid for part, uuid in zip(parts, uuids))


CSRF_MARK, UUID_MARK, ITEMS_MARK = "@@csrf@@", "@@uuid@@", "@@items@@"
# Per process, bounded: the rendered item lists (keyed by everything they show), and the pages
# around them (keyed by the user and everything the page shows).
_items_cache, _shells = OrderedDict(), OrderedDict()
CACHE_SIZE = 512


def _cache_get(cache, key):
    value = cache.get(key)
    if value is not None:
        cache.move_to_end(key)
    return value


def _cache_put(cache, key, value):
    cache[key] = value
    if len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return value


# What the page around the item list shows (and the membership that decides access); then the
# state of the item list.
_PAGE_COLUMNS = ("standard_id", "locked", "level", "year", "county", "name", "code", "school_type", "urban_rural",
                 "member_role", "visit_id", "started_at", "finished_at", "group")


@lru_cache(maxsize=None)
def _view_stmt():
    from sqlalchemy import func, select

    from ..models import County, Group, Photo, RecordConflict, SchoolSectionData

    rec = (CheckRecord.inspection_id == bindparam("iid"), CheckRecord.subject_type == "school",
           CheckRecord.subject_id == bindparam("sid"))
    pho = (Photo.inspection_id == bindparam("iid"), Photo.subject_type == "school", Photo.subject_id == bindparam("sid"),
           Photo.deleted_at.is_(None))
    data = SchoolSectionData.school_id == bindparam("sid")
    return (select(
        Inspection.standard_id, Inspection.locked, Inspection.level, Inspection.year, County.name.label("county"),
        School.name, School.code, School.school_type, School.urban_rural, InspectionMember.role.label("member_role"),
        Visit.id.label("visit_id"), Visit.started_at, Visit.finished_at, Group.name.label("group"),
        # the item list's state: answers (count, last change, sum of versions), photos (count, sum of
        # ids), the school's reported data (last change, rows: any year, so any change of it), and
        # open conflicts (a notice is looked up only when there are any)
        select(func.count(CheckRecord.id)).where(*rec).scalar_subquery().label("answered"),
        select(func.max(CheckRecord.updated_at)).where(*rec).scalar_subquery(),
        select(func.coalesce(func.sum(CheckRecord.version), 0)).where(*rec).scalar_subquery(),
        select(func.count(Photo.id)).where(*pho).scalar_subquery(),
        select(func.coalesce(func.sum(Photo.id), 0)).where(*pho).scalar_subquery(),
        select(func.max(SchoolSectionData.updated_at)).where(data).scalar_subquery(),
        select(func.count(SchoolSectionData.id)).where(data).scalar_subquery(),
        select(func.count(RecordConflict.id)).join(CheckRecord, CheckRecord.id == RecordConflict.record_id).where(
            *rec, RecordConflict.kind == "check_record", RecordConflict.resolved_at.is_(None))
        .scalar_subquery().label("open_conflicts"),
    ).select_from(Inspection)
        .join(County, County.id == Inspection.county_id)
        .join(School, (School.id == bindparam("sid")) & (School.county_id == Inspection.county_id))
        .outerjoin(InspectionMember, (InspectionMember.inspection_id == Inspection.id)
                   & (InspectionMember.user_id == bindparam("uid")))
        .outerjoin(Visit, (Visit.inspection_id == Inspection.id) & (Visit.school_id == School.id))
        .outerjoin(Group, Group.id == Visit.group_id)
        .where(Inspection.id == bindparam("iid")))


def render_items(inspection, school, standard):
    """The item list of a checklist page (rendering 18–36 forms is most of the page's cost), with
    placeholders for the session's CSRF token, each form's fresh UUID and the notices; and the
    items with photos but no verdict."""
    records = school_records(inspection, school)
    photos = photo_ids(inspection.id, "school", school.id)
    photo_only = [i["code"] for i in standard.checklist if i["code"] in photos and i["code"] not in records]
    html = render_template(
        "checklist/_items.html", inspection=inspection, school=school, groups=standard.checklist_groups(),
        records=records, context=school_context(inspection, school), photos=photos,
        post_base=item_url(inspection, school, ""), csrf=CSRF_MARK, new_uuid=lambda: UUID_MARK,
        locked=inspection.locked)
    return html, photo_only


def _with_notices(html, iid, school_id):
    """The cached list is the same for everyone; the notice that someone's stale save replaced
    this user's answer is per person, put in on the item it concerns."""
    for code, notice in overwritten_notices(iid, current_user, "school", school_id).items():
        html = html.replace(f"<!--notice:{code}-->", notice, 1)
    return html


def item_url(inspection, school, item_code):
    return url_for("checklist.save_item", iid=inspection.id, school_id=school.id, item_code="_")[:-1] + item_code


def school_context(inspection, school):
    """The school's reported data set against the standard, shown beside the items it concerns
    (latest data year not after the inspection's). Returns {indicator code: [lines]}."""
    from ..indicators.school_import import data_stamp

    stamp = data_stamp(school.id, inspection.year)
    if stamp is None:
        return {}
    return _school_figures(school.id, inspection.standard_id, *stamp)


@lru_cache(maxsize=2048)
def _school_figures(school_id, standard_id, year, updated_at, rows):
    """Computed once per process and data version (the key changes whenever the data does, so
    several workers never disagree for long: each computes the same thing from the database)."""
    from ..indicators.metrics import reported_figures
    from ..indicators.school_import import school_frame

    frame, year = school_frame(school_id, year)
    figures = reported_figures(frame, get_standard(standard_id))
    return {code: [f"{year} 年" + lines[0]] + lines[1:] for code, lines in figures.items()}


@bp.post("/inspections/<int:iid>/schools/<int:school_id>/items/<item_code>")
@roles("inspector", "lead")
def save_item(iid, school_id, item_code):
    # one query for the inspection, school, membership and visit (the hottest POST, like the page)
    inspection, school, visit = _load_page(iid, school_id)
    if current_user.role == "admin":
        abort(403, description="只有本次检查的检查组成员可以录入。")
    if inspection.locked:
        abort(403, description="本次检查已签发锁定，记录不能再修改。")
    standard = inspection.standard
    item = standard.checklist_by_code.get(item_code)
    if item is None:
        abort(404, description=f"检查项 {item_code} 不在本次检查的标准中。")
    error, status = None, None
    try:
        measurements, observed = None, request.form.get("observed_value", "")
        if item.get("measure"):
            try:
                rows = parse_rows(request.form)
            except MeasureError as e:
                raise OperationError(str(e)) from None
            summary, worst, measurements = judge(item["measure"], standard, school.sections, rows)
            measurements = measurements or None
            observed = observed.strip() or worst
        record, status = save_check_record(
            inspection=inspection, user=current_user, client_uuid=request.form.get("client_uuid"),
            subject_type="school", subject_id=school.id, item_code=item_code, indicator_code=item["indicator"],
            verdict=request.form.get("verdict", ""), observed_value=observed,
            note=request.form.get("note", ""), base_version=request.form.get("base_version") or None,
            school_id=school.id, visit=visit, measurements=measurements,
        )
    except OperationError as e:
        error = str(e)
        record = school_records(inspection, school).get(item_code)
    if wants_json():
        if error:
            return refused(error)
        summary = None
        if record.measurements:
            bad = [f"{r['label']} {r['value']:g}{item['measure'].get('unit', '')}" for r in record.measurements
                   if r.get("ok") is False]
            summary = ("不符合：" + "、".join(bad)) if bad else "全部符合标准"
        return saved(record, status, problem=record.is_problem, summary=summary)
    if not request.headers.get("HX-Request"):
        flash(error or f"{item_code} 已保存。", "error" if error else "success")
        return redirect(url_for("checklist.school", iid=iid, school_id=school_id) + f"#item-{item_code}")
    html = render_template(
        "checklist/_item_partial.html", inspection=inspection, school=school, item=item, record=record,
        post_url=item_url(inspection, school, item_code),
        new_uuid=new_uuid, error=error, status=status, context=school_context(inspection, school),
        draft=request.form if error else None, photos=photo_ids(inspection.id, "school", school.id),
    )
    return html, (422 if error else 200)
