"""The call managers' side: the applications of a call by window and status, one application as last deposited,
its files (blocked until the scanner says clean), streamed ZIPs, CSV and XLSX exports, requests for pieces."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.accounts.permissions import can_manage_call
from portal.applications import cerfa, completeness, exports, permissions, pieces, queries
from portal.applications.forms import PieceRequestForm
from portal.applications.history import ACTION_LABELS
from portal.catalog.queries import get_call
from portal.core.files import mime_of
from portal.core.storage import send_stored
from portal.core.time import now

bp = Blueprint("applications_staff", __name__, url_prefix="/gestion")


def managed_call(slug: str):
    call = get_call(slug)
    if call is None:
        abort(404)
    if refusal := can_manage_call(current_user, call.uuid, call.issuer):
        raise refusal
    return call


def managed_application(application_id: uuid.UUID):
    """404 but for the call's managers, and for them too while it is a draft never deposited: staff learn from the
    list that a draft exists, nothing of its content."""
    application = queries.for_manager(application_id, current_user) or abort(404)
    if not application.ever_deposited:
        abort(404)
    return application


@bp.get("/appels/<slug>/candidatures")
@login_required
def call_applications(slug: str):
    call = managed_call(slug)
    window, status = request.args.get("fenetre", ""), request.args.get("statut", "")
    rows = queries.of_call(call, window, status, current_user)
    return render_template("applications/staff_list.html", call=call, rows=rows, window=window, status=status,
                           organisations=queries.organisations_by_id(a.organisation_id for a in rows),
                           missing={a.id: completeness.problems(a) for a in rows if a.is_draft},
                           counts=queries.counts_by_status(call, current_user))


@bp.get("/appels/<slug>/candidatures.<any(csv, xlsx):extension>")
@login_required
def export(slug: str, extension: str):
    call = managed_call(slug)
    rows = queries.of_call(call, request.args.get("fenetre", ""), request.args.get("statut", ""), current_user)
    return exports.application_list(call, rows, extension)


@bp.get("/appels/<slug>/fenetres/<key>/pieces.zip")
@login_required
def window_zip(slug: str, key: str):
    call = managed_call(slug)
    window = next((w for w in call.windows if w.key == key), None) or abort(404)
    return exports.files_zip(f"{window.file_stem}-pieces.zip",
                             [a for a in queries.of_call(call, key, user=current_user) if a.ever_deposited],
                             current_user)


@bp.get("/candidatures/<uuid:application_id>")
@login_required
def show(application_id: uuid.UUID):
    application = managed_application(application_id)
    version = application.latest_version
    given = version.answers
    form = PieceRequestForm()
    form.slots.choices = [(d.key, d.label) for d in application.call.spec.required_documents]
    return render_template("applications/staff_show.html", application=application, version=version,
                           files=queries.files_by_id(version.file_ids),
                           spec=application.call.spec, given=given,
                           organisation=queries.organisations_by_id([application.organisation_id])[
                               application.organisation_id],
                           history=queries.staff_history(application), form=form, cerfa=cerfa,
                           totals=version.budget_totals, action_labels=ACTION_LABELS,
                           scanner_configured=bool(current_app.config.get("CLAMD_URL")))


@bp.get("/candidatures/<uuid:application_id>/pieces.zip")
@login_required
def application_zip(application_id: uuid.UUID):
    application = managed_application(application_id)
    return exports.files_zip(f"{application.number}-pieces.zip", [application], current_user)


@bp.get("/candidatures/<uuid:application_id>/fichiers/<uuid:file_id>")
@login_required
def download(application_id: uuid.UUID, file_id: uuid.UUID):
    application = managed_application(application_id)
    file = queries.file_of(application, file_id) or abort(404)
    refusal = permissions.can_download(current_user, application, file)  # staff see what was deposited, no draft
    if refusal and refusal.status == 404:
        abort(404)
    if refusal:  # a file the scanner blocks: back to the application, saying why
        flash(refusal.message, "error")
        return redirect(url_for(".show", application_id=application.id))
    return send_stored(file.storage_key, file.original_name, mime_of(file.format))


@bp.post("/candidatures/<uuid:application_id>/demande-pieces")
@login_required
def request_pieces(application_id: uuid.UUID):
    application = managed_application(application_id)
    form = PieceRequestForm()
    form.slots.choices = [(d.key, d.label) for d in application.call.spec.required_documents]
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(errors), "error")
    else:
        pieces.request_pieces(application, form.slots.data, form.message.data, form.due_on.data, current_user, now())
        flash("La demande de pièces est envoyée à l'organisation.", "success")
    return redirect(url_for(".show", application_id=application.id) + "#demande-pieces")

