"""The on-site procedure through its routes: draws, hearing, archives, departments, interviews,
group summaries, feedback, sign-off and the role rules."""
import re
import uuid

import pytest

from app.extensions import db
from app.models import (
    AuditEntry, CheckRecord, Department, Draw, Feedback, GroupSummary, HearingEntry, Inspection, InspectionMember,
    Interview, RecordConflict, User, Visit,
)
from tests.conftest import csrf_token, login, text_of


def u():
    return str(uuid.uuid4())


@pytest.fixture
def iid(demo):
    return demo["inspection"].id


def post(client, url, token, **data):
    return client.post(url, data=dict(data, csrf_token=token))


# ---------------------------------------------------------------- draws

def test_team_lead_draws_schools_and_anyone_verifies(client, demo, iid):
    token = login(client, "lead")
    resp = post(client, f"/inspections/{iid}/draws/schools", token, count="8", strata=["学段", "城乡类型"],
                require=["教学点", "一贯制"])
    assert resp.status_code == 302
    record = db.session.execute(db.select(Draw)).scalar_one()
    assert len(record.result["selected"]) == 8 and record.drawn_by.username == "lead" and len(record.seed) == 16
    kinds = {p["id"]: p["school_type"] for p in record.population}
    drawn = [kinds[i] for i in record.result["selected"]]
    assert "教学点" in drawn and any(k.endswith("一贯制学校") for k in drawn) and "特殊教育学校" not in drawn
    page = text_of(client.get(f"/inspections/{iid}/draws/{record.id}?verify=1"))
    assert "复核一致" in page and record.seed in page
    assert "抽取学校 8 所" in page and "分层：学段、城乡类型" in page and "至少抽取（县内有时）：教学点、一贯制" in page
    # a second draw is a new record beside the first
    post(client, f"/inspections/{iid}/draws/schools", token, count="8", strata=["学段"], require=["教学点"])
    assert db.session.scalar(db.select(db.func.count(Draw.id))) == 2
    # put the drawn schools on the visit list
    before = db.session.scalar(db.select(db.func.count(Visit.id)))
    post(client, f"/inspections/{iid}/draws/{record.id}/visits", token)
    visits = {v.school_id for v in db.session.scalars(db.select(Visit).filter_by(inspection_id=iid))}
    assert set(record.result["selected"]) <= visits and len(visits) >= before
    # a tampered record fails 复核
    record.result = dict(record.result, selected=list(reversed(record.result["selected"])))
    db.session.commit()
    assert "复核不一致" in text_of(client.get(f"/inspections/{iid}/draws/{record.id}?verify=1"))
    # an inspector may look and re-run, but not draw schools
    client.post("/logout", data={"csrf_token": token})
    token = login(client, "inspector1")
    assert "复核" in text_of(client.get(f"/inspections/{iid}/draws/{record.id}"))
    assert post(client, f"/inspections/{iid}/draws/schools", token, count="5").status_code == 403


def test_interviewee_draws_from_a_pasted_roster_and_seats(client, demo, iid):
    token = login(client, "inspector1")
    roster = "\n".join(f"教师{i},教师" for i in range(1, 21))
    post(client, f"/inspections/{iid}/draws/interviewees", token, roster_text=roster, count="4")
    record = db.session.execute(db.select(Draw).filter_by(kind="interviewees")).scalar_one()
    assert len(record.population) == 20 and len(record.result["selected"]) == 4
    page = text_of(client.get(f"/inspections/{iid}/draws/{record.id}"))
    assert page.count("（教师）") == 4
    post(client, f"/inspections/{iid}/draws/seats", token, classes="三年级1班，四年级2班", seats="40", count="4", per_class="2")
    seats = db.session.execute(db.select(Draw).filter_by(kind="seats")).scalar_one()
    assert len(seats.result["selected"]) == 4
    assert "复核一致" in text_of(client.get(f"/inspections/{iid}/draws/{seats.id}?verify=1"))
    resp = post(client, f"/inspections/{iid}/draws/interviewees", token, roster_text="", count="4")
    assert "未抽取" in text_of(client.get(resp.headers["Location"]))


# ---------------------------------------------------------------- capture records

def test_hearing_entry_idempotent_versioned_and_conflict_kept(client, demo, iid):
    token = login(client, "inspector1")
    key = u()
    data = dict(client_uuid=key, question="大班额如何消除？", asked_by="李组长", answer="新建两所学校", judgement="一般")
    r1 = client.post(f"/inspections/{iid}/hearing/entries", data=dict(data, csrf_token=token), headers={"HX-Request": "true"})
    r2 = client.post(f"/inspections/{iid}/hearing/entries", data=dict(data, csrf_token=token), headers={"HX-Request": "true"})
    assert r1.status_code == r2.status_code == 200
    entry = db.session.execute(db.select(HearingEntry)).scalar_one()
    assert entry.version == 1 and entry.author.username == "inspector1"
    assert 'id="hearing-new"' in r1.get_data(as_text=True)  # a fresh form comes back
    # two edits from version 1: the later wins, the earlier state is kept as a conflict
    post(client, f"/inspections/{iid}/hearing/entries/{entry.id}", token, client_uuid=u(), base_version="1",
         question=entry.question, judgement="较好", answer="A")
    post(client, f"/inspections/{iid}/hearing/entries/{entry.id}", token, client_uuid=u(), base_version="1",
         question=entry.question, judgement="差", answer="B")
    db.session.expire_all()
    entry = db.session.get(HearingEntry, entry.id)
    assert entry.version == 3 and entry.judgement == "差"
    conflict = db.session.execute(db.select(RecordConflict).filter_by(kind="hearing_entry")).scalar_one()
    assert conflict.overwritten["judgement"] == "较好"
    # a bad judgement is refused in Chinese, nothing stored
    resp = client.post(f"/inspections/{iid}/hearing/entries", data=dict(csrf_token=token, client_uuid=u(), question="Q",
                       judgement="优秀"), headers={"HX-Request": "true"})
    assert resp.status_code == 422 and "请选择评价" in text_of(resp)
    assert db.session.scalar(db.select(db.func.count(HearingEntry.id))) == 1


def test_archives_departments_interviews(client, demo, iid):
    token = login(client, "inspector1")
    county_id = demo["county"].id
    resp = client.post(f"/inspections/{iid}/records/archive_county/{county_id}/items/CA-G9",
                       data=dict(csrf_token=token, client_uuid=u(), verdict="缺失", note="无培训学时统计"),
                       headers={"HX-Request": "true"})
    assert resp.status_code == 200
    rec = db.session.execute(db.select(CheckRecord).filter_by(subject_type="archive_county")).scalar_one()
    assert rec.indicator_code == "G9" and rec.verdict == "缺失"
    # an archive answer must be 齐全/不全/缺失
    resp = client.post(f"/inspections/{iid}/records/archive_county/{county_id}/items/CA-G1",
                       data=dict(csrf_token=token, client_uuid=u(), verdict="达标"), headers={"HX-Request": "true"})
    assert resp.status_code == 422 and "齐全、不全、缺失" in text_of(resp)
    school = demo["inspection"].visits[0].school
    page = text_of(client.get(f"/inspections/{iid}/archives/schools/{school.id}"))
    assert "入学机会" in page and "保障机制" not in page  # the school's four parts
    assert "保障机制" in text_of(client.get(f"/inspections/{iid}/archives"))

    page = text_of(client.get(f"/inspections/{iid}/departments"))
    for name in ("编办", "发改", "财政", "人社", "自然资源", "住建", "教育"):
        assert name in page
    dep = db.session.execute(db.select(Department).filter_by(inspection_id=iid, name="财政")).scalar_one()
    resp = client.post(f"/inspections/{iid}/records/department/{dep.id}/items/G7",
                       data=dict(csrf_token=token, client_uuid=u(), verdict="不达标", note="特教生均公用经费 5000 元"),
                       headers={"HX-Request": "true"})
    assert resp.status_code == 200
    resp = client.post(f"/inspections/{iid}/departments/{dep.id}/check", headers={"HX-Request": "true"},
                       data=dict(csrf_token=token, client_uuid=u(), base_version=str(dep.version), verdict="不达标",
                                 documents_seen="财教〔2025〕12号"))
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.get(Department, dep.id).verdict == "不达标"
    post(client, f"/inspections/{iid}/departments", token, name="残联", indicators=["Q2"])
    assert db.session.execute(db.select(Department).filter_by(inspection_id=iid, name="残联")).scalar_one().indicator_codes == ["Q2"]

    key = u()
    form = dict(client_uuid=key, interviewee_type="家长", interviewee="五年级家长", school_id=str(school.id),
                answer_0="是，步行十分钟", satisfaction="不满意", note="反映午餐质量")
    post(client, f"/inspections/{iid}/interviews", token, **form)
    post(client, f"/inspections/{iid}/interviews", token, **form)  # the same submission again
    row = db.session.execute(db.select(Interview)).scalar_one()
    assert row.answers == {"孩子是否就近入学？上学路程需要多长时间？": "是，步行十分钟"}
    assert row.group_id == demo["inspection"].groups[0].id
    page = text_of(client.get(f"/inspections/{iid}/interviews"))
    assert "家长 1 0 0 1 0.0%" in page


# ---------------------------------------------------------------- roles

def test_role_rules(client, demo, iid, app):
    # another inspection of the same county, inspector1 not a member
    other = Inspection(county_id=demo["county"].id, standard_id="quality-2017", level="市级复核", title="另一次检查",
                       status="running")
    db.session.add(other)
    db.session.flush()
    db.session.add(InspectionMember(inspection_id=other.id, user_id=db.session.execute(
        db.select(User).filter_by(username="lead")).scalar_one().id, role="team_lead"))
    db.session.commit()
    token = login(client, "inspector1")
    resp = post(client, f"/inspections/{other.id}/hearing/entries", token, client_uuid=u(), question="Q", judgement="好")
    assert resp.status_code == 403
    assert db.session.scalar(db.select(db.func.count(HearingEntry.id))) == 0
    # only a group lead submits a summary: inspector2 is in 第一组 but not its lead
    g1 = demo["inspection"].groups[0]
    client.post("/logout", data={"csrf_token": token})
    token = login(client, "inspector2")
    assert post(client, f"/inspections/{iid}/groups/{g1.id}/summary/submit", token, confirm="1").status_code == 403
    assert post(client, f"/inspections/{iid}/groups/{g1.id}/summary/sync", token).status_code == 403
    # only the team lead signs off
    assert post(client, f"/inspections/{iid}/feedback/sign", token, confirm="1").status_code == 403
    client.post("/logout", data={"csrf_token": token})
    token = login(client, "inspector1")  # a group lead, not the team lead
    assert post(client, f"/inspections/{iid}/feedback/sign", token, confirm="1").status_code == 403
    assert db.session.get(Inspection, iid).locked is False


def test_summary_collects_exactly_the_groups_problems_and_feedback_counts(client, demo, iid):
    inspection = demo["inspection"]
    g1, g2 = inspection.groups
    school1 = next(v.school for v in inspection.visits if v.group_id == g1.id)
    school2 = next(v.school for v in inspection.visits if v.group_id == g2.id)
    t1 = login(client, "inspector2")  # member of 第一组
    post(client, f"/inspections/{iid}/schools/{school1.id}/items/G5", t1, client_uuid=u(), verdict="不达标", note="58人")
    post(client, f"/inspections/{iid}/schools/{school1.id}/items/R1", t1, client_uuid=u(), verdict="达标")
    post(client, f"/inspections/{iid}/records/archive_county/{demo['county'].id}/items/CA-G11", t1, client_uuid=u(),
         verdict="不全", note="缺 2024 年名单")
    post(client, f"/inspections/{iid}/interviews", t1, client_uuid=u(), interviewee_type="教师", satisfaction="不满意")
    post(client, f"/inspections/{iid}/interviews", t1, client_uuid=u(), interviewee_type="学生", satisfaction="满意")
    post(client, f"/inspections/{iid}/hearing/entries", t1, client_uuid=u(), question="编外教师？", judgement="差")
    post(client, f"/inspections/{iid}/hearing/entries", t1, client_uuid=u(), question="经费？", judgement="好")
    client.post("/logout", data={"csrf_token": t1})
    t3 = login(client, "inspector3")  # lead of 第二组
    post(client, f"/inspections/{iid}/schools/{school2.id}/items/Q8", t3, client_uuid=u(), verdict="存疑", note="作业多")
    post(client, f"/inspections/{iid}/schools/{school2.id}/visit/finish", t3, confirm="1")
    post(client, f"/inspections/{iid}/groups/{g2.id}/summary/sync", t3)
    post(client, f"/inspections/{iid}/groups/{g2.id}/summary/submit", t3, confirm="1")
    client.post("/logout", data={"csrf_token": t3})

    t = login(client, "inspector1")  # lead of 第一组
    post(client, f"/inspections/{iid}/groups/{g1.id}/summary/sync", t)
    summary = db.session.execute(db.select(GroupSummary).filter_by(group_id=g1.id)).scalar_one()
    kinds = sorted((p.source_kind, p.indicator_code) for p in summary.problems)
    assert kinds == [("check_record", "G11"), ("check_record", "G5"), ("hearing_entry", None), ("interview", None)]
    # syncing again adds nothing; edited wording is kept
    p_g5 = next(p for p in summary.problems if p.indicator_code == "G5")
    post(client, f"/inspections/{iid}/groups/{g1.id}/summary/problems/{p_g5.id}", t, text="五年级二班班额58人，超标", is_key="1")
    post(client, f"/inspections/{iid}/groups/{g1.id}/summary/sync", t)
    db.session.expire_all()
    summary = db.session.get(GroupSummary, summary.id)
    assert len(summary.problems) == 4
    assert next(p for p in summary.problems if p.id == p_g5.id).text == "五年级二班班额58人，超标"
    # merge the hearing problem into the interview one
    hearing_p = next(p for p in summary.problems if p.source_kind == "hearing_entry")
    interview_p = next(p for p in summary.problems if p.source_kind == "interview")
    post(client, f"/inspections/{iid}/groups/{g1.id}/summary/problems/{hearing_p.id}", t, merge_into=str(interview_p.id))
    page = client.get(f"/inspections/{iid}/groups/{g1.id}/summary").get_data(as_text=True)
    assert f"/schools/{school1.id}#item-G5" in page and "陈督学" in page  # link back to the record and its author
    post(client, f"/inspections/{iid}/groups/{g1.id}/summary/submit", t, confirm="1")
    db.session.expire_all()
    assert db.session.get(GroupSummary, summary.id).status == "submitted"
    # a submitted summary is read-only
    post(client, f"/inspections/{iid}/groups/{g1.id}/summary/problems/{p_g5.id}", t, text="改")
    db.session.expire_all()
    assert db.session.get(GroupSummary, summary.id).problems[0].text != "改"
    client.post("/logout", data={"csrf_token": t})

    t = login(client, "lead")
    post(client, f"/inspections/{iid}/feedback/import", t)
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar_one()
    assert len(fb.problems) == 4  # 3 of 第一组 (one merged) + 1 of 第二组
    merged = next(p for p in fb.problems if p.evidence and len(p.evidence) == 2)
    assert {e["kind"] for e in merged.evidence} == {"interview", "hearing_entry"}
    assert {p.part for p in fb.problems} == {"G", "Q", "其他"}
    post(client, f"/inspections/{iid}/feedback/import", t)  # importing twice adds nothing
    db.session.expire_all()
    assert len(db.session.execute(db.select(Feedback)).scalar_one().problems) == 4
    page = text_of(client.get(f"/inspections/{iid}/feedback"))
    assert f"检查记录 {db.session.scalar(db.select(db.func.count(CheckRecord.id)))} 条" in page
    assert "实地访谈 2 人（教师 1、学生 1），满意率 50.0%" in page
    assert f"计划检查 {len(demo['inspection'].visits)} 所，实地检查 2 所" in page  # two schools answered
    assert "答辩问答 2 条" in page

    # sign-off needs a conclusion; a veto forbids 通过
    resp = post(client, f"/inspections/{iid}/feedback/sign", t, confirm="1")
    assert "请先选择结论" in text_of(client.get(resp.headers["Location"]))
    post(client, f"/inspections/{iid}/feedback/save", t, conclusion="通过", veto_V3="1")
    assert "不能为「通过」" in text_of(client.get(f"/inspections/{iid}/feedback"))
    post(client, f"/inspections/{iid}/feedback/save", t, conclusion="整改后复核", achievements="经费保障有力")
    post(client, f"/inspections/{iid}/feedback/sign", t, confirm="1")
    db.session.expire_all()
    inspection = db.session.get(Inspection, iid)
    fb = db.session.execute(db.select(Feedback)).scalar_one()
    assert inspection.locked and fb.figures["records"] == db.session.scalar(db.select(db.func.count(CheckRecord.id)))
    assert fb.figures["interviews_by_type"] == {"教师": 1, "学生": 1}
    client.post("/logout", data={"csrf_token": t})

    # a locked inspection refuses edits
    t = login(client, "inspector2")
    resp = post(client, f"/inspections/{iid}/schools/{school1.id}/items/G5", t, client_uuid=u(), verdict="达标")
    assert resp.status_code == 403
    assert post(client, f"/inspections/{iid}/interviews", t, client_uuid=u(), interviewee_type="教师",
                satisfaction="满意").status_code == 403
    client.post("/logout", data={"csrf_token": t})
    # reopening needs the team lead and leaves an audit entry
    t = login(client, "lead")
    post(client, f"/inspections/{iid}/feedback/reopen", t, reason="补充访谈记录")
    db.session.expire_all()
    assert db.session.get(Inspection, iid).locked is False
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="reopen")).scalar_one()
    assert entry.user.username == "lead" and "补充访谈记录" in entry.summary


def test_step_progress_on_the_inspection_page(client, demo, iid):
    t = login(client, "inspector1")
    post(client, f"/inspections/{iid}/hearing/entries", t, client_uuid=u(), question="Q", judgement="差")
    page = text_of(client.get(f"/inspections/{iid}"))
    assert "问答 1 条，评价一般或差 1 条" in page
    assert re.search(r"县级档案 0/\d+ 项", page)
    assert "已提交小组汇总 0/2 个" in page


def test_class_sizes_and_rooms_measured_on_site(client, demo, iid):
    t = login(client, "inspector1")
    visit = next(v for v in demo["inspection"].visits if v.school.school_type == "九年一贯制学校")
    school = visit.school
    url = f"/inspections/{iid}/schools/{school.id}/items/G5"
    resp = client.post(url, headers={"HX-Request": "true"}, data=dict(
        csrf_token=t, client_uuid=u(), verdict="不达标", measure_label_0="三年级1班", measure_value_0="44",
        measure_label_1="五年级2班", measure_value_1="58", measure_label_2="八年级1班", measure_value_2="48"))
    assert resp.status_code == 200
    rec = db.session.execute(db.select(CheckRecord).filter_by(item_code="G5")).scalar_one()
    assert [(r["label"], r["limit"], r["ok"]) for r in rec.measurements] == [
        ("三年级1班", 45, True), ("五年级2班", 45, False), ("八年级1班", 50, True)]
    assert rec.observed_value == "58人"
    assert "不符合：五年级2班 58人" in text_of(resp)
    resp = client.post(f"/inspections/{iid}/schools/{school.id}/items/G3.1", headers={"HX-Request": "true"}, data=dict(
        csrf_token=t, client_uuid=u(), verdict="不达标", measure_label_0="音乐教室一", measure_value_0="88"))
    rec = db.session.execute(db.select(CheckRecord).filter_by(item_code="G3.1")).scalar_one()
    assert rec.measurements[0]["limit"] == 96 and rec.measurements[0]["ok"] is False
    resp = client.post(url, headers={"HX-Request": "true"}, data=dict(
        csrf_token=t, client_uuid=u(), verdict="达标", measure_label_0="一班", measure_value_0="很多"))
    assert resp.status_code == 422 and "第 1 行实测值「很多」不是数字" in text_of(resp)
    db.session.expire_all()
    assert db.session.execute(db.select(CheckRecord).filter_by(item_code="G5")).scalar_one().version == 1


def test_group_lead_resolves_a_conflict(client, demo, iid):
    school = demo["inspection"].visits[0].school
    t = login(client, "inspector2")
    url = f"/inspections/{iid}/schools/{school.id}/items/Q5"
    post(client, url, t, client_uuid=u(), verdict="达标", note="常态化使用")
    post(client, url, t, client_uuid=u(), verdict="存疑", note="只见一节课使用", base_version="1")
    client.post("/logout", data={"csrf_token": t})
    t = login(client, "inspector1")
    post(client, url, t, client_uuid=u(), verdict="不达标", note="设备闲置", base_version="1")  # stale: edited from v1
    conflict = db.session.execute(db.select(RecordConflict)).scalar_one()
    assert conflict.overwritten["note"] == "只见一节课使用" and conflict.incoming["note"] == "设备闲置"
    page = text_of(client.get(f"/inspections/{iid}/conflicts"))
    assert "只见一节课使用" in page and "设备闲置" in page
    post(client, f"/inspections/{iid}/conflicts/{conflict.id}", t, resolution="restored")  # inspector1 leads 第一组
    db.session.expire_all()
    rec = db.session.execute(db.select(CheckRecord).filter_by(item_code="Q5")).scalar_one()
    assert rec.verdict == "存疑" and rec.note == "只见一节课使用" and rec.version == 4
    assert db.session.get(RecordConflict, conflict.id).resolution == "restored"
    client.post("/logout", data={"csrf_token": t})
    t = login(client, "inspector2")  # not a lead
    assert post(client, f"/inspections/{iid}/conflicts/{conflict.id}", t, resolution="kept").status_code == 403
