"""Evidence files (佐证材料) of a data report: PDF, images, xlsx/docx. The size is capped before
the whole file is read, the type is decided by the bytes (not the name or the browser's word),
the bytes go to app.media.storage under their hash. No Flask request here."""
import hashlib
import io
import os
import re
import zipfile

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..fieldwork.operations import OperationError, audit, check_uuid, find_op, remember_op
from ..media.storage import content_key
from ..models.base import utcnow
from ..models.reporting import ReportEvidence
from .workflow import EDITABLE, form_of, subject_name

MAX_BYTES = 10 * 1024 * 1024
KIND = "report_evidence"
TYPES = {  # kind: (content type, extensions, stored suffix)
    "pdf": ("application/pdf", (".pdf",), ".pdf"),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg"), ".jpg"),
    "png": ("image/png", (".png",), ".png"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), ".xlsx"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), ".docx"),
}
ACCEPT = ".pdf,.jpg,.jpeg,.png,.xlsx,.docx"
ALLOWED_TEXT = "PDF、JPG、PNG 图片或 Excel（xlsx）、Word（docx）文件"


def read_capped(stream, limit=MAX_BYTES):
    """At most limit + 1 bytes of an upload stream: a larger file is refused without reading it all."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise OperationError(f"文件太大：每个佐证材料最大 {limit // (1024 * 1024)} MB，请压缩或拆分后上传。")
    return data


def sniff(data):
    """The kind of file the bytes are (a key of TYPES), or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names:
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "word/document.xml" in names:
                return "docx"
    return None


def clean_filename(name):
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name)
    return name[-120:] or "file"


def targets_of(report):
    """{target: 中文 name}: the form's groups and fields a file may belong to."""
    form = form_of(report)
    out = {}
    for g in form.groups:
        out[g.code] = g.name
        for f in g.fields:
            out.setdefault(f.key, f"{g.name} · {f.label}")
    return out


def add_evidence(report, user, client_uuid, target, filename, data, storage):
    """Store one evidence file for `target` (a group code or field key). The same UUID sent again
    (an outbox retry) returns the stored file and stores nothing. Returns (evidence, status)."""
    client_uuid = check_uuid(client_uuid)
    op = find_op(client_uuid, KIND, None, user)
    if op is not None:
        return db.session.get(ReportEvidence, op.record_id), "replay"
    if report.status not in EDITABLE:
        raise OperationError(f"这份填报{report.status_label}，不能再添加佐证材料。")
    if target not in targets_of(report):
        raise OperationError("请选择佐证材料对应的项目。")
    if not data:
        raise OperationError("请选择要上传的文件。")
    if len(data) > MAX_BYTES:
        raise OperationError(f"文件太大：每个佐证材料最大 {MAX_BYTES // (1024 * 1024)} MB。")
    filename = clean_filename(filename)
    kind = sniff(data)
    if kind is None:
        raise OperationError(f"「{filename}」不是可接受的文件：只能上传{ALLOWED_TEXT}。")
    content_type, extensions, suffix = TYPES[kind]
    if not filename.lower().endswith(extensions):
        raise OperationError(f"「{filename}」的内容是 {kind.upper()} 文件，与文件名后缀不符，请检查后重新上传。")
    sha = hashlib.sha256(data).hexdigest()
    key = "evidence/" + content_key(sha, suffix)
    storage.put(key, data, content_type)
    ev = ReportEvidence(report_id=report.id, target=target, filename=filename, storage_key=key,
                        content_type=content_type, size=len(data), sha256=sha, uploaded_by_id=user.id,
                        uploaded_at=utcnow())
    try:
        db.session.add(ev)
        db.session.flush()
        audit(user, "create", KIND, ev.id, f"上传佐证材料「{filename}」（{subject_name(report)} · {targets_of(report)[target]}）",
              None, {"文件": filename, "大小": len(data), "sha256": sha})
        remember_op(client_uuid, KIND, ev.id, 1, user)
        db.session.commit()
    except IntegrityError:  # its twin (same UUID) was stored first
        db.session.rollback()
        op = find_op(client_uuid, KIND, None, user)
        if op is None:
            raise
        return db.session.get(ReportEvidence, op.record_id), "replay"
    return ev, "created"


def delete_evidence(report, ev, user):
    """Take a file off a report that is still being filled (kept in storage; marked deleted)."""
    if report.status not in EDITABLE:
        raise OperationError(f"这份填报{report.status_label}，佐证材料不能再删除。")
    if ev.deleted_at is not None:
        return
    ev.deleted_at = utcnow()
    audit(user, "delete", KIND, ev.id, f"删除佐证材料「{ev.filename}」（{subject_name(report)}）",
          {"文件": ev.filename}, None)
    db.session.commit()


def live_evidence(report):
    """{target: [evidence]} of the files not deleted."""
    out = {}
    for ev in report.evidence:
        if ev.deleted_at is None:
            out.setdefault(ev.target, []).append(ev)
    return out
