"""Photo upload (one photo per request, from the outbox), serving, galleries, captions,
deletion by the author and marking as evidence. The image work is app.media.photos; storage is
app.media.storage (local folder or an S3-compatible bucket)."""
import math
from datetime import datetime, timezone
from functools import lru_cache

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam

from ..extensions import db
from ..models import CheckRecord, Department, HearingEntry, Interview, Photo, School
from ..models.base import utcnow
from ..fieldwork.operations import OperationError, audit
from ..fieldwork.photo_capture import save_photo
from ..media.storage import StorageMissing, StorageUnavailable
from ..permissions import ALL_ROLES, is_team_lead, leads_work_of, require_capture, require_view, roles, user_groups
from ..permissions import inspection_or_404 as _inspection

bp = Blueprint("photos", __name__)

STORAGE_DOWN = "照片存储暂时无法访问，照片未保存到服务器；手机上的照片仍保留，稍后会自动重新上传。"
STORAGE_DOWN_READ = "照片存储暂时无法访问，请稍后再试。"


@bp.app_errorhandler(StorageUnavailable)
def storage_unavailable(e):
    """The bucket refused or is unreachable (any page that reads photos): 503, said in Chinese."""
    current_app.logger.error("photo storage unavailable: %s", e)
    db.session.rollback()
    if request.accept_mimetypes.best == "application/json":
        resp = jsonify({"error": STORAGE_DOWN_READ})
    else:
        resp = Response(render_template("errors/503.html", message=STORAGE_DOWN_READ), mimetype="text/html")
    resp.status_code = 503
    resp.headers["Retry-After"] = "60"
    return resp


def storage():
    from ..media.storage import make_storage

    ext = current_app.extensions
    if "ddt_storage" not in ext:
        ext["ddt_storage"] = make_storage(current_app.config)
    return ext["ddt_storage"]


COORDINATE_RANGE = {"lat": 90.0, "lng": 180.0}  # |latitude| ≤ 90°, |longitude| ≤ 180°


def _float(name):
    """A finite number the phone sent (a coordinate also within its range), else None: a bad
    location is dropped, the photo is still kept."""
    try:
        v = float(request.form.get(name, ""))
    except ValueError:
        return None
    if not math.isfinite(v) or abs(v) > COORDINATE_RANGE.get(name, math.inf):
        return None
    return v


def _taken_at():
    """The phone's capture time (ISO 8601, with zone) as naive UTC; None if absent or absurd."""
    raw = (request.form.get("taken_at") or "").strip()
    if not raw:
        return None
    try:
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def _subject(inspection, subject_type, subject_id, item_code):
    """Check that what the photo documents exists in this inspection; returns its school."""
    std = inspection.standard
    if subject_type == "school":
        school = db.session.get(School, subject_id)
        if school is None or school.county_id != inspection.county_id:
            raise OperationError("学校不存在。")
        if item_code and item_code not in std.checklist_by_code:
            raise OperationError(f"检查项 {item_code} 不在本次检查的标准中。")
        return school
    if subject_type in ("archive_county", "archive_school"):
        item = std.archive_items.get(item_code or "")
        if item is None or "archive_" + item["level"] != subject_type:
            raise OperationError("档案项不存在。")
        if subject_type == "archive_school":
            school = db.session.get(School, subject_id)
            if school is None or school.county_id != inspection.county_id:
                raise OperationError("学校不存在。")
            return school
        if subject_id != inspection.county_id:
            raise OperationError("县级档案不属于本次检查。")
        return None
    model = {"department": Department, "hearing_entry": HearingEntry, "interview": Interview}[subject_type]
    row = db.session.get(model, subject_id)
    if row is None or row.inspection_id != inspection.id:
        raise OperationError("照片所属的记录不存在，请先保存记录再拍照。")
    return getattr(row, "school", None)


def photo_json(photo, status="created"):
    return {"id": photo.id, "status": status, "thumb": url_for("photos.thumb", photo_id=photo.id),
            "full": url_for("photos.full", photo_id=photo.id), "caption": photo.caption,
            "width": photo.width, "height": photo.height}


@bp.post("/inspections/<int:iid>/photos")
@roles("inspector", "lead")
def upload(iid):
    inspection = _inspection(iid)
    require_capture(inspection)
    f = request.files.get("photo")
    try:
        if f is None:
            raise OperationError("没有收到照片文件。")
        subject_type = request.form.get("subject_type", "")
        subject_id = request.form.get("subject_id", type=int)
        item_code = (request.form.get("item_code") or "").strip() or None
        if subject_id is None:
            raise OperationError("照片缺少所属记录。")
        school = _subject(inspection, subject_type, subject_id, item_code)
        cfg = current_app.config
        tz_now = _taken_at() or utcnow()
        lines = None
        if inspection.watermark:
            from ..timefmt import local_time

            lines = [school.name if school else inspection.county.name,
                     local_time(tz_now, "%Y-%m-%d %H:%M", cfg["TIMEZONE"]), f"督学 {current_user.name}"]
        photo, status = save_photo(
            inspection=inspection, user=current_user, client_uuid=request.form.get("client_uuid"), raw=f.read(),
            subject_type=subject_type, subject_id=subject_id, item_code=item_code, school=school,
            taken_at=_taken_at(), latitude=_float("lat"), longitude=_float("lng"), accuracy=_float("accuracy"),
            caption=request.form.get("caption", ""), storage=storage(),
            limits={"max_bytes": cfg["PHOTO_MAX_BYTES"], "max_pixels": cfg["PHOTO_MAX_PIXELS"]},
            watermark_lines=lines)
    except OperationError as e:
        return jsonify({"error": str(e)}), 422
    except StorageUnavailable as e:
        # nothing half-stored: the Photo row is written only after both objects are in the bucket
        current_app.logger.error("photo upload: storage unavailable: %s", e)
        db.session.rollback()
        return jsonify({"error": STORAGE_DOWN}), 503, {"Retry-After": "60"}
    return jsonify(photo_json(photo, status)), (200 if status == "replay" else 201)


def _photo(photo_id):
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.deleted_at is not None:
        abort(404, description="照片不存在或已删除。")
    require_view(photo.inspection)
    return photo


def _serve(key, photo):
    try:
        data = storage().get(key)
    except (StorageMissing, ValueError):
        abort(404, description="照片文件缺失。")
    resp = Response(data, mimetype="image/jpeg")
    resp.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/photos/<int:photo_id>/thumb.jpg")
@roles(*ALL_ROLES)
def thumb(photo_id):
    photo = _photo(photo_id)
    return _serve(photo.thumb_key, photo)


@bp.get("/photos/<int:photo_id>/full.jpg")
@roles(*ALL_ROLES)
def full(photo_id):
    photo = _photo(photo_id)
    return _serve(photo.data_key, photo)


def can_mark_evidence(user, inspection):
    """A lead at all (the gallery shows the lead's buttons); each photo is then checked."""
    return is_team_lead(user, inspection) or any(g.lead_user_id == user.id for g in user_groups(user, inspection))


def may_lead_photo(user, photo):
    """The team lead on every photo; a group lead on their own group's (leads_work_of)."""
    return leads_work_of(user, photo.inspection, (photo.author_id,), photo.school_id)


@bp.get("/inspections/<int:iid>/schools/<int:school_id>/photos")
@roles(*ALL_ROLES)
def gallery(iid, school_id):
    inspection = _inspection(iid)
    school = db.get_or_404(School, school_id, description="学校不存在。")
    photos = db.session.execute(
        db.select(Photo).options(db.joinedload(Photo.author))
        .filter(Photo.inspection_id == iid, Photo.school_id == school.id, Photo.deleted_at.is_(None))
        .order_by(Photo.item_code.is_(None), Photo.item_code, Photo.id)).scalars().all()
    std = inspection.standard
    groups = {}
    for p in photos:
        label = "学校照片"
        if p.item_code:
            item = std.checklist_by_code.get(p.item_code) or std.archive_items.get(p.item_code)
            label = f"{p.item_code} {item['text']}" if item else p.item_code
        elif p.subject_type != "school":
            label = {"interview": "访谈", "hearing_entry": "答辩", "department": "部门"}.get(p.subject_type, p.subject_type)
        groups.setdefault(label, []).append(p)
    can_lead = can_mark_evidence(current_user, inspection)
    led = {p.id for p in photos if can_lead and may_lead_photo(current_user, p)}
    return render_template("photos/gallery.html", inspection=inspection, school=school, groups=groups,
                           led=led)


@bp.post("/photos/<int:photo_id>/<action>")
@roles(*ALL_ROLES)
def change(photo_id, action):
    photo = _photo(photo_id)
    inspection = photo.inspection
    back = request.form.get("next") or url_for("photos.gallery", iid=inspection.id, school_id=photo.school_id or 0)
    if not back.startswith("/"):
        back = "/"
    if inspection.locked:
        abort(403, description="本次检查已签发锁定，照片不能再修改。")
    if action == "caption":
        if photo.author_id != current_user.id and not may_lead_photo(current_user, photo):
            abort(403, description="只有拍摄者、本组组长或检查组组长可以修改照片说明。")
        caption = (request.form.get("caption") or "").strip()
        if len(caption) > 200:
            flash("照片说明最多 200 字。", "error")
            return redirect(back)
        audit(current_user, "update", "photo", photo.id, "修改照片说明", {"caption": photo.caption}, {"caption": caption},
              inspection.id)
        photo.caption = caption
    elif action == "delete":
        if photo.author_id != current_user.id:
            abort(403, description="只有拍摄者可以删除照片。")
        photo.deleted_at = utcnow()
        photo.deleted_by_id = current_user.id
        audit(current_user, "delete", "photo", photo.id, "删除照片", {"deleted": False}, {"deleted": True}, inspection.id)
    elif action == "evidence":
        if not may_lead_photo(current_user, photo):
            abort(403, description="只有本组组长或检查组组长可以标记本组的证据照片。")
        photo.is_evidence = not photo.is_evidence
        audit(current_user, "update", "photo", photo.id, "标记证据照片" if photo.is_evidence else "取消证据照片",
              {"is_evidence": not photo.is_evidence}, {"is_evidence": photo.is_evidence}, inspection.id)
    else:
        abort(404)
    db.session.commit()
    if request.headers.get("HX-Request"):
        return "", 204
    flash("已保存。", "success")
    return redirect(back)


@lru_cache(maxsize=None)
def _photo_ids_stmt():
    return (db.select(Photo.id, Photo.item_code).where(
        Photo.inspection_id == bindparam("iid"), Photo.subject_type == bindparam("st"),
        Photo.subject_id == bindparam("sid"), Photo.deleted_at.is_(None)).order_by(Photo.id))


def photo_ids(inspection_id, subject_type, subject_id):
    """{item_code or None: [photo ids]} of one subject, for the photo widgets of a page."""
    out = {}
    for pid, code in db.session.execute(_photo_ids_stmt(), {"iid": inspection_id, "st": subject_type, "sid": subject_id}):
        out.setdefault(code, []).append(pid)
    return out


def photo_box(inspection, subject_type, subject_id, item_code, ids):
    """What a photo widget needs: where to upload, what the photo documents, photos so far."""
    fields = {"subject_type": subject_type, "subject_id": subject_id}
    if item_code:
        fields["item_code"] = item_code
    from flask import g

    urls = g.setdefault("photo_upload_urls", {})  # one url_for per page, not one per item
    if inspection.id not in urls:
        urls[inspection.id] = url_for("photos.upload", iid=inspection.id)
    return {"url": urls[inspection.id], "fields": fields, "ids": ids.get(item_code, [])}
