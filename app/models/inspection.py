from ..extensions import db
from .base import utcnow

LEVELS = ["县级自评", "市级复核", "省级评估", "国家督导检查"]
STATUSES = {"draft": "筹备中", "running": "进行中", "signed": "已签发"}
# The seven steps of domain/procedure.md, in order.
STEPS = [
    (1, "hearing", "听取县级政府主要领导陈述答辩"),
    (2, "archives", "查阅档案资料"),
    (3, "schools", "分组检查学校"),
    (4, "departments", "检查相关部门"),
    (5, "interviews", "实地随机访谈"),
    (6, "summaries", "小组汇总情况"),
    (7, "feedback", "反馈评估意见"),
]
MEMBER_ROLES = {"team_lead": "检查组组长", "member": "检查组成员", "office": "督导办工作人员"}


class Inspection(db.Model):
    __tablename__ = "inspections"
    id = db.Column(db.Integer, primary_key=True)
    county_id = db.Column(db.Integer, db.ForeignKey("counties.id"), nullable=False, index=True)
    standard_id = db.Column(db.String(32), nullable=False)
    level = db.Column(db.String(16), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    year = db.Column(db.Integer)
    start_date = db.Column(db.Date)
    end_date = db.Column(db.Date)
    status = db.Column(db.String(16), nullable=False, default="running")
    current_step = db.Column(db.Integer, nullable=False, default=1)
    locked = db.Column(db.Boolean, nullable=False, default=False)
    watermark = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    county = db.relationship("County")
    members = db.relationship("InspectionMember", back_populates="inspection", cascade="all, delete-orphan")
    groups = db.relationship("Group", back_populates="inspection", order_by="Group.id", cascade="all, delete-orphan")
    visits = db.relationship("Visit", back_populates="inspection", cascade="all, delete-orphan")

    @property
    def status_label(self):
        return STATUSES.get(self.status, self.status)

    @property
    def standard(self):
        from ..standards import get_standard

        return get_standard(self.standard_id)


class InspectionMember(db.Model):
    __tablename__ = "inspection_members"
    __table_args__ = (db.UniqueConstraint("inspection_id", "user_id", name="uq_inspection_members_pair"),)
    id = db.Column(db.Integer, primary_key=True)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    role = db.Column(db.String(16), nullable=False, default="member")

    inspection = db.relationship("Inspection", back_populates="members")
    user = db.relationship("User")

    @property
    def role_label(self):
        return MEMBER_ROLES.get(self.role, self.role)


class Group(db.Model):
    __tablename__ = "groups"
    id = db.Column(db.Integer, primary_key=True)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, index=True)
    name = db.Column(db.String(64), nullable=False)
    lead_user_id = db.Column(db.Integer, db.ForeignKey("users.id"))

    inspection = db.relationship("Inspection", back_populates="groups")
    lead = db.relationship("User")
    members = db.relationship("GroupMember", back_populates="group", cascade="all, delete-orphan")
    visits = db.relationship("Visit", back_populates="group")


class GroupMember(db.Model):
    __tablename__ = "group_members"
    __table_args__ = (db.UniqueConstraint("group_id", "user_id", name="uq_group_members_pair"),)
    id = db.Column(db.Integer, primary_key=True)
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)

    group = db.relationship("Group", back_populates="members")
    user = db.relationship("User")


class Visit(db.Model):
    """A school an inspection's group visits (分组检查学校)."""

    __tablename__ = "visits"
    __table_args__ = (db.UniqueConstraint("inspection_id", "school_id", name="uq_visits_pair"),)
    id = db.Column(db.Integer, primary_key=True)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, index=True)
    school_id = db.Column(db.Integer, db.ForeignKey("schools.id"), nullable=False, index=True)
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id"), index=True)
    inspector_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    planned_date = db.Column(db.Date)
    started_at = db.Column(db.DateTime)
    finished_at = db.Column(db.DateTime)

    inspection = db.relationship("Inspection", back_populates="visits")
    school = db.relationship("School")
    group = db.relationship("Group", back_populates="visits")
    inspector = db.relationship("User")

    @property
    def state_label(self):
        if self.finished_at:
            return "已完成"
        if self.started_at:
            return "检查中"
        return "未开始"
