"""Resolving a 修改冲突: the group lead keeps the later save or restores the state it replaced.

A restore is an edit like any other: stored on a claimed version, audited, and refused where
an edit would be (a submitted group summary takes its text back only after it is returned)."""
from ..extensions import db
from ..models import GroupSummary
from ..models.base import utcnow
from .operations import OperationError, _jsonable, _touch, audit, claim_version


def resolve_conflict(conflict, model, user, choice):
    """Mark `conflict` kept or restored (the overwritten values back on a new version). Raises
    OperationError (Chinese) when the choice cannot be stored; the caller commits."""
    if conflict.resolved_at is not None:
        return
    if choice not in ("kept", "restored"):
        raise OperationError("请选择保留后保存的内容，或恢复被覆盖的内容。")
    if choice == "restored":
        record = db.session.get(model, conflict.record_id)
        if record is None:
            raise OperationError("这条记录已不存在，只能保留当前内容。")
        if isinstance(record, GroupSummary) and record.status == "submitted":
            raise OperationError("小组汇总已提交，不能再修改：请检查组组长先退回，再恢复被覆盖的内容。")
        before = {k: getattr(record, k) for k in conflict.overwritten
                  if k not in ("version", "author_id") and hasattr(record, k)}
        if not claim_version(model, record, record.version):
            raise OperationError("这条记录刚被修改，请刷新后再处理。")  # nothing stored; the lead decides anew
        for k in before:
            setattr(record, k, conflict.overwritten[k])
        _touch(record, user, utcnow())
        audit(user, "restore", conflict.kind, record.id, "处理冲突：恢复被覆盖的版本", _jsonable(before),
              {k: conflict.overwritten[k] for k in before}, conflict.inspection_id)
    conflict.resolution = choice
    conflict.resolved_at = utcnow()
    conflict.resolved_by_id = user.id
