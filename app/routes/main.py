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
    counties = db.session.execute(db.select(County).order_by(County.code)).scalars().all() if current_user.role != "inspector" else []
    from flask import current_app

    from ..timefmt import local_today

    today = local_today(current_app.config["TIMEZONE"])
    visits = my_visits(current_user)
    today_visits = [v for v in visits if v.planned_date == today]
    other_visits = [v for v in visits if v.planned_date != today]
    return render_template("main/home.html", inspections=inspections, visits=visits, today_visits=today_visits,
                           other_visits=other_visits, counties=counties)
