"""An organisation's pages: identity, members and invitations, agréments, document vault. Every URL carries
the organisation's id and answers 404 to anyone who is not a member, as if it did not exist."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required

from portal.accounts import organisations as services
from portal.accounts import permissions, queries, vault
from portal.accounts.forms import AgrementForm, EmptyForm, InviteForm, OrganisationForm, VaultDocumentForm
from portal.accounts.identifiers import directory_url
from portal.accounts.models import LEGAL_FORMS, VAULT_KINDS
from portal.core import outages
from portal.core.errors import Refusal
from portal.core.storage import send_stored
from portal.core.time import today_paris

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


def _member_of(organisation_id: uuid.UUID):
    organisation = queries.organisation_for(current_user, organisation_id)
    if organisation is None:
        abort(404)
    return organisation


def _admin_of(organisation_id: uuid.UUID):
    organisation = _member_of(organisation_id)
    if refusal := permissions.can_manage_organisation(current_user, organisation):
        raise refusal
    return organisation


@bp.route("/nouvelle", methods=["GET", "POST"])
@login_required
def create():
    form = OrganisationForm()
    if form.validate_on_submit():
        organisation = services.create_organisation(services.Identity(**form.identity()), by=current_user)
        session["organisation"] = str(organisation.id)
        flash(f"L'organisation « {organisation.legal_name} » est créée ; vous en êtes l'administrateur.", "success")
        return redirect(url_for(".show", organisation_id=organisation.id))
    return render_template("accounts/organisation_form.html", form=form, organisation=None)


@bp.get("/<uuid:organisation_id>/")
@login_required
def show(organisation_id: uuid.UUID):
    organisation = _member_of(organisation_id)
    return render_template(
        "accounts/organisation.html", organisation=organisation, legal_forms=LEGAL_FORMS, vault_kinds=VAULT_KINDS,
        members=queries.members_of(organisation), invitations=queries.pending_invitations(organisation),
        agrements=queries.agrements_of(organisation), documents=queries.vault_of(organisation),
        today=today_paris(), can_manage=permissions.can_manage_organisation(current_user, organisation) is None,
        directory_url=directory_url(organisation.siret) if organisation.siret else None,
        invite_form=InviteForm(), empty=EmptyForm())


@bp.route("/<uuid:organisation_id>/modifier", methods=["GET", "POST"])
@login_required
def edit(organisation_id: uuid.UUID):
    organisation = _admin_of(organisation_id)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        services.update_organisation(organisation, services.Identity(**form.identity()), by=current_user)
        flash("Les informations de l'organisation sont enregistrées.", "success")
        return redirect(url_for(".show", organisation_id=organisation.id))
    return render_template("accounts/organisation_form.html", form=form, organisation=organisation)


@bp.post("/<uuid:organisation_id>/membres/inviter")
@login_required
def invite(organisation_id: uuid.UUID):
    organisation = _admin_of(organisation_id)
    form = InviteForm()
    if form.validate_on_submit():
        services.invite(organisation, form.email.data, by=current_user)  # a Refusal goes back to the page
        flash(f"Une invitation a été envoyée à {form.email.data}.", "success")
    else:
        for message in form.email.errors:
            flash(f"Invitation : {message}", "error")
    return redirect(url_for(".show", organisation_id=organisation.id, _anchor="membres"))


def _membership(organisation, member_id: uuid.UUID):
    membership = queries.member(organisation, member_id)
    if membership is None:
        abort(404)
    return membership


@bp.post("/<uuid:organisation_id>/membres/<uuid:member_id>/retirer")
@login_required
def remove_member(organisation_id: uuid.UUID, member_id: uuid.UUID):
    organisation = _member_of(organisation_id)
    membership = _membership(organisation, member_id)
    leaving = membership.user_id == current_user.id
    if not leaving and (refusal := permissions.can_manage_organisation(current_user, organisation)):
        raise refusal
    if EmptyForm().validate_on_submit():
        services.remove_member(organisation, membership, by=current_user)
        flash("Vous avez quitté l'organisation." if leaving else "Le membre est retiré.", "success")
        if leaving:
            return redirect(url_for("accounts.home"))
    return redirect(url_for(".show", organisation_id=organisation.id, _anchor="membres"))


@bp.post("/<uuid:organisation_id>/membres/<uuid:member_id>/transmettre")
@login_required
def hand_over(organisation_id: uuid.UUID, member_id: uuid.UUID):
    organisation = _admin_of(organisation_id)
    membership = _membership(organisation, member_id)
    if EmptyForm().validate_on_submit():
        services.hand_over(organisation, membership, by=current_user)
        flash(f"{membership.user.name} est désormais administrateur de l'organisation.", "success")
    return redirect(url_for(".show", organisation_id=organisation.id, _anchor="membres"))


@bp.post("/<uuid:organisation_id>/invitations/<uuid:invitation_id>/annuler")
@login_required
def cancel_invitation(organisation_id: uuid.UUID, invitation_id: uuid.UUID):
    organisation = _admin_of(organisation_id)
    invitation = queries.invitation(organisation, invitation_id)
    if invitation is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        services.cancel_invitation(invitation, by=current_user)
        flash("L'invitation est annulée.", "success")
    return redirect(url_for(".show", organisation_id=organisation.id, _anchor="membres"))


@bp.route("/<uuid:organisation_id>/agrements/nouveau", methods=["GET", "POST"])
@login_required
def add_agrement(organisation_id: uuid.UUID):
    organisation = _member_of(organisation_id)
    form = AgrementForm()
    if form.validate_on_submit():
        vault.add_agrement(organisation, current_user, kind=form.kind.data.strip(), authority=form.authority.data.strip(),
                           reference=(form.reference.data or "").strip() or None, issued_on=form.issued_on.data,
                           expires_on=form.expires_on.data)
        flash("L'agrément est enregistré.", "success")
        return redirect(url_for(".show", organisation_id=organisation.id, _anchor="agrements"))
    return render_template("accounts/agrement_form.html", form=form, organisation=organisation)


@bp.post("/<uuid:organisation_id>/agrements/<uuid:agrement_id>/supprimer")
@login_required
def remove_agrement(organisation_id: uuid.UUID, agrement_id: uuid.UUID):
    organisation = _member_of(organisation_id)
    agrement = queries.agrement(organisation, agrement_id)
    if agrement is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        vault.remove_agrement(agrement, by=current_user)
        flash("L'agrément est supprimé.", "success")
    return redirect(url_for(".show", organisation_id=organisation.id, _anchor="agrements"))


@bp.route("/<uuid:organisation_id>/coffre/ajouter", methods=["GET", "POST"])
@login_required
def add_document(organisation_id: uuid.UUID):
    organisation = _member_of(organisation_id)
    form = VaultDocumentForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            vault.add_document(organisation, current_user, upload.stream, upload.filename or "document",
                               kind=form.kind.data, label=form.label.data.strip(), year=form.year.data,
                               valid_until=form.valid_until.data)
        except Refusal as refused:  # shown at the file's field
            form.file.errors.append(refused.message)
        except OSError as error:
            form.file.errors.append(outages.disk_full_message(error))
            status = 507  # the server's fault, not the form's
        else:
            flash("Le document est ajouté au coffre-fort de l'organisation.", "success")
            return redirect(url_for(".show", organisation_id=organisation.id, _anchor="coffre"))
    if form.errors and status == 200:
        status = 400
    return render_template("accounts/document_form.html", form=form, organisation=organisation,
                           formats=vault.accepted_formats(), max_mb=vault.VAULT_MAX_MB), status


@bp.get("/<uuid:organisation_id>/coffre/<uuid:document_id>/telecharger")
@login_required
def download_document(organisation_id: uuid.UUID, document_id: uuid.UUID):
    organisation = _member_of(organisation_id)
    document = queries.vault_document(organisation, document_id)
    if document is None:
        abort(404)

    return send_stored(document.storage_key, document.original_name, document.mime)


@bp.post("/<uuid:organisation_id>/coffre/<uuid:document_id>/supprimer")
@login_required
def remove_document(organisation_id: uuid.UUID, document_id: uuid.UUID):
    organisation = _member_of(organisation_id)
    document = queries.vault_document(organisation, document_id)
    if document is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        vault.remove_document(document, by=current_user)
        flash("Le document est retiré du coffre-fort.", "success")
    return redirect(url_for(".show", organisation_id=organisation.id, _anchor="coffre"))
