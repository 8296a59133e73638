"""修改冲突 of a data report: a field two people changed from one version. The later save is on
the report; the value it replaced is a RecordConflict (kind "data_report", record_id the report,
no inspection) until someone keeps the current value or restores the overwritten one. A restore
is an edit like any other: on a claimed version, audited, and only while the report is editable.
No Flask request here."""
from sqlalchemy import update

from ..extensions import db
from ..fieldwork.operations import MAX_ATTEMPTS, OperationError, audit, claim_version
from ..models import RecordConflict, User
from ..models.base import utcnow
from ..models.reporting import DataReport
from .workflow import EDITABLE, KIND, entries_of, labels_of

CHOICES = ("kept", "restored")


def open_conflicts(report):
    return db.session.execute(db.select(RecordConflict).filter_by(kind=KIND, record_id=report.id, resolved_at=None)
                              .order_by(RecordConflict.id)).scalars().all()


def _names(ids):
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(db.select(User.id, User.name).where(User.id.in_(ids))).all())


def _units(report):
    return {key: f.unit for key, f, _sec in entries_of(report, {})} | {key: f.unit for key, f, _sec in entries_of(report)}


def conflict_rows(report):
    """One dict per open conflict, for the 修改冲突 box: field label and unit, the overwritten
    value and who had stored it, the current value and who stored it, when it was overwritten."""
    rows = open_conflicts(report)
    labels, units = labels_of(report), _units(report)
    authors = report.value_authors
    names = _names([c.author_id for c in rows] + [(c.overwritten or {}).get("author_id") for c in rows]
                   + list((authors or {}).values()) + [report.updated_by_id])
    out = []
    for c in rows:
        key = (c.overwritten or {}).get("field")
        now_by = report.updated_by_id if authors is None else authors.get(key)
        out.append({
            "conflict": c, "key": key, "label": labels.get(key, key), "unit": units.get(key, ""),
            "overwritten": (c.overwritten or {}).get("value"),
            "overwritten_by": names.get((c.overwritten or {}).get("author_id"), "导入数据"),
            "by": names.get(c.author_id, ""), "current": (report.values or {}).get(key),
            "current_by": names.get(now_by, "导入数据"), "at": c.created_at,
        })
    return out


def notices_for(report, user):
    """{field key: row (as conflict_rows)} of the open conflicts whose overwritten value was
    `user`'s and whose later save was someone else's: the notice on that field of the page."""
    return {r["key"]: r for r in conflict_rows(report)
            if (r["conflict"].overwritten or {}).get("author_id") == user.id and r["conflict"].author_id != user.id}


def _shown(value):
    if value is None:
        return "（空）"
    if value is True or value is False:
        return "是" if value else "否"
    return f"{value:g}" if isinstance(value, float) else str(value)


def resolve(report, conflict, user, choice):
    """Close `conflict` of `report`: "kept" leaves the current value, "restored" puts the
    overwritten value back on a new version (refused while the report is submitted or approved).
    Audited; commits. Raises OperationError (Chinese) when it cannot be done."""
    if conflict is None or conflict.kind != KIND or conflict.record_id != report.id:
        raise OperationError("冲突记录不存在。")
    if choice not in CHOICES:
        raise OperationError("请选择保留当前的值，或恢复被覆盖的值。")
    labels = labels_of(report)
    key = (conflict.overwritten or {}).get("field")
    label = labels.get(key, key)
    for _attempt in range(MAX_ATTEMPTS):
        # one resolution per conflict: claimed in the database, like a version
        claimed = db.session.execute(
            update(RecordConflict).where(RecordConflict.id == conflict.id, RecordConflict.resolved_at.is_(None))
            .values(resolution=choice, resolved_at=utcnow(), resolved_by_id=user.id)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.rollback()
            return False  # someone resolved it first
        if choice == "kept":
            audit(user, "update", KIND, report.id, f"处理修改冲突：{label}保留当前的值 {_shown((report.values or {}).get(key))}",
                  None, {"修改冲突": label, "处理": "保留当前"})
            db.session.commit()
            return True
        db.session.refresh(report, with_for_update=True)
        if report.status not in EDITABLE:
            db.session.rollback()
            raise OperationError(f"这份填报{report.status_label}，不能恢复被覆盖的值。"
                                 + ("如需恢复，请先由督导办退回修改。" if report.status in ("submitted", "approved") else ""))
        value = (conflict.overwritten or {}).get("value")
        values = dict(report.values or {})
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
        if key not in {k for k, _f, _s in entries_of(report, values)}:
            db.session.rollback()
            raise OperationError(f"「{label}」按现在的填写已不需要填报，不能恢复。")
        read_version, before = report.version, (report.values or {}).get(key)
        if not claim_version(DataReport, report, read_version):
            db.session.rollback()
            continue
        authors = dict(report.value_authors or {})
        authors[key] = (conflict.overwritten or {}).get("author_id")
        report.values = values
        report.value_authors = authors
        report.updated_by_id = user.id
        report.updated_at = utcnow()
        audit(user, "restore", KIND, report.id, f"处理修改冲突：{label}恢复为被覆盖的值 {_shown(value)}",
              {label: before}, {label: value, "版本": report.version})
        db.session.commit()
        return True
    raise OperationError("操作的人太多，请稍后重试。")
