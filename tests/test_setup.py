"""Setting up an inspection, "my schools today", and the audit page."""
from app.timefmt import local_today
from app.extensions import db
from app.models import AuditEntry, Group, GroupMember, Inspection, InspectionMember, User, Visit
from tests.conftest import login, text_of


def test_lead_creates_an_inspection_and_bad_dates_store_nothing(client, demo):
    token = login(client, "lead")
    county = demo["county"]
    n = db.session.scalar(db.select(db.func.count(Inspection.id)))
    resp = client.post("/inspections/new", data={"csrf_token": token, "county_id": county.id, "standard_id": "basic-2012",
                                                 "level": "市级复核", "start_date": "2026-12-03", "end_date": "2026-12-01"})
    assert resp.status_code == 422 and "结束日期不能早于开始日期" in text_of(resp)
    assert db.session.scalar(db.select(db.func.count(Inspection.id))) == n
    resp = client.post("/inspections/new", data={"csrf_token": token, "county_id": county.id, "standard_id": "basic-2012",
                                                 "level": "市级复核", "start_date": "2026-12-01", "end_date": "2026-12-03"})
    assert resp.status_code == 302
    new = db.session.execute(db.select(Inspection).order_by(Inspection.id.desc())).scalars().first()
    assert new.title == "示范县义务教育基本均衡发展市级复核实地督导检查" and new.year == 2026
    member = db.session.execute(db.select(InspectionMember).filter_by(inspection_id=new.id)).scalar_one()
    assert member.user.username == "lead" and member.role == "team_lead"


def test_inspector_cannot_set_up(client, demo):
    login(client, "inspector1")
    assert client.get("/inspections/new").status_code == 403
    assert client.get(f"/inspections/{demo['inspection'].id}/setup").status_code == 403


def test_team_lead_forms_groups_and_assigns_today(client, demo):
    iid = demo["inspection"].id
    token = login(client, "lead")
    users = {u.username: u for u in db.session.scalars(db.select(User))}
    # a new user becomes a member, then the lead of a third group
    new_user = User(username="inspector5", name="周督学", role="inspector")
    new_user.set_password("demo1234")
    db.session.add(new_user)
    db.session.commit()
    client.post(f"/inspections/{iid}/setup/member_add", data={"csrf_token": token, "user_id": new_user.id, "role": "member"})
    client.post(f"/inspections/{iid}/setup/group_add", data={"csrf_token": token, "name": "第三组", "lead_user_id": new_user.id,
                                                             "member_ids": [users["inspector4"].id]})
    group = db.session.execute(db.select(Group).filter_by(inspection_id=iid, name="第三组")).scalar_one()
    assert group.lead_user_id == new_user.id
    assert {m.user_id for m in group.members} == {new_user.id, users["inspector4"].id}
    school = next(s for s in demo["schools"] if s.id not in {v.school_id for v in demo["inspection"].visits})
    # an inspector who is not in the group cannot be assigned
    resp = client.post(f"/inspections/{iid}/setup/visit_save", data={
        "csrf_token": token, "school_id": school.id, "group_id": group.id, "inspector_id": users["inspector1"].id})
    assert "该督学不在所选小组中" in text_of(client.get(resp.headers["Location"]))
    assert db.session.execute(db.select(Visit).filter_by(inspection_id=iid, school_id=school.id)).scalar() is None
    client.post(f"/inspections/{iid}/setup/visit_save", data={
        "csrf_token": token, "school_id": school.id, "group_id": group.id, "inspector_id": new_user.id,
        "planned_date": local_today().isoformat()})
    visit = db.session.execute(db.select(Visit).filter_by(inspection_id=iid, school_id=school.id)).scalar_one()
    assert visit.inspector_id == new_user.id
    # removing the last team lead is refused
    resp = client.post(f"/inspections/{iid}/setup/member_remove", data={"csrf_token": token, "user_id": users["lead"].id})
    assert "不能移除唯一的检查组组长" in text_of(client.get(resp.headers["Location"]))
    assert db.session.execute(db.select(InspectionMember).filter_by(inspection_id=iid, role="team_lead")).scalar()
    # the audit page lists the changes with before → after, and filters narrow it
    page = text_of(client.get(f"/inspections/{iid}/audit"))
    assert "添加成员 周督学（检查组成员）" in page and "小组 第三组" in page and "检查学校 " + school.name in page
    only_groups = text_of(client.get(f"/inspections/{iid}/audit?entity=group"))
    assert "小组 第三组" in only_groups and "添加成员" not in only_groups
    client.post(f"/inspections/{iid}/setup/member_role", data={"csrf_token": token, "user_id": users["inspector4"].id,
                                                                "role": "office"})
    page = text_of(client.get(f"/inspections/{iid}/audit?entity=member&action=update"))
    assert "角色：检查组成员 → 督导办工作人员" in page
    client.post("/logout", data={"csrf_token": token})
    # the assigned inspector sees the school under today
    login(client, "inspector5")
    home = text_of(client.get("/"))
    assert "今天" in home and school.name in home
    assert home.index("今天") < home.index(school.name)


def test_csrf_required(client, demo):
    login(client, "lead")
    resp = client.post(f"/inspections/{demo['inspection'].id}/setup/group_add", data={"name": "X"})
    assert resp.status_code == 400
    assert db.session.scalar(db.select(db.func.count(GroupMember.id))) == 4
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(AuditEntry.entity == "group")) == 0
