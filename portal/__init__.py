"""The portal's application factory: configuration, extensions, blueprints, CLI — nothing else."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template

from portal.config import ROOT, Config


def create_app(config: Config | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str((config or Config()).INSTANCE_DIR))
    app.config.from_object(config or Config())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from portal.core import time

    time.register(app)  # first: the arrival instant is taken before CSRF reads the request body
    from portal.core import request_body

    request_body.register(app)  # uploads read 256 KiB at a time (core/request_body.py)

    from portal.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)

    from portal.core import errors, formatting, hooks, security, unit_of_work

    formatting.register(app)
    hooks.register(app)  # the slots through which a domain adds to an upstream page (core/hooks.py)
    security.register(app)
    unit_of_work.register(app)  # the request commits once, at the end (core/unit_of_work.py)
    errors.register(app)

    # Five domains read better as an explicit list than as auto-discovery.
    from portal.catalog import alert_views, api, feeds, opendata, views

    app.register_blueprint(views.bp)
    app.register_blueprint(alert_views.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(opendata.bp)
    csrf.exempt(api.bp)  # read-only JSON API: GET only
    hooks.contribute(app, "account.sections", hooks.fragment("catalog/_account_alerts.html"))
    from portal.accounts.permissions import can_manage_call, can_manage_issuer, managed_issuers
    from portal.catalog import authoring_views

    # The editor: who manages an issuer or a call is the accounts' rule.
    authoring_views.register(app, can_manage_call=can_manage_call, can_manage_issuer=can_manage_issuer,
                             managed_issuers=managed_issuers)
    from portal.catalog import attachment_views

    attachment_views.register(app)  # the files published with a call: its managers' page, the public download

    from portal.accounts import views as accounts_views

    accounts_views.register(app)

    from portal.applications import views as applications_views

    applications_views.register(app)

    from portal.reviews import views as reviews_views

    reviews_views.register(app)

    from portal.followup import views as followup_views

    followup_views.register(app)

    from portal import admin, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(admin.bp)
    hooks.contribute(app, "navigation", admin.menu_entry, order=0)
    hooks.contribute(app, "home", admin.home)
    hooks.contribute(app, "account.role_home", admin.role_home)
    security.public_blueprints(app, views.bp.name, feeds.bp.name, api.bp.name, opendata.bp.name, pages.bp.name)

    from portal.accounts.cli import users_cli
    from portal.applications.cli import applications_cli
    from portal.catalog.cli import alerts_cli, calls_cli
    from portal.core.backup_cli import backup_command, restore_command
    from portal.core.cli import mail_cli
    from portal.core.storage_cli import storage_cli
    from portal.demo import demo_cli
    from portal.followup.cli import followup_cli
    from portal.reviews.cli import reviews_cli

    for group in (calls_cli, alerts_cli, users_cli, applications_cli, reviews_cli, mail_cli, storage_cli, demo_cli,
                  backup_command, restore_command, followup_cli):
        app.cli.add_command(group)

    @app.context_processor
    def _site():
        return {"site_name": app.config["SITE_NAME"], "issuer_name": app.config["ISSUER_NAME"]}

    @app.errorhandler(404)
    def _not_found(error):
        return render_template("errors/404.html"), 404

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def _csrf_refused(error):
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(413)
    def _too_large(error):
        return render_template("errors/413.html"), 413

    @app.errorhandler(500)
    def _server_error(error):
        return render_template("errors/500.html"), 500

    from portal.core import outages

    outages.register(app)  # a full disk, a database out of reach: a French page, no traceback

    from portal.catalog import public_pages
    from portal.core import page_cache

    # Last, so that its after_request sees the view's answer first (Flask runs them in reverse) and the security
    # and rate-limit headers are added to every answer, from the cache or not.
    page_cache.register(app, public_pages.PUBLIC_ENDPOINTS, public_pages.state)
    public_pages.forget_on_commit(app)
    security.trust_proxies(app)  # the outermost layer: after every other wraps wsgi_app

    return app
