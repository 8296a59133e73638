"""Walks over every route (issue 12): no GET writes a row, for any role (the office, the team
lead, inspectors, the 评估专家 and a 学校填报员); a group lead acts only
on their own group's conflicts, photos and summary (the team lead on all); 403 otherwise."""
import uuid

import pytest
from sqlalchemy import func, select

from app.demo import add_demo_activity
from app.extensions import db
from app.models import Photo, RecordConflict
from tests.conftest import login
from tests.test_permissions import RULES, add_walk_records, build_url
from tests.test_photo_routes import upload


def _counts():
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar() for t in db.metadata.sorted_tables}


def test_no_get_writes_a_row(app, client, demo):
    add_demo_activity(demo)
    add_walk_records(demo, client)  # reports with evidence, pending imports: their pages are walked too
    for username in ("admin", "lead", "inspector1", "inspector4", "expert", "reporter1"):
        token = login(client, username)
        before = _counts()
        for rule in RULES:
            if "GET" not in rule.methods:
                continue
            url = build_url(app, rule, demo)
            resp = client.get(url)
            assert resp.status_code < 500, (username, url, resp.status_code)
            db.session.rollback()
            after = _counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            assert not changed, (username, url, changed)
        client.post("/logout", data={"csrf_token": token})


def _post(client, url, token, **data):
    return client.post(url, data=dict(data, csrf_token=token))


def _switch(client, token, username):
    if token:
        client.post("/logout", data={"csrf_token": token})
    return login(client, username)


@pytest.fixture
def second_group_school(demo):
    g2 = demo["inspection"].groups[1]
    return next(v.school for v in demo["inspection"].visits if v.group_id == g2.id)


def test_a_group_lead_resolves_only_their_own_groups_conflicts(client, demo, second_group_school):
    iid = demo["inspection"].id
    url = f"/inspections/{iid}/schools/{second_group_school.id}/items/Q5"
    t = _switch(client, None, "inspector4")  # 第二组 member
    _post(client, url, t, client_uuid=str(uuid.uuid4()), verdict="达标", note="常态化使用")
    _post(client, url, t, client_uuid=str(uuid.uuid4()), verdict="存疑", note="只见一节课使用", base_version="1")
    t = _switch(client, t, "inspector3")  # 第二组 lead
    _post(client, url, t, client_uuid=str(uuid.uuid4()), verdict="不达标", note="设备闲置", base_version="1")
    conflict = db.session.execute(db.select(RecordConflict)).scalar_one()
    t = _switch(client, t, "inspector1")  # 第一组 lead: not theirs
    page = client.get(f"/inspections/{iid}/conflicts").get_data(as_text=True)
    assert "只见一节课使用" in page and f"/conflicts/{conflict.id}\"" not in page  # shown, no buttons
    resp = _post(client, f"/inspections/{iid}/conflicts/{conflict.id}", t, resolution="restored")
    assert resp.status_code == 403 and "本组" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(RecordConflict, conflict.id).resolved_at is None
    t = _switch(client, t, "inspector3")  # their own group's lead may
    assert f"/conflicts/{conflict.id}\"" in client.get(f"/inspections/{iid}/conflicts").get_data(as_text=True)
    t = _switch(client, t, "lead")  # and so may the team lead
    assert _post(client, f"/inspections/{iid}/conflicts/{conflict.id}", t, resolution="kept").status_code == 302
    db.session.expire_all()
    assert db.session.get(RecordConflict, conflict.id).resolution == "kept"


def test_a_group_lead_captions_and_marks_only_their_own_groups_photos(client, demo, second_group_school):
    iid = demo["inspection"].id
    t = _switch(client, None, "inspector4")
    pid = upload(client, t, iid, second_group_school, str(uuid.uuid4())).get_json()["id"]
    t = _switch(client, t, "inspector1")  # 第一组 lead
    html = client.get(f"/inspections/{iid}/schools/{second_group_school.id}/photos").get_data(as_text=True)
    assert f"/photos/{pid}/evidence" not in html
    for action, data in (("caption", {"caption": "别组的照片"}), ("evidence", {}), ("delete", {})):
        assert _post(client, f"/photos/{pid}/{action}", t, **data).status_code == 403, action
    db.session.expire_all()
    photo = db.session.get(Photo, pid)
    assert photo.caption == "" and photo.is_evidence is False and photo.deleted_at is None
    t = _switch(client, t, "inspector3")  # 第二组 lead
    assert _post(client, f"/photos/{pid}/caption", t, caption="操场").status_code == 302
    assert _post(client, f"/photos/{pid}/evidence", t).status_code == 302
    t = _switch(client, t, "lead")  # the team lead: every group's photos
    assert _post(client, f"/photos/{pid}/evidence", t).status_code == 302
    db.session.expire_all()
    photo = db.session.get(Photo, pid)
    assert photo.caption == "操场" and photo.is_evidence is False  # marked, then unmarked by the team lead


def test_a_group_lead_edits_only_their_own_groups_summary(client, demo):
    iid = demo["inspection"].id
    g2 = demo["inspection"].groups[1]
    t = _switch(client, None, "inspector1")
    for action in ("sync", "submit"):
        assert _post(client, f"/inspections/{iid}/groups/{g2.id}/summary/{action}", t, confirm="1").status_code == 403
    t = _switch(client, t, "inspector3")
    assert _post(client, f"/inspections/{iid}/groups/{g2.id}/summary/sync", t).status_code == 302
