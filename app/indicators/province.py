"""A whole province (or city) in one import: one template file whose optional column
县级行政区划代码 names each row's county. No Flask here.

The file is read and checked by school_data.read_table like any other; this module adds the
county checks (every code names an existing county; a school code already owned by another
county than its row says is refused), splits the rows per county, summarises what replacing
each county's year changes, and stores every county in one transaction through
school_import.store_county_rows (one way to store)."""
from ..extensions import db
from ..models import County, DataImport, School
from ..models.base import utcnow
from .metrics import evaluate
from .school_data import Issue, frame_from_rows
from .school_import import ImportRefused, replacement_summary, store_county_rows

COLUMN = "县级行政区划代码"


def file_county_codes(rows):
    """The county codes the rows name, in order of first appearance ("" not included)."""
    return list(dict.fromkeys(r.get("county_code") or "" for r in rows if r.get("county_code")))


def foreign_county_errors(county, rows):
    """For a one-county upload: rows whose county column names a different county."""
    return [Issue(r["row"], COLUMN, f"{r['county_code']} 不是{county.name}的代码（{county.code}）：本页只导入"
                  f"{county.name}的数据，多个县的文件请由管理员在「全省导入」页面上传", code=r["code"])
            for r in rows if r.get("county_code") and r["county_code"] != county.code]


def county_errors(rows, counties):
    """Province import: each row must name an existing county (`counties`: {code: County})."""
    errors = []
    for r in rows:
        code = r.get("county_code") or ""
        if not code:
            errors.append(Issue(r["row"], COLUMN, "全省导入必须填写每一行的县级行政区划代码", code=r["code"]))
        elif code not in counties:
            errors.append(Issue(r["row"], COLUMN, f"县级行政区划代码 {code} 不存在（系统中没有这个县，请先在「县（市、区）」中添加或改正代码）",
                                code=r["code"]))
    return errors


def owner_errors(rows, counties):
    """A school code may belong to one county only: in the file (two rows of one school naming
    two counties) and in the database (a school already stored under another county)."""
    errors, first = [], {}
    for r in rows:
        seen = first.setdefault(r["code"], r)
        if seen["county_code"] != r["county_code"]:
            errors.append(Issue(r["row"], COLUMN, f"学校标识码 {r['code']} 在第 {seen['row']} 行属于 {seen['county_code']}，"
                                f"本行却是 {r['county_code']}：同一学校只能属于一个县", code=r["code"]))
    by_id = {c.id: c for c in counties.values()}
    owners = dict(db.session.execute(db.select(School.code, School.county_id).where(School.code.in_(list(first)))).all())
    for r in rows:
        owner = owners.get(r["code"])
        wanted = counties.get(r["county_code"])
        if owner is not None and wanted is not None and owner != wanted.id:
            other = by_id.get(owner) or db.session.get(County, owner)
            errors.append(Issue(r["row"], "学校标识码", f"学校标识码 {r['code']} 已属于{other.name}（{other.code}），"
                                f"与本行的县级行政区划代码 {r['county_code']} 不符", code=r["code"]))
    errors.sort(key=lambda e: e.row)
    return errors


def counties_by_code(codes):
    return {c.code: c for c in db.session.execute(db.select(County).where(County.code.in_(list(codes)))).scalars()}


def check_rows(rows):
    """All county errors of a province file (empty list: it may be previewed and stored)."""
    counties = counties_by_code(file_county_codes(rows))
    errors = county_errors(rows, counties)
    return errors or owner_errors(rows, counties)


def split(rows, warnings):
    """{county code: (rows, warnings)} in file order; a warning goes with its row's county."""
    groups, county_of = {}, {}
    for r in rows:
        groups.setdefault(r["county_code"], ([], []))[0].append(r)
        county_of[r["row"]] = r["county_code"]
    for w in warnings:
        code = county_of.get(w["row"])
        if code in groups:
            groups[code][1].append(w)
    return groups


def summary(year, rows, warnings):
    """Per county, before anything is stored: its rows, warnings and what replacing its `year`
    changes (replacement_summary: added, changed, unchanged, removed, existing)."""
    groups = split(rows, warnings)
    counties = counties_by_code(groups)
    out = []
    for code, (crows, cwarnings) in groups.items():
        county = counties.get(code)
        if county is None:  # removed since the upload: the confirm refuses the file
            continue
        out.append({"code": code, "name": county.name, "rows": len(crows), "warnings": len(cwarnings),
                    "change": replacement_summary(county, year, crows)})
    return out


def section_verdicts(ev):
    """What the province preview shows of one county's evaluation (metrics.evaluate), per 学段 of
    the standard, taken from the engine's results as they are: the largest single 差异系数 with
    its cap (or, where the standard judges a composite, the 综合差异系数 and its cap), the
    section's 达标 verdict, the indicators whose coefficient cannot be computed, and how many
    schools in scope fail 校校达标 (None where the standard has no school rule)."""
    composite = bool(ev.standard.cv.get("composite"))
    out = []
    for sec, res in ev.sections.items():
        item = {"section": sec, "schools": res.schools, "composite": composite, "code": None, "cv": None,
                "cap": res.cap, "ok": res.ok, "undefined": [], "failing": None}
        if res.schools:
            item["undefined"] = [code for code, r in res.indicators.items() if r.cv is None]
            if composite:
                item["cv"] = res.composite_cv
            else:
                worst = max((r for r in res.indicators.values() if r.cv is not None), key=lambda r: r.cv, default=None)
                if worst is not None:
                    item.update(code=worst.code, cv=worst.cv, cap=worst.cap)
            if ev.rule_codes:
                ok = ev.schools.loc[ev.schools["section"] == sec, "ok"]
                item["failing"] = int(ok.eq(False).sum())
        out.append(item)
    return out


def evaluations(rows, standard):
    """{county code: section_verdicts} of each county's rows in the file, evaluated on their own
    (the county preview's computation, one county at a time), before anything is stored."""
    return {code: section_verdicts(evaluate(frame_from_rows(crows), standard))
            for code, (crows, _) in split(rows, []).items()}


def store(data_import, rows, *, user=None):
    """Store a pending province import: each county's rows under that county (a DataImport of
    its own), every county in one transaction (all or nothing). Returns the per-county results,
    also kept in data_import.summary: [{code, name, rows, import_id}]."""
    results = []
    try:
        errors = check_rows(rows)  # counties or schools may have changed since the upload
        if errors:
            raise ImportRefused(errors)
        groups = split(rows, data_import.warnings or [])
        counties = counties_by_code(groups)
        for code, (crows, cwarnings) in groups.items():
            county = counties[code]
            stored = store_county_rows(county, data_import.year, crows, cwarnings, user=user,
                                       filename=data_import.filename)
            results.append({"code": code, "name": county.name, "rows": len(crows), "warnings": len(cwarnings),
                            "import_id": stored.id})
        data_import.status = "stored"
        data_import.rows = None
        data_import.summary = results
        data_import.stored_at = utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return results


def pending_province_import(import_id):
    data_import = db.session.get(DataImport, import_id)
    return data_import if data_import is not None and data_import.county_id is None else None
