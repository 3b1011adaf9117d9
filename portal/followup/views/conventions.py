"""The conventions' pages: a call's conventions for its managers (and its issuer's finance department, read-only),
one convention's page with its versions, signed copies and actions, and the organisation's view where it reads and
signs its convention. Every page checks a followup.permissions predicate; to anyone else they do not exist (404)."""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markupsafe import Markup
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from portal.accounts.permissions import can_manage_call, can_manage_issuer, is_finance_for
from portal.applications import queries as application_queries
from portal.applications.models import Application
from portal.catalog.queries import get_call
from portal.core import hooks
from portal.core.errors import Refusal, refusals_go_to
from portal.core.exports import content_disposition
from portal.core.fields import FrenchDateField
from portal.core.files import mime_of
from portal.core.markdown import render as markdown
from portal.core.scan_status import SCAN_LABELS, ScanStatus
from portal.core.storage import send_stored
from portal.core.time import now
from portal.core.upload_forms import store_from_form
from portal.extensions import db
from portal.followup import convention_text, conventions, permissions
from portal.followup.models import Convention, ConventionTemplate, SignedCopy
from portal.followup.states import (
    CONVENTION_STATE_LABELS,
    SIGNATURE_SIDE_LABELS,
    VERSION_KIND_LABELS,
    ConventionState,
    SignatureSide,
)
from portal.reviews import queries as review_queries
from portal.reviews.decisions import parse_amount
from portal.reviews.states import Outcome

bp = Blueprint("conventions", __name__)

TEXT_MAX = 200_000
REASON_MAX = 500
AMOUNT_MAX = 20


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=f"{limit:,} caractères au plus.".replace(",", "\u202f"))


PDF_HINT = f"Format accepté : PDF. Taille maximale : {conventions.SIGNED_MAX_MB} Mo."


class SignForm(FlaskForm):
    signed_on = FrenchDateField("Date de la signature", description="Au format jj/mm/aaaa.",
                                render_kw={"type": "date"})
    file = FileField("Exemplaire signé (PDF)", description=PDF_HINT, render_kw={"accept": ".pdf,application/pdf"})


class AmendForm(FlaskForm):
    amount = StringField("Nouveau montant, en euros", description="Laissez vide pour le garder : « 12 500,00 ».",
                         validators=[_at_most(AMOUNT_MAX)])
    starts_on = FrenchDateField("Nouvelle date de début", description="Laissez vide pour la garder.",
                                render_kw={"type": "date"})
    ends_on = FrenchDateField("Nouvelle date de fin", description="Laissez vide pour la garder.",
                              render_kw={"type": "date"})
    text = TextAreaField("Texte de l'avenant (Markdown)", description="Laissez vide pour garder le texte en vigueur.",
                         render_kw={"rows": 10}, validators=[_at_most(TEXT_MAX)])
    reason = StringField("Motif de l'avenant", description="Ce que l'avenant dit de son objet.",
                         validators=[_at_most(REASON_MAX)])


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(ConventionState, "ConventionState")
    hooks.contribute(app, "staff_list.links", _staff_list_link)
    hooks.contribute(app, "workspace.call_links", hooks.fragment("followup/_workspace_link.html"))
    hooks.contribute(app, "staff_application.links", _staff_application_link)
    hooks.contribute(app, "applicant_application.sections", _applicant_section)


# ---- the slots -----------------------------------------------------------------------------------------------

def _staff_list_link(call, **_):
    return Markup(render_template("followup/_staff_list_link.html", call=call))


def _staff_application_link(application, **_):
    decision = review_queries.decision_of(application) if application.number else None
    if decision is None or decision.published_at is None or decision.outcome != Outcome.SELECTED:
        return None
    if permissions.can_prepare_convention(current_user, application) is not None:
        return None
    return Markup(render_template("followup/_staff_application_link.html", application=application,
                                  convention=conventions.convention_of(application),
                                  can_draft=conventions.can_be_drafted(application)))


def _applicant_section(application, is_lead=False, **_):
    convention = conventions.convention_of(application) if application.number else None
    if convention is None or convention.state == ConventionState.DRAFT:
        return None
    return Markup(render_template("followup/_applicant_section.html", application=application,
                                  convention=convention, state_labels=CONVENTION_STATE_LABELS))


# ---- loading -------------------------------------------------------------------------------------------------

def _convention(convention_id: uuid.UUID) -> Convention:
    convention = db.session.get(Convention, convention_id)
    if convention is None:
        raise Refusal.not_found()
    return convention


def _staff_convention(convention_id: uuid.UUID) -> Convention:
    convention = _convention(convention_id)
    if refusal := permissions.can_view_convention_as_staff(current_user, convention):
        raise refusal
    return convention


def _managed_convention(convention_id: uuid.UUID) -> Convention:
    convention = _convention(convention_id)
    if refusal := permissions.can_manage_convention(current_user, convention):
        raise refusal
    return convention


def _member_convention(application_id: uuid.UUID) -> tuple[Application, Convention]:
    application = application_queries.get(application_id)
    convention = conventions.convention_of(application) if application is not None else None
    if (convention is None or convention.state == ConventionState.DRAFT
            or permissions.can_view_as_organisation(current_user, convention) is not None):
        raise Refusal.not_found()
    return application, convention


def _version(convention: Convention, number: int):
    return next((v for v in convention.versions if v.number == number), None) or abort(404)


def _copy(convention: Convention, copy_id: uuid.UUID) -> SignedCopy:
    copy = db.session.get(SignedCopy, copy_id)
    if copy is None or copy.version.convention_id != convention.id:
        abort(404)
    if ScanStatus(copy.scan_status).is_blocked:
        raise Refusal.forbidden(f"« {copy.original_name} » n'est pas téléchargeable : "
                                f"{SCAN_LABELS[ScanStatus(copy.scan_status)]}.")
    return copy


def _pdf(convention: Convention, number: int):
    version = _version(convention, number)
    return conventions.version_pdf(convention, version), 200, {
        "Content-Type": "application/pdf", "Content-Disposition": content_disposition(conventions.filename(
            convention, version))}


# ---- the staff side ------------------------------------------------------------------------------------------

@bp.get("/gestion/suivi/<slug>/conventions")
@login_required
def index(slug: str):
    call = get_call(slug)
    if call is None or (can_manage_call(current_user, call.uuid, call.issuer) is not None
                        and not is_finance_for(current_user, call.issuer)):
        abort(404)
    listed = [c for c in conventions.of_call(call)
              if permissions.can_view_convention_as_staff(current_user, c) is None]
    waiting = [a for a in conventions.selected_without_convention(call)
               if permissions.can_prepare_convention(current_user, a) is None]
    return render_template("followup/conventions.html", call=call, listed=listed, waiting=waiting,
                           writes_template=can_manage_issuer(current_user, call.issuer) is None,
                           applications={a.id: a for a in conventions.applications_of(listed)},
                           state_labels=CONVENTION_STATE_LABELS)


@bp.post("/gestion/suivi/candidatures/<uuid:application_id>/convention")
@login_required
def draft(application_id: uuid.UUID):
    application = application_queries.get(application_id)
    if application is None or permissions.can_prepare_convention(current_user, application) is not None:
        abort(404)
    convention = conventions.draft(application, current_user, now())
    flash(f"La convention {convention.number} est préparée. Relisez-la avant de l'envoyer pour signature.", "success")
    return redirect(url_for(".show", convention_id=convention.id))


def _page(convention: Convention, sign_form=None, amend_form=None, status: int = 200):
    application = conventions.application_of(convention)
    return render_template(
        "followup/convention.html", convention=convention, application=application, call=application.call,
        can_manage=permissions.can_manage_convention(current_user, convention) is None,
        sign_form=sign_form or SignForm(), amend_form=amend_form or AmendForm(),
        state_labels=CONVENTION_STATE_LABELS, kind_labels=VERSION_KIND_LABELS, side_labels=SIGNATURE_SIDE_LABELS,
        below_threshold=conventions.below_threshold(convention), threshold=conventions.CONVENTION_THRESHOLD,
        can_sign=conventions.awaits_signature_of(convention, SignatureSide.ISSUER),
        **_versions_shown(convention)), status


def _versions_shown(convention: Convention) -> dict:
    """The terms in force and the amendment under signature, as both sides' pages show them."""
    current, pending = conventions.in_force_version(convention), conventions.pending_amendment(convention)
    return dict(current=current, current_html=Markup(markdown(current.text)), pending=pending,
                pending_number=conventions.amendment_number(pending) if pending else None,
                pending_html=Markup(markdown(pending.text)) if pending and pending.text != current.text else None)


@bp.get("/gestion/suivi/conventions/<uuid:convention_id>")
@login_required
def show(convention_id: uuid.UUID):
    return _page(_staff_convention(convention_id))


@bp.get("/gestion/suivi/conventions/<uuid:convention_id>/versions/<int:number>.pdf")
@login_required
def version_pdf(convention_id: uuid.UUID, number: int):
    return _pdf(_staff_convention(convention_id), number)


@bp.get("/gestion/suivi/conventions/<uuid:convention_id>/exemplaires/<uuid:copy_id>")
@login_required
def copy(convention_id: uuid.UUID, copy_id: uuid.UUID):
    signed = _copy(_staff_convention(convention_id), copy_id)
    return send_stored(signed.storage_key, signed.original_name, mime_of(signed.format))


@bp.post("/gestion/suivi/conventions/<uuid:convention_id>/envoyer")
@login_required
@refusals_go_to(lambda convention_id: url_for(".show", convention_id=convention_id))
def send(convention_id: uuid.UUID):
    convention = _managed_convention(convention_id)
    count = conventions.send(convention, current_user, now())
    flash(f"La convention {convention.number} est envoyée pour signature ({count} courriel{'s' if count > 1 else ''}).",
          "success")
    return redirect(url_for(".show", convention_id=convention.id))


def _sign(convention: Convention, service, page):
    form = SignForm()
    if not form.validate_on_submit():
        return page(form)
    upload = form.file.data
    _, status = store_from_form(form, lambda: service(
        convention, getattr(upload, "stream", None), getattr(upload, "filename", "") or "", form.signed_on.data,
        current_user, now()), file_field="file", fields=("file", "signed_on"))
    if status is not None:
        return page(form, status)
    return None


@bp.post("/gestion/suivi/conventions/<uuid:convention_id>/signature")
@login_required
@refusals_go_to(lambda convention_id: url_for(".show", convention_id=convention_id))
def sign_issuer(convention_id: uuid.UUID):
    convention = _managed_convention(convention_id)
    pending = conventions.pending_amendment(convention)
    answer = _sign(convention, conventions.sign_for_issuer,
                   lambda form, status=422: _page(convention, sign_form=form, status=status))
    if answer is not None:
        return answer
    flash(f"L'avenant n° {conventions.amendment_number(pending)} est signé par les deux parties : la convention "
          f"{convention.number} en vigueur est modifiée." if pending is not None else
          f"La convention {convention.number} est signée par les deux parties et en vigueur.", "success")
    return redirect(url_for(".show", convention_id=convention.id))


@bp.post("/gestion/suivi/conventions/<uuid:convention_id>/avenant")
@login_required
@refusals_go_to(lambda convention_id: url_for(".show", convention_id=convention_id))
def amend(convention_id: uuid.UUID):
    convention = _managed_convention(convention_id)
    form = AmendForm()
    if not form.validate_on_submit():
        return _page(convention, amend_form=form, status=422)
    try:
        amount = parse_amount(form.amount.data) if (form.amount.data or "").strip() else None
    except Refusal as refused:
        form.amount.errors = [refused.message]
        return _page(convention, amend_form=form, status=422)
    try:
        version = conventions.amend(convention, current_user, now(), text=form.text.data, amount=amount,
                                    starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                                    reason=form.reason.data)
    except Refusal as refused:
        if refused.field is None:
            raise
        getattr(form, refused.field).errors = [refused.message]
        return _page(convention, amend_form=form, status=422)
    flash(f"L'avenant n° {conventions.amendment_number(version)} est proposé (version {version.number}) et envoyé à "
          "l'organisation pour signature ; la convention reste inchangée jusqu'à sa signature par les deux parties.",
          "success")
    return redirect(url_for(".show", convention_id=convention.id))


# ---- the organisation's side ---------------------------------------------------------------------------------

def _mine_page(application, convention, form=None, status: int = 200):
    return render_template(
        "followup/mine.html", application=application, convention=convention, call=application.call,
        can_sign=(permissions.can_sign_for_organisation(current_user, convention) is None
                  and conventions.awaits_signature_of(convention, SignatureSide.ORGANISATION)),
        form=form or SignForm(), state_labels=CONVENTION_STATE_LABELS, kind_labels=VERSION_KIND_LABELS,
        side_labels=SIGNATURE_SIDE_LABELS, **_versions_shown(convention)), status


@bp.get("/candidatures/<uuid:application_id>/convention")
@login_required
def mine(application_id: uuid.UUID):
    return _mine_page(*_member_convention(application_id))


@bp.get("/candidatures/<uuid:application_id>/convention/versions/<int:number>.pdf")
@login_required
def mine_pdf(application_id: uuid.UUID, number: int):
    _, convention = _member_convention(application_id)
    return _pdf(convention, number)


@bp.get("/candidatures/<uuid:application_id>/convention/exemplaires/<uuid:copy_id>")
@login_required
def mine_copy(application_id: uuid.UUID, copy_id: uuid.UUID):
    _, convention = _member_convention(application_id)
    signed = _copy(convention, copy_id)
    return send_stored(signed.storage_key, signed.original_name, mime_of(signed.format))


@bp.post("/candidatures/<uuid:application_id>/convention/signature")
@login_required
@refusals_go_to(lambda application_id: url_for(".mine", application_id=application_id))
def sign_organisation(application_id: uuid.UUID):
    application, convention = _member_convention(application_id)
    if refusal := permissions.can_sign_for_organisation(current_user, convention):
        raise refusal
    answer = _sign(convention, conventions.sign_for_organisation,
                   lambda form, status=422: _mine_page(application, convention, form, status))
    if answer is not None:
        return answer
    flash("Votre exemplaire signé est enregistré. Le financeur signera à son tour ; vous serez informé de l'entrée "
          "en vigueur sur cette page.", "success")
    return redirect(url_for(".mine", application_id=application.id))


# ---- the issuer's template -----------------------------------------------------------------------------------

class TemplateForm(FlaskForm):
    text = TextAreaField("Modèle de convention (Markdown)", render_kw={"rows": 30}, validators=[_at_most(TEXT_MAX)],
                         description="Les champs entre doubles accolades sont remplis à la préparation de chaque "
                                     "convention, par exemple {{ organisation }} ou {{ montant }}.")


def _issuer_managed(issuer: str | None) -> str:
    if not issuer or can_manage_issuer(current_user, issuer) is not None:
        raise Refusal.not_found()
    return issuer


def _template_page(issuer: str, form: TemplateForm, status: int = 200):
    return render_template("followup/template.html", issuer=issuer, form=form,
                           placeholders=convention_text.PLACEHOLDERS,
                           stored=db.session.get(ConventionTemplate, issuer) is not None), status


@bp.get("/gestion/suivi/modele-de-convention")
@login_required
def template():
    issuer = _issuer_managed(request.args.get("emetteur"))
    return _template_page(issuer, TemplateForm(data={"text": convention_text.template_text(issuer)}))


@bp.post("/gestion/suivi/modele-de-convention")
@login_required
def save_template():
    issuer = _issuer_managed(request.args.get("emetteur"))
    form = TemplateForm()
    if not form.validate_on_submit():
        return _template_page(issuer, form, 422)
    try:
        conventions.save_template(issuer, form.text.data or "", current_user, now())
    except Refusal as refused:
        if refused.field != "text":
            raise
        form.text.errors = [refused.message]
        return _template_page(issuer, form, 422)
    flash("Le modèle de convention est enregistré : il servira aux prochaines conventions préparées.", "success")
    return redirect(url_for(".template", emetteur=issuer))
