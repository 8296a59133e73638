import secrets

from ..extensions import db
from .base import utcnow


def new_qr_token():
    """An unguessable token (128 bits) for a school's QR code."""
    return secrets.token_urlsafe(16)


class County(db.Model):
    __tablename__ = "counties"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(12), unique=True, nullable=False)  # 行政区划代码
    name = db.Column(db.String(64), nullable=False)
    province = db.Column(db.String(32), nullable=False, default="")
    city = db.Column(db.String(32), nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    schools = db.relationship("School", back_populates="county", order_by="School.code")


class School(db.Model):
    __tablename__ = "schools"
    id = db.Column(db.Integer, primary_key=True)
    county_id = db.Column(db.Integer, db.ForeignKey("counties.id"), nullable=False, index=True)
    code = db.Column(db.String(20), unique=True, nullable=False)  # 学校标识码
    name = db.Column(db.String(128), nullable=False)
    school_type = db.Column(db.String(16), nullable=False)  # 办学类型
    urban_rural = db.Column(db.String(8), nullable=False)  # 城乡类型
    parent_code = db.Column(db.String(20))  # 所属学校标识码 (教学点)
    qr_token = db.Column(db.String(43), unique=True, nullable=False, default=new_qr_token)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    county = db.relationship("County", back_populates="schools")

    @property
    def sections(self):
        """The 学段 this school teaches, from its 办学类型."""
        return {
            "小学": ["小学"],
            "教学点": ["小学"],
            "初中": ["初中"],
            "完全中学": ["初中"],
            "九年一贯制学校": ["小学", "初中"],
            "十二年一贯制学校": ["小学", "初中"],
        }.get(self.school_type, [])
