"""Records of the on-site procedure's steps (domain/procedure.md): draws, the hearing,
departments, interviews, group summaries, the feedback and its rectification items.

School checklist answers, archive items (subject_type 'archive_county' / 'archive_school')
and department items (subject_type 'department') are CheckRecords (records.py).
Capture records made on a phone carry a client UUID and a version like CheckRecord.
"""
from ..extensions import db
from .base import utcnow

JUDGEMENTS = ["好", "较好", "一般", "差"]
SATISFACTION = ["满意", "基本满意", "不满意"]
INTERVIEWEE_TYPES = ["教师", "学生", "家长", "校长", "人大代表/政协委员", "群众", "部门工作人员"]
CONCLUSIONS = ["通过", "整改后复核", "不通过"]


class Draw(db.Model):
    """A provable random draw: what it drew from, the rule, the seed, who, when, the result."""

    __tablename__ = "draws"
    id = db.Column(db.Integer, primary_key=True)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False)  # schools / interviewees
    title = db.Column(db.String(200), nullable=False, default="")
    population = db.Column(db.JSON, nullable=False)
    rule = db.Column(db.JSON, nullable=False)
    seed = db.Column(db.String(64), nullable=False)
    result = db.Column(db.JSON, nullable=False)
    algorithm = db.Column(db.String(32), nullable=False, default="v1")
    drawn_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    drawn_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    drawn_by = db.relationship("User")


class Hearing(db.Model):
    """听取县级政府主要领导陈述答辩: who reported."""

    __tablename__ = "hearings"
    id = db.Column(db.Integer, primary_key=True)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, index=True)
    reporter = db.Column(db.String(100), nullable=False)  # e.g. 县长 王某某
    held_at = db.Column(db.DateTime)
    summary = db.Column(db.Text, nullable=False, default="")
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class HearingEntry(db.Model):
    __tablename__ = "hearing_entries"
    id = db.Column(db.Integer, primary_key=True)
    client_uuid = db.Column(db.String(36), unique=True, nullable=False)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, index=True)
    hearing_id = db.Column(db.Integer, db.ForeignKey("hearings.id"), index=True)
    question = db.Column(db.Text, nullable=False)
    asked_by = db.Column(db.String(64), nullable=False, default="")
    answer = db.Column(db.Text, nullable=False, default="")
    judgement = db.Column(db.String(4), nullable=False)
    indicator_code = db.Column(db.String(8))
    note = db.Column(db.Text, nullable=False, default="")
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    version = db.Column(db.Integer, nullable=False, default=1)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    author = db.relationship("User")


class Department(db.Model):
    """A government department checked (检查相关部门) and its overall finding."""

    __tablename__ = "departments"
    __table_args__ = (db.UniqueConstraint("inspection_id", "name", name="uq_departments_name"),)
    id = db.Column(db.Integer, primary_key=True)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, index=True)
    name = db.Column(db.String(64), nullable=False)
    indicator_codes = db.Column(db.JSON, nullable=False, default=list)
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id"))
    documents_seen = db.Column(db.Text, nullable=False, default="")
    verdict = db.Column(db.String(8))
    note = db.Column(db.Text, nullable=False, default="")
    version = db.Column(db.Integer, nullable=False, default=1)
    updated_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    updated_at = db.Column(db.DateTime)


class Interview(db.Model):
    """实地随机访谈: one interviewee's answers."""

    __tablename__ = "interviews"
    id = db.Column(db.Integer, primary_key=True)
    client_uuid = db.Column(db.String(36), unique=True, nullable=False)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, index=True)
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id"), index=True)
    school_id = db.Column(db.Integer, db.ForeignKey("schools.id"), index=True)
    draw_id = db.Column(db.Integer, db.ForeignKey("draws.id"))
    interviewee_type = db.Column(db.String(16), nullable=False)
    interviewee = db.Column(db.String(100), nullable=False, default="")  # e.g. 五年级二班 12号
    answers = db.Column(db.JSON, nullable=False, default=dict)
    satisfaction = db.Column(db.String(8), nullable=False)
    note = db.Column(db.Text, nullable=False, default="")
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    version = db.Column(db.Integer, nullable=False, default=1)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    author = db.relationship("User")
    school = db.relationship("School")


class GroupSummary(db.Model):
    """小组汇总: the group lead's summary, submitted to the team lead."""

    __tablename__ = "group_summaries"
    id = db.Column(db.Integer, primary_key=True)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, index=True)
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id"), nullable=False, unique=True)
    covered = db.Column(db.Text, nullable=False, default="")
    strengths = db.Column(db.Text, nullable=False, default="")
    narrative = db.Column(db.Text, nullable=False, default="")
    status = db.Column(db.String(16), nullable=False, default="draft")  # draft / submitted
    submitted_at = db.Column(db.DateTime)
    submitted_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    version = db.Column(db.Integer, nullable=False, default=1)

    group = db.relationship("Group")
    problems = db.relationship("SummaryProblem", back_populates="summary", order_by="SummaryProblem.position",
                               cascade="all, delete-orphan")


class SummaryProblem(db.Model):
    """A problem in a group summary, linked to the record it came from."""

    __tablename__ = "summary_problems"
    id = db.Column(db.Integer, primary_key=True)
    summary_id = db.Column(db.Integer, db.ForeignKey("group_summaries.id"), nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False, default=0)
    text = db.Column(db.Text, nullable=False)
    indicator_code = db.Column(db.String(8))
    school_id = db.Column(db.Integer, db.ForeignKey("schools.id"))
    department_id = db.Column(db.Integer, db.ForeignKey("departments.id"))
    source_kind = db.Column(db.String(24), nullable=False)  # check_record / interview / hearing_entry / …
    source_id = db.Column(db.Integer, nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    is_key = db.Column(db.Boolean, nullable=False, default=False)
    merged_into_id = db.Column(db.Integer, db.ForeignKey("summary_problems.id"))

    summary = db.relationship("GroupSummary", back_populates="problems")
    school = db.relationship("School")
    department = db.relationship("Department")


class Feedback(db.Model):
    """反馈评估意见: the team's opinion, one per inspection; signing locks the inspection."""

    __tablename__ = "feedbacks"
    id = db.Column(db.Integer, primary_key=True)
    inspection_id = db.Column(db.Integer, db.ForeignKey("inspections.id"), nullable=False, unique=True)
    process = db.Column(db.Text, nullable=False, default="")
    achievements = db.Column(db.Text, nullable=False, default="")
    requirements = db.Column(db.Text, nullable=False, default="")
    vetoes = db.Column(db.JSON, nullable=False, default=dict)  # {"V1": false, …}: true = applies
    conclusion = db.Column(db.String(16))
    figures = db.Column(db.JSON)  # the automatic figures, frozen at sign-off
    # what no record counts, entered by the team lead: {"forums": {participant type: [meetings, people]},
    # "questionnaires": n}; a figure left blank is absent (the opening then leaves it out)
    entered_figures = db.Column(db.JSON)
    # The document as the office sends it (issue 11). Text fields hold what the team lead edited;
    # empty means "not edited yet": the document prints the draft the app makes from the records.
    addressee = db.Column(db.String(200), nullable=False, default="")  # 主送, e.g. 示范县人民政府
    issuer = db.Column(db.String(200), nullable=False, default="")  # 落款: the issuing body
    overall = db.Column(db.Text, nullable=False, default="")  # 总体结论 paragraph
    problems_text = db.Column(db.Text, nullable=False, default="")  # 二、存在的主要问题
    closing = db.Column(db.Text, nullable=False, default="")  # the closing request (整改、报送、复查)
    # evidence photos: {"out": [photo ids taken out], "in": [photo ids added]} on top of the default
    # (the photos of confirmed problems' records)
    photo_choice = db.Column(db.JSON)
    signed_at = db.Column(db.DateTime)
    signed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    version = db.Column(db.Integer, nullable=False, default=1)

    problems = db.relationship("FeedbackProblem", back_populates="feedback", order_by="FeedbackProblem.position",
                               cascade="all, delete-orphan")


class FeedbackProblem(db.Model):
    """A problem in the feedback, grouped by standard part with its indicator code."""

    __tablename__ = "feedback_problems"
    id = db.Column(db.Integer, primary_key=True)
    feedback_id = db.Column(db.Integer, db.ForeignKey("feedbacks.id"), nullable=False, index=True)
    position = db.Column(db.Integer, nullable=False, default=0)
    part = db.Column(db.String(8), nullable=False)  # standard part code: R / G / Q / S / …
    indicator_code = db.Column(db.String(8))
    target = db.Column(db.String(8), nullable=False, default="school")  # school / county
    school_id = db.Column(db.Integer, db.ForeignKey("schools.id"))
    department_id = db.Column(db.Integer, db.ForeignKey("departments.id"))
    text = db.Column(db.Text, nullable=False)
    is_key = db.Column(db.Boolean, nullable=False, default=False)
    # from a 存疑 answer: not a problem (kept out of the document and the lists) until a lead confirms it
    doubtful = db.Column(db.Boolean, nullable=False, default=False)
    evidence = db.Column(db.JSON, nullable=False, default=list)  # [{"kind": "check_record", "id": 1}, …]
    summary_problem_id = db.Column(db.Integer, db.ForeignKey("summary_problems.id"))

    feedback = db.relationship("Feedback", back_populates="problems")
    school = db.relationship("School")
    department = db.relationship("Department")
    rectification = db.relationship("RectificationItem", back_populates="problem", uselist=False)


class RectificationItem(db.Model):
    """整改清单 item for one feedback problem: measures, deadline (to the month), 销号."""

    __tablename__ = "rectification_items"
    id = db.Column(db.Integer, primary_key=True)
    problem_id = db.Column(db.Integer, db.ForeignKey("feedback_problems.id"), nullable=False, unique=True)
    measures = db.Column(db.Text, nullable=False, default="")
    deadline = db.Column(db.Date)  # first day of the month
    status = db.Column(db.String(16), nullable=False, default="open")  # open / closed
    closed_at = db.Column(db.DateTime)
    closed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    closing_evidence = db.Column(db.Text, nullable=False, default="")
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    problem = db.relationship("FeedbackProblem", back_populates="rectification")
