from ..extensions import db
from .base import utcnow


class AuditEntry(db.Model):
    """Who changed what, when, from what to what."""

    __tablename__ = "audit_entries"
    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), index=True)
    action = db.Column(db.String(32), nullable=False)
    entity = db.Column(db.String(32), nullable=False)
    entity_id = db.Column(db.Integer)
    summary = db.Column(db.String(200), nullable=False, default="")
    before = db.Column(db.JSON)
    after = db.Column(db.JSON)

    user = db.relationship("User")
