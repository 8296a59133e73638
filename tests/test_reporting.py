"""数据填报审核 (issue 14 part 2): a school fills its form online, a reviewer sends it back or
approves it, and an approved school report becomes the year's SchoolSectionData."""
import random
import uuid

import pytest

from app.extensions import db
from app.models import AuditEntry, SchoolSectionData, User
from app.models.reporting import DataReport, ReportEvidence
from tests.conftest import csrf_token, login, text_of

JSON = {"Accept": "application/json"}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def rep(app, demo):
    """The demo plus an expert, reporter1 (城关小学, the first school) and reporter2 (another school)."""
    from app.reporting.demo import reporting_users

    users = dict(demo["users"], **reporting_users(demo, "demo1234"))
    other = User(username="reporter2", name="吴填报员", role="reporter", school_id=demo["schools"][1].id)
    other.set_password("demo1234")
    db.session.add(other)
    db.session.commit()
    users["reporter2"] = other
    year = db.session.execute(db.select(SchoolSectionData.year)).scalars().first()
    return dict(demo, users=users, school=demo["schools"][0], year=year)


def start(client, token, rep, standard="quality-2017"):
    resp = client.post("/reporting/start", data={"csrf_token": token, "level": "school", "school_id": rep["school"].id,
                                                 "year": rep["year"], "standard": standard})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return int(resp.location.rsplit("/", 1)[1])


def full_raw(rid):
    from app.reporting.demo import demo_raw

    report = db.session.get(DataReport, rid)
    db.session.refresh(report)
    return demo_raw(report, random.Random(1))


def save(client, token, rid, raw, base):
    data = dict(raw, csrf_token=token, client_uuid=str(uuid.uuid4()), base_version=str(base))
    return client.post(f"/reports/{rid}/save", data=data, headers=JSON)


def version(rid):
    r = db.session.get(DataReport, rid)
    db.session.refresh(r)
    return r.version


def switch(client, username):
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    return login(client, username)


def test_submit_return_resubmit_approve_writes_school_data(client, rep):
    school, year = rep["school"], rep["year"]
    imported = db.session.execute(db.select(SchoolSectionData).filter_by(school_id=school.id, year=year)).scalar_one()
    imported_id, imported_import = imported.id, imported.import_id
    t = login(client, "reporter1")
    home = text_of(client.get("/"))
    assert "本校数据填报" in home and school.name in home and "扫码进入学校" not in home
    rid = start(client, t, rep)
    page = text_of(client.get(f"/reports/{rid}"))
    assert "按督导办导入的" in page and "导入" in page and "教师队伍" in page and "小学 在校生数" in page
    report = db.session.get(DataReport, rid)
    assert report.values["小学.students"] == imported.students and report.status == "draft"

    # submit refuses while required fields are missing, naming them
    resp = client.post(f"/reports/{rid}/submit", data={"csrf_token": t})
    assert resp.status_code == 422
    assert "必填内容没有填写" in text_of(resp) and "建校年份" in text_of(resp)
    assert db.session.get(DataReport, rid).status == "draft"

    raw = full_raw(rid)
    raw["小学.students"] = "777"
    resp = save(client, t, rid, raw, version(rid))
    assert resp.status_code == 200 and resp.get_json()["ok"] and resp.get_json()["missing"] == 0
    assert resp.status_code == 200 and "已保存" in resp.get_json()["label"]
    assert client.post(f"/reports/{rid}/submit", data={"csrf_token": t}).status_code == 302
    assert db.session.get(DataReport, rid).status == "submitted"
    refused = save(client, t, rid, raw, version(rid))
    assert refused.status_code == 422 and "待审核" in refused.get_json()["error"]

    t = switch(client, "expert")
    listing = text_of(client.get(f"/reporting/counties/{rep['county'].code}?year={year}"))
    assert "待审核 1" in listing and school.name in listing and "未开始" in listing
    no_reason = client.post(f"/reports/{rid}/return", data={"csrf_token": t, "reason": "  "})
    assert no_reason.status_code == 422 and "请填写退回原因" in text_of(no_reason)
    assert client.post(f"/reports/{rid}/return", data={"csrf_token": t, "reason": "在校生数与学籍系统不符"}).status_code == 302
    expert_save = save(client, t, rid, raw, version(rid))
    assert expert_save.status_code == 403  # experts review, they do not fill

    t = switch(client, "reporter1")
    page = text_of(client.get(f"/reports/{rid}"))
    assert "已退回" in page and "在校生数与学籍系统不符" in page
    raw["小学.students"] = "778"
    assert save(client, t, rid, raw, version(rid)).status_code == 200
    assert client.post(f"/reports/{rid}/submit", data={"csrf_token": t}).status_code == 302

    t = switch(client, "expert")
    assert client.post(f"/reports/{rid}/approve", data={"csrf_token": t}).status_code == 302
    report = db.session.get(DataReport, rid)
    db.session.refresh(report)
    assert report.status == "approved" and report.reviewed_by.username == "expert"
    row = db.session.execute(db.select(SchoolSectionData).filter_by(school_id=school.id, year=year, section="小学")).scalar_one()
    db.session.refresh(row)
    assert row.id == imported_id and row.students == 778 and row.import_id == imported_import
    assert row.sports_area == pytest.approx(sum(report.values.get(f"小学.{k}", 0) for k in (
        "sports_outdoor", "sports_indoor", "sports_leased")))

    # approved: read-only for everyone; an admin may reopen it (= send back)
    t = switch(client, "reporter1")
    assert save(client, t, rid, raw, version(rid)).status_code == 422
    assert "审核通过" in text_of(client.get(f"/reports/{rid}"))
    t = switch(client, "admin")
    assert save(client, t, rid, raw, version(rid)).status_code == 422
    assert client.post(f"/reports/{rid}/return", data={"csrf_token": t, "reason": "重新核对"}).status_code == 302
    assert db.session.get(DataReport, rid).status == "returned"
    # the approved figures stay in force while the returned report is corrected, until approved again
    t = switch(client, "reporter1")
    raw["小学.students"] = "790"
    assert save(client, t, rid, raw, version(rid)).status_code == 200
    db.session.refresh(row)
    assert row.students == 778

    actions = {(e.entity, e.action) for e in db.session.execute(db.select(AuditEntry)).scalars()}
    for step in (("data_report", "create"), ("data_report", "update"), ("data_report", "submit"),
                 ("data_report", "return"), ("data_report", "approve"), ("school_data", "update")):
        assert step in actions, step
    from app.labels import zh

    assert zh("approve", "action") == "审核通过" and zh("data_report", "entity") == "数据填报"
    assert zh("report_evidence", "entity") == "佐证材料"
    history = text_of(client.get(f"/reports/{rid}"))
    assert "处理记录" in history and "审核通过" in history and "退回" in history


def test_stale_save_stored_and_replay_changes_nothing(client, rep):
    t = login(client, "reporter1")
    rid = start(client, t, rep)
    raw = full_raw(rid)
    first = dict(raw, csrf_token=t, client_uuid=str(uuid.uuid4()), base_version="1")
    ok = client.post(f"/reports/{rid}/save", data=first, headers=JSON)
    assert ok.get_json()["version"] == 2
    again = client.post(f"/reports/{rid}/save", data=first, headers=JSON)  # the outbox retrying
    assert again.status_code == 200 and again.get_json()["status"] == "replay" and again.get_json()["version"] == 2
    # a save made on version 1 (another tab) is stored, never refused: what it replaced is kept (tests/test_report_conflicts.py)
    stale = save(client, t, rid, dict(raw, **{"小学.students": "1"}), 1)
    assert stale.status_code == 200 and stale.get_json()["version"] == 3
    assert version(rid) == 3 and db.session.get(DataReport, rid).values["小学.students"] == 1
    bad = save(client, t, rid, dict(raw, **{"小学.students": "abc"}), 3)
    assert bad.status_code == 422 and "小学·在校生数" in bad.get_json()["error"]
    assert version(rid) == 3


def test_evidence_checked_stored_listed_and_deleted(client, rep):
    t = login(client, "reporter1")
    rid = start(client, t, rep)

    def upload(name, data, target="teachers"):
        import io

        return client.post(f"/reports/{rid}/evidence", data={
            "csrf_token": t, "client_uuid": str(uuid.uuid4()), "target": target, "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data")

    disguised = upload("花名册.pdf", b"MZ\x90\x00 this is an executable" * 10)
    assert disguised.status_code == 422 and "不是可接受的文件" in text_of(disguised)
    renamed = upload("花名册.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    assert renamed.status_code == 422 and "与文件名后缀不符" in text_of(renamed)
    from app.reporting.evidence import MAX_BYTES

    big = upload("大文件.pdf", b"%PDF-1.4\n" + b"0" * MAX_BYTES)
    assert big.status_code == 422 and "文件太大" in text_of(big)
    assert upload("x.pdf", PDF, target="nope").status_code == 422
    good = upload("教师花名册.pdf", PDF)
    assert good.status_code == 302
    ev = db.session.execute(db.select(ReportEvidence).filter_by(report_id=rid)).scalar_one()
    assert ev.content_type == "application/pdf" and ev.size == len(PDF) and ev.target == "teachers"
    page = client.get(f"/reports/{rid}").get_data(as_text=True)
    assert "教师花名册.pdf" in page and f"/reports/{rid}/evidence/{ev.id}" in page
    got = client.get(f"/reports/{rid}/evidence/{ev.id}")
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"

    t2 = switch(client, "reporter2")
    assert client.get(f"/reports/{rid}/evidence/{ev.id}").status_code == 403
    t = switch(client, "reporter1")
    assert client.post(f"/reports/{rid}/evidence/{ev.id}/delete", data={"csrf_token": t}).status_code == 302
    assert db.session.get(ReportEvidence, ev.id).deleted_at is not None
    assert f"/reports/{rid}/evidence/{ev.id}" not in client.get(f"/reports/{rid}").get_data(as_text=True)
    assert client.get(f"/reports/{rid}/evidence/{ev.id}").status_code == 404
    entries = {(e.entity, e.action) for e in db.session.execute(db.select(AuditEntry)).scalars()}
    assert ("report_evidence", "create") in entries and ("report_evidence", "delete") in entries
    del t2


def test_role_walk(client, rep):
    t = login(client, "reporter1")
    rid = start(client, t, rep)
    import io

    client.post(f"/reports/{rid}/evidence", data={"csrf_token": t, "client_uuid": str(uuid.uuid4()), "target": "teachers",
                                                  "file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    eid = db.session.execute(db.select(ReportEvidence.id)).scalar_one()
    # a CSRF-less POST is refused
    assert client.post(f"/reports/{rid}/save", data={"client_uuid": str(uuid.uuid4()), "base_version": "1"}).status_code == 400
    assert client.post(f"/reports/{rid}/submit").status_code == 400
    # a reporter cannot review, not even its own school
    assert client.post(f"/reports/{rid}/approve", data={"csrf_token": t}).status_code == 403
    assert client.post(f"/reports/{rid}/return", data={"csrf_token": t, "reason": "x"}).status_code == 403
    assert client.get(f"/reporting/counties/{rep['county'].code}").status_code == 403
    assert client.get("/reports/9999").status_code == 404
    code = rep["county"].code
    gets = ["/reporting", f"/reporting/counties/{code}", f"/reports/{rid}", f"/reports/{rid}/evidence/{eid}"]
    posts = [("/reporting/start", {"level": "school", "school_id": rep["school"].id, "year": rep["year"]}),
             (f"/reports/{rid}/save", {"client_uuid": str(uuid.uuid4()), "base_version": "1"}),
             (f"/reports/{rid}/submit", {}), (f"/reports/{rid}/return", {"reason": "x"}), (f"/reports/{rid}/approve", {}),
             (f"/reports/{rid}/evidence", {}), (f"/reports/{rid}/evidence/{eid}/delete", {})]
    expect = {  # user: (GET codes, POST codes)
        "reporter2": ([200, 403, 403, 403], [403] * 7),
        "inspector1": ([403] * 4, [403] * 7),
        "lead": ([403] * 4, [403] * 7),
        "expert": ([200, 200, 200, 200], [403, 403, 403, 422, 422, 403, 403]),  # return/approve: not submitted yet
    }
    for username, (get_codes, post_codes) in expect.items():
        t = switch(client, username)
        assert [client.get(u).status_code for u in gets] == get_codes, username
        assert [client.post(u, data=dict(d, csrf_token=t)).status_code for u, d in posts] == post_codes, username
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    for u in gets:
        resp = client.get(u)
        assert resp.status_code == 302 and "/login" in resp.location, u
    assert db.session.get(DataReport, rid).status == "draft" and db.session.get(ReportEvidence, eid).deleted_at is None


def test_county_form_by_the_office(client, rep):
    t = login(client, "admin")
    county = rep["county"]
    assert "数据填报审核" in text_of(client.get(f"/counties/{county.code}"))
    resp = client.post("/reporting/start", data={"csrf_token": t, "level": "county", "county": county.code,
                                                 "year": rep["year"], "standard": "basic-2012"})
    rid = int(resp.location.rsplit("/", 1)[1])
    report = db.session.get(DataReport, rid)
    assert report.level == "county" and report.standard_id == "basic-2012" and report.school_id is None
    assert "县级政府推进工作数据填报表" in text_of(client.get(f"/reports/{rid}"))
    assert save(client, t, rid, full_raw(rid), 1).status_code == 200
    assert client.post(f"/reports/{rid}/submit", data={"csrf_token": t}).status_code == 302
    assert client.post(f"/reports/{rid}/approve", data={"csrf_token": t}).status_code == 302
    assert db.session.get(DataReport, rid).status == "approved"
    t = switch(client, "reporter1")
    assert client.get(f"/reports/{rid}").status_code == 403
    assert client.post("/reporting/start", data={"csrf_token": t, "level": "county", "county": county.code,
                                                 "year": rep["year"]}).status_code == 403


def test_approval_refused_when_a_new_row_would_lack_required_columns(app, rep):
    from app.fieldwork.operations import OperationError
    from app.reporting import workflow

    school = rep["schools"][3]
    db.session.execute(db.delete(SchoolSectionData).where(SchoolSectionData.school_id == school.id))
    db.session.commit()
    admin = rep["users"]["admin"]
    report, _ = workflow.start_report(admin, "school", rep["year"], "quality-2017", school=school)
    assert report.values == {}
    report.values = {f"{school.sections[0]}.students": 100}
    report.status = "submitted"
    db.session.commit()
    with pytest.raises(OperationError, match="班级数"):
        workflow.approve(report, admin)
    db.session.refresh(report)
    assert report.status == "submitted"
    assert db.session.execute(db.select(SchoolSectionData).filter_by(school_id=school.id)).first() is None


def test_admin_creates_a_reporter_with_a_school(client, rep):
    t = login(client, "admin")
    form = {"csrf_token": t, "username": "tianbao3", "name": "郑填报员", "role": "reporter", "password": "Abcd1234!x"}
    resp = client.post("/admin/users", data=form)
    assert resp.status_code == 422 and "须选择所在学校" in text_of(resp)
    assert "所在学校" in text_of(client.get("/admin/users"))
    resp = client.post("/admin/users", data=dict(form, school_id=rep["school"].id))
    assert resp.status_code == 302
    user = db.session.execute(db.select(User).filter_by(username="tianbao3")).scalar_one()
    assert user.school_id == rep["school"].id
