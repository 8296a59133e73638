"""Data reports (数据填报): a school's or the county's own figures for one year and standard,
filled online, submitted, and approved or sent back by a reviewer.

The form a report follows is data (app/standards/forms/<standard>.json, read by app.reporting.forms).
`values` is a flat JSON object keyed by field key; a field filled per 学段 is keyed
"<学段>.<field key>" (e.g. "小学.students"). A report is a versioned row: every save claims the next
version with UPDATE … WHERE version = <version read> (app.fieldwork.operations.claim_version)."""
from ..extensions import db
from .base import utcnow

REPORT_STATUSES = {"draft": "填报中", "submitted": "待审核", "returned": "已退回", "approved": "已通过"}


class DataReport(db.Model):
    __tablename__ = "data_reports"
    # subject: "school:<school id>" or "county:<county id>" (one report per subject, year and standard)
    __table_args__ = (db.UniqueConstraint("subject", "year", "standard_id"),)
    id = db.Column(db.Integer, primary_key=True)
    subject = db.Column(db.String(32), nullable=False)
    level = db.Column(db.String(8), nullable=False)  # "school" / "county": which form of the standard
    county_id = db.Column(db.Integer, db.ForeignKey("counties.id"), nullable=False, index=True)
    school_id = db.Column(db.Integer, db.ForeignKey("schools.id"), index=True)  # None for the county form
    year = db.Column(db.Integer, nullable=False)
    standard_id = db.Column(db.String(32), nullable=False)
    status = db.Column(db.String(12), nullable=False, default="draft")  # REPORT_STATUSES
    values = db.Column(db.JSON, nullable=False, default=dict)
    version = db.Column(db.Integer, nullable=False, default=0)
    # {field key: id of the user whose save stored its current value}; a field absent (or a report
    # from before this column) was last stored by updated_by (or imported, when never saved)
    value_authors = db.Column(db.JSON)
    return_reason = db.Column(db.Text, nullable=False, default="")  # the reviewer's last reason for sending back
    updated_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    submitted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    submitted_at = db.Column(db.DateTime)
    reviewed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    reviewed_at = db.Column(db.DateTime)

    county = db.relationship("County")
    school = db.relationship("School")
    updated_by = db.relationship("User", foreign_keys=[updated_by_id])
    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = db.relationship("User", foreign_keys=[reviewed_by_id])
    evidence = db.relationship("ReportEvidence", back_populates="report", order_by="ReportEvidence.id")

    @property
    def status_label(self):
        return REPORT_STATUSES.get(self.status, self.status)


class ReportEvidence(db.Model):
    """An evidence file (佐证材料) attached to a report, for one field or one group of the form."""

    __tablename__ = "report_evidence"
    id = db.Column(db.Integer, primary_key=True)
    report_id = db.Column(db.Integer, db.ForeignKey("data_reports.id"), nullable=False, index=True)
    target = db.Column(db.String(64), nullable=False)  # a field key or a group code of the form
    filename = db.Column(db.String(200), nullable=False)
    storage_key = db.Column(db.String(200), nullable=False)  # behind app.media.storage
    content_type = db.Column(db.String(100), nullable=False, default="application/octet-stream")
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    uploaded_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    deleted_at = db.Column(db.DateTime)

    report = db.relationship("DataReport", back_populates="evidence")
    uploaded_by = db.relationship("User")
