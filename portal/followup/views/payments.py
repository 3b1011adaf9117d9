"""The payments' pages (issue 17): a convention's schedule with each tranche's state, computation and the actions
of the person reading it (a manager requests, the issuer's finance department certifies « service fait » and
records the payment), a call's payments against its envelope with the finance export, and the finance person's
home. Every page checks a predicate of followup.payments; to anyone else they do not exist (404)."""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional

from portal.accounts.permissions import can_manage_call, is_admin, is_finance_for
from portal.applications.cerfa import parse_amount
from portal.catalog.queries import get_call
from portal.core import hooks
from portal.core.errors import Refusal
from portal.core.time import now
from portal.extensions import db
from portal.followup import open_data, payments, payments_totals
from portal.followup.models import Convention
from portal.followup.states import CONVENTION_STATE_LABELS, TrancheState, Trigger

bp = Blueprint("payments", __name__)
AMOUNT_HINT = "En euros, par exemple 6 000,00."


AMOUNT_LENGTH = Length(max=30, message="30 caractères au plus.")
REF_LENGTH = Length(max=60, message="60 caractères au plus.")


class CertifyForm(FlaskForm):
    certified_amount = StringField("Montant certifié", validators=[AMOUNT_LENGTH], description=AMOUNT_HINT)


class PayForm(FlaskForm):
    commitment_ref = StringField("Numéro d'engagement", validators=[REF_LENGTH],
                                 description="Le numéro de l'engagement juridique.")
    payment_ref = StringField("Numéro de mandat", validators=[REF_LENGTH],
                              description="Le numéro du mandat de paiement.")
    paid_on = DateField("Date du paiement", validators=[Optional()],
                        description="Au format jj/mm/aaaa ou tel que votre navigateur la propose.")
    paid_amount = StringField("Montant payé", validators=[AMOUNT_LENGTH], description=AMOUNT_HINT)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(TrancheState, "TrancheState")
    hooks.contribute(app, "home", finance_landing, order=15)
    hooks.contribute(app, "navigation", menu_entry, order=15)
    hooks.contribute(app, "staff_list.links", _staff_list_link, order=5)
    hooks.contribute(app, "staff_application.links", _staff_application_link, order=5)
    # The SCDL export (reviews) reads the convention's date and the payments made (followup.open_data).
    hooks.contribute(app, "scdl.grant_facts", open_data.grant_facts)


def _staff_list_link(call, **_):
    return Markup(render_template("followup/payments_staff_list_link.html", call=call))


def _staff_application_link(application, **_):
    convention = db.session.scalar(select(Convention).where(Convention.application_id == application.id))
    if convention is None or payments.can_view_schedule(current_user, convention) is not None:
        return None
    return Markup(render_template("followup/payments_staff_application_link.html", convention=convention))


def menu_entry(user) -> hooks.NavEntry | None:
    """« Finances » in the header, for an issuer's finance department."""
    return hooks.NavEntry("Finances", "payments.finance_home") if payments_totals.finance_issuers(user) else None


def finance_landing(user) -> tuple[int, str] | None:
    """A finance person lands on her list of tranches to certify and to pay."""
    return (15, url_for("payments.finance_home")) if payments_totals.finance_issuers(user) else None


def _convention(convention_id: uuid.UUID) -> Convention:
    convention = db.session.get(Convention, convention_id)
    if convention is None:
        raise Refusal.not_found()
    if (refusal := payments.can_view_schedule(current_user, convention)) is not None:
        raise refusal
    return convention


def _forms(convention: Convention, bound: dict | None = None) -> dict:
    forms = {}
    for tranche in convention.tranches:
        prefix = f"tranche-{tranche.position}"
        forms[tranche.id] = (bound or {}).get(tranche.id) or {
            "certify": CertifyForm(prefix=prefix, formdata=None,
                                   certified_amount=_shown(tranche.amount_due)),
            "pay": PayForm(prefix=prefix, formdata=None, paid_amount=_shown(tranche.certified_amount))}
    return forms


def _shown(amount) -> str | None:
    return None if amount is None else format(amount, "f").replace(".", ",")


def _schedule_page(convention: Convention, bound: dict | None = None, status: int = 200):
    call = payments.call_of(convention)
    user = current_user
    return render_template(
        "followup/payments.html", convention=convention, call=call, forms=_forms(convention, bound),
        totals=payments_totals.convention_totals(convention), recovery=payments.amount_to_recover(convention),
        may_request=payments.can_request(user, convention) is None,
        may_handle=payments.can_handle_money(user, convention) is None,
        state_labels=CONVENTION_STATE_LABELS, report_kind_of=payments.report_kind_of, Trigger=Trigger,
        TrancheState=TrancheState), status


@bp.get("/gestion/suivi/conventions/<uuid:convention_id>/echeancier")
@login_required
def schedule(convention_id: uuid.UUID):
    return _schedule_page(_convention(convention_id))


@bp.post("/gestion/suivi/conventions/<uuid:convention_id>/echeancier/etablir")
@login_required
def plan(convention_id: uuid.UUID):
    convention = _convention(convention_id)
    if (refusal := payments.can_request(current_user, convention)) is not None:
        raise refusal
    payments.plan(convention, current_user)
    if convention.state in payments.SIGNED_STATES:
        payments.on_signature(convention, now(), current_user)
    flash("L'échéancier est établi d'après l'appel.", "success")
    return redirect(url_for(".schedule", convention_id=convention.id), 303)


@bp.post("/gestion/suivi/conventions/<uuid:convention_id>/echeancier/tranches/<uuid:tranche_id>/demander")
@login_required
def request(convention_id: uuid.UUID, tranche_id: uuid.UUID):
    convention = _convention(convention_id)
    tranche = payments.tranche_of(convention, tranche_id)
    payments.request(tranche, current_user, now())
    flash(f"Le versement « {tranche.label} » est demandé au service financier.", "success")
    return redirect(url_for(".schedule", convention_id=convention.id), 303)


def _amount(form, name: str):
    text = getattr(form, name).data
    try:
        return parse_amount(text)
    except ValueError as error:
        raise Refusal(f"« {text} » n'est pas un montant : écrivez par exemple 6 000,00.", field=name) from error


def _invalid(convention, tranche, form, kind: str):
    """The form's own errors (a length, a date) at their fields; an expired form is said at the top."""
    if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
        raise Refusal("Le formulaire a expiré : rechargez la page et recommencez.")
    if kind == "pay" and form.paid_on.errors:
        form.paid_on.errors = ["Indiquez une date valide, au format jj/mm/aaaa."]
    return _refused_at_field(convention, tranche, form, kind, None)


def _refused_at_field(convention, tranche, form, kind: str, refusal: Refusal | None):
    if refusal is not None:
        getattr(form, refusal.field).errors = [refusal.message]
    bound = _forms(convention)
    bound[tranche.id] = {**bound[tranche.id], kind: form}
    return _schedule_page(convention, bound, 422)  # the services refuse before they change anything


def _finance_step(convention_id: uuid.UUID, tranche_id: uuid.UUID, form_class, kind: str, act, done: str):
    """Certifying and paying, as finance does both: the right first, then the form, then the service; a refusal
    at a field is shown there, on the schedule shown again."""
    convention = _convention(convention_id)
    tranche = payments.tranche_of(convention, tranche_id)
    if (refusal := payments.can_handle_money(current_user, convention)) is not None:
        raise refusal
    form = form_class(prefix=f"tranche-{tranche.position}")
    if not form.validate_on_submit():
        return _invalid(convention, tranche, form, kind)
    try:
        act(tranche, form)
    except Refusal as refusal:
        if refusal.field is None:
            raise
        return _refused_at_field(convention, tranche, form, kind, refusal)
    flash(f"{done} pour « {tranche.label} ».", "success")
    return redirect(url_for(".schedule", convention_id=convention.id), 303)


@bp.post("/gestion/suivi/conventions/<uuid:convention_id>/echeancier/tranches/<uuid:tranche_id>/certifier")
@login_required
def certify(convention_id: uuid.UUID, tranche_id: uuid.UUID):
    return _finance_step(convention_id, tranche_id, CertifyForm, "certify", lambda tranche, form: payments.certify(
        tranche, _amount(form, "certified_amount"), current_user, now()), "Service fait certifié")


@bp.post("/gestion/suivi/conventions/<uuid:convention_id>/echeancier/tranches/<uuid:tranche_id>/payer")
@login_required
def pay(convention_id: uuid.UUID, tranche_id: uuid.UUID):
    return _finance_step(convention_id, tranche_id, PayForm, "pay", lambda tranche, form: payments.pay(
        tranche, commitment_ref=form.commitment_ref.data or "", payment_ref=form.payment_ref.data or "",
        paid_on=form.paid_on.data, paid_amount=_amount(form, "paid_amount"), by=current_user, at=now()),
        "Paiement enregistré")


def _call(slug: str):
    call = get_call(slug)
    if call is None:
        raise Refusal.not_found()
    if can_manage_call(current_user, call.uuid, call.issuer) is not None and not is_finance_for(current_user, call.issuer):
        raise Refusal.not_found()
    return call


@bp.get("/gestion/suivi/<slug>/paiements")
@login_required
def overview(slug: str):
    call = _call(slug)
    return render_template("followup/payments_call.html", call=call, overview=payments_totals.call_overview(call, current_user),
                           state_labels=CONVENTION_STATE_LABELS)


@bp.get("/gestion/suivi/<slug>/paiements.<any(csv,xlsx):extension>")
@login_required
def export(slug: str, extension: str):
    return payments_totals.export_response(_call(slug), extension, current_user)


@bp.get("/finances/")
@login_required
def finance_home():
    if not (payments_totals.finance_issuers(current_user) or is_admin(current_user)):
        raise Refusal.not_found()
    return render_template("followup/finance_home.html", queue=payments_totals.finance_queue(current_user),
                           issuers=sorted(payments_totals.finance_issuers(current_user)))
