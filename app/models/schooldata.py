"""School section data per year (the template's columns) and the imports that brought them."""
from ..extensions import db
from .base import utcnow


class DataImport(db.Model):
    """One uploaded template: checked, previewed, then stored on an explicit confirm.

    `rows` holds the checked rows while the import waits for confirmation (status "pending"), so
    the confirm stores exactly what was previewed; `warnings` stay with the stored data.

    A province import (several counties in one file, rows carrying county_code) has no county;
    on confirm each county gets a DataImport of its own and `summary` lists them:
    [{code, name, rows, import_id}]."""

    __tablename__ = "data_imports"
    id = db.Column(db.Integer, primary_key=True)
    county_id = db.Column(db.Integer, db.ForeignKey("counties.id"), index=True)  # None: a province import
    year = db.Column(db.Integer, nullable=False)
    filename = db.Column(db.String(200), nullable=False, default="")
    status = db.Column(db.String(12), nullable=False, default="pending")  # pending / stored / discarded
    rows = db.Column(db.JSON)
    warnings = db.Column(db.JSON, nullable=False, default=list)
    row_count = db.Column(db.Integer, nullable=False, default=0)
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    uploaded_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    stored_at = db.Column(db.DateTime)
    summary = db.Column(db.JSON)  # a stored province import: the counties it stored

    county = db.relationship("County")
    uploaded_by = db.relationship("User")


class SchoolSectionData(db.Model):
    """One school section's reported conditions for one year (学校办学条件数据, one row of the
    template). Unique per (school, year, 学段); a later import of the same year replaces it."""

    __tablename__ = "school_section_data"
    __table_args__ = (db.UniqueConstraint("school_id", "year", "section"),)
    id = db.Column(db.Integer, primary_key=True)
    school_id = db.Column(db.Integer, db.ForeignKey("schools.id"), nullable=False, index=True)
    year = db.Column(db.Integer, nullable=False)
    section = db.Column(db.String(4), nullable=False)  # 学段
    import_id = db.Column(db.Integer, db.ForeignKey("data_imports.id"))
    row = db.Column(db.Integer)  # the row in the imported file, for the warnings
    ownership = db.Column(db.String(4), nullable=False, default="公办")  # 办学性质: 公办 / 民办
    students = db.Column(db.Integer, nullable=False)
    high_students = db.Column(db.Integer)  # 高中在校生数 of a 完全中学 / 十二年一贯制学校 (for the asset split)
    classes = db.Column(db.Integer, nullable=False)
    max_class = db.Column(db.Integer)
    teachers = db.Column(db.Integer, nullable=False)
    qualified_teachers = db.Column(db.Integer, nullable=False)
    key_teachers = db.Column(db.Integer, nullable=False)
    pe_art_teachers = db.Column(db.Integer, nullable=False)
    senior_teachers = db.Column(db.Integer, nullable=False)
    teaching_area = db.Column(db.Float, nullable=False)
    sports_area = db.Column(db.Float, nullable=False)
    equipment_value = db.Column(db.Float, nullable=False)  # 万元
    multimedia_rooms = db.Column(db.Integer, nullable=False)
    computers = db.Column(db.Integer, nullable=False)
    books = db.Column(db.Integer, nullable=False)
    music_rooms = db.Column(db.Integer)
    art_rooms = db.Column(db.Integer)
    warnings = db.Column(db.JSON, nullable=False, default=list)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    school = db.relationship("School")
