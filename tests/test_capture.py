"""Capture rules through the routes: JSON answers for the autosave client, UUIDs looked up within
their own inspection and user, finishing with eyes open (完成本校检查, 提交汇总, 签发), the
interview that keeps its school, and a scanned school that is not on the list."""
import io
import json
import uuid
from datetime import date

import pytest
from PIL import Image

from app.extensions import db
from app.models import CheckRecord, Inspection, InspectionMember, Photo, RecordConflict, School, Visit
from tests.conftest import login, text_of


def u():
    return str(uuid.uuid4())


def post(client, url, token, json_answer=False, **data):
    headers = {"Accept": "application/json"} if json_answer else {}
    return client.post(url, data=dict(data, csrf_token=token), headers=headers)


@pytest.fixture
def iid(demo):
    return demo["inspection"].id


def _school_of_group(demo, group_index=0):
    g = demo["inspection"].groups[group_index]
    return next(v.school for v in demo["inspection"].visits if v.group_id == g.id)


def _free_item(demo, school):
    answered = set(db.session.scalars(db.select(CheckRecord.item_code).filter_by(subject_id=school.id, subject_type="school")))
    return next(i["code"] for i in demo["inspection"].standard.checklist if not i.get("measure") and i["code"] not in answered)


def test_json_answer_tells_the_version_stored_and_a_replay_gets_the_same(client, demo, iid):
    school = _school_of_group(demo)
    code = _free_item(demo, school)
    t = login(client, "inspector1")
    url = f"/inspections/{iid}/schools/{school.id}/items/{code}"
    key = u()
    first = post(client, url, t, json_answer=True, client_uuid=key, verdict="不达标", note="实测58人")
    assert first.status_code == 200
    j = first.get_json()
    assert j["status"] == "created" and j["version"] == 1 and "第 1 版" in j["label"] and j["problem"] is True
    again = post(client, url, t, json_answer=True, client_uuid=key, verdict="不达标", note="实测58人")
    assert again.get_json()["status"] == "replay" and again.get_json()["version"] == 1
    bad = post(client, url, t, json_answer=True, client_uuid=u(), verdict="好")
    assert bad.status_code == 422 and "请选择结论" in bad.get_json()["error"]
    assert db.session.scalar(db.select(db.func.count(CheckRecord.id)).filter_by(item_code=code, subject_id=school.id)) == 1


def test_a_uuid_of_another_inspection_or_user_never_returns_its_data(client, demo, iid):
    school = _school_of_group(demo)
    code = _free_item(demo, school)
    other = Inspection(county=demo["county"], standard_id="quality-2017", level="县级自评", year=2026,
                       title="另一次检查", start_date=date(2026, 12, 1), end_date=date(2026, 12, 2), status="running",
                       current_step=3)
    db.session.add(other)
    db.session.add(InspectionMember(inspection=other, user=demo["users"]["inspector1"], role="member"))
    db.session.commit()
    t = login(client, "inspector1")
    key = u()
    post(client, f"/inspections/{other.id}/schools/{school.id}/items/{code}", t, json_answer=True,
         client_uuid=key, verdict="不达标", note="另一次检查的机密备注")
    # the same UUID sent to this inspection is refused, and says nothing of the other one
    resp = post(client, f"/inspections/{iid}/schools/{school.id}/items/{code}", t, json_answer=True,
                client_uuid=key, verdict="达标")
    assert resp.status_code == 422 and "客户端编号已被其他记录使用" in resp.get_json()["error"]
    assert "机密" not in resp.get_data(as_text=True)
    # another user replaying it is refused too
    client.post("/logout", data={"csrf_token": t})
    t2 = login(client, "inspector2")
    resp = post(client, f"/inspections/{iid}/schools/{school.id}/items/{code}", t2, json_answer=True,
                client_uuid=key, verdict="达标")
    assert resp.status_code == 422
    assert db.session.scalar(db.select(db.func.count(CheckRecord.id)).where(CheckRecord.inspection_id == iid,
                                                                           CheckRecord.item_code == code,
                                                                           CheckRecord.subject_id == school.id)) == 0


def test_a_stale_edit_is_kept_and_the_overwritten_sees_it(client, demo, iid):
    school = _school_of_group(demo)
    code = _free_item(demo, school)
    url = f"/inspections/{iid}/schools/{school.id}/items/{code}"
    t = login(client, "inspector1")
    post(client, url, t, client_uuid=u(), verdict="达标", note="甲的答案")
    client.post("/logout", data={"csrf_token": t})
    t = login(client, "inspector2")
    post(client, url, t, client_uuid=u(), verdict="不达标", note="乙没有看到甲的答案", base_version="")
    c = db.session.execute(db.select(RecordConflict)).scalar_one()
    assert c.base_version == 0 and c.overwritten["note"] == "甲的答案"
    assert "conflict-notice" not in client.get(f"/inspections/{iid}/schools/{school.id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": t})
    login(client, "inspector1")
    page = client.get(f"/inspections/{iid}/schools/{school.id}").get_data(as_text=True)
    item = page[page.index(f'id="item-{code}"'):]
    assert "conflict-notice" in item[:item.index("</form>")] and "甲的答案" in item[:item.index("</form>")]


def test_finishing_a_school_with_items_left_asks_first(client, demo, iid):
    school = _school_of_group(demo)
    t = login(client, "inspector1")
    url = f"/inspections/{iid}/schools/{school.id}/visit/finish"
    resp = post(client, url, t)
    assert resp.status_code == 200
    page = text_of(resp)
    assert "仍然完成本校检查" in page and "未作答的检查项" in page
    visit = db.session.execute(db.select(Visit).filter_by(inspection_id=iid, school_id=school.id)).scalar_one()
    assert visit.finished_at is None
    post(client, url, t, confirm="1")
    db.session.refresh(visit)
    assert visit.finished_at is not None


def test_photo_without_verdict_is_shown_counted_and_listed(client, demo, iid):
    school = _school_of_group(demo)
    code = _free_item(demo, school)
    t = login(client, "inspector1")
    img = io.BytesIO()
    Image.new("RGB", (400, 300), (90, 120, 60)).save(img, "JPEG")
    resp = client.post(f"/inspections/{iid}/photos", content_type="multipart/form-data", data={
        "csrf_token": t, "client_uuid": u(), "subject_type": "school", "subject_id": str(school.id),
        "item_code": code, "photo": (io.BytesIO(img.getvalue()), "a.jpg")})
    assert resp.status_code == 201
    page = client.get(f"/inspections/{iid}/schools/{school.id}").get_data(as_text=True)
    assert "有 1 项拍了照片但未选结论" in page and f'href="#item-{code}"' in page
    item = page[page.index(f'id="item-{code}"'):]
    assert "有照片，未选结论" in item[:item.index("</form>")]
    finish = text_of(post(client, f"/inspections/{iid}/schools/{school.id}/visit/finish", t))
    assert "拍了照片但未选结论" in finish and code in finish
    client.post("/logout", data={"csrf_token": t})
    t = login(client, "lead")
    sign = text_of(client.get(f"/inspections/{iid}/feedback/sign"))
    assert "拍了照片但未选结论" in sign and code in sign
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 1


def test_submitting_a_summary_with_schools_not_started_asks_first(client, demo, iid):
    g = demo["inspection"].groups[1]
    t = login(client, "inspector3")
    post(client, f"/inspections/{iid}/groups/{g.id}/summary/save", t, narrative="本组综述")
    resp = post(client, f"/inspections/{iid}/groups/{g.id}/summary/submit", t)
    page = text_of(resp)
    assert resp.status_code == 200 and "仍然提交" in page
    assert "没有开始检查的学校" in page or "检查中、没有完成的学校" in page
    from app.models import GroupSummary
    assert db.session.execute(db.select(GroupSummary).filter_by(group_id=g.id)).scalar_one().status == "draft"
    post(client, f"/inspections/{iid}/groups/{g.id}/summary/submit", t, confirm="1")
    assert db.session.execute(db.select(GroupSummary).filter_by(group_id=g.id)).scalar_one().status == "submitted"


def test_sign_off_shows_what_is_unfinished_and_needs_confirmation(client, demo, iid):
    t = login(client, "lead")
    post(client, f"/inspections/{iid}/feedback/save", t, conclusion="整改后复核")
    resp = post(client, f"/inspections/{iid}/feedback/sign", t)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/inspections/{iid}/feedback/sign")
    assert not db.session.get(Inspection, iid).locked
    page = text_of(client.get(f"/inspections/{iid}/feedback/sign"))
    assert "没有完成检查的学校" in page and "没有提交的小组汇总" in page and "第一组" in page
    assert "确认签发并锁定" in page
    post(client, f"/inspections/{iid}/feedback/sign", t, confirm="1")
    db.session.expire_all()
    assert db.session.get(Inspection, iid).locked


def test_interview_keeps_the_school_and_returns_to_it(client, demo, iid):
    school = _school_of_group(demo)
    t = login(client, "inspector1")
    chooser = client.get(f"/inspections/{iid}/interviews/new?school_id={school.id}&back=school").get_data(as_text=True)
    assert f"school_id={school.id}" in chooser and "back=school" in chooser
    form = client.get(f"/inspections/{iid}/interviews/new?type=家长&school_id={school.id}&back=school")
    assert f'<option value="{school.id}" selected>' in form.get_data(as_text=True)
    resp = post(client, f"/inspections/{iid}/interviews", t, client_uuid=u(), interviewee_type="家长",
                school_id=str(school.id), satisfaction="满意", back_to_school="1")
    assert resp.headers["Location"].endswith(f"/inspections/{iid}/schools/{school.id}")


def test_a_school_not_on_the_list_says_so_and_the_lead_adds_it(client, demo, iid):
    listed = {v.school_id for v in demo["inspection"].visits}
    school = db.session.execute(db.select(School).where(School.county_id == demo["county"].id,
                                                        School.id.not_in(listed))).scalars().first()
    t = login(client, "inspector2")
    page = text_of(client.get(f"/s/{school.qr_token}", follow_redirects=True))
    assert "不在本次检查的检查学校名单中" in page and "加入检查学校名单" not in page
    client.post("/logout", data={"csrf_token": t})
    t = login(client, "lead")
    page = text_of(client.get(f"/s/{school.qr_token}", follow_redirects=True))
    assert "加入检查学校名单" in page
    resp = post(client, f"/inspections/{iid}/setup/visit_save", t, school_id=str(school.id),
                group_id=str(demo["inspection"].groups[0].id), back="school")
    assert resp.headers["Location"].endswith(f"/inspections/{iid}/schools/{school.id}")
    assert db.session.execute(db.select(Visit).filter_by(inspection_id=iid, school_id=school.id)).scalar_one()
    assert "不在本次检查的检查学校名单中" not in text_of(client.get(resp.headers["Location"]))
