from flask import Blueprint, render_template

from ..extensions import db
from ..models import Inspection
from ..permissions import ALL_ROLES, require_view, roles
from ..fieldwork.progress import school_findings, school_visit_counts, steps

bp = Blueprint("inspections", __name__)


@bp.get("/inspections/<int:iid>")
@roles(*ALL_ROLES)
def show(iid):
    inspection = db.get_or_404(Inspection, iid, description="检查不存在。")
    require_view(inspection)
    visits = sorted(inspection.visits, key=lambda v: (v.group_id or 0, v.school.code))
    return render_template(
        "inspections/show.html", inspection=inspection, steps=steps(inspection),
        counts=school_visit_counts(inspection), visits=visits,
    )


@bp.get("/inspections/<int:iid>/findings")
@roles(*ALL_ROLES)
def findings(iid):
    inspection = db.get_or_404(Inspection, iid, description="检查不存在。")
    require_view(inspection)
    return render_template("inspections/findings.html", inspection=inspection, findings=school_findings(inspection))
