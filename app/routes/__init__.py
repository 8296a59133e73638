"""One blueprint per area; thin: parse input, call the domain or operations, render."""


def register_blueprints(app):
    from . import auth, checklist, counties, health, inspections, main, procedure, schooldata

    for module in (auth, checklist, counties, health, inspections, main, procedure, schooldata):
        app.register_blueprint(module.bp)
