from flask import Blueprint, render_template
from flask_login import current_user

from ..extensions import db
from ..models import County, Inspection, InspectionMember
from ..permissions import ALL_ROLES, my_visits, roles

bp = Blueprint("main", __name__)


@bp.get("/")
@roles(*ALL_ROLES)
def home():
    if current_user.role == "admin":
        inspections = db.session.execute(db.select(Inspection).order_by(Inspection.id.desc())).scalars().all()
    else:
        inspections = db.session.execute(
            db.select(Inspection)
            .join(InspectionMember, InspectionMember.inspection_id == Inspection.id)
            .filter(InspectionMember.user_id == current_user.id)
            .order_by(Inspection.id.desc())
        ).scalars().all()
    counties = db.session.execute(db.select(County).order_by(County.code)).scalars().all() if current_user.role not in ("inspector", "reporter") else []
    from flask import current_app

    from ..timefmt import local_today

    today = local_today(current_app.config["TIMEZONE"])
    visits = my_visits(current_user)
    today_visits = [v for v in visits if v.planned_date == today]
    other_visits = [v for v in visits if v.planned_date != today]
    reporting = None
    if current_user.role == "reporter":
        from ..models.reporting import DataReport
        from ..reporting.workflow import DEFAULT_STANDARD, STANDARDS
        from .reporting import _years, default_year

        school = current_user.school
        reports = db.session.execute(db.select(DataReport).filter_by(subject=f"school:{school.id}").order_by(
            DataReport.year.desc(), DataReport.id)).scalars().all() if school else []
        reporting = {"school": school, "reports": reports, "year": default_year(), "years": _years(),
                     "standards": STANDARDS, "standard": DEFAULT_STANDARD}
    return render_template("main/home.html", inspections=inspections, visits=visits, today_visits=today_visits,
                           other_visits=other_visits, counties=counties, offline_pages=offline_pages, reporting=reporting)


def offline_pages(visit):
    """The pages an inspector opens at an assigned school besides its checklist: kept on the
    phone too (the service worker fetches them), so they open with no signal."""
    from flask import url_for

    from ..standards import interview_questions

    iid, sid = visit.inspection_id, visit.school_id
    urls = [url_for("procedure.school_archives", iid=iid, school_id=sid),
            url_for("procedure.new_interview", iid=iid, school_id=sid, back="school")]
    urls += [url_for("procedure.new_interview", iid=iid, type=t, school_id=sid, back="school")
             for t in interview_questions()["types"]]
    return " ".join(urls)
