"""Races decided by the database, against a real multi-threaded server: identical submissions
fired together (a double tap, a retry still in flight), two first answers, and eight phones
saving one item. No 5xx, nothing doubled, and no acknowledged save missing from what a lead
can see (the record, or a conflict kept for the group lead)."""
import io
import json
import uuid

from PIL import Image

from app.extensions import db
from app.models import CheckRecord, ClientOp, Photo, RecordConflict
from tests.live import Phone, together


def _free_items(demo, school, n):
    """n checklist items of this school nobody has answered yet (no measured rows)."""
    standard = demo["inspection"].standard
    answered = set(db.session.scalars(db.select(CheckRecord.item_code).filter_by(
        inspection_id=demo["inspection"].id, subject_type="school", subject_id=school.id)))
    codes = [i["code"] for i in standard.checklist if not i.get("measure") and i["code"] not in answered]
    assert len(codes) >= n
    return codes[:n]


def _jpeg(seed):
    img = Image.effect_noise((320, 240), 40 + seed).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def test_identical_posts_fired_together_store_once(app, demo, live_server):
    inspection = demo["inspection"]
    school = inspection.visits[0].school
    codes = _free_items(demo, school, 10)
    phone = Phone(live_server.url).login("inspector1")
    base = f"/inspections/{inspection.id}/schools/{school.id}/items/"
    statuses, sent = [], {}
    for n in range(20):  # 20 pairs of answers: first answers, then edits of the same items
        code = codes[n % len(codes)]
        data = {"client_uuid": str(uuid.uuid4()), "verdict": "不达标" if n % 2 else "达标", "note": f"第{n}次",
                "base_version": str(sent.get(code, ""))}
        pair = together([lambda: phone.post(base + code, data), lambda: phone.post(base + code, data)])
        statuses += [s for s, _ in pair]
        answers = [json.loads(body) for _, body in pair]
        assert answers[0]["version"] == answers[1]["version"]  # one stored result, told to both
        sent[code] = answers[0]["version"]
    photos = []
    for n in range(20):  # 20 pairs of photos
        data = {"client_uuid": str(uuid.uuid4()), "subject_type": "school", "subject_id": str(school.id),
                "item_code": codes[0], "taken_at": "2026-11-23T02:00:00Z"}
        files = {"photo": ("p.jpg", _jpeg(n), "image/jpeg")}
        pair = together([lambda: phone.post(f"/inspections/{inspection.id}/photos", data, files),
                         lambda: phone.post(f"/inspections/{inspection.id}/photos", data, files)])
        statuses += [s for s, _ in pair]
        ids = {json.loads(body)["id"] for _, body in pair}
        assert len(ids) == 1
        photos.append(ids.pop())
    assert all(s in (200, 201) for s in statuses), sorted(set(statuses))
    user_id = demo["users"]["inspector1"].id
    db.session.remove()
    versions = dict(db.session.execute(db.select(CheckRecord.item_code, CheckRecord.version).where(
        CheckRecord.item_code.in_(codes), CheckRecord.subject_id == school.id)).all())
    assert versions == {c: 2 for c in codes}  # each item: one first answer and one edit, no doubles
    assert db.session.scalar(db.select(db.func.count(ClientOp.id)).where(ClientOp.kind == "check_record",
                                                                        ClientOp.user_id == user_id)) >= 20
    stored = db.session.scalars(db.select(Photo.id).where(Photo.item_code == codes[0])).all()
    assert sorted(stored) == sorted(photos) and len(stored) == 20
    assert db.session.scalar(db.select(db.func.count(RecordConflict.id))) == 0  # twins are replays, not conflicts


def test_two_first_answers_are_both_kept(app, demo, live_server):
    inspection = demo["inspection"]
    school = inspection.visits[0].school
    code = _free_items(demo, school, 1)[0]
    a = Phone(live_server.url).login("inspector1")
    b = Phone(live_server.url).login("inspector2")
    url = f"/inspections/{inspection.id}/schools/{school.id}/items/{code}"
    # both pages showed the item unanswered (base_version empty) and both answer at once
    ra, rb = together([
        lambda: a.post(url, {"client_uuid": str(uuid.uuid4()), "verdict": "达标", "note": "A看到的", "base_version": ""}),
        lambda: b.post(url, {"client_uuid": str(uuid.uuid4()), "verdict": "不达标", "note": "B看到的", "base_version": ""}),
    ])
    assert ra[0] == 200 and rb[0] == 200
    statuses = sorted(json.loads(r[1])["status"] for r in (ra, rb))
    assert statuses == ["conflict", "created"]
    db.session.remove()
    record = db.session.execute(db.select(CheckRecord).filter_by(subject_id=school.id, item_code=code)).scalar_one()
    conflict = db.session.execute(db.select(RecordConflict).filter_by(record_id=record.id)).scalar_one()
    assert record.version == 2 and conflict.base_version == 0
    kept = {record.note, conflict.overwritten["note"]}
    assert kept == {"A看到的", "B看到的"}
    # the one overwritten sees it on that item the next time the page shows it
    loser = a if conflict.overwritten["note"] == "A看到的" else b
    winner = b if loser is a else a
    status, page = loser.request(f"/inspections/{inspection.id}/schools/{school.id}")
    item = page[page.index(f'id="item-{code}"'):]
    item = item[:item.index("</form>")]
    assert "conflict-notice" in item and "覆盖" in item and conflict.overwritten["note"] in item
    assert "conflict-notice" not in winner.request(f"/inspections/{inspection.id}/schools/{school.id}")[1]
    # and the group lead on 修改冲突
    lead = Phone(live_server.url).login("inspector1")
    assert conflict.overwritten["note"] in lead.request(f"/inspections/{inspection.id}/conflicts")[1]


def test_eight_phones_saving_one_item(app, demo, live_server):
    inspection = demo["inspection"]
    school = inspection.visits[0].school
    code = _free_items(demo, school, 1)[0]
    users = ["inspector1", "inspector2", "inspector3", "inspector4", "lead", "inspector1", "inspector2", "inspector3"]
    phones = [Phone(live_server.url).login(u) for u in users]
    url = f"/inspections/{inspection.id}/schools/{school.id}/items/{code}"
    acks = []  # (note, base sent, version stored, status)

    def work(n, phone):
        seen = ""
        for k in range(12):
            note = f"手机{n}第{k}次"
            status, body = phone.post(url, {"client_uuid": str(uuid.uuid4()), "verdict": "存疑", "note": note,
                                            "base_version": seen})
            if status != 200:
                return (status, body[:300])
            if status == 200:
                j = json.loads(body)
                acks.append((note, seen, j["version"], j["status"]))
                seen = str(j["version"])
        return 200

    results = together([lambda n=n, p=p: work(n, p) for n, p in enumerate(phones)])
    assert results == [200] * 8
    assert len(acks) == 96
    db.session.remove()
    record = db.session.execute(db.select(CheckRecord).filter_by(subject_id=school.id, item_code=code)).scalar_one()
    assert record.version == len(acks)  # every acknowledged save claimed its own version
    assert sorted(v for _, _, v, _ in acks) == list(range(1, 97))
    conflicts = db.session.scalars(db.select(RecordConflict).filter_by(record_id=record.id)).all()
    in_conflicts = {c.overwritten["note"] for c in conflicts} | {c.incoming["note"] for c in conflicts}
    seen_by_next = {int(base) for _, base, _, status in acks if base and status == "updated"}
    for note, _base, version, _status in acks:
        # on the record, kept in a conflict, or deliberately replaced by someone who had seen it
        assert note == record.note or note in in_conflicts or version in seen_by_next, note
