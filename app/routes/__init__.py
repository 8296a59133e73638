"""One blueprint per area; thin: parse input, call the domain or operations, render."""


def register_blueprints(app):
    from . import admin, auth, checklist, counties, draws, health, inspections, main, photos, procedure, province, reporting, reports, schooldata, selfcheck, setup, summaries
    from . import conflicts, interviews  # noqa: F401  (their routes are on the summaries and procedure blueprints)

    for module in (admin, auth, checklist, counties, draws, health, inspections, main, photos, procedure, province, reporting, reports, schooldata, selfcheck, setup, summaries):
        app.register_blueprint(module.bp)
