"""Data reports (数据填报) from start to approval: create (prefilled from the imported school data),
save as one types (a versioned row: each save claims the next version), submit, send back, approve
(an approved school report writes the year's SchoolSectionData). Every step is audited.
No Flask request here: routes parse the request and call these."""
import json

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..fieldwork.operations import (
    MAX_ATTEMPTS, OperationError, audit, base_of, check_uuid, claim_version, find_op, remember_op,
)
from ..models import County, RecordConflict, School, SchoolSectionData
from ..models.base import utcnow
from ..models.reporting import REPORT_STATUSES, DataReport
from .forms import get_forms

STANDARDS = {"quality-2017": "优质均衡（2017）", "basic-2012": "基本均衡（2012）"}
DEFAULT_STANDARD = "quality-2017"
EDITABLE = ("draft", "returned")
KIND = "data_report"
# SchoolSectionData columns a new row cannot do without (ownership has its default 公办)
NEEDED_COLUMNS = tuple(c.name for c in SchoolSectionData.__table__.columns
                       if not c.nullable and c.default is None and not c.primary_key
                       and c.name not in ("school_id", "year", "section"))
COLUMN_LABELS = {"students": "在校生数", "classes": "班级数", "teachers": "专任教师数", "qualified_teachers": "高于规定学历教师数",
                 "key_teachers": "县级以上骨干教师数", "pe_art_teachers": "体育、艺术专任教师数", "senior_teachers": "中级及以上职称教师数",
                 "teaching_area": "教学及辅助用房面积", "sports_area": "体育运动场馆面积", "equipment_value": "教学仪器设备值",
                 "multimedia_rooms": "多媒体教室数", "computers": "学生用计算机台数", "books": "图书册数"}


def form_of(report):
    return get_forms(report.standard_id).form(report.level)


def sections_of(report):
    return list(report.school.sections) if report.school is not None else []


def subject_name(report):
    return report.school.name if report.school is not None else f"{report.county.name}（县级）"


def entries_of(report, values=None):
    return form_of(report).entries(report.school, sections_of(report), report.values if values is None else values)


def labels_of(report):
    """{value key: 中文 label} for the keys of this report's form (学段·label for per-学段 ones)."""
    return {key: (f"{sec}·{f.label}" if sec else f.label) for key, f, sec in entries_of(report, {})} | {
        key: (f"{sec}·{f.label}" if sec else f.label) for key, f, sec in entries_of(report)}


def imported_figures(school, year):
    """{学段: {column: value}} of the school's SchoolSectionData rows for the year."""
    rows = db.session.execute(db.select(SchoolSectionData).filter_by(school_id=school.id, year=year)).scalars().all()
    cols = [c.name for c in SchoolSectionData.__table__.columns if c.name not in (
        "id", "school_id", "year", "section", "import_id", "row", "ownership", "warnings", "updated_at")]
    return {r.section: {c: getattr(r, c) for c in cols if getattr(r, c) is not None} for r in rows}


def prefilled_keys(report):
    """The value keys whose current value is the office's imported figure (shown as 导入)."""
    if report.school is None:
        return set()
    pre = form_of(report).prefill(imported_figures(report.school, report.year))
    return {k for k, v in pre.items() if report.values.get(k) == v}


def find_report(level, year, standard_id, school=None, county=None):
    subject = f"school:{school.id}" if level == "school" else f"county:{county.id}"
    return db.session.execute(db.select(DataReport).filter_by(subject=subject, year=year, standard_id=standard_id)).scalar()


def start_report(user, level, year, standard_id, school=None, county=None):
    """The report of this school (or county), year and standard, created as a draft when there is
    none yet (a school's starts from its imported figures). Returns (report, created)."""
    if standard_id not in STANDARDS:
        raise OperationError("请选择评估标准：" + "、".join(STANDARDS.values()) + "。")
    if not (2000 <= int(year) <= 2100):
        raise OperationError("请填写四位年份。")
    found = find_report(level, year, standard_id, school, county)
    if found is not None:
        return found, False
    county = school.county if school is not None else county
    report = DataReport(subject=f"school:{school.id}" if school is not None else f"county:{county.id}", level=level,
                        county_id=county.id, school_id=school.id if school is not None else None, year=year,
                        standard_id=standard_id, status="draft", version=1, values={}, value_authors={}, updated_by_id=user.id,
                        updated_at=utcnow())
    if school is not None:
        report.values = get_forms(standard_id).school.prefill(imported_figures(school, year))
    try:
        db.session.add(report)
        db.session.flush()
        audit(user, "create", KIND, report.id, f"开始填报 {subject_name(report)} {year} 年度（{STANDARDS[standard_id]}）",
              None, {"预填项数": len(report.values)})
        db.session.commit()
    except IntegrityError:  # the same report started at the same moment elsewhere
        db.session.rollback()
        return find_report(level, year, standard_id, school, county), False
    return report, True


def _changes(labels, before, after):
    keys = sorted(set(before) | set(after), key=lambda k: list(labels).index(k) if k in labels else 10 ** 6)
    changed = [k for k in keys if before.get(k) != after.get(k)]
    return ({labels.get(k, k): before.get(k) for k in changed}, {labels.get(k, k): after.get(k) for k in changed})


def _require_editable(report):
    if report.status not in EDITABLE:
        raise OperationError(f"这份填报{report.status_label}，不能再修改。" + (
            "如需修改，请联系督导办退回。" if report.status in ("submitted", "approved") else ""))


def base_values_of(text):
    """The values a page was rendered with (the hidden input base_values, JSON), or None for a
    page from before it was sent (then every submitted field counts as changed)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, dict):
        return text
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise OperationError("提交的原值无效，请刷新页面后重试。")
    return found


def page_values(report, raw):
    """{value key: value} of the submitted inputs that hold one (parsed as the form reads them):
    what the page now shows, the base of its next save."""
    values, _errors = form_of(report).parse(raw, report.school, sections_of(report))
    return {k: v for k, v in values.items() if k in raw}


def _applicable(report, values):
    keep = {key for key, _f, _s in entries_of(report, values)}
    return {k: v for k, v in values.items() if k in keep}


def _author_of(report, key):
    """Who stored the current value of `key` (None: imported, never saved by anyone)."""
    if report.value_authors is None:  # a report saved before authors were kept
        return report.updated_by_id
    return report.value_authors.get(key)


def merge_save(report, submitted, shown, base, stale):
    """Field-level merge of one save onto the stored values. `submitted` the parsed values,
    `shown` the keys the page sent, `base` the values it was rendered with (None: unknown),
    `stale` whether another save was stored since the page's version. Returns (values, changed
    keys, {key: overwritten value} where the stored value was changed by someone else too)."""
    current = dict(report.values or {})
    changed = [k for k in shown if base is None or submitted.get(k) != base.get(k)]
    overwritten = {}
    for k in changed:
        now, new = current.get(k), submitted.get(k)
        if now == new:
            continue
        if (base is None and stale) or (base is not None and now != base.get(k)):
            overwritten[k] = now  # both changed it: the later save wins, the stored value is kept
    merged = dict(current)
    for k in changed:
        if submitted.get(k) is None:
            merged.pop(k, None)
        else:
            merged[k] = submitted[k]
    return _applicable(report, merged), changed, overwritten


def save_values(report, user, client_uuid, raw, base_version, base_values=None):
    """Store one save of the report page on the next version, merged field by field: the fields
    the person changed (submitted ≠ the value their page was rendered with, `base_values`) go onto
    the values stored now, so another person's save in between keeps its fields. A field both
    changed takes this (later) save's value, and the value it replaced is kept as a RecordConflict
    (kind data_report) for the page to show. Nothing typed is lost; a replay of a stored save
    changes nothing. Returns (report, 'updated' | 'conflict' | 'replay')."""
    client_uuid = check_uuid(client_uuid)
    base = base_of(base_version)
    base_vals = base_values_of(base_values)
    for _attempt in range(MAX_ATTEMPTS):
        op = find_op(client_uuid, KIND, None, user)
        if op is not None:
            if op.record_id != report.id:
                raise OperationError("客户端编号已被其他记录使用，请刷新页面后重试。")
            db.session.refresh(report)
            set_committed_value(report, "version", op.version)
            return report, "replay"
        db.session.refresh(report, with_for_update=True)
        _require_editable(report)
        read_version = report.version
        form = form_of(report)
        submitted, errors = form.parse(raw, report.school, sections_of(report))
        if errors:
            labels = labels_of(report)
            raise OperationError("；".join(f"{labels.get(k, k)}：{m}" for k, m in list(errors.items())[:5]))
        labels = labels_of(report)
        values, changed, overwritten = merge_save(report, submitted, list(raw), base_vals, base < read_version)
        before, after = _changes(labels, report.values or {}, values)
        authors = dict(report.value_authors or {})
        was_by = {k: _author_of(report, k) for k in overwritten}
        if not claim_version(DataReport, report, read_version):
            db.session.rollback()
            continue
        for k in changed:
            if (report.values or {}).get(k) != values.get(k):
                authors[k] = user.id
        for k, old in overwritten.items():
            db.session.add(RecordConflict(
                inspection_id=None, kind=KIND, record_id=report.id, base_version=base,
                overwritten={"field": k, "value": old, "author_id": was_by[k], "version": read_version},
                incoming={"field": k, "value": values.get(k), "author_id": user.id}, author_id=user.id))
        report.values = values
        report.value_authors = authors
        report.updated_by_id = user.id
        report.updated_at = utcnow()
        names = list(after)
        kept = "、".join(labels.get(k, k) for k in overwritten)
        audit(user, "update", KIND, report.id,
              f"填报 {subject_name(report)}：" + ("、".join(names[:3]) + (f" 等 {len(names)} 项" if len(names) > 3 else "")
                                                if names else "保存（无变化）")
              + (f"（覆盖了他人同时修改的{kept}，原值已留存为修改冲突）" if kept else ""),
              before, dict(after, 版本=report.version))
        remember_op(client_uuid, KIND, report.id, report.version, user)
        try:
            db.session.commit()
        except IntegrityError:  # a twin with this UUID was stored first: answered as a replay next round
            db.session.rollback()
            continue
        return report, "conflict" if overwritten else "updated"
    raise OperationError("保存的人太多，暂时未能保存，请稍后重试（已保存在本机的填写会自动重试）。")


def missing_of(report):
    return form_of(report).missing(report.values or {}, report.school, sections_of(report))


def _label(status):
    return REPORT_STATUSES.get(status, status)


def _step(report, user, allowed, status, action, summary, after=None, check=None):
    """Move the report from one of `allowed` to `status` on a claimed version (read again after a
    lost race, so two reviewers never both act on one version), audited. The caller commits."""
    for _attempt in range(MAX_ATTEMPTS):
        db.session.refresh(report, with_for_update=True)
        if report.status not in allowed:
            raise OperationError(f"这份填报{report.status_label}，不能{ {'submit': '提交审核', 'return': '退回', 'approve': '通过'}[action]}。")
        if check is not None:
            check()
        was, read_version = report.status, report.version
        if claim_version(DataReport, report, read_version):
            break
        db.session.rollback()
    else:
        raise OperationError("操作的人太多，请稍后重试。")
    report.status = status
    audit(user, action, KIND, report.id, summary, {"status": _label(was)},
          dict(after or {}, status=_label(status), 版本=report.version))


def submit(report, user):
    def check():
        missing = missing_of(report)
        if missing:
            raise OperationError(f"还有 {len(missing)} 项必填内容没有填写：" + "、".join(label for _k, label in missing[:12])
                                 + ("等" if len(missing) > 12 else "") + "。填写完整后再提交审核。")

    _step(report, user, EDITABLE, "submitted", "submit", f"提交审核 {subject_name(report)} {report.year} 年度", check=check)
    report.submitted_by_id = user.id
    report.submitted_at = utcnow()
    db.session.commit()


def send_back(report, user, reason):
    """Return a submitted report to its school (or the office) with a reason; an admin may also
    reopen an approved one this way."""
    reason = (reason or "").strip()
    if not reason:
        raise OperationError("请填写退回原因。")
    if len(reason) > 1000:
        raise OperationError("退回原因最多 1000 字。")
    allowed = ("submitted", "approved") if user.role == "admin" else ("submitted",)
    _step(report, user, allowed, "returned", "return", f"退回 {subject_name(report)} {report.year} 年度：{reason}"[:200],
          after={"return_reason": reason})
    report.return_reason = reason
    report.reviewed_by_id = user.id
    report.reviewed_at = utcnow()
    db.session.commit()


def approve(report, user):
    """Approve a submitted report; a school's figures become the year's SchoolSectionData."""
    _step(report, user, ("submitted",), "approved", "approve", f"审核通过 {subject_name(report)} {report.year} 年度")
    try:
        if report.level == "school":
            write_school_data(report, user)
    except OperationError:
        db.session.rollback()
        raise
    report.reviewed_by_id = user.id
    report.reviewed_at = utcnow()
    db.session.commit()


def write_school_data(report, user):
    """Create or update the school's SchoolSectionData rows of the report's year, one per 学段,
    with the columns the form feeds (other columns of an existing row stay as imported).
    Refuses (OperationError) when a new row would lack a required column. Returns the 学段."""
    school = report.school
    rows = form_of(report).section_rows(report.values or {}, school, sections_of(report))
    existing = {r.section: r for r in db.session.execute(
        db.select(SchoolSectionData).filter_by(school_id=school.id, year=report.year)).scalars()}
    problems = []
    for sec, cols in rows.items():
        if sec in existing or not cols:
            if not cols and sec not in existing:
                problems.append(f"{sec}：没有可写入的数据")
            continue
        lacking = [COLUMN_LABELS.get(c, c) for c in NEEDED_COLUMNS if cols.get(c) is None]
        if lacking:
            problems.append(f"{sec}缺少{'、'.join(lacking)}")
    if problems:
        raise OperationError("不能通过：学校数据表需要的数据不全（" + "；".join(problems) + "）。请退回学校补填。")
    done = []
    for sec, cols in rows.items():
        row = existing.get(sec)
        before = None
        if row is None:
            row = SchoolSectionData(school_id=school.id, year=report.year, section=sec, warnings=[])
            db.session.add(row)
        else:
            before = {COLUMN_LABELS.get(c, c): getattr(row, c) for c in cols}
        for c, v in cols.items():
            setattr(row, c, float(v) if isinstance(SchoolSectionData.__table__.columns[c].type, db.Float) else int(v))
        db.session.flush()
        audit(user, "update" if before else "create", "school_data", row.id,
              f"{school.name} {report.year} 年{sec}数据（来自审核通过的填报）", before,
              {COLUMN_LABELS.get(c, c): v for c, v in cols.items()})
        done.append(sec)
    return done


def reports_for(county, year, standard_id):
    """(rows, county report, counts): every school of the county with its report (or None) for
    the year and standard, the county form's report, and the count per status (未开始 too)."""
    reports = db.session.execute(db.select(DataReport).filter_by(county_id=county.id, year=year, standard_id=standard_id)
                                 .options(db.joinedload(DataReport.school))).scalars().all()
    by_school = {r.school_id: r for r in reports if r.level == "school"}
    county_report = next((r for r in reports if r.level == "county"), None)
    schools = db.session.execute(db.select(School).filter_by(county_id=county.id).order_by(School.code)).scalars().all()
    rows = [(s, by_school.get(s.id)) for s in schools]
    counts = {}
    for _s, r in rows + [(None, county_report)]:
        label = r.status_label if r else "未开始"
        counts[label] = counts.get(label, 0) + 1
    return rows, county_report, counts


def counties():
    return db.session.execute(db.select(County).order_by(County.code)).scalars().all()
