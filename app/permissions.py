"""Who may do what. Every view is wrapped in exactly one of `public` or `roles(...)`;
tests/test_permissions.py walks every URL rule and checks both attributes."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .extensions import db
from .models import Group, GroupMember, Inspection, InspectionMember, Visit

ALL_ROLES = ("admin", "lead", "inspector", "expert", "reporter")


def public(view):
    view._public = True
    return view


def roles(*allowed):
    """Login required, and the user's role among `allowed` (else 403 in Chinese)."""
    for r in allowed:
        assert r in ALL_ROLES, r

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403, description="您的账号角色无权访问此页面。")
            return view(*args, **kwargs)

        wrapped._roles = tuple(allowed)
        return wrapped

    return decorator


def member_role(user, inspection):
    """The user's role in an inspection ('team_lead', 'member', 'office') or None."""
    m = db.session.execute(
        db.select(InspectionMember.role).filter_by(inspection_id=inspection.id, user_id=user.id)
    ).scalar()
    return m


def is_member(user, inspection):
    return member_role(user, inspection) is not None


def is_team_lead(user, inspection):
    return member_role(user, inspection) == "team_lead"


def can_view_inspection(user, inspection):
    return user.role == "admin" or is_member(user, inspection)


def require_view(inspection):
    if not can_view_inspection(user := current_user, inspection):
        abort(403, description=f"{user.name}不是本次检查的成员。")


def require_capture(inspection):
    """Capture (answers, notes, photos) needs membership; a signed inspection refuses edits."""
    if not is_member(current_user, inspection) or current_user.role == "admin":
        abort(403, description="只有本次检查的检查组成员可以录入。")
    if inspection.locked:
        abort(403, description="本次检查已签发锁定，记录不能再修改。")


def user_groups(user, inspection):
    return db.session.execute(
        db.select(Group)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .filter(Group.inspection_id == inspection.id, GroupMember.user_id == user.id)
    ).scalars().all()


def current_inspection_for(user, school):
    """The user's current inspection covering this school: the newest running inspection of
    the school's county that the user is a member of (admins: any running one)."""
    q = db.select(Inspection).filter(Inspection.county_id == school.county_id, Inspection.status != "signed")
    if user.role != "admin":
        q = q.join(InspectionMember, InspectionMember.inspection_id == Inspection.id).filter(
            InspectionMember.user_id == user.id
        )
    found = db.session.execute(q.order_by(Inspection.id.desc())).scalars().first()
    if found is None:
        # A signed inspection still opens read-only.
        q2 = db.select(Inspection).filter(Inspection.county_id == school.county_id)
        if user.role != "admin":
            q2 = q2.join(InspectionMember, InspectionMember.inspection_id == Inspection.id).filter(
                InspectionMember.user_id == user.id
            )
        found = db.session.execute(q2.order_by(Inspection.id.desc())).scalars().first()
    return found


def my_visits(user):
    """Visits assigned to the user or to a group the user belongs to, in running inspections."""
    group_ids = db.select(GroupMember.group_id).filter(GroupMember.user_id == user.id)
    return db.session.execute(
        db.select(Visit)
        .join(Inspection, Inspection.id == Visit.inspection_id)
        .filter(Inspection.status == "running")
        .filter((Visit.inspector_id == user.id) | Visit.group_id.in_(group_ids))
        .order_by(Visit.planned_date, Visit.id)
    ).scalars().all()


def inspection_or_404(iid):
    """The inspection, if the current user may see it (404 / 403 in Chinese otherwise)."""
    inspection = db.get_or_404(Inspection, iid, description="检查不存在。")
    require_view(inspection)
    return inspection


def record_in(model, record_id, inspection, missing="记录不存在。"):
    """A row of `model` that belongs to `inspection` (404 in Chinese otherwise)."""
    row = db.session.get(model, record_id) if record_id is not None else None
    if row is None or row.inspection_id != inspection.id:
        abort(404, description=missing)
    return row


def led_groups(user, inspection):
    """The inspection's groups `user` leads."""
    return [g for g in inspection.groups if g.lead_user_id == user.id]


def leads_work_of(user, inspection, author_ids=(), school_id=None):
    """Whether `user` may act as a lead on a piece of work (a photo, a conflict): the team lead on
    all of it; a group lead on their own group's — made by a member of a group they lead, or of a
    school that group visits."""
    if is_team_lead(user, inspection):
        return True
    groups = led_groups(user, inspection)
    if not groups:
        return False
    ids = [g.id for g in groups]
    authors = {a for a in author_ids if a is not None}
    if authors and db.session.execute(db.select(GroupMember.id).where(
            GroupMember.group_id.in_(ids), GroupMember.user_id.in_(authors)).limit(1)).first():
        return True
    if school_id is not None and db.session.execute(db.select(Visit.id).where(
            Visit.inspection_id == inspection.id, Visit.school_id == school_id, Visit.group_id.in_(ids)).limit(1)).first():
        return True
    return False
