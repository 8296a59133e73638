"""One blueprint per area; thin: parse input, call the domain or operations, render."""


def register_blueprints(app):
    from . import admin, auth, checklist, counties, draws, health, inspections, main, photos, procedure, reports, schooldata, setup, summaries
    from . import interviews  # noqa: F401  (its routes are on the procedure blueprint)

    for module in (admin, auth, checklist, counties, draws, health, inspections, main, photos, procedure, reports, schooldata, setup, summaries):
        app.register_blueprint(module.bp)
