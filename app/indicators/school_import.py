"""Storing checked school data (all or nothing) and reading it back for the engine.

Persistence only: the checks live in school_data.py, the computation in metrics.py. Used by the
import-schools CLI and the office pages alike (one way to store)."""
import json
from functools import lru_cache

from sqlalchemy import bindparam, cast, delete

from ..extensions import db
from ..models import DataImport, School, SchoolSectionData
from ..models.places import new_qr_token
from ..models.base import utcnow
from .school_data import Issue, frame_from_rows, header_to_key

DATA_KEYS = [k for k in header_to_key().values()
             if k not in ("code", "name", "section", "school_type", "urban_rural", "parent_code", "county_code")]


class ImportRefused(ValueError):
    def __init__(self, errors):
        super().__init__("；".join(e.text() for e in errors))
        self.errors = errors


def conflicts_with_other_counties(county, rows):
    """Errors for codes that already belong to a school of another county."""
    codes = {r["code"] for r in rows}
    taken = db.session.execute(
        db.select(School.code, School.county_id).where(School.code.in_(codes), School.county_id != county.id)
    ).all()
    taken = {c for c, _ in taken}
    return [Issue(r["row"], "学校标识码", f"学校标识码 {r['code']} 已属于其他县的学校") for r in rows if r["code"] in taken]


def store_rows(county, year, rows, warnings, *, user=None, filename="", data_import=None):
    """Create or update the schools (by 学校标识码) and replace their data for `year`.

    One transaction: either every row is stored or none (ImportRefused, nothing written)."""
    try:
        data_import = store_county_rows(county, year, rows, warnings, user=user, filename=filename,
                                        data_import=data_import)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return data_import


def store_county_rows(county, year, rows, warnings, *, user=None, filename="", data_import=None):
    """The work of store_rows without the commit, so that a province import can store several
    counties in one transaction (the caller commits, or rolls back on any exception)."""
    from .province import foreign_county_errors

    errors = foreign_county_errors(county, rows) or conflicts_with_other_counties(county, rows)
    if errors:
        raise ImportRefused(errors)
    by_row = {}
    for w in warnings:
        w = w.as_dict() if hasattr(w, "as_dict") else w
        by_row.setdefault(w["row"], []).append(w)
    if data_import is None:
        data_import = DataImport(county=county, year=year, filename=filename, uploaded_by=user)
        db.session.add(data_import)
    data_import.status = "stored"
    data_import.rows = None
    data_import.row_count = len(rows)
    data_import.warnings = [w for ws in by_row.values() for w in ws]
    data_import.stored_at = now = utcnow()
    db.session.flush()
    existing = {s.code: s for s in db.session.execute(
        db.select(School).where(School.code.in_({r["code"] for r in rows}))).scalars()}
    old = dict(((sid, sec), did) for did, sid, sec in db.session.execute(
        db.select(SchoolSectionData.id, SchoolSectionData.school_id, SchoolSectionData.section).join(School)
        .where(School.county_id == county.id, SchoolSectionData.year == year)))
    # Schools: new ones in one executemany (a province file brings thousands), changed ones updated.
    school_values = {r["code"]: {"name": r["name"], "school_type": r["school_type"],
                                 "urban_rural": r["urban_rural"], "parent_code": r["parent_code"] or None}
                     for r in rows}
    fresh = [dict(v, code=code, county_id=county.id, qr_token=new_qr_token(), created_at=now)
             for code, v in school_values.items() if code not in existing]
    if fresh:  # Core executemany: the ORM bulk path splits rows into many small statements
        db.session.execute(School.__table__.insert(), fresh)
    for code, school in existing.items():
        for k, v in school_values[code].items():
            if getattr(school, k) != v:
                setattr(school, k, v)
    db.session.flush()
    ids = dict(db.session.execute(db.select(School.code, School.id).where(
        School.county_id == county.id, School.code.in_(list(school_values)))).all())
    kept = {(ids[r["code"]], r["section"]) for r in rows}
    gone = [did for key, did in old.items() if key not in kept]
    if gone:  # the year's data is replaced: a row not in the file goes
        db.session.execute(delete(SchoolSectionData).where(SchoolSectionData.id.in_(gone)))
    inserts, updates = [], []
    for r in rows:
        ws = by_row.get(r["row"])
        values = {"import_id": data_import.id, "row": r["row"], "warnings_json": json.dumps(ws) if ws else "[]",
                  "updated_at": now}
        for k in DATA_KEYS:
            v = r.get(k)
            if k in TEXT_KEYS:
                values[k] = v or TEXT_KEYS[k]
            else:
                values[k] = None if v is None else (float(v) if k in FLOAT_KEYS else int(v))
        did = old.get((ids[r["code"]], r["section"]))
        if did is None:
            inserts.append(dict(values, school_id=ids[r["code"]], year=year, section=r["section"]))
        else:
            updates.append(dict(values, id=did))
    # warnings go in as JSON text made here (most rows have none: one "[]"), not one json.dumps per row
    warnings_text = bindparam("warnings_json", type_=db.Text)
    if db.session.get_bind().dialect.name != "sqlite":  # PostgreSQL: text → json explicitly
        warnings_text = cast(warnings_text, SchoolSectionData.warnings.type)
    if inserts:
        db.session.execute(SchoolSectionData.__table__.insert().values(warnings=warnings_text), inserts)
    if updates:
        table = SchoolSectionData.__table__
        db.session.execute(table.update().where(table.c.id == bindparam("b_id")).values(warnings=warnings_text),
                           [dict(u, b_id=u.pop("id")) for u in updates])  # other keys of the dicts are SET too
    return data_import


FLOAT_KEYS = {"teaching_area", "sports_area", "equipment_value"}
TEXT_KEYS = {"ownership": "公办"}  # text data columns and their value when left blank


def replacement_summary(county, year, rows):
    """What storing `rows` as the county's data for `year` changes, before anything is stored:
    {added, changed, unchanged: counts, removed: [(code, name, 学段)]} — rows of the year not in
    the file are removed when the import is confirmed."""
    old = {(r["code"], r["section"]): r for r in stored_rows(county.id, year)}
    new = {(r["code"], r["section"]): r for r in rows}
    keys = ["name", "school_type", "urban_rural", "parent_code"] + DATA_KEYS

    def same(a, b):
        for k in keys:
            x, y = a.get(k), b.get(k)
            if k in TEXT_KEYS:  # blank means the default (公办)
                x, y = x or TEXT_KEYS[k], y or TEXT_KEYS[k]
            if (x in (None, "") and y in (None, "")) or x == y:
                continue
            try:
                if x is not None and y is not None and float(x) == float(y):
                    continue
            except (TypeError, ValueError):
                pass
            return False
        return True

    both = new.keys() & old.keys()
    changed = sum(1 for k in both if not same(new[k], old[k]))
    removed = sorted((k[0], old[k]["name"], k[1]) for k in old.keys() - new.keys())
    return {"added": len(new.keys() - old.keys()), "changed": changed, "unchanged": len(both) - changed,
            "removed": removed, "existing": len(old)}


def stored_rows(county_id, year):
    """The stored rows of a county and year, as dicts in the template's keys (+ warnings, id)."""
    q = (db.select(SchoolSectionData, School).join(School)
         .where(School.county_id == county_id, SchoolSectionData.year == year)
         .order_by(School.code, SchoolSectionData.section))
    return [_row_dict(data, school) for data, school in db.session.execute(q)]


def _row_dict(data, school):
    r = {"row": data.row, "code": school.code, "name": school.name, "section": data.section,
         "school_type": school.school_type, "urban_rural": school.urban_rural,
         "parent_code": school.parent_code or "", "school_id": school.id, "warnings": data.warnings or []}
    for k in DATA_KEYS:
        r[k] = getattr(data, k)
    return r


def stored_frame(county_id, year):
    rows = stored_rows(county_id, year)
    return (frame_from_rows(rows) if rows else None), rows


def data_years(county_id):
    q = (db.select(SchoolSectionData.year).join(School).where(School.county_id == county_id)
         .distinct().order_by(SchoolSectionData.year.desc()))
    return [y for (y,) in db.session.execute(q)]


def school_frame(school_id, up_to_year=None):
    """One school's rows of its latest data year (≤ up_to_year): (frame or None, year)."""
    q = db.select(db.func.max(SchoolSectionData.year)).where(SchoolSectionData.school_id == school_id)
    if up_to_year:
        q = q.where(SchoolSectionData.year <= up_to_year)
    year = db.session.scalar(q)
    if year is None:
        return None, None
    school = db.session.get(School, school_id)
    rows = [_row_dict(data, school) for data in db.session.execute(
        db.select(SchoolSectionData).filter_by(school_id=school_id, year=year).order_by(SchoolSectionData.section)).scalars()]
    return frame_from_rows(rows), year


@lru_cache(maxsize=None)
def _stamp_stmt():
    from sqlalchemy import bindparam

    return (db.select(SchoolSectionData.year, db.func.max(SchoolSectionData.updated_at), db.func.count())
            .where(SchoolSectionData.school_id == bindparam("sid"), SchoolSectionData.year <= bindparam("year"))
            .group_by(SchoolSectionData.year).order_by(SchoolSectionData.year.desc()).limit(1))


def data_stamp(school_id, up_to_year=None):
    """(year, last update, row count) of a school's latest data year ≤ up_to_year, or None: a
    key that changes whenever that data does (the checklist page asks this on every view)."""
    row = db.session.execute(_stamp_stmt(), {"sid": school_id, "year": up_to_year or 9999}).first()
    return tuple(row) if row else None
