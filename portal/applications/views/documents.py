"""The applicant's documents page: one slot per document of the call, upload (with progress when JavaScript
runs), reuse from the vault, removal, download; and the pieces asked for after closing."""

from __future__ import annotations

import uuid

from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from portal.accounts.models import Organisation
from portal.accounts.queries import vault_document, vault_of
from portal.applications import completeness, documents, permissions, queries, submission
from portal.applications.views.applicant import bp, member_application
from portal.core import outages, unit_of_work
from portal.core.errors import Refusal
from portal.core.files import mime_of
from portal.core.formatting import size_fr
from portal.core.storage import send_stored
from portal.core.time import arrival, now, today_paris
from portal.extensions import db

OUTCOME = "slot_outcome"


def _answer(application, message: str, ok: bool, status: int = 200, field: str = "file", key: str | None = None):
    """JSON for the upload script; without JavaScript, back to the slot, where the page says what happened: the
    outcome waits in the session for that one page (as a flash would), beside the field it concerns."""
    if request.headers.get("X-Upload") == "1":
        return jsonify(ok=ok, message=message), status
    key = key or request.view_args.get("key", "")
    session[OUTCOME] = {"application": str(application.id), "slot": key, "field": field, "ok": ok,
                        "message": message}
    return redirect(url_for(".documents", application_id=application.id) + f"#doc-{key}")


def _outcome_for(application) -> dict | None:
    outcome = session.pop(OUTCOME, None)
    return outcome if outcome and outcome.get("application") == str(application.id) else None


@bp.get("/<uuid:application_id>/pieces", endpoint="documents")
@login_required
def documents_page(application_id: uuid.UUID):
    application = member_application(application_id)
    moment = now()
    organisation_id = permissions.acting_organisation(current_user, application)
    organisation = db.session.get(Organisation, organisation_id)
    return render_template("applications/documents.html", application=application,
                           slots=completeness.slots(application),
                           can_add=permissions.can_add_documents(current_user, application, moment) is None,
                           piece_request=permissions.open_piece_request(application, moment),
                           vault=vault_of(organisation), today=today_paris(moment),
                           outcome=_outcome_for(application))


@bp.post("/<uuid:application_id>/pieces/<key>")
@login_required
def upload(application_id: uuid.UUID, key: str):
    application = member_application(application_id)
    moment = arrival()
    refusal = permissions.can_upload(current_user, application, key, moment)
    if refusal:
        return _answer(application, refusal.message, False, refusal.status)
    piece_request = permissions.answering_piece_request(current_user, application, key, moment)
    files = [f for f in request.files.getlist("file") if f.filename]
    if not files:
        return _answer(application, "Choisissez un fichier à téléverser.", False, 400)
    added = []
    try:
        for file in files:
            added.append(documents.upload(application, key, file.stream, file.filename, current_user,
                                          permissions.acting_organisation(current_user, application), moment,
                                          piece_request_id=piece_request.id if piece_request else None))
    except Refusal as refused:
        unit_of_work.keep()  # the files of this sending stored before the refused one, and the audit of a virus
        return _answer(application, _already(added, refused.message), False, 422)
    except OSError as error:
        return _answer(application, _already(added, outages.disk_full_message(error)), False, 507)
    listed = ", ".join(f"{f.original_name} ({size_fr(f.size)})" for f in added)
    return _answer(application, f"{'Pièces ajoutées' if len(added) > 1 else 'Pièce ajoutée'} : {listed}.", True)


def _already(added: list, message: str) -> str:
    """A refusal after some files of the same sending were kept says which were."""
    return message + (f" Déjà enregistré : {', '.join(f.original_name for f in added)}." if added else "")


@bp.post("/<uuid:application_id>/pieces/<key>/coffre")
@login_required
def from_vault(application_id: uuid.UUID, key: str):
    application = member_application(application_id)
    moment = arrival()
    if refusal := permissions.can_add_documents(current_user, application, moment):
        return _answer(application, refusal.message, False, refusal.status)
    organisation = db.session.get(Organisation, permissions.acting_organisation(current_user, application))
    try:
        chosen = vault_document(organisation, uuid.UUID(request.form.get("document_id", "")))
    except ValueError:
        chosen = None
    if chosen is None:
        return _answer(application, "Choisissez un document du coffre-fort.", False, 400, field="vault")
    try:
        documents.attach_from_vault(application, key, chosen, current_user, moment)
    except Refusal as refused:
        unit_of_work.keep()  # the audit of a virus found in the vault's copy
        return _answer(application, refused.message, False, 422, field="vault")
    except OSError as error:  # the application's own copy could not be written
        return _answer(application, outages.disk_full_message(error), False, 507, field="vault")
    return _answer(application, f"« {chosen.label} » est repris du coffre-fort.", True, field="vault")


@bp.post("/<uuid:application_id>/fichiers/<uuid:file_id>/retirer")
@login_required
def remove_file(application_id: uuid.UUID, file_id: uuid.UUID):
    application = member_application(application_id)
    file = queries.file_of(application, file_id) or abort(404)
    refusal = permissions.can_remove_file(current_user, application, file, arrival())
    if refusal and refusal.status == 404:
        abort(404)
    if refusal:
        return _answer(application, refusal.message, False, key=file.slot)
    documents.remove(application, file, current_user, arrival())
    return _answer(application, f"« {file.original_name} » est retiré du dossier.", True, key=file.slot)


@bp.get("/<uuid:application_id>/fichiers/<uuid:file_id>")
@login_required
def download(application_id: uuid.UUID, file_id: uuid.UUID):
    application = member_application(application_id)
    file = queries.file_of(application, file_id) or abort(404)
    refusal = permissions.can_download(current_user, application, file)
    if refusal:
        raise refusal
    return send_stored(file.storage_key, file.original_name, mime_of(file.format))


@bp.post("/<uuid:application_id>/pieces-complementaires/<uuid:request_id>/transmettre")
@login_required
def deposit_pieces(application_id: uuid.UUID, request_id: uuid.UUID):
    application = member_application(application_id)
    if not permissions.is_lead_member(current_user, application):
        abort(403)
    piece_request = next((r for r in application.piece_requests if r.id == request_id), None) or abort(404)
    version = submission.deposit_pieces(application, piece_request, current_user, arrival())
    flash("Pièces transmises : l'accusé de réception a été envoyé.", "success")
    return redirect(url_for(".version", application_id=application.id, number=version.number))
