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
    from .indicators.school_import import store_rows

    codes = [(s.code, s.name, s.school_type, s.urban_rural, s.parent_code) for s in schools]
    rows = synthetic_rows(codes, rng)
    for i, r in enumerate(rows):
        r["row"] = i + 2
    from .indicators.school_data import find_warnings, frame_from_rows

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
    db.session.flush()
    from .fieldwork.procedure import create_inspection_rows

    create_inspection_rows(inspection)
    visit_schools = [s for s in schools if s.school_type != "特殊教育学校"][::3][:10]
    for i, s in enumerate(visit_schools):
        group = g1 if i % 2 == 0 else g2
        inspector = users["inspector1" if group is g1 else "inspector3"] if i % 4 < 2 else users["inspector2" if group is g1 else "inspector4"]
        db.session.add(Visit(inspection=inspection, school=s, group=group, inspector=inspector,
                             planned_date=start + timedelta(days=i // 5)))
    db.session.commit()
    return {"county": county, "inspection": inspection, "schools": schools, "users": users}


def add_demo_activity(result):
    """Some fieldwork in the demo inspection so that every page has something to show: a draw, a
    hearing, archive answers, two schools partly checked, department checks and interviews.
    (Tests use build_demo() alone, so they start from an empty inspection.)"""
    from .fieldwork import draws as drawing
    from .fieldwork.draw_basics import new_seed
    from .models import Department, Draw, Hearing, HearingEntry, Interview
    from .models.base import utcnow
    from .fieldwork.operations import new_uuid, save_check_record, save_versioned
    from .routes.draws import school_population

    inspection, users = result["inspection"], result["users"]
    lead, i1, i3 = users["lead"], users["inspector1"], users["inspector3"]
    population = school_population(inspection)
    seed = new_seed()
    rule = drawing.normalize_school_rule({"count": 10})
    db.session.add(Draw(inspection_id=inspection.id, kind="schools", title="抽取检查学校（示范）", population=population,
                        rule=rule, seed=seed, result=drawing.run("schools", population, rule, seed),
                        algorithm=drawing.ALGORITHM, drawn_by_id=lead.id))
    hearing = Hearing(inspection_id=inspection.id, reporter="县长 王某某", held_at=utcnow(), author_id=lead.id,
                      summary="全县义务教育优质均衡发展推进情况汇报。")
    db.session.add(hearing)
    db.session.commit()
    for q, who, a, j in (("全县大班额何时全部消除？", "李组长", "计划明年秋季新建两所学校后消除。", "一般"),
                         ("教师交流轮岗比例是否达到10%？", "张督学", "2025年交流比例12%，骨干教师占23%。", "好"),
                         ("小规模学校公用经费如何保障？", "刘督学", "按100人核定，已足额拨付。", "较好")):
        save_versioned(kind="hearing_entry", model=HearingEntry, inspection=inspection, user=lead, client_uuid=new_uuid(),
                       values={"question": q, "asked_by": who, "answer": a, "judgement": j, "indicator_code": None, "note": ""},
                       create={"hearing_id": hearing.id}, label=q)
    county_id = inspection.county_id
    for code, verdict, note in (("CA-G1", "齐全", ""), ("CA-G9", "不全", "缺2024年培训学时统计"), ("CA-G11", "齐全", "")):
        item = inspection.standard.archive_items[code]
        save_check_record(inspection=inspection, user=i1, client_uuid=new_uuid(), subject_type="archive_county",
                          subject_id=county_id, item_code=code, indicator_code=item["indicator"], verdict=verdict,
                          note=note, verdicts=["齐全", "不全", "缺失"])
    for visit, user, answers in (
        (inspection.visits[0], i1, (("R5", "存疑", "3200", "实测运动场约3200㎡，少于填报面积"), ("G5", "不达标", "52", "六年级一班52人"),
                                    ("Q7", "达标", "", ""))),
        (inspection.visits[1], i3, (("G3.1", "达标", "1 / 98", ""), ("Q8", "存疑", "", "学生反映作业较多"))),
    ):
        for code, verdict, value, note in answers:
            item = inspection.standard.checklist_by_code[code]
            save_check_record(inspection=inspection, user=user, client_uuid=new_uuid(), subject_type="school",
                              subject_id=visit.school_id, item_code=code, indicator_code=item["indicator"],
                              verdict=verdict, observed_value=value, note=note, school_id=visit.school_id, visit=visit)
    for name, verdict, docs in (("财政", "达标", "县财政局关于义务教育经费保障的文件"), ("教育", "存疑", "教师交流轮岗名单（2025）")):
        dep = db.session.execute(db.select(Department).filter_by(inspection_id=inspection.id, name=name)).scalar_one()
        save_versioned(kind="department", model=Department, inspection=inspection, user=i3, client_uuid=new_uuid(),
                       record=dep, values={"documents_seen": docs, "verdict": verdict, "note": ""}, label=name)
    g1 = inspection.groups[0].id
    for kind, who, sat, note in (("教师", "三年级语文教师", "满意", ""), ("家长", "五年级学生家长", "基本满意", "希望延长课后服务"),
                                 ("学生", "六年级1班 12号", "满意", ""), ("家长", "四年级学生家长", "不满意", "放学时段校门口交通拥堵")):
        save_versioned(kind="interview", model=Interview, inspection=inspection, user=i1, client_uuid=new_uuid(),
                       values={"interviewee_type": kind, "interviewee": who, "school_id": inspection.visits[0].school_id,
                               "answers": {}, "satisfaction": sat, "note": note}, create={"group_id": g1}, label=kind)
