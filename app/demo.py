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
    start = date.today()
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
