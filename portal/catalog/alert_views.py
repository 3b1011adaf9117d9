"""Pages of e-mail alerts: subscribe (from a catalogue filter), confirm, unsubscribe in one click, and the
list of one's alerts for signed-in people."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from portal.catalog import alerts, queries
from portal.catalog.forms import AlertForm
from portal.catalog.permissions import can_manage_alert
from portal.catalog.schema import CARRIER_LABELS
from portal.core import tokens, unit_of_work
from portal.extensions import csrf, db, limiter

bp = Blueprint("alerts", __name__, url_prefix="/alertes")


def _form_limit() -> str:
    return current_app.config["FORM_LIMIT_ADDRESS"]


@bp.route("/nouvelle", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def subscribe():
    form = AlertForm().with_choices(queries.facets())
    if request.method == "GET":
        # Arriving from the catalogue: the filter in use becomes the alert's filter.
        form.territory.data = request.args.get("territoire", "")
        form.carrier.data = request.args.get("porteur", "")
        form.theme.data = request.args.get("theme", "")
        if current_user.is_authenticated:
            form.email.data = current_user.email
    if form.validate_on_submit():
        account = current_user if current_user.is_authenticated else None
        alert = alerts.subscribe(form.email.data, form.frequency.data, territory=form.territory.data,
                                 carrier=form.carrier.data, theme=form.theme.data, account=account)
        if alert.confirmed_at is not None:
            flash("Votre alerte est enregistrée.", "success")
            return redirect(url_for(".mine"))
        return render_template("catalog/alert_check_mail.html", email=alert.email)
    return render_template("catalog/alert_form.html", form=form), 400 if form.errors else 200


@bp.get("/confirmer/<token>")
def confirm(token: str):
    try:
        alerts.confirm(token)
    except tokens.InvalidToken as invalid:
        return render_template("accounts/link_problem.html", message=invalid.message), 400
    unit_of_work.keep()  # a GET that writes: the link is followed from a mail client
    return render_template("catalog/alert_confirmed.html")


@bp.route("/desabonner/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST the one-click unsubscribe without a form; the token is the secret
def unsubscribe(token: str):
    alert = alerts.by_unsubscribe_token(token)
    if alert is None:
        return render_template("catalog/alert_unsubscribed.html", already=True)
    if request.method == "POST":
        alerts.unsubscribe(alert)
        return render_template("catalog/alert_unsubscribed.html", already=False)
    return render_template("catalog/alert_unsubscribe.html", alert=alert, carrier_labels=CARRIER_LABELS)


@bp.get("/")
@login_required
def mine():
    return render_template("catalog/alerts.html", alerts=alerts.alerts_of(current_user.id, current_user.email),
                           frequencies=alerts.FREQUENCIES, carrier_labels=CARRIER_LABELS, form=FlaskForm())


@bp.post("/<uuid:alert_id>/supprimer")
@login_required
def remove(alert_id: uuid.UUID):
    alert = db.session.get(alerts.Alert, alert_id)
    if alert is None:
        abort(404)
    if refusal := can_manage_alert(current_user, alert):
        raise refusal
    if FlaskForm().validate_on_submit():
        alerts.unsubscribe(alert)
        flash("L'alerte est supprimée.", "success")
    return redirect(url_for(".mine"))
