"""Photos taken during the inspection, attached to what they document."""
from ..extensions import db
from .base import utcnow


class Photo(db.Model):
    """One photo: stored by content hash (data and thumbnail) behind app.media.storage.

    What it documents uses the same keys as CheckRecord: subject_type (school / archive_county /
    archive_school / department / hearing_entry / interview), subject_id and, for checklist
    items, item_code. A photo of a school with no item is a loose school photo."""

    __tablename__ = "photos"
    id = db.Column(db.Integer, primary_key=True)
    client_uuid = db.Column(db.String(36), unique=True, nullable=False)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, index=True)
    school_id = db.Column(db.Integer, db.ForeignKey("schools.id"), index=True)
    subject_type = db.Column(db.String(16), nullable=False)
    subject_id = db.Column(db.Integer, nullable=False)
    item_code = db.Column(db.String(32))
    data_key = db.Column(db.String(200), nullable=False)
    thumb_key = db.Column(db.String(200), nullable=False)
    sha256 = db.Column(db.String(64), nullable=False, index=True)
    width = db.Column(db.Integer, nullable=False)
    height = db.Column(db.Integer, nullable=False)
    size = db.Column(db.Integer, nullable=False)
    taken_at = db.Column(db.DateTime)  # the phone's time at capture (UTC)
    latitude = db.Column(db.Float)
    longitude = db.Column(db.Float)
    accuracy = db.Column(db.Float)
    caption = db.Column(db.String(200), nullable=False, default="")
    is_evidence = db.Column(db.Boolean, nullable=False, default=False)  # marked by a lead for the report
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    deleted_at = db.Column(db.DateTime)
    deleted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))

    author = db.relationship("User", foreign_keys=[author_id])
    school = db.relationship("School")
    inspection = db.relationship("Inspection")
