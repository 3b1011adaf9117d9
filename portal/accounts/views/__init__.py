"""The accounts domain's pages: sign-up and sign-in (account.py), organisations (organisations.py)."""

from __future__ import annotations

from flask import Flask, render_template, session
from flask_login import current_user

from portal.accounts import identifiers, permissions, sessions
from portal.accounts.queries import memberships_of
from portal.core.time import now
from portal.extensions import login_manager


def register(app: Flask) -> None:
    from portal.accounts.views import account, organisations

    app.register_blueprint(account.bp)
    app.register_blueprint(organisations.bp)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(lambda session_id: sessions.resume(session_id, now()))
    app.add_template_filter(identifiers.display_rna, "rna")
    app.add_template_filter(identifiers.display_siret, "siret")

    @app.context_processor
    def _people():
        return {"permissions": permissions, "active_membership": active_membership}

    @app.errorhandler(429)
    def _too_many(error):
        return render_template("errors/429.html", retry=getattr(error, "description", "")), 429


def active_membership():
    """The membership the person is acting through (chosen in the header), or their first one."""
    if not current_user.is_authenticated:
        return None
    memberships = memberships_of(current_user)
    chosen = session.get("organisation")
    return next((m for m in memberships if str(m.organisation_id) == chosen), memberships[0] if memberships else None)
