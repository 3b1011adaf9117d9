"""The platform administrators' back office: the instance's health (its landing page), people and their roles, the
audit log, the outbox. A composition root, like pages.py: it offers the calls of the catalogue as scopes for the roles of accounts."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from portal.accounts import permissions, queries, roles
from portal.accounts.models import ROLES, Role, User
from portal.catalog.queries import facets, titles
from portal.core import audit, health, mail
from portal.core.errors import Refusal
from portal.core.hooks import NavEntry
from portal.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


class GrantRoleForm(FlaskForm):
    role = SelectField("Rôle", choices=[("", "Choisir…"), *ROLES.items()],
                       validators=[DataRequired("Choisissez un rôle.")])
    issuer = SelectField("Émetteur (gestionnaire de tous les appels d'un émetteur)", choices=[],
                         validators=[Optional()])
    call = SelectField("Appel (gestionnaire ou évaluateur d'un appel nommé)", choices=[], validators=[Optional()])

    def with_choices(self) -> GrantRoleForm:
        self.issuer.choices = [("", "—"), *((name, name) for name in facets()["issuer"])]
        self.call.choices = [("", "—"), *((str(call_uuid), title) for call_uuid, title in titles())]
        return self


def menu_entry(user) -> NavEntry | None:
    """« Administration » in the header, for the platform's administrators."""
    return NavEntry("Administration", "admin.index", marks_current=False) if permissions.is_admin(user) else None


def role_home(user, grant) -> NavEntry | None:
    """« Mes rôles » on « Mon compte »: the administrator's role links to this back office."""
    return NavEntry("État de l'instance", "admin.index") if grant.role == Role.ADMIN else None


def home(user) -> tuple[int, str] | None:
    """Where an administrator lands after signing in, unless she manages or reviews calls too."""
    return (30, url_for("admin.index")) if permissions.is_admin(user) else None


@bp.before_request
@login_required
def _administrators_only():
    if not permissions.is_admin(current_user):
        abort(404)  # the back office does not exist for anyone else


@bp.get("/")
def index():
    """« État de l'instance »: what an administrator checks first (core.health), read without writing."""
    return render_template("admin/index.html", health=health.report(), duration_fr=health.duration_fr,
                           volume_fr=health.volume_fr, stale_after=health.BACKUP_STALE)


@bp.get("/utilisateurs")
def users():
    text = request.args.get("q", "")
    return render_template("admin/users.html", users=queries.search_users(text), q=text, roles=ROLES,
                           call_titles=_call_titles())


def _call_titles() -> dict[uuid.UUID, str]:
    return dict(titles())


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        abort(404)
    return user


@bp.route("/utilisateurs/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    person = _user(user_id)
    form = GrantRoleForm().with_choices()
    if form.validate_on_submit():
        try:
            roles.grant_role(person, form.role.data, by=current_user, issuer=form.issuer.data or None,
                             call_id=uuid.UUID(form.call.data) if form.call.data else None)
        except Refusal as refused:  # shown at the role's field
            form.role.errors.append(refused.message)
        else:
            flash(f"Rôle accordé à {person.name}.", "success")
            return redirect(url_for(".user", user_id=person.id))
    return render_template("admin/user.html", person=person, form=form, roles=ROLES, call_titles=_call_titles(),
                           empty=FlaskForm()), 400 if form.errors else 200


@bp.post("/roles/<int:grant_id>/retirer")
def withdraw(grant_id: int):
    grant = queries.grant(grant_id)
    if grant is None:
        abort(404)
    if FlaskForm().validate_on_submit():
        roles.withdraw_role(grant, by=current_user)
        flash("Rôle retiré.", "success")
    return redirect(url_for(".user", user_id=grant.user_id))


@bp.get("/journal")
def audit_log():
    return render_template("admin/audit.html", events=audit.recent(300, request.args.get("action", "")))


OUTBOX_FILTERS = {"attente": "en attente d'envoi", "echec": "dont le dernier essai a échoué",
                  "abandon": "abandonnés après le dernier essai"}


@bp.get("/courriels")
def outbox():
    """The outbox, filtered from the health panel; the bodies (sign-in links) only in development (SHOW_OUTBOX)."""
    state = request.args.get("etat", "")
    if state not in OUTBOX_FILTERS:
        state = ""
    if not state and not current_app.config["SHOW_OUTBOX"]:
        return redirect(url_for(".outbox", etat="attente"))
    messages = mail.latest(100) if not state else health.unsent_messages(state, 100)
    return render_template("admin/outbox.html", messages=messages, state=state, filters=OUTBOX_FILTERS,
                           show_bodies=current_app.config["SHOW_OUTBOX"])
