"""A call's indicators page (issue 17): per indicator, each operator's figure from its latest accepted report, the
total against the call's target, as a table and as a chart drawn on the server. For the call's managers and the
issuer's finance department; to anyone else it does not exist (404)."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from flask_login import current_user, login_required

from portal.accounts.permissions import can_manage_call, is_finance_for
from portal.catalog.queries import get_call
from portal.core.errors import Refusal
from portal.followup import indicators
from portal.followup.states import REPORT_KIND_LABELS, ReportKind

bp = Blueprint("indicators", __name__)


def register(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/gestion/suivi/<slug>/indicateurs")
@login_required
def call_totals(slug: str):
    call = get_call(slug)
    if call is None or (can_manage_call(current_user, call.uuid, call.issuer) is not None
                        and not is_finance_for(current_user, call.issuer)):
        raise Refusal.not_found()
    try:
        kind = ReportKind(request.args.get("bilan", ReportKind.FINAL.value))
    except ValueError:
        raise Refusal.not_found() from None
    if kind not in indicators.KINDS:
        raise Refusal.not_found()
    table = indicators.totals(call, current_user, kind)
    return render_template("followup/indicators.html", call=call, table=table, charts=indicators.charts(table),
                           kinds=[(k, REPORT_KIND_LABELS[k]) for k in indicators.KINDS], chart=indicators)
