"""What every capture route answers the phone: the autosave client (static/js/outbox.js) asks
for JSON; HTMX and plain forms keep their HTML. Also the notice a person sees on an item whose
answer someone else's stale save replaced (the lead sees the same on 修改冲突)."""
from flask import current_app, jsonify, request
from markupsafe import Markup, escape

from ..extensions import db
from ..models import RecordConflict, User
from ..timefmt import local_time

STATUS_LABELS = {"conflict": "已保存（覆盖了您没有看到的修改，已留存供组长处理）"}


def wants_json():
    return "application/json" in (request.headers.get("Accept") or "")


def saved(record, status, edit_url=None, **extra):
    """The stored result of a capture save (a replay gets the same answer as the first time)."""
    label = STATUS_LABELS.get(status, "已保存")
    from flask_login import current_user

    # the author is nearly always the person saving: no extra query (and transaction) for it
    author_id = getattr(record, "author_id", None) or getattr(record, "updated_by_id", None)
    if author_id is not None and author_id == current_user.id:
        name = current_user.name
    else:
        author = getattr(record, "author", None)
        name = author.name if author else ""
    when = getattr(record, "updated_at", None)
    at = " ".join(x for x in (name,
                              local_time(when, tz_name=current_app.config["TIMEZONE"]) if when else "") if x)
    return jsonify(ok=True, status=status, id=record.id, version=record.version,
                   label=f"{label} · 第 {record.version} 版", at=at, edit_url=edit_url, **extra), 200


def refused(message):
    return jsonify(ok=False, error=message), 422


def overwritten_notices(inspection_id, user, subject_type, subject_id):
    """{item code: notice HTML} for one page's items (one subject: a school's checklist, its
    archives, a department) whose open conflict replaced `user`'s answer. The query is bounded
    by the subject, whatever the inspection's number of conflicts."""
    from ..models import CheckRecord

    rows = db.session.execute(
        db.select(RecordConflict, CheckRecord.item_code)
        .join(CheckRecord, CheckRecord.id == RecordConflict.record_id)
        .where(RecordConflict.inspection_id == inspection_id, RecordConflict.kind == "check_record",
               RecordConflict.resolved_at.is_(None), CheckRecord.subject_type == subject_type,
               CheckRecord.subject_id == subject_id)).all()
    return _notices([(c, code) for c, code in rows], user)


# What the overwritten person had saved, as the notice names it, by kind (when no verdict, judgement
# or satisfaction says it).
WHAT = {"check_record": "答案", "interview": "访谈记录", "hearing_entry": "问答", "department": "总体结论",
        "group_summary": "综述", "feedback": "反馈意见"}


def _notices(pairs, user):
    """{key: notice HTML} for the (conflict, key) pairs whose conflict replaced `user`'s save (a
    person's own later save over their own earlier one tells them nothing new). The notice stays on
    the row while the conflict is open: until the lead keeps one version or restores the other."""
    mine = [(c, key) for c, key in pairs if (c.overwritten or {}).get("author_id") == user.id and c.author_id != user.id]
    if not mine:
        return {}
    names = dict(db.session.execute(db.select(User.id, User.name).where(User.id.in_({c.author_id for c, _ in mine}))).all())
    out = {}
    for c, key in mine:
        was = c.overwritten or {}
        what = "、".join(escape(str(was[k])) for k in ("verdict", "judgement", "satisfaction") if was.get(k))
        note = escape((was.get("note") or "")[:60])
        out[key] = Markup(
            f'<div class="flash flash-error conflict-notice" role="alert">您保存的「{what or WHAT.get(c.kind, "答案")}」'
            f'{("（" + note + "）") if note else ""}已被{escape(names.get(c.author_id, ""))}于 '
            f'{local_time(c.created_at, tz_name=current_app.config["TIMEZONE"])} 覆盖：对方保存时没有看到您的答案。两个版本都已留存，'
            f'由组长在「修改冲突」中处理。</div>')
    return out


def conflict_notice(kind, inspection_id, record_id):
    """The notice on one row of another kind than a check item (interview, hearing entry,
    department check, group summary, feedback) for the signed-in person, or "". A template global:
    the partials that show such a row are rendered from several routes (the page, the HTMX answer,
    the refused form), and each shows the notice the same way. One query per kind and request,
    bounded by the inspection's open conflicts of that kind."""
    from flask_login import current_user

    if record_id is None or not getattr(current_user, "is_authenticated", False):
        return ""
    cache = request.__dict__.setdefault("_conflict_notices", {})  # this request's, never another's
    if (kind, inspection_id) not in cache:
        rows = db.session.execute(db.select(RecordConflict).where(
            RecordConflict.inspection_id == inspection_id, RecordConflict.kind == kind,
            RecordConflict.resolved_at.is_(None))).scalars().all()
        cache[(kind, inspection_id)] = _notices([(c, c.record_id) for c in rows], current_user)
    return cache[(kind, inspection_id)].get(record_id, "")
