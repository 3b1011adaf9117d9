"""Public pages of the catalogue: the list with its filters, and one call."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template, request

from portal.catalog import queries
from portal.catalog.schema import CARRIER_LABELS, CarrierType, Kind
from portal.catalog.status import call_status
from portal.core.time import now

bp = Blueprint("catalog", __name__, url_prefix="/appels")


@bp.app_template_filter("pair")
def _pair(value: str) -> tuple[str, str]:
    """An option whose value is also its label."""
    return value, value


@bp.app_template_filter("labelled")
def _labelled(value: str, labels: dict) -> tuple[str, str]:
    return value, labels.get(value, value)


def parse_filter(args) -> tuple[queries.CatalogFilter, list[str]]:
    """Read the catalogue filter from query parameters; a bad value is reported, never a 500."""
    errors = []
    before = None
    if args.get("avant"):
        try:
            before = dt.date.fromisoformat(args["avant"])
        except ValueError:
            errors.append("La date « Candidater avant le » n'est pas valide : utilisez le format JJ/MM/AAAA.")
    status = args.get("statut", "")
    if status and status not in queries.STATUS_CHOICES and status != "tout":
        errors.append("Statut inconnu : le filtre a été ignoré.")
        status = ""
    q = args.get("q", "").strip()[:200]
    # A search is ranked by relevance unless another order is asked for.
    sort = args.get("tri") or ("pertinence" if q else "cloture")
    if sort not in queries.SORT_CHOICES:
        sort = "cloture"
    criteria = queries.CatalogFilter(
        q=q, status=status, issuer=args.get("organisme", ""),
        kind=args.get("type", ""), carrier=args.get("porteur", ""), territory=args.get("territoire", ""),
        theme=args.get("theme", ""), before=before, sort=sort)
    return criteria, errors


@bp.get("/")
def index():
    criteria, errors = parse_filter(request.args)
    number = request.args.get("page", "1")
    if not number.isdigit() or int(number) < 1:
        abort(404)
    results = queries.search_calls(criteria, now(), page=int(number))
    if not results.exists:  # past the last page: a page that does not exist (a link kept from before)
        abort(404)
    # The pagination's links keep every filter of this page.
    kept = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template("catalog/index.html", results=results, criteria=criteria, errors=errors, kept=kept,
                           sort_asked=request.args.get("tri", ""),
                           facets=queries.facets(), status_choices=queries.STATUS_CHOICES,
                           sort_choices=queries.SORT_CHOICES, carrier_labels=CARRIER_LABELS,
                           kind_labels={k.value: k.label for k in Kind})


@bp.get("/<slug>/")
def detail(slug: str):
    call = queries.get_call(slug) or abort(404)
    moment = now()
    return render_template("catalog/detail.html", call=call, spec=call.spec, status=call_status(call, moment),
                           moment=moment, carrier_labels=CARRIER_LABELS, CarrierType=CarrierType)
