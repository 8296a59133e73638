from ..extensions import db
from .base import utcnow

VERDICTS = ["达标", "不达标", "存疑", "不适用"]
ARCHIVE_VERDICTS = ["齐全", "不全", "缺失"]  # 查阅档案资料
PROBLEM_VERDICTS = ("不达标", "存疑", "不全", "缺失")


class CheckRecord(db.Model):
    """One judged item: the current answer for (inspection, subject, item).

    subject_type is school / county / department / archive; subject_id the row it points to
    (school id, department id, …). Edits bump `version`; every submission that produced or
    changed it is kept in ClientOp, keyed by the phone-made UUID.
    """

    __tablename__ = "check_records"
    __table_args__ = (
        db.UniqueConstraint("inspection_id", "subject_type", "subject_id", "item_code", name="uq_check_records_item"),
    )
    id = db.Column(db.Integer, primary_key=True)
    client_uuid = db.Column(db.String(36), unique=True, nullable=False)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, index=True)
    subject_type = db.Column(db.String(16), nullable=False, default="school")
    subject_id = db.Column(db.Integer, nullable=False)
    school_id = db.Column(db.Integer, db.ForeignKey("schools.id"), index=True)
    visit_id = db.Column(db.Integer, db.ForeignKey("visits.id"), index=True)
    item_code = db.Column(db.String(32), nullable=False)
    indicator_code = db.Column(db.String(8), nullable=False)
    verdict = db.Column(db.String(8), nullable=False)
    observed_value = db.Column(db.String(64), nullable=False, default="")
    note = db.Column(db.Text, nullable=False, default="")
    measurements = db.Column(db.JSON)  # rows measured on site (G3 rooms, G5 classes): [{label, value, limit, ok}]
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    version = db.Column(db.Integer, nullable=False, default=1)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    author = db.relationship("User")
    school = db.relationship("School")

    @property
    def is_problem(self):
        return self.verdict in PROBLEM_VERDICTS

    def snapshot(self):
        return {
            "verdict": self.verdict,
            "observed_value": self.observed_value,
            "note": self.note,
            "measurements": self.measurements,
            "version": self.version,
            "author_id": self.author_id,
        }


class ClientOp(db.Model):
    """Every capture submission, keyed by the UUID the phone made for it.

    A replayed POST finds its UUID here and gets the stored result back, changing nothing.
    """

    __tablename__ = "client_ops"
    id = db.Column(db.Integer, primary_key=True)
    client_uuid = db.Column(db.String(36), unique=True, nullable=False)
    kind = db.Column(db.String(24), nullable=False)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), index=True)  # a UUID is looked up within it
    record_id = db.Column(db.Integer, nullable=False)
    version = db.Column(db.Integer, nullable=False, default=1)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class RecordConflict(db.Model):
    """An edit made on a stale version: the later write is kept on the record, the state it
    overwrote is kept here for the group lead to resolve. No edit is silently lost."""

    __tablename__ = "record_conflicts"
    id = db.Column(db.Integer, primary_key=True)
    # None for a record outside any inspection (kind "data_report": a 数据填报, record_id its id)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), index=True)
    kind = db.Column(db.String(24), nullable=False)
    record_id = db.Column(db.Integer, nullable=False)
    base_version = db.Column(db.Integer, nullable=False)
    overwritten = db.Column(db.JSON, nullable=False)
    incoming = db.Column(db.JSON, nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    resolved_at = db.Column(db.DateTime)
    resolved_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    resolution = db.Column(db.String(16))
