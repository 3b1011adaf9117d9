"""Requests for missing or corrected pieces, made by a call manager after closing, answered by the applicant."""

from __future__ import annotations

import datetime as dt

from portal.accounts.models import Organisation, User
from portal.accounts.queries import members_of
from portal.applications.models import Application, PieceRequest
from portal.core import audit, mail
from portal.core.errors import Refusal
from portal.core.formatting import datetime_fr
from portal.core.time import end_of_day_paris, today_paris
from portal.core.urls import external_url
from portal.extensions import db


def request_pieces(application: Application, slots: list[str], message: str, due_on: dt.date, by: User,
                   at: dt.datetime) -> PieceRequest:
    known = {d.key for d in application.call.spec.required_documents}
    if not slots or not set(slots) <= known:
        raise Refusal("Choisissez au moins une des pièces de l'appel.")
    if not message.strip():
        raise Refusal("Expliquez ce qui manque ou doit être corrigé.")
    if due_on <= today_paris(at):
        raise Refusal("La date limite de réponse doit être postérieure à aujourd'hui.")
    if not application.is_deposited:
        raise Refusal("Seule une candidature déposée peut recevoir une demande de pièces.")
    if application.locked_at is not None:
        raise Refusal("L'évaluation a commencé : le dossier est figé, aucune pièce ne peut plus être demandée.")
    if not application.window.has_closed_at(at):
        raise Refusal("Le dépôt est encore ouvert : l'organisation peut compléter et redéposer son dossier "
                               "elle-même. Les pièces se demandent après la date limite.")
    request = PieceRequest(application_id=application.id, slots=slots, message=message.strip(),
                           due_at=end_of_day_paris(due_on), requested_by_id=by.id, requested_at=at)
    application.piece_requests.append(request)
    db.session.flush()
    audit.record("application.pieces_request", actor=by, target=f"application:{application.id}", slots=slots,
                 due=due_on.isoformat(), message=message.strip())
    organisation = db.session.get(Organisation, application.organisation_id)
    url = external_url("applications.documents", application_id=application.id)
    for membership in members_of(organisation):
        mail.enqueue(membership.user.email, f"Pièces demandées — candidature {application.number}", "pieces_request",
                     name=membership.user.name, application=application, request=request, url=url,
                     due=datetime_fr(request.due_at))
    return request
