"""The demo county: ~30 schools of every kind, a running inspection with two groups, and the
users admin, lead, inspector1…inspector4 (password demo1234)."""
import random
from datetime import date, timedelta

from .extensions import db
from .models import County, Group, GroupMember, Inspection, InspectionMember, School, User, Visit

DEMO_PASSWORD = "demo1234"
DEMO_USERS = [
    ("admin", "王督导办", "admin"),
    ("lead", "李组长", "lead"),
    ("inspector1", "张督学", "inspector"),
    ("inspector2", "陈督学", "inspector"),
    ("inspector3", "刘督学", "inspector"),
    ("inspector4", "杨督学", "inspector"),
]

TOWNS = ["城关", "新华", "青山", "河口", "柳林", "石桥", "龙泉", "白马", "金沙", "临江", "桃源", "双河"]


def demo_schools(rng):
    """(code suffix, name, 办学类型, 城乡类型, parent suffix) for the demo county."""
    rows = []
    n = 1
    def add(name, kind, ur, parent=None):
        nonlocal n
        rows.append((f"{n:04d}", name, kind, ur, parent))
        n += 1
    for i, town in enumerate(TOWNS[:9]):
        add(f"{town}小学", "小学", "城区" if i < 3 else ("镇区" if i < 6 else "乡村"))
    for i, town in enumerate(TOWNS[:6]):
        add(f"{town}中学", "初中", "城区" if i < 2 else ("镇区" if i < 4 else "乡村"))
    for town in TOWNS[6:10]:
        add(f"{town}九年一贯制学校", "九年一贯制学校", "乡村" if town != "龙泉" else "镇区")
    add("县第一中学", "完全中学", "城区")
    add("实验学校", "十二年一贯制学校", "城区")
    parents = [r[0] for r in rows if r[2] in ("小学", "九年一贯制学校") and r[3] == "乡村"]
    for j, town in enumerate(["上坝", "下坝", "岩口", "松林", "杨柳", "沙湾", "高峰"]):
        add(f"{town}教学点", "教学点", "乡村", rng.choice(parents))
    add("县特殊教育学校", "特殊教育学校", "城区")
    add("城南小学", "小学", "城区")
    return rows


SECTION_OF = {"小学": ["小学"], "教学点": ["小学"], "初中": ["初中"], "完全中学": ["初中"],
              "九年一贯制学校": ["小学", "初中"], "十二年一贯制学校": ["小学", "初中"], "特殊教育学校": ["小学"]}


def synthetic_rows(schools, rng):
    """Plausible template rows (English keys, see school-data.json) for (code, name, 办学类型,
    城乡类型, parent code) tuples: most sections near or above the quality-2017 thresholds, some
    short, as in a real county. Used by the demo, the tests and bench/metrics.py."""
    rows = []
    for code, name, kind, ur, parent in schools:
        for section in SECTION_OF[kind]:
            if kind == "教学点":
                students = rng.randint(20, 95)
            elif kind == "特殊教育学校":
                students = rng.randint(60, 150)
            else:
                students = rng.randint(150, 1400) if ur != "乡村" else rng.randint(80, 600)
            junior = section == "初中"
            q = rng.uniform(0.8, 1.5)  # this school's overall level
            size = max(30, min(50 if junior else 45, int(rng.gauss(40 if ur == "城区" else 32, 5))))
            classes = max(1, round(students / size))
            teachers = max(2, round(students / rng.uniform(12, 17)))
            def per100(base):
                return min(teachers, max(0, round(students * base * q * rng.uniform(0.85, 1.2) / 100)))
            rows.append({
                "code": code, "name": name, "section": section, "school_type": kind, "urban_rural": ur,
                "parent_code": parent or "", "students": students, "classes": classes,
                "max_class": size + rng.randint(0, 6), "teachers": teachers,
                "qualified_teachers": per100(5.6 if junior else 4.6), "key_teachers": per100(1.2),
                "pe_art_teachers": per100(1.0), "senior_teachers": min(teachers, round(teachers * rng.uniform(0.3, 0.7))),
                "teaching_area": round(students * (6.2 if junior else 4.9) * q * rng.uniform(0.85, 1.15), 1),
                "sports_area": round(students * (11 if junior else 8.2) * q * rng.uniform(0.8, 1.2), 1),
                "equipment_value": round(students * (2700 if junior else 2200) * q * rng.uniform(0.8, 1.25) / 10000, 2),
                "multimedia_rooms": max(1, round(students * (2.6 if junior else 2.5) * q / 100)),
                "computers": round(students * rng.uniform(0.1, 0.2)), "books": round(students * rng.uniform(25, 45)),
                "music_rooms": max(1, classes // 12), "art_rooms": max(1, classes // 12),
            })
    return rows


def build_demo(county_code="510999", seed=2025):
    """Create the demo data; returns a dict describing it. Refuses to run twice."""
    if db.session.execute(db.select(County).filter_by(code=county_code)).scalar():
        raise RuntimeError(f"示范数据已存在（县代码 {county_code}）。")
    rng = random.Random(seed)
    users = {}
    for username, name, role in DEMO_USERS:
        user = db.session.execute(db.select(User).filter_by(username=username)).scalar()
        if user is None:
            user = User(username=username, name=name, role=role)
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
        users[username] = user
    county = County(code=county_code, name="示范县", province="四川省", city="示范市")
    db.session.add(county)
    schools = []
    for suffix, name, kind, ur, parent in demo_schools(rng):
        school = School(
            county=county, code=f"{county_code[:4]}99{suffix}", name=name, school_type=kind, urban_rural=ur,
            parent_code=f"{county_code[:4]}99{parent}" if parent else None,
        )
        db.session.add(school)
        schools.append(school)
    from flask import current_app

    from .timefmt import local_today

    start = local_today(current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    db.session.flush()
    from .school_import import store_rows

    codes = [(s.code, s.name, s.school_type, s.urban_rural, s.parent_code) for s in schools]
    rows = synthetic_rows(codes, rng)
    for i, r in enumerate(rows):
        r["row"] = i + 2
    from .school_data import find_warnings, frame_from_rows

    warnings = find_warnings(frame_from_rows(rows))
    store_rows(county, start.year - 1, rows, warnings, user=users["admin"], filename="示范县学校数据.xlsx")
    inspection = Inspection(
        county=county, standard_id="quality-2017", level="省级评估", year=start.year,
        title=f"示范县义务教育优质均衡发展省级评估实地督导检查", start_date=start,
        end_date=start + timedelta(days=2), status="running", current_step=3,
    )
    db.session.add(inspection)
    db.session.add(InspectionMember(inspection=inspection, user=users["lead"], role="team_lead"))
    db.session.add(InspectionMember(inspection=inspection, user=users["admin"], role="office"))
    for k in range(1, 5):
        db.session.add(InspectionMember(inspection=inspection, user=users[f"inspector{k}"], role="member"))
    g1 = Group(inspection=inspection, name="第一组", lead=users["inspector1"])
    g2 = Group(inspection=inspection, name="第二组", lead=users["inspector3"])
    db.session.add_all([g1, g2])
    for g, names in ((g1, ("inspector1", "inspector2")), (g2, ("inspector3", "inspector4"))):
        for uname in names:
            db.session.add(GroupMember(group=g, user=users[uname]))
    visit_schools = [s for s in schools if s.school_type != "特殊教育学校"][::3][:10]
    for i, s in enumerate(visit_schools):
        group = g1 if i % 2 == 0 else g2
        inspector = users["inspector1" if group is g1 else "inspector3"] if i % 4 < 2 else users["inspector2" if group is g1 else "inspector4"]
        db.session.add(Visit(inspection=inspection, school=s, group=group, inspector=inspector,
                             planned_date=start + timedelta(days=i // 5)))
    db.session.commit()
    return {"county": county, "inspection": inspection, "schools": schools, "users": users}
