"""A call's indicators page (issue 17): per indicator, each operator's and each territory's figure from the latest
accepted reports, the total against the call's target, as tables and as a chart drawn on the server. For the call's
managers and the issuer's finance department; to anyone else it does not exist (404). And a national framework's
page: its indicators across the calls that declare it, each viewer seeing the member calls she manages."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup

from portal.accounts.permissions import can_manage_call, is_finance_for
from portal.catalog.queries import get_call
from portal.catalog.schema import Kind
from portal.core import hooks
from portal.core.errors import Refusal
from portal.followup import indicators, indicators_framework
from portal.followup.states import REPORT_KIND_LABELS, ReportKind

bp = Blueprint("indicators", __name__)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    hooks.contribute(app, "call.apply", _framework_link)


def _framework_link(call, **_):
    """On a framework's public page, its indicators' page for whoever may see it."""
    if call.kind != Kind.CADRE or not getattr(current_user, "is_authenticated", False):
        return None
    if indicators_framework.visible_members(current_user, call) is None:
        return None
    return Markup(render_template("followup/_framework_link.html", call=call))


def _kind() -> ReportKind:
    try:
        kind = ReportKind(request.args.get("bilan", ReportKind.FINAL.value))
    except ValueError:
        raise Refusal.not_found() from None
    if kind not in indicators.KINDS:
        raise Refusal.not_found()
    return kind


def _kinds() -> list:
    return [(k, REPORT_KIND_LABELS[k]) for k in indicators.KINDS]


@bp.get("/gestion/suivi/<slug>/indicateurs")
@login_required
def call_totals(slug: str):
    call = get_call(slug)
    if call is None or (can_manage_call(current_user, call.uuid, call.issuer) is not None
                        and not is_finance_for(current_user, call.issuer)):
        raise Refusal.not_found()
    kind = _kind()
    table = indicators.totals(call, current_user, kind)
    return render_template("followup/indicators.html", call=call, table=table, charts=indicators.charts(table),
                           kinds=_kinds(), chart=indicators, framework=indicators_framework.framework_of(call))


@bp.get("/gestion/cadres/<slug>/indicateurs")
@login_required
def framework_totals(slug: str):
    framework = get_call(slug)
    if framework is None or framework.kind != Kind.CADRE:
        raise Refusal.not_found()
    calls = indicators_framework.visible_members(current_user, framework)
    if calls is None:
        raise Refusal.not_found()
    kind = _kind()
    return render_template("followup/indicators_framework.html", framework=framework, kinds=_kinds(),
                           table=indicators_framework.totals(framework, calls, current_user, kind),
                           everyone=indicators_framework.manages_framework(current_user, framework))
