"""State changes go through here, not through views (Indico's operations layer).

Idempotent capture: every submission carries a UUID made by the phone. The first time it is
seen it is applied and remembered in ClientOp; a replay (retry, double tap, outbox drain)
finds it and gets the stored record back, changing nothing. Edits carry the version they
were made on; a stale one is applied (later write wins) and the overwritten state is kept as
a RecordConflict for the group lead.
"""
import os
import random
import re
import time
import uuid as uuidlib

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

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


def new_uuids(n):
    """n random (version 4) UUIDs from one read of the system's randomness, for a page with a form
    per item (uuid4() reads it once per UUID)."""
    raw = os.urandom(16 * n)
    return [str(uuidlib.UUID(bytes=raw[16 * k:16 * k + 16], version=4)) for k in range(n)]


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


def find_op(client_uuid, kind, inspection=None, user=None):
    """The stored submission for this UUID, or None. A UUID is looked up within its own
    inspection and user: one used for another kind, inspection or user is refused, so it can
    never return another inspection's data."""
    op = db.session.execute(db.select(ClientOp).filter_by(client_uuid=client_uuid)).scalar()
    if op is None:
        return None
    if (op.kind != kind or (inspection is not None and op.inspection_id not in (None, inspection.id))
            or (user is not None and op.user_id != user.id)):
        raise OperationError("客户端编号已被其他记录使用，请刷新页面后重试。")
    return op


def remember_op(client_uuid, kind, record_id, version, user, inspection=None):
    db.session.add(ClientOp(client_uuid=client_uuid, kind=kind, record_id=record_id, version=version, user_id=user.id,
                            inspection_id=inspection.id if inspection is not None else None))


def claim_version(model, record, read_version):
    """Take the next version of `record` in the database, only where its version is still the
    one read (UPDATE … WHERE version = :read). Returns False when another save claimed it first:
    the caller rolls back, reads again and decides anew. Two saves can never claim one version.
    The row stays locked (PostgreSQL) or the database write-locked (SQLite) until commit, so the
    fields set afterwards belong to the claimed version."""
    result = db.session.execute(
        update(model).where(model.id == record.id, model.version == read_version)
        .values(version=read_version + 1).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    set_committed_value(record, "version", read_version + 1)
    return True


def commit_keeping_state():
    """Commit without expiring what this request has loaded: the record stays as this save
    stored it (not as a later save left it), and the inspection, school and user the answer is
    rendered with are not read again. Only for the end of a request that has nothing left to
    read but what it wrote."""
    session = db.session()
    session.flush()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def base_of(base_version):
    """The version a form was made on. An empty one means "I saw no answer": version 0."""
    if base_version in (None, ""):
        return 0
    try:
        return int(base_version)
    except (TypeError, ValueError):
        raise OperationError("提交的版本号无效，请刷新页面后重试。") from None


# A save that lost a race (its version was claimed, or a twin or a first answer was stored
# first) rolls back and starts again from a fresh read; each retry means another save landed.
# The row is read FOR UPDATE, so on PostgreSQL the read waits for the save ahead of it and the
# claim holds; SQLite has one writer at a time and ignores FOR UPDATE: there the claim decides.
MAX_ATTEMPTS = 60


def _back_off(attempt):
    time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))


def save_versioned_row(*, kind, model, inspection, user, client_uuid, values, find, new, base_version,
                       snapshot, label, before_commit=None):
    """The one way a versioned capture row is created or edited (check records, hearing entries,
    interviews, department checks). Returns (record, status), status one of 'created',
    'updated', 'conflict' (stored over a version the author had not seen; the state it replaced
    is kept as a RecordConflict) or 'replay' (this UUID was stored before: nothing changes).

    find() gives the current row or None; new() a fresh row for a first answer. Races are
    decided by the database: a unique UUID (twins), a unique row key (two first answers) and
    the version claim (two edits). The loser re-reads and is stored as what it is: a replay or
    a conflict, never lost and never a 500."""
    client_uuid = check_uuid(client_uuid)
    base = base_of(base_version)
    for _attempt in range(MAX_ATTEMPTS):
        op = find_op(client_uuid, kind, inspection, user)
        if op is not None:
            record = db.session.get(model, op.record_id)
            set_committed_value(record, "version", op.version)  # the version this submission stored
            return record, "replay"
        if inspection.locked:
            raise OperationError("本次检查已签发锁定，记录不能再修改。")
        now = utcnow()
        record = find()
        try:
            if record is None:
                record = new()
                for k, v in values.items():
                    setattr(record, k, v)
                record.version = 1
                if hasattr(record, "client_uuid"):
                    record.client_uuid = client_uuid
                _touch(record, user, now, created=True)
                db.session.add(record)
                db.session.flush()
                status = "created"
                audit(user, "create", kind, record.id, label, None, snapshot(record), inspection.id)
            else:
                read_version = record.version
                before = snapshot(record)
                if not claim_version(model, record, read_version):
                    db.session.rollback()
                    _back_off(_attempt)
                    continue
                # a stale save over a state that holds nothing (a row made empty with the inspection)
                # overwrites no one's work: no conflict
                status = "updated" if base == read_version or not holds_content(before) else "conflict"
                if status == "conflict":
                    db.session.add(RecordConflict(
                        inspection_id=inspection.id, kind=kind, record_id=record.id, base_version=base,
                        overwritten=with_author(before, kind, record), incoming=dict(_jsonable(values), author_id=user.id),
                        author_id=user.id,
                    ))
                for k, v in values.items():
                    setattr(record, k, v)
                _touch(record, user, now)
                audit(user, "update", kind, record.id, label, before, snapshot(record), inspection.id)
            if before_commit is not None:
                before_commit(record, now)
            remember_op(client_uuid, kind, record.id, record.version, user, inspection)
            commit_keeping_state()
            return record, status
        except IntegrityError:
            # a twin with this UUID, or another first answer to this item, was stored first
            db.session.rollback()
            _back_off(_attempt)
            continue
    raise OperationError("保存的人太多，暂时未能保存，请稍后重试（已保存在本机的记录会自动重试）。")


def save_check_record(
    *, inspection, user, client_uuid, subject_type, subject_id, item_code, indicator_code,
    verdict, observed_value="", note="", base_version=None, school_id=None, visit=None, verdicts=VERDICTS,
    measurements=None,
):
    """Create or update the answer to one item (see save_versioned_row for the statuses)."""
    if verdict not in verdicts:
        raise OperationError(f"请选择结论：{'、'.join(verdicts)}。")
    observed_value = (observed_value or "").strip()
    note = (note or "").strip()
    if len(observed_value) > 64:
        raise OperationError("观测值最多 64 个字。")
    if len(note) > 2000:
        raise OperationError("备注最多 2000 字。")
    values = {"verdict": verdict, "observed_value": observed_value, "note": note, "measurements": measurements,
              "author_id": user.id}

    def find():
        return db.session.execute(db.select(CheckRecord).filter_by(
            inspection_id=inspection.id, subject_type=subject_type, subject_id=subject_id, item_code=item_code)
            .with_for_update()).scalar()

    def new():
        return CheckRecord(inspection_id=inspection.id, subject_type=subject_type, subject_id=subject_id,
                           school_id=school_id, visit_id=visit.id if visit else None, item_code=item_code,
                           indicator_code=indicator_code)

    def before_commit(record, now):
        if visit is not None and record.visit_id is None:
            record.visit_id = visit.id
        if visit is not None and visit.started_at is None:
            visit.started_at = now

    return save_versioned_row(
        kind="check_record", model=CheckRecord, inspection=inspection, user=user, client_uuid=client_uuid,
        values=values, find=find, new=new, base_version=base_version, snapshot=CheckRecord.snapshot,
        label=f"{item_code} {verdict}", before_commit=before_commit)


def save_versioned(*, kind, model, inspection, user, client_uuid, values, record=None, base_version=None,
                   create=None, label=""):
    """Create (record None) or edit a capture record of another shape (hearing entry, interview,
    department check), by the same rules as a check record. `values` are the validated fields;
    `create` extra fields for a new row. Returns (record, status)."""
    if record is not None and record.inspection_id != inspection.id:
        raise OperationError("记录不属于本次检查。")
    keys = list(values)
    record_id = record.id if record is not None else None
    create = dict(create or {})

    def find():
        if record_id is None:
            return None
        return db.session.get(model, record_id, populate_existing=True, with_for_update=True)

    def new():
        row = model(inspection_id=inspection.id, **create)
        if hasattr(model, "author_id") and "author_id" not in create:
            row.author_id = user.id
        return row

    return save_versioned_row(
        kind=kind, model=model, inspection=inspection, user=user, client_uuid=client_uuid, values=values,
        find=find, new=new, base_version=base_version if record is not None else None,
        snapshot=lambda r: _snap(r, keys), label=label)


def save_text_edit(*, kind, record, inspection, user, values, base_version, label):
    """An edit of a text row several people may open (group summary, feedback): stored only on
    a claimed version; one made on a version someone else has since changed is stored too, and
    the state it replaced is kept as a RecordConflict. The caller commits."""
    keys = list(values)
    base = base_of(base_version) if base_version not in (None, "") else record.version
    for _attempt in range(MAX_ATTEMPTS):
        db.session.refresh(record, with_for_update=True)
        read_version = record.version
        before = _snap(record, keys)
        if not claim_version(type(record), record, read_version):
            db.session.rollback()
            continue
        if base != read_version and holds_content(before):
            db.session.add(RecordConflict(
                inspection_id=inspection.id, kind=kind, record_id=record.id, base_version=base,
                overwritten=with_author(before, kind, record), incoming=dict(_jsonable(values), author_id=user.id), author_id=user.id))
        for k, v in values.items():
            setattr(record, k, v)
        audit(user, "update", kind, record.id, label, before, _snap(record, keys), inspection.id)
        return "updated" if base == read_version else "conflict"
    raise OperationError("保存的人太多，暂时未能保存，请稍后重试。")


def _touch(record, user, now, created=False):
    if created and hasattr(record, "created_at"):
        record.created_at = now
    if hasattr(record, "updated_at"):
        record.updated_at = now
    if hasattr(record, "updated_by_id"):
        record.updated_by_id = user.id


def _jsonable(values):
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


def holds_content(snapshot):
    """Whether a row's state holds anything someone wrote (not only its version and author)."""
    return any(v not in (None, "", [], {}) for k, v in snapshot.items() if k not in ("version", "author_id"))


def _snap(record, keys):
    return dict(_jsonable({k: getattr(record, k) for k in keys}), version=record.version)


def with_author(snapshot, kind, record):
    """The state a stale save replaces, with who stored it (author_id), for the RecordConflict:
    the notice goes to that person and 修改冲突 names them. A check record's snapshot carries its
    author already. Other rows keep their creator (interviews, hearing entries) or no author at all
    (group summary, feedback), so the last editor is read from the audit log, which every change
    of a row writes: the latest create/update/restore of this row that set one of its fields.
    Only a conflict asks; an ordinary save costs nothing more."""
    if snapshot.get("author_id") is not None:
        return snapshot
    keys = set(snapshot) - {"version", "author_id"}
    entries = db.session.execute(
        db.select(AuditEntry.user_id, AuditEntry.after)
        .where(AuditEntry.inspection_id == record.inspection_id, AuditEntry.entity == kind,
               AuditEntry.entity_id == record.id, AuditEntry.action.in_(("create", "update", "restore")))
        .order_by(AuditEntry.id.desc()).limit(200))
    editor = next((uid for uid, after in entries if uid is not None and keys & set(after or {})), None)
    if editor is None:
        editor = getattr(record, "updated_by_id", None) or getattr(record, "author_id", None)
    return dict(snapshot, author_id=editor)


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
