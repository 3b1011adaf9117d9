"""The call manager registers a file received by post or e-mail (registration.py), from the staff list of the call;
and prints its receipt for an organisation that has no account to receive it by e-mail."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.accounts import organisations
from portal.accounts.queries import members_of
from portal.applications import permissions, queries, receipts, registration
from portal.applications.registration_forms import form_for
from portal.applications.states import Channel
from portal.applications.views.staff import bp, managed_application
from portal.catalog.queries import get_call
from portal.core.errors import Refusal
from portal.core.formatting import date_fr
from portal.core.time import now
from portal.extensions import db


def _registering(slug: str):
    call = get_call(slug) or abort(404)
    if refusal := permissions.can_register_application(current_user, call):
        raise refusal
    return call


@bp.route("/appels/<slug>/candidatures/enregistrer", methods=["GET", "POST"])
@login_required
def register(slug: str):
    call = _registering(slug)
    search = request.args.get("recherche", "").strip()
    found = organisations.search(search) if search else []
    chosen = _chosen(request.form.get("organisation_id"))
    if chosen is not None and chosen not in found:
        found.append(chosen)
    form = form_for(call, found)
    message, existing = None, None
    if request.method == "POST":
        if form.validate():
            window = next((w for w in call.windows if str(w.id) == form.window_id.data), None)
            try:
                application = registration.register(
                    window, chosen or organisations.Identity(**form.identity()), form.channel.data,
                    form.received_on.data, form.uploads(), current_user, now(),
                    amount_requested=form.amount_requested.data)
            except Refusal as refused:
                existing = _linkable(getattr(refused, "existing", None))
                db.session.rollback()  # nothing of a refused registration is kept, and the page reads afresh
                if refused.field == "organisation_id" and not found:  # no list shown: said at the name typed
                    refused.field = "legal_name"
                message = _place(form, refused)
            else:
                flash(_registered(application), "success")
                return redirect(url_for(".show", application_id=application.id))
        return _page(call, form, search, found, message, existing), 422
    return _page(call, form, search, found, message, existing)


def _chosen(value: str | None):
    """The known organisation picked from the search, if any (any organisation: staff register on its behalf)."""
    try:
        organisation_id = uuid.UUID(value or "")
    except ValueError:
        return None
    return queries.organisations_by_id([organisation_id]).get(organisation_id)


def _linkable(application) -> tuple[uuid.UUID, str] | None:
    """The existing file a duplicate leads to, when staff may open it (a draft never deposited stays unseen)."""
    return (application.id, application.number) if application is not None and application.ever_deposited else None


def _place(form, refused: Refusal) -> str | None:
    """The refusal beside its field when the form has it (the error summary links there), else at the top."""
    field = getattr(form, refused.field, None) if refused.field else None
    if field is None:
        return refused.message
    field.errors = [*field.errors, refused.message]
    return None


def _registered(application) -> str:
    how = ("reçu par courrier, cachet de la poste du" if application.channel == Channel.POST
           else "reçu par courriel le")
    said = f"Dossier enregistré : {application.number} ({how} {date_fr(application.received_on)})."
    return said + (" Ses membres ont reçu l'accusé de réception par courriel."
                   if members_of(queries.organisations_by_id([application.organisation_id])[application.organisation_id])
                   else " L'organisation n'a pas de compte sur le portail : envoyez-lui l'accusé de réception imprimé.")


def _page(call, form, search, found, message, existing):
    return render_template("applications/register.html", call=call, form=form, search=search, found=found,
                           message=message, existing=existing)


@bp.get("/candidatures/<uuid:application_id>/accuse-de-reception.pdf")
@login_required
def staff_receipt_pdf(application_id: uuid.UUID):
    """The receipt of the last version, for the service to print and post (the organisation may have no account)."""
    application = managed_application(application_id)
    version = application.latest_version
    name = f"accuse-reception-{application.number}-v{version.number}.pdf"
    return receipts.pdf(application, version), 200, {
        "Content-Type": "application/pdf", "Content-Disposition": f'attachment; filename="{name}"'}
