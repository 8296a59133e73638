"""Photo upload, serving, gallery, caption, delete and evidence through the routes."""
import io
import uuid

from PIL import Image

from app.extensions import db
from app.models import AuditEntry, ClientOp, Photo
from tests.conftest import login, text_of


def jpeg_bytes(w=1600, h=1200):
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (120, 160, 90)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def upload(client, token, iid, school, key, raw=None, name="p.jpg", **extra):
    data = {"csrf_token": token, "client_uuid": key, "subject_type": "school", "subject_id": str(school.id),
            "item_code": "R5", "taken_at": "2026-11-22T02:31:00Z", "lat": "30.5", "lng": "104.1",
            "photo": (io.BytesIO(raw if raw is not None else jpeg_bytes()), name)}
    data.update(extra)
    return client.post(f"/inspections/{iid}/photos", data=data, content_type="multipart/form-data")


def test_same_photo_twice_with_one_uuid_is_stored_once(client, demo, app):
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    token = login(client, "inspector1")
    key = str(uuid.uuid4())
    r1 = upload(client, token, iid, school, key)
    r2 = upload(client, token, iid, school, key)
    assert r1.status_code == 201 and r2.status_code == 200
    assert r1.get_json()["id"] == r2.get_json()["id"] and r2.get_json()["status"] == "replay"
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 1
    assert db.session.scalar(db.select(db.func.count(ClientOp.id)).where(ClientOp.kind == "photo")) == 1
    photo = db.session.execute(db.select(Photo)).scalar_one()
    assert photo.item_code == "R5" and photo.latitude == 30.5 and photo.taken_at.isoformat() == "2026-11-22T02:31:00"
    thumb = client.get(r1.get_json()["thumb"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    full = Image.open(io.BytesIO(client.get(r1.get_json()["full"]).data))
    assert full.size == (1600, 1200) and len(full.getexif()) == 0
    # the watermark (the inspection asks for one) is in the stored image: the bottom-left band is darker
    band = full.crop((0, 1150, 300, 1200)).convert("L")
    assert sum(band.getdata()) / (300 * 50) < 130
    page = client.get(f"/inspections/{iid}/schools/{school.id}").get_data(as_text=True)
    assert f"/photos/{photo.id}/thumb.jpg" in page  # shown in the item's widget


def test_refused_uploads_store_nothing(client, demo):
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    token = login(client, "inspector1")
    resp = upload(client, token, iid, school, str(uuid.uuid4()), raw=b"<html>not a photo</html>", name="x.jpg")
    assert resp.status_code == 422 and "不是可识别的图片" in resp.get_json()["error"]
    resp = upload(client, token, iid, school, str(uuid.uuid4()), item_code="NOPE")
    assert resp.status_code == 422 and "NOPE" in resp.get_json()["error"]
    resp = upload(client, token, iid, school, "not-a-uuid")
    assert resp.status_code == 422
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 0
    # over MAX_CONTENT_LENGTH: the request itself is refused with the Chinese 413 page
    big = upload(client, token, iid, school, str(uuid.uuid4()), raw=b"\xff\xd8" + b"\0" * (16 * 1024 * 1024))
    assert big.status_code == 413 and "过大" in text_of(big)
    assert db.session.scalar(db.select(db.func.count(Photo.id))) == 0


def test_gallery_caption_delete_and_evidence(client, demo):
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    token = login(client, "inspector2")  # 第一组 member, not a lead
    pid = upload(client, token, iid, school, str(uuid.uuid4())).get_json()["id"]
    client.post(f"/photos/{pid}/caption", data={"csrf_token": token, "caption": "运动场东侧"})
    assert db.session.get(Photo, pid).caption == "运动场东侧"
    html = client.get(f"/inspections/{iid}/schools/{school.id}/photos").get_data(as_text=True)
    assert "R5 资源配置" in html or "R5 体育运动场馆面积与填报一致" in html
    assert 'value="运动场东侧"' in html and f"/photos/{pid}/thumb.jpg" in html
    assert client.post(f"/photos/{pid}/evidence", data={"csrf_token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    token = login(client, "inspector1")  # lead of 第一组
    client.post(f"/photos/{pid}/evidence", data={"csrf_token": token})
    assert db.session.get(Photo, pid).is_evidence is True
    assert client.post(f"/photos/{pid}/delete", data={"csrf_token": token}).status_code == 403  # not the author
    client.post("/logout", data={"csrf_token": token})
    token = login(client, "inspector2")
    client.post(f"/photos/{pid}/delete", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Photo, pid).deleted_at is not None
    assert client.get(f"/photos/{pid}/thumb.jpg").status_code == 404
    assert db.session.execute(db.select(AuditEntry).filter_by(entity="photo", action="delete")).scalar_one()
