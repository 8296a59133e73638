"""Two people saving one data report (数据填报): a save made on an older version is merged field by
field onto the stored values; a field both changed takes the later value and keeps the one it
replaced as a 修改冲突, shown to the person overwritten and resolved on the report page."""
import html
import json
import re
import uuid

import pytest

from app.extensions import db
from app.models import AuditEntry, RecordConflict, User
from app.models.reporting import DataReport
from tests.conftest import login, text_of
from tests.test_reporting import JSON, full_raw, rep, start, switch  # noqa: F401 (rep is a fixture)

X, Y = "小学.books", "小学.computers"  # 图书册数, 计算机台数: plain figures, no condition hangs on them


def stored(rid):
    report = db.session.get(DataReport, rid)
    db.session.refresh(report)
    return report


def conflicts(rid):
    return db.session.execute(db.select(RecordConflict).filter_by(kind="data_report", record_id=rid)
                              .order_by(RecordConflict.id)).scalars().all()


def shown(v):
    if isinstance(v, bool):
        return "是" if v else "否"
    return f"{v:g}" if isinstance(v, float) else str(v)


def open_page(client, rid):
    """What the report page holds as rendered: its base_version, its base_values and the inputs."""
    page = client.get(f"/reports/{rid}").get_data(as_text=True)
    version = re.search(r'name="base_version" value="(\d+)"', page).group(1)
    base = json.loads(html.unescape(re.search(r'name="base_values" value="([^"]*)"', page).group(1)))
    return {"base_version": version, "base_values": json.dumps(base), "inputs": {k: shown(v) for k, v in base.items()}}


def post(client, token, rid, view, changes, client_uuid=None, with_base=True):
    data = dict(view["inputs"], **changes, csrf_token=token, client_uuid=client_uuid or str(uuid.uuid4()),
                base_version=view["base_version"])
    if with_base:
        data["base_values"] = view["base_values"]
    return client.post(f"/reports/{rid}/save", data=data, headers=JSON)


class People:
    """One test client taking turns as reporter1 (A), admin (B) and the reviewers: the pages each
    opened are kept as data, so the saves race as two phones' would (the test app shares one app
    context, so two clients would share the signed-in user)."""

    def __init__(self, client):
        self.client, self.who, self.token = client, None, None

    def be(self, username):
        if self.who != username:
            self.token = switch(self.client, username) if self.who else login(self.client, username)
            self.who = username
        return self.client

    def open(self, username, rid):
        return open_page(self.be(username), rid)

    def save(self, username, rid, view, changes, **kw):
        return post(self.be(username), self.token, rid, view, changes, **kw)

    def resolve(self, username, rid, cid, choice):
        c = self.be(username)
        return c.post(f"/reports/{rid}/conflicts/{cid}", data={"csrf_token": self.token, "resolution": choice})

    def page(self, username, rid):
        return text_of(self.be(username).get(f"/reports/{rid}"))


@pytest.fixture
def filled(client, rep):
    """A report of 城关小学 filled in full by reporter1 (version 2)."""
    people = People(client)
    c = people.be("reporter1")
    rid = start(c, people.token, rep)
    raw = full_raw(rid)
    raw[X], raw[Y] = "5000", "40"
    resp = c.post(f"/reports/{rid}/save", data=dict(raw, csrf_token=people.token, client_uuid=str(uuid.uuid4()),
                                                     base_version="1"), headers=JSON)
    assert resp.get_json()["version"] == 2
    return rid, people


def test_two_people_changing_different_fields_both_stored(filled):
    rid, p = filled
    page_a, page_b = p.open("reporter1", rid), p.open("admin", rid)  # both at version 2
    assert page_a["base_version"] == page_b["base_version"] == "2"
    first = p.save("reporter1", rid, page_a, {X: "5100"})
    assert first.status_code == 200 and first.get_json()["version"] == 3
    assert first.get_json()["base_values"][X] == 5100  # the page's next save stands on what it stored
    second = p.save("admin", rid, page_b, {Y: "45"})  # made on version 2
    assert second.status_code == 200 and second.get_json()["status"] == "updated"
    report = stored(rid)
    assert report.version == 4
    assert report.values[X] == 5100 and report.values[Y] == 45  # A's figure kept, B's stored
    assert conflicts(rid) == []


def test_both_change_one_field_later_wins_overwritten_kept_shown_and_resolved(filled):
    rid, p = filled
    users = {u.username: u for u in db.session.execute(db.select(User)).scalars()}
    page_a, page_b = p.open("reporter1", rid), p.open("admin", rid)
    assert p.save("reporter1", rid, page_a, {X: "5100"}).get_json()["version"] == 3
    later = p.save("admin", rid, page_b, {X: "5200"})
    assert later.status_code == 200 and later.get_json()["status"] == "conflict"
    assert "被覆盖的值已留存" in later.get_json()["label"]
    report = stored(rid)
    assert report.version == 4 and report.values[X] == 5200
    (c,) = conflicts(rid)
    assert c.inspection_id is None and c.overwritten["value"] == 5100 and c.incoming["value"] == 5200
    assert c.overwritten["author_id"] == users["reporter1"].id and c.author_id == report.value_authors[X] == users["admin"].id

    # A (reporter1, overwritten) sees the notice on the field; B does not
    page = p.page("reporter1", rid)
    assert f"您填写的「小学·图书册数」（5100 册）已被{users['admin'].name}于" in page and "两个版本都已留存" in page
    assert "您填写的" not in p.page("admin", rid)

    # the reviewer sees the box
    box = p.page("expert", rid)
    assert "修改冲突" in box and "小学·图书册数" in box
    flat = box.replace(" ", "")
    assert f"被覆盖的值5100册（{users['reporter1'].name}填写）" in flat and f"当前的值5200册（{users['admin'].name}填写）" in flat
    assert "恢复被覆盖的值" in box and "保留当前" in box

    # restoring puts A's value back on a new version, audited
    assert p.resolve("expert", rid, c.id, "restored").status_code == 302
    report = stored(rid)
    assert report.values[X] == 5100 and report.version == 5 and report.value_authors[X] == users["reporter1"].id
    entry = db.session.execute(db.select(AuditEntry).filter_by(entity="data_report", entity_id=rid, action="restore")).scalar_one()
    assert entry.user_id == users["expert"].id and entry.after["版本"] == 5
    db.session.refresh(c)
    assert c.resolution == "restored" and c.resolved_by_id == users["expert"].id
    assert "保留当前" not in p.page("expert", rid)  # the box is gone
    assert p.resolve("expert", rid, c.id, "restored").status_code == 302
    assert stored(rid).version == 5  # resolved once: nothing stored twice

    # a second conflict, kept: the current value stays, nothing stored on the report
    page_a, page_b = p.open("reporter1", rid), p.open("admin", rid)
    assert p.save("admin", rid, page_b, {X: "5300"}).get_json()["version"] == 6
    assert p.save("reporter1", rid, page_a, {X: "5400"}).get_json()["status"] == "conflict"  # over admin's 5300
    (c2,) = [x for x in conflicts(rid) if x.resolved_at is None]
    assert c2.overwritten["value"] == 5300 and c2.overwritten["author_id"] == users["admin"].id
    assert "您填写的「小学·图书册数」（5300 册）" in p.page("admin", rid)
    assert p.resolve("reporter1", rid, c2.id, "kept").status_code == 302  # the school's own reporter may decide
    db.session.refresh(c2)
    assert c2.resolution == "kept" and stored(rid).values[X] == 5400 and stored(rid).version == 7
    assert "您填写的" not in p.page("admin", rid)


def test_restore_refused_while_submitted_and_twin_of_stale_save_is_a_replay(filled):
    rid, p = filled
    page_a, page_b = p.open("reporter1", rid), p.open("admin", rid)
    p.save("reporter1", rid, page_a, {X: "5100"})
    twin = str(uuid.uuid4())
    first = p.save("admin", rid, page_b, {X: "5200"}, client_uuid=twin)
    assert first.get_json()["status"] == "conflict"
    again = p.save("admin", rid, page_b, {X: "5200"}, client_uuid=twin)  # the outbox retrying the stale save
    assert again.status_code == 200 and again.get_json()["status"] == "replay"
    assert again.get_json()["version"] == first.get_json()["version"] == 4
    assert len(conflicts(rid)) == 1 and stored(rid).version == 4

    # a stale save that does not parse is refused with nothing stored
    bad = p.save("reporter1", rid, page_a, {Y: "abc"})
    assert bad.status_code == 422 and "小学·计算机台数" in bad.get_json()["error"]
    assert stored(rid).version == 4 and len(conflicts(rid)) == 1

    (c,) = conflicts(rid)
    assert p.be("reporter1").post(f"/reports/{rid}/submit", data={"csrf_token": p.token}).status_code == 302
    refused = p.resolve("expert", rid, c.id, "restored")
    assert refused.status_code == 422 and "待审核，不能恢复被覆盖的值" in text_of(refused)
    db.session.refresh(c)
    assert c.resolved_at is None and stored(rid).values[X] == 5200 and stored(rid).version == 5  # 5: the submit

    # another school's reporter may not touch it
    assert p.resolve("reporter2", rid, c.id, "kept").status_code == 403
    db.session.refresh(c)
    assert c.resolved_at is None


def test_old_page_without_base_values_keeps_what_it_overwrites(filled):
    rid, p = filled
    page_a, page_b = p.open("reporter1", rid), p.open("admin", rid)
    p.save("reporter1", rid, page_a, {X: "5100"})
    resp = p.save("admin", rid, page_b, {Y: "45"}, with_base=False)  # every submitted field counts as changed
    assert resp.status_code == 200 and resp.get_json()["status"] == "conflict"
    report = stored(rid)
    assert report.values[Y] == 45 and report.values[X] == 5000
    # without the page's values every differing field is kept: A's figure is not lost
    assert {c.overwritten["field"]: c.overwritten["value"] for c in conflicts(rid)} == {X: 5100, Y: 40}
