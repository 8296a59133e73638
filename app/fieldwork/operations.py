"""State changes go through here, not through views (Indico's operations layer).

Idempotent capture: every submission carries a UUID made by the phone. The first time it is
seen it is applied and remembered in ClientOp; a replay (retry, double tap, outbox drain)
finds it and gets the stored record back, changing nothing. Edits carry the version they
were made on; a stale one is applied (later write wins) and the overwritten state is kept as
a RecordConflict for the group lead.
"""
import re
import uuid as uuidlib

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import AuditEntry, CheckRecord, ClientOp, RecordConflict
from ..models.base import utcnow
from ..models.records import VERDICTS


class OperationError(ValueError):
    """A refused change; the message is Chinese and meant for the user."""


UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def check_uuid(value):
    if not value or not UUID_RE.match(value):
        raise OperationError("提交缺少有效的客户端编号（client_uuid），请刷新页面后重试。")
    return value.lower()


def new_uuid():
    return str(uuidlib.uuid4())


def audit(user, action, entity, entity_id=None, summary="", before=None, after=None, inspection_id=None):
    entry = AuditEntry(
        user_id=user.id if user else None,
        inspection_id=inspection_id,
        action=action,
        entity=entity,
        entity_id=entity_id,
        summary=summary[:200],
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


def find_op(client_uuid, kind):
    """The stored submission for this UUID, or None. A UUID used for another kind is refused."""
    op = db.session.execute(db.select(ClientOp).filter_by(client_uuid=client_uuid)).scalar()
    if op is not None and op.kind != kind:
        raise OperationError("客户端编号已被其他记录使用，请刷新页面后重试。")
    return op


def remember_op(client_uuid, kind, record_id, version, user):
    db.session.add(ClientOp(client_uuid=client_uuid, kind=kind, record_id=record_id, version=version, user_id=user.id))


def commit_or_replay(client_uuid, kind, loader):
    """Commit; if a concurrent request stored the same UUID first, roll back and return the
    stored record via loader(op) instead."""
    try:
        db.session.commit()
        return None
    except IntegrityError:
        db.session.rollback()
        op = find_op(client_uuid, kind)
        if op is None:
            raise
        return loader(op)


def save_check_record(
    *, inspection, user, client_uuid, subject_type, subject_id, item_code, indicator_code,
    verdict, observed_value="", note="", base_version=None, school_id=None, visit=None, verdicts=VERDICTS,
    measurements=None,
):
    """Create or update the answer to one item. Returns (record, status) where status is
    'created', 'updated', 'conflict' (updated over a stale version) or 'replay'."""
    client_uuid = check_uuid(client_uuid)
    kind = "check_record"
    op = find_op(client_uuid, kind)
    if op is not None:
        return db.session.get(CheckRecord, op.record_id), "replay"
    if inspection.locked:
        raise OperationError("本次检查已签发锁定，记录不能再修改。")
    if verdict not in verdicts:
        raise OperationError(f"请选择结论：{'、'.join(verdicts)}。")
    observed_value = (observed_value or "").strip()
    note = (note or "").strip()
    if len(observed_value) > 64:
        raise OperationError("观测值最多 64 个字。")
    if len(note) > 2000:
        raise OperationError("备注最多 2000 字。")

    record = db.session.execute(
        db.select(CheckRecord).filter_by(
            inspection_id=inspection.id, subject_type=subject_type, subject_id=subject_id, item_code=item_code
        )
    ).scalar()
    now = utcnow()
    if record is None:
        record = CheckRecord(
            client_uuid=client_uuid, inspection_id=inspection.id, subject_type=subject_type,
            subject_id=subject_id, school_id=school_id, visit_id=visit.id if visit else None,
            item_code=item_code, indicator_code=indicator_code, verdict=verdict,
            observed_value=observed_value, note=note, measurements=measurements, author_id=user.id, version=1,
            created_at=now, updated_at=now,
        )
        db.session.add(record)
        db.session.flush()
        status = "created"
        audit(user, "create", "check_record", record.id, f"{item_code} {verdict}", None, record.snapshot(), inspection.id)
    else:
        before = record.snapshot()
        status = "updated"
        if base_version is not None and int(base_version) != record.version:
            status = "conflict"
            db.session.add(RecordConflict(
                inspection_id=inspection.id, kind=kind, record_id=record.id, base_version=int(base_version),
                overwritten=before,
                incoming={"verdict": verdict, "observed_value": observed_value, "note": note,
                          "measurements": measurements, "author_id": user.id},
                author_id=user.id,
            ))
        record.verdict = verdict
        record.observed_value = observed_value
        record.note = note
        record.measurements = measurements
        record.author_id = user.id
        record.version += 1
        record.updated_at = now
        if visit is not None and record.visit_id is None:
            record.visit_id = visit.id
        audit(user, "update", "check_record", record.id, f"{item_code} {before['verdict']} → {verdict}",
              before, record.snapshot(), inspection.id)
    if visit is not None and visit.started_at is None:
        visit.started_at = now
    remember_op(client_uuid, kind, record.id, record.version, user)
    replay = commit_or_replay(client_uuid, kind, lambda op: db.session.get(CheckRecord, op.record_id))
    if replay is not None:
        return replay, "replay"
    return record, status


def save_versioned(*, kind, model, inspection, user, client_uuid, values, record=None, base_version=None,
                   create=None, label=""):
    """Create (record None) or edit a capture record of another shape (hearing entry, interview,
    department check): the same rules as save_check_record — UUID replay returns the stored
    record unchanged, an edit bumps the version, a stale base version is kept as a
    RecordConflict, every change is audited. `values` are the validated fields; `create` extra
    fields for a new row. Returns (record, status)."""
    client_uuid = check_uuid(client_uuid)
    op = find_op(client_uuid, kind)
    if op is not None:
        return db.session.get(model, op.record_id), "replay"
    if inspection.locked:
        raise OperationError("本次检查已签发锁定，记录不能再修改。")
    now = utcnow()
    keys = list(values)
    if record is None:
        record = model(inspection_id=inspection.id, version=1, **(create or {}), **values)
        if hasattr(model, "client_uuid"):
            record.client_uuid = client_uuid
        if hasattr(model, "author_id") and "author_id" not in (create or {}):
            record.author_id = user.id
        if hasattr(model, "created_at"):
            record.created_at = now
        _touch(record, user, now)
        db.session.add(record)
        db.session.flush()
        status = "created"
        audit(user, "create", kind, record.id, label, None, _snap(record, keys), inspection.id)
    else:
        if record.inspection_id != inspection.id:
            raise OperationError("记录不属于本次检查。")
        before = _snap(record, keys)
        status = "updated"
        if base_version not in (None, "") and int(base_version) != record.version:
            status = "conflict"
            db.session.add(RecordConflict(
                inspection_id=inspection.id, kind=kind, record_id=record.id, base_version=int(base_version),
                overwritten=before, incoming=dict(_jsonable(values), author_id=user.id), author_id=user.id,
            ))
        for k, v in values.items():
            setattr(record, k, v)
        record.version += 1
        _touch(record, user, now)
        audit(user, "update", kind, record.id, label, before, _snap(record, keys), inspection.id)
    remember_op(client_uuid, kind, record.id, record.version, user)
    replay = commit_or_replay(client_uuid, kind, lambda op: db.session.get(model, op.record_id))
    if replay is not None:
        return replay, "replay"
    return record, status


def _touch(record, user, now):
    if hasattr(record, "updated_at"):
        record.updated_at = now
    if hasattr(record, "updated_by_id"):
        record.updated_by_id = user.id


def _jsonable(values):
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


def _snap(record, keys):
    return dict(_jsonable({k: getattr(record, k) for k in keys}), version=record.version)


def text_field(form, name, label, *, required=False, max_len=2000):
    """A stripped text value from a form, with Chinese errors for missing or too long input."""
    value = (form.get(name) or "").strip()
    if required and not value:
        raise OperationError(f"请填写{label}。")
    if len(value) > max_len:
        raise OperationError(f"{label}最多 {max_len} 字。")
    return value


def choice_field(form, name, label, choices, *, required=True):
    value = (form.get(name) or "").strip()
    if not value and not required:
        return None
    if value not in choices:
        raise OperationError(f"请选择{label}：{'、'.join(choices)}。")
    return value


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
    op = find_op(client_uuid, "photo")
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
    db.session.add(photo)
    db.session.flush()
    audit(user, "create", "photo", photo.id, f"上传照片 {item_code or subject_type}", None,
          {"sha256": result.sha256, "subject": f"{subject_type}:{subject_id}", "item": item_code}, inspection.id)
    remember_op(client_uuid, "photo", photo.id, 1, user)
    replay = commit_or_replay(client_uuid, "photo", lambda op: db.session.get(Photo, op.record_id))
    if replay is not None:
        return replay, "replay"
    return photo, "created"
