"""Conflicts of every kind, not only check items: a stale save by B over A's interview, hearing
entry, department check or group summary is stored, A sees the notice on that row the next time
the page shows it, 修改冲突 names A as the overwritten author, and the lead can restore a group
summary's or the feedback's overwritten text (on a new version, audited)."""
import re
import uuid

import pytest

from app.extensions import db
from app.models import AuditEntry, Department, Feedback, GroupSummary, HearingEntry, Interview, RecordConflict
from tests.conftest import login, text_of


def u():
    return str(uuid.uuid4())


def post(client, url, token, **data):
    return client.post(url, data=dict(data, csrf_token=token))


@pytest.fixture
def iid(demo):
    return demo["inspection"].id


def switch(client, token, username):
    client.post("/logout", data={"csrf_token": token})
    return login(client, username)


def the_conflict(kind):
    return db.session.execute(db.select(RecordConflict).filter_by(kind=kind)).scalar_one()


def notice_in(html, start_marker):
    """The conflict notice inside the form that starts at start_marker, or None."""
    form = html[html.index(start_marker):]
    form = form[:form.index("</form>")]
    m = re.search(r'<div class="flash flash-error conflict-notice"[^>]*>(.*?)</div>', form, re.S)
    return m.group(1) if m else None


def overwritten_author_on_conflicts_page(client, iid, cid):
    page = client.get(f"/inspections/{iid}/conflicts")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    section = html[html.index(f'id="conflict-{cid}"'):]
    m = re.search(r"<strong>被覆盖的内容</strong>（([^）]*)）", section)
    return m.group(1)


def test_interview_overwritten_by_a_stale_save_is_shown_to_its_last_editor(client, demo, iid):
    users = demo["users"]
    # inspector2 records the interview, inspector1 corrects it (v2): inspector1 is the last editor,
    # though inspector2 stays its author
    t = login(client, "inspector2")
    fields = dict(interviewee_type="学生", interviewee="五年级二班 12号", satisfaction="满意", note="乙的记录")
    post(client, f"/inspections/{iid}/interviews", t, client_uuid=u(), **fields)
    row = db.session.execute(db.select(Interview).filter_by(note="乙的记录")).scalar_one()
    t = switch(client, t, "inspector1")
    post(client, f"/inspections/{iid}/interviews/{row.id}", t, client_uuid=u(), base_version="1",
         **dict(fields, satisfaction="不满意", note="甲更正：食堂排队太久"))
    # inspector2, on the page as it was at v1, saves over it
    t = switch(client, t, "inspector2")
    post(client, f"/inspections/{iid}/interviews/{row.id}", t, client_uuid=u(), base_version="1",
         **dict(fields, note="乙没有看到甲的更正"))
    c = the_conflict("interview")
    assert c.overwritten["note"] == "甲更正：食堂排队太久" and c.overwritten["author_id"] == users["inspector1"].id
    # the one who overwrote sees no notice; the one overwritten does, on that interview
    assert notice_in(client.get(f"/inspections/{iid}/interviews/{row.id}").get_data(as_text=True),
                     'id="interview-form"') is None
    t = switch(client, t, "inspector1")
    notice = notice_in(client.get(f"/inspections/{iid}/interviews/{row.id}").get_data(as_text=True), 'id="interview-form"')
    assert notice and "不满意" in notice and users["inspector2"].name in notice and "修改冲突" in notice
    assert overwritten_author_on_conflicts_page(client, iid, c.id) == users["inspector1"].name


def test_hearing_entry_overwritten_shows_on_that_entry(client, demo, iid):
    users = demo["users"]
    t = login(client, "inspector1")
    post(client, f"/inspections/{iid}/hearing/entries", t, client_uuid=u(), question="大班额何时消除？", judgement="较好",
         note="甲的记录")
    entry = db.session.execute(db.select(HearingEntry).filter_by(note="甲的记录")).scalar_one()
    t = switch(client, t, "inspector2")
    post(client, f"/inspections/{iid}/hearing/entries/{entry.id}", t, client_uuid=u(), base_version="0",
         question="大班额何时消除？", judgement="差", note="乙没有看到甲的评价")
    c = the_conflict("hearing_entry")
    assert c.overwritten["author_id"] == users["inspector1"].id
    page = client.get(f"/inspections/{iid}/hearing").get_data(as_text=True)
    assert notice_in(page, f'id="entry-{entry.id}"') is None
    t = switch(client, t, "inspector1")
    page = client.get(f"/inspections/{iid}/hearing").get_data(as_text=True)
    notice = notice_in(page, f'id="entry-{entry.id}"')
    assert notice and "较好" in notice and "甲的记录" in notice and users["inspector2"].name in notice
    assert notice_in(page, 'id="hearing-new"') is None  # on that entry only
    assert overwritten_author_on_conflicts_page(client, iid, c.id) == users["inspector1"].name
    # once the lead has decided, the notice is gone
    t = switch(client, t, "lead")
    assert post(client, f"/inspections/{iid}/conflicts/{c.id}", t, resolution="kept").status_code == 302
    t = switch(client, t, "inspector1")
    assert notice_in(client.get(f"/inspections/{iid}/hearing").get_data(as_text=True), f'id="entry-{entry.id}"') is None


def test_department_check_overwritten_shows_on_its_overall_finding(client, demo, iid):
    users = demo["users"]
    dep = db.session.execute(db.select(Department).filter_by(inspection_id=iid)).scalars().first()
    url = f"/inspections/{iid}/departments/{dep.id}/check"
    base = str(dep.version)
    t = login(client, "inspector3")
    post(client, url, t, client_uuid=u(), base_version=base, verdict="不达标", note="丙：文件未落实")
    t = switch(client, t, "inspector4")
    post(client, url, t, client_uuid=u(), base_version=base, verdict="达标", note="丁没有看到丙的结论")
    c = the_conflict("department")
    assert c.overwritten["author_id"] == users["inspector3"].id
    t = switch(client, t, "inspector3")
    notice = notice_in(client.get(f"/inspections/{iid}/departments/{dep.id}").get_data(as_text=True), 'id="dep-check"')
    assert notice and "不达标" in notice and users["inspector4"].name in notice
    assert overwritten_author_on_conflicts_page(client, iid, c.id) == users["inspector3"].name


def test_group_summary_overwritten_shows_on_the_summary(client, demo, iid):
    users = demo["users"]
    group = demo["inspection"].groups[0]
    url = f"/inspections/{iid}/groups/{group.id}/summary"
    t = login(client, "inspector1")  # 第一组组长
    assert post(client, f"{url}/save", t, base_version="", covered="甲写的范围", strengths="", narrative="甲的综述").status_code == 302
    summary = db.session.execute(db.select(GroupSummary).filter_by(group_id=group.id)).scalar_one()
    assert summary.version == 2
    # the group is handed to inspector2, who saves from the version before inspector1's text
    group.lead_user_id = users["inspector2"].id
    db.session.commit()
    t = switch(client, t, "inspector2")
    post(client, f"{url}/save", t, base_version="1", covered="乙写的范围", strengths="", narrative="乙的综述")
    c = the_conflict("group_summary")
    assert c.overwritten["narrative"] == "甲的综述" and c.overwritten["author_id"] == users["inspector1"].id
    assert notice_in(client.get(url).get_data(as_text=True), "<h2>综述</h2>") is None
    t = switch(client, t, "inspector1")
    notice = notice_in(client.get(url).get_data(as_text=True), "<h2>综述</h2>")
    assert notice and "综述" in notice and users["inspector2"].name in notice
    page = client.get(f"/inspections/{iid}/conflicts")
    assert page.status_code == 200 and "小组汇总" in text_of(page)
    assert "综合情况：甲的综述" in text_of(page) and "narrative" not in text_of(page)  # fields as the form names them
    assert overwritten_author_on_conflicts_page(client, iid, c.id) == users["inspector1"].name


def test_restoring_a_group_summary_conflict_puts_the_text_back_on_a_new_version(client, demo, iid):
    group = demo["inspection"].groups[0]
    url = f"/inspections/{iid}/groups/{group.id}/summary/save"
    t = login(client, "inspector1")
    post(client, url, t, base_version="", covered="", strengths="", narrative="第一稿")
    post(client, url, t, base_version="1", covered="", strengths="", narrative="从旧版改的第二稿")  # stale: v2 existed
    c = the_conflict("group_summary")
    assert c.overwritten["narrative"] == "第一稿"
    t = switch(client, t, "lead")  # the team lead resolves every conflict
    resp = post(client, f"/inspections/{iid}/conflicts/{c.id}", t, resolution="restored")
    assert resp.status_code == 302
    db.session.expire_all()
    summary = db.session.execute(db.select(GroupSummary).filter_by(group_id=group.id)).scalar_one()
    assert summary.narrative == "第一稿" and summary.version == 4
    assert db.session.get(RecordConflict, c.id).resolution == "restored"
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="restore", entity="group_summary")).scalar_one()
    assert entry.entity_id == summary.id and entry.after["narrative"] == "第一稿"
    assert entry.before["narrative"] == "从旧版改的第二稿"


def test_restoring_a_feedback_conflict_puts_the_text_back_on_a_new_version(client, demo, iid):
    url = f"/inspections/{iid}/feedback/save"
    t = login(client, "lead")
    assert post(client, url, t, base_version="", overall="起草").status_code == 302
    base = str(db.session.execute(db.select(Feedback.version).filter_by(inspection_id=iid)).scalar_one())
    assert post(client, url, t, base_version=base, overall="甲拟的总体结论").status_code == 302
    post(client, url, t, base_version=base, overall="从旧版改的总体结论")
    c = the_conflict("feedback")
    assert c.overwritten["overall"] == "甲拟的总体结论" and c.overwritten["author_id"] == demo["users"]["lead"].id
    page = client.get(f"/inspections/{iid}/conflicts")
    assert page.status_code == 200 and "反馈意见" in text_of(page)
    assert overwritten_author_on_conflicts_page(client, iid, c.id) == demo["users"]["lead"].name
    resp = post(client, f"/inspections/{iid}/conflicts/{c.id}", t, resolution="restored")
    assert resp.status_code == 302
    db.session.expire_all()
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar_one()
    assert fb.overall == "甲拟的总体结论" and fb.version == c.base_version + 3
    entry = db.session.execute(db.select(AuditEntry).filter_by(action="restore", entity="feedback")).scalar_one()
    assert entry.entity_id == fb.id and entry.after["overall"] == "甲拟的总体结论"


def test_a_submitted_summary_takes_a_restore_only_after_it_is_returned(client, demo, iid):
    group = demo["inspection"].groups[0]
    base = f"/inspections/{iid}/groups/{group.id}/summary"
    t = login(client, "inspector1")
    post(client, f"{base}/save", t, base_version="", covered="", strengths="", narrative="第一稿")
    post(client, f"{base}/save", t, base_version="2", covered="", strengths="", narrative="第二稿")
    post(client, f"{base}/save", t, base_version="2", covered="", strengths="", narrative="从旧版改的第三稿")
    c = the_conflict("group_summary")
    assert post(client, f"{base}/submit", t, confirm="1").status_code == 302
    t = switch(client, t, "lead")
    resp = client.post(f"/inspections/{iid}/conflicts/{c.id}", data={"csrf_token": t, "resolution": "restored"},
                       follow_redirects=True)
    assert "小组汇总已提交" in text_of(resp)
    db.session.expire_all()
    summary = db.session.execute(db.select(GroupSummary).filter_by(group_id=group.id)).scalar_one()
    assert summary.narrative == "从旧版改的第三稿" and summary.status == "submitted"
    assert db.session.get(RecordConflict, c.id).resolved_at is None
    assert post(client, f"{base}/return", t).status_code == 302  # the team lead sends it back
    assert post(client, f"/inspections/{iid}/conflicts/{c.id}", t, resolution="restored").status_code == 302
    db.session.expire_all()
    assert db.session.get(GroupSummary, summary.id).narrative == "第二稿"
    assert db.session.get(RecordConflict, c.id).resolution == "restored"


def test_a_stale_save_over_a_row_that_holds_nothing_is_no_conflict(client, demo, iid):
    """A department's row and a group's summary are made empty with the inspection: a first save
    from a page older than that row overwrites no one's work, so there is nothing to resolve."""
    dep = db.session.execute(db.select(Department).filter_by(inspection_id=iid)).scalars().first()
    group = demo["inspection"].groups[0]
    t = login(client, "inspector1")
    resp = post(client, f"/inspections/{iid}/departments/{dep.id}/check", t, client_uuid=u(), base_version="0",
                verdict="达标", note="文件齐全")
    assert resp.status_code in (200, 302)
    summary = f"/inspections/{iid}/groups/{group.id}/summary/save"
    assert post(client, summary, t, base_version="0", covered="", strengths="", narrative="第一稿").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(RecordConflict.id))) == 0
    assert db.session.get(Department, dep.id).note == "文件齐全"
    assert db.session.execute(db.select(GroupSummary).filter_by(group_id=group.id)).scalar_one().narrative == "第一稿"
