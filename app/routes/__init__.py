"""One blueprint per area; thin: parse input, call the domain or operations, render."""


def register_blueprints(app):
    from . import admin, auth, checklist, counties, draws, health, inspections, main, photos, procedure, province, reports, schooldata, setup, summaries

    for module in (admin, auth, checklist, counties, draws, health, inspections, main, photos, procedure, province, reports, schooldata, setup, summaries):
        app.register_blueprint(module.bp)
