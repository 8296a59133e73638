"""The register of counties and schools, kept by the office (no Flask here).

create/rename a county; add and edit a school; merge one campus into another; give a school a
new QR token. Every change is audited; refusals are OperationErrors in Chinese; the caller commits.
"""
import json
import os
import re

from .extensions import db
from .fieldwork.operations import OperationError, audit
from .models import (
    CheckRecord, County, FeedbackProblem, Inspection, Interview, Photo, School, SchoolSectionData, SummaryProblem,
    Visit,
)
from .models.places import new_qr_token

COUNTY_CODE_RE = re.compile(r"^\d{6}$")
SCHOOL_CODE_RE = re.compile(r"^[0-9A-Za-z]{4,20}$")


def _template_values(key):
    """The allowed values of a template column (school-data.json), so the pages and the import agree."""
    with open(os.path.join(os.path.dirname(__file__), "standards", "school-data.json"), encoding="utf-8") as f:
        for col in json.load(f)["columns"]:
            if col["key"] == key:
                return tuple(col["values"])
    raise KeyError(key)


SCHOOL_TYPES = _template_values("school_type")
URBAN_RURAL = _template_values("urban_rural")


def _text(value, label, max_len, required=True):
    value = (value or "").strip()
    if required and not value:
        raise OperationError(f"请填写{label}。")
    if len(value) > max_len:
        raise OperationError(f"{label}最多 {max_len} 字。")
    return value


# ---------------------------------------------------------------- counties

def create_county(actor, code, name, province="", city=""):
    code = (code or "").strip()
    if not COUNTY_CODE_RE.match(code):
        raise OperationError("县级行政区划代码应为 6 位数字，如 510999。")
    if db.session.execute(db.select(County.id).filter_by(code=code)).first():
        raise OperationError(f"代码为 {code} 的县（市、区）已存在。")
    county = County(code=code, name=_text(name, "县（市、区）名称", 64),
                    province=_text(province, "省份", 32, required=False), city=_text(city, "地市", 32, required=False))
    db.session.add(county)
    db.session.flush()
    audit(actor, "create", "county", county.id, f"新建县（市、区）{county.name}（{code}）", None,
          {"code": code, "name": county.name, "province": county.province, "city": county.city})
    return county


def rename_county(actor, county, name, province=None, city=None):
    before = {"name": county.name, "province": county.province, "city": county.city}
    county.name = _text(name, "县（市、区）名称", 64)
    if province is not None:
        county.province = _text(province, "省份", 32, required=False)
    if city is not None:
        county.city = _text(city, "地市", 32, required=False)
    after = {"name": county.name, "province": county.province, "city": county.city}
    if after == before:
        raise OperationError("没有修改。")
    audit(actor, "update", "county", county.id, f"修改县（市、区）{before['name']} → {county.name}", before, after)
    return county


# ---------------------------------------------------------------- schools

def _school_snapshot(s):
    return {"code": s.code, "name": s.name, "school_type": s.school_type, "urban_rural": s.urban_rural,
            "parent_code": s.parent_code}


def _school_values(county, values, school=None):
    code = (values.get("code") or "").strip()
    if not SCHOOL_CODE_RE.match(code):
        raise OperationError("学校标识码应为 4–20 位数字或字母（一般为 10 位数字）。")
    other = db.session.execute(db.select(School).filter_by(code=code)).scalar()
    if other is not None and other is not school:
        raise OperationError(f"学校标识码 {code} 已被「{other.name}」使用。")
    name = _text(values.get("name"), "学校名称", 128)
    school_type = values.get("school_type")
    if school_type not in SCHOOL_TYPES:
        raise OperationError("请选择办学类型：" + "、".join(SCHOOL_TYPES) + "。")
    urban_rural = values.get("urban_rural")
    if urban_rural not in URBAN_RURAL:
        raise OperationError("请选择城乡类型：" + "、".join(URBAN_RURAL) + "。")
    parent_code = (values.get("parent_code") or "").strip() or None
    if school_type == "教学点":
        if not parent_code:
            raise OperationError("教学点须选择所属学校。")
        parent = db.session.execute(db.select(School).filter_by(code=parent_code)).scalar()
        if parent is None or parent.county_id != county.id:
            raise OperationError(f"所属学校 {parent_code} 不是本县（市、区）的学校。")
        if parent is school or parent_code == code:
            raise OperationError("教学点不能隶属于自己。")
        if parent.school_type == "教学点":
            raise OperationError("所属学校不能是教学点。")
    else:
        parent_code = None
    return {"code": code, "name": name, "school_type": school_type, "urban_rural": urban_rural,
            "parent_code": parent_code}


def create_school(actor, county, values):
    v = _school_values(county, values)
    school = School(county_id=county.id, **v)
    db.session.add(school)
    db.session.flush()
    audit(actor, "create", "school", school.id, f"新增学校 {school.name}（{school.code}）", None, _school_snapshot(school))
    return school


def update_school(actor, school, values):
    v = _school_values(school.county, values, school=school)
    before = _school_snapshot(school)
    if v == before:
        raise OperationError("没有修改。")
    old_code = school.code
    if v["school_type"] == "教学点" and db.session.execute(
            db.select(School.id).where(School.parent_code == old_code, School.id != school.id)).first():
        raise OperationError("该校下有教学点，不能改为教学点。")
    for k, val in v.items():
        setattr(school, k, val)
    if v["code"] != old_code:  # its 教学点 follow the new code
        db.session.execute(db.update(School).where(School.parent_code == old_code).values(parent_code=v["code"]))
    audit(actor, "update", "school", school.id, f"修改学校 {school.name}（{school.code}）", before, _school_snapshot(school))
    return school


def regenerate_qr(actor, school):
    """A new QR token: the printed code of the old token stops working at once."""
    school.qr_token = new_qr_token()
    audit(actor, "update", "school", school.id, f"重新生成 {school.name} 的二维码（旧二维码作废）",
          {"qr_token": "旧二维码"}, {"qr_token": "新二维码"})
    return school


SCHOOL_SUBJECTS = ("school", "archive_school")  # CheckRecord / Photo subjects whose subject_id is a school id


def merge_plan(target, source):
    """What merging `source` into `target` moves, or OperationError when it cannot be done safely.
    Returns {label: count} for the confirmation page."""
    if target.id == source.id:
        raise OperationError("请选择另一所学校。")
    if target.county_id != source.county_id:
        raise OperationError("只能合并同一县（市、区）的学校。")
    if target.school_type == "教学点" and source.school_type != "教学点":
        raise OperationError("不能把学校并入教学点。")
    # Data for the same year and 学段 in both: the office must decide which is right first.
    both = db.session.execute(
        db.select(SchoolSectionData.year, SchoolSectionData.section)
        .where(SchoolSectionData.school_id == source.id)
        .intersect(db.select(SchoolSectionData.year, SchoolSectionData.section)
                   .where(SchoolSectionData.school_id == target.id))).all()
    if both:
        years = "、".join(f"{y} 年{s}" for y, s in sorted(both))
        raise OperationError(f"两校都有 {years} 的办学条件数据，不能合并。请先重新导入该年度数据（只保留一所学校），再合并。")
    t_insp = set(db.session.scalars(db.select(Visit.inspection_id).where(Visit.school_id == target.id)))
    t_insp |= set(db.session.scalars(db.select(CheckRecord.inspection_id).where(
        CheckRecord.subject_type.in_(SCHOOL_SUBJECTS), CheckRecord.subject_id == target.id)))
    s_insp = set(db.session.scalars(db.select(Visit.inspection_id).where(Visit.school_id == source.id)))
    s_insp |= set(db.session.scalars(db.select(CheckRecord.inspection_id).where(
        CheckRecord.subject_type.in_(SCHOOL_SUBJECTS), CheckRecord.subject_id == source.id)))
    s_insp |= set(db.session.scalars(db.select(Photo.inspection_id).where(Photo.school_id == source.id)))
    s_insp |= set(db.session.scalars(db.select(Interview.inspection_id).where(Interview.school_id == source.id)))
    common = t_insp & s_insp
    if common:
        titles = "、".join(db.session.scalars(db.select(Inspection.title).where(Inspection.id.in_(common))))
        raise OperationError(f"两校都在同一次检查中安排或检查过（{titles}），不能合并。")
    locked = db.session.scalars(db.select(Inspection.title).where(Inspection.id.in_(s_insp), Inspection.locked.is_(True))).all()
    if locked:
        raise OperationError(f"「{source.name}」在已签发锁定的检查中有记录（{'、'.join(locked)}），不能合并。")

    def count(model, *where):
        return db.session.scalar(db.select(db.func.count()).select_from(model).where(*where)) or 0

    return {
        "办学条件数据（学段·年度）": count(SchoolSectionData, SchoolSectionData.school_id == source.id),
        "检查安排": count(Visit, Visit.school_id == source.id),
        "检查记录": count(CheckRecord, (CheckRecord.school_id == source.id) | (
            CheckRecord.subject_type.in_(SCHOOL_SUBJECTS) & (CheckRecord.subject_id == source.id))),
        "照片": count(Photo, Photo.school_id == source.id),
        "访谈": count(Interview, Interview.school_id == source.id),
        "问题（汇总与反馈）": count(SummaryProblem, SummaryProblem.school_id == source.id)
        + count(FeedbackProblem, FeedbackProblem.school_id == source.id),
        "所属教学点": count(School, School.parent_code == source.code),
    }


def merge_schools(actor, target, source):
    """Fold `source` (校区 B) into `target` (A): B's data, visits, records, photos, interviews and
    problems now point at A, B's 教学点 belong to A, and B is removed (its QR code stops working).
    Refused, with nothing changed, when both have data for the same year and 学段 or were both
    in the same inspection (see merge_plan). Earlier draws keep the names they drew (history)."""
    plan = merge_plan(target, source)
    sid, tid = source.id, target.id
    for model in (SchoolSectionData, Visit, Interview, SummaryProblem, FeedbackProblem):
        db.session.execute(db.update(model).where(model.school_id == sid).values(school_id=tid),
                           execution_options={"synchronize_session": False})
    for model in (CheckRecord, Photo):
        db.session.execute(db.update(model).where(model.subject_type.in_(SCHOOL_SUBJECTS), model.subject_id == sid)
                           .values(subject_id=tid), execution_options={"synchronize_session": False})
        db.session.execute(db.update(model).where(model.school_id == sid).values(school_id=tid),
                           execution_options={"synchronize_session": False})
    db.session.execute(db.update(School).where(School.parent_code == source.code).values(parent_code=target.code),
                       execution_options={"synchronize_session": False})
    before = _school_snapshot(source)
    audit(actor, "merge", "school", tid, f"{source.name}（{source.code}）并入 {target.name}（{target.code}）",
          {"merged": before}, {"into": _school_snapshot(target), "moved": plan})
    db.session.delete(source)
    db.session.flush()
    db.session.expire_all()
    return plan
