"""Storing a photo taken on the phone: verified and cleaned by app.media.photos, kept in the
storage, remembered by its client UUID like every capture (moved out of operations.py)."""
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .operations import OperationError, audit, check_uuid, find_op, remember_op


PHOTO_SUBJECTS = ("school", "archive_county", "archive_school", "department", "hearing_entry", "interview")


def save_photo(*, inspection, user, client_uuid, raw, subject_type, subject_id, item_code=None, school=None,
               taken_at=None, latitude=None, longitude=None, accuracy=None, caption="", storage, limits,
               watermark_lines=None):
    """Verify, clean and store one uploaded photo (app.media.photos does the image work). The same
    UUID sent again returns the stored photo and stores nothing. Returns (photo, status)."""
    from ..models import Photo
    from ..media.photos import PhotoError, process_photo
    from ..media.storage import content_key

    client_uuid = check_uuid(client_uuid)
    op = find_op(client_uuid, "photo", inspection, user)
    if op is not None:
        return db.session.get(Photo, op.record_id), "replay"
    if inspection.locked:
        raise OperationError("本次检查已签发锁定，不能再上传照片。")
    if subject_type not in PHOTO_SUBJECTS:
        raise OperationError("照片所属记录类型无效。")
    if len(caption or "") > 200:
        raise OperationError("照片说明最多 200 字。")
    try:
        result = process_photo(raw, max_bytes=limits["max_bytes"], max_pixels=limits["max_pixels"],
                               watermark=watermark_lines)
    except PhotoError as e:
        raise OperationError(str(e)) from None
    data_key = content_key(result.sha256, ".jpg")
    thumb_key = content_key(result.thumb_sha256, ".jpg")
    storage.put(data_key, result.data, "image/jpeg")
    storage.put(thumb_key, result.thumb, "image/jpeg")
    photo = Photo(
        client_uuid=client_uuid, inspection_id=inspection.id, school_id=school.id if school else None,
        subject_type=subject_type, subject_id=subject_id, item_code=item_code or None, data_key=data_key,
        thumb_key=thumb_key, sha256=result.sha256, width=result.width, height=result.height, size=len(result.data),
        taken_at=taken_at or result.taken_at, latitude=latitude, longitude=longitude, accuracy=accuracy,
        caption=(caption or "").strip(), author_id=user.id,
    )
    try:
        db.session.add(photo)
        db.session.flush()
        audit(user, "create", "photo", photo.id, f"上传照片 {item_code or subject_type}", None,
              {"sha256": result.sha256, "subject": f"{subject_type}:{subject_id}", "item": item_code}, inspection.id)
        remember_op(client_uuid, "photo", photo.id, 1, user, inspection)
        db.session.commit()
    except IntegrityError:
        # its twin (same UUID: a double tap or a retry still in flight) was stored first
        db.session.rollback()
        op = find_op(client_uuid, "photo", inspection, user)
        if op is None:
            raise
        return db.session.get(Photo, op.record_id), "replay"
    return photo, "created"
