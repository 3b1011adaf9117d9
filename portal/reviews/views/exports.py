"""The managers' files of a window: scores (CSV, XLSX), the committee's procès-verbal (PDF) and, once the
decisions are published, the awarded grants as SCDL « subventions » open data."""

from __future__ import annotations

from flask import Response, render_template
from flask_login import current_user, login_required

from portal.core.exports import content_disposition
from portal.core.time import now, to_paris
from portal.reviews import exports, scdl
from portal.reviews.forms.decisions import ScdlForm
from portal.reviews.views.blueprints import manage
from portal.reviews.views.loading import managed_window


@manage.get("/<slug>/fenetres/<key>/notes.<any(csv,xlsx):extension>")
@login_required
def scores_export(slug: str, key: str, extension: str):
    call, window, _ = managed_window(slug, key)
    return exports.scores_response(call, window, current_user, extension)


@manage.get("/<slug>/fenetres/<key>/proces-verbal.pdf")
@login_required
def minutes(slug: str, key: str):
    call, window, round_ = managed_window(slug, key)
    name = f"proces-verbal-{window.file_stem}.pdf"
    return exports.minutes_pdf(call, window, round_, current_user, now()), 200, {
        "Content-Type": "application/pdf", "Content-Disposition": content_disposition(name)}


@manage.route("/<slug>/fenetres/<key>/scdl", methods=["GET", "POST"], endpoint="scdl")
@login_required
def scdl_export(slug: str, key: str):
    call, window, round_ = managed_window(slug, key)
    published = round_.decisions_published_at is not None
    form = ScdlForm()
    errors: list[str] = []
    count = len(scdl.beneficiaries(round_)) if published else 0
    if published and form.validate_on_submit():
        facts = scdl.Facts(id_attribuant=form.id_attribuant.data, date_convention=form.date_convention.data,
                           reference_decision=(form.reference_decision.data or "").strip(), nature=form.nature.data,
                           conditions=form.conditions_value, dates=form.dates.data,
                           notification_ue=form.notification_ue.data)
        rows = scdl.rows(call, round_, facts)
        errors = scdl.validate(rows)
        if not errors:
            return Response(scdl.csv_bytes(rows), mimetype="text/csv",
                            headers={"Content-Disposition": content_disposition(
                                scdl.filename(call, to_paris(now()).date()))})
    status = 422 if form.is_submitted() and (form.errors or errors) else 200
    return render_template("reviews/scdl.html", call=call, window=window, round=round_, published=published,
                           form=form, errors=errors, count=count), status
