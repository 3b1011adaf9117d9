"""Read-only JSON API of the catalogue (/api/v1), with its OpenAPI description."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from portal.catalog import openapi, queries
from portal.catalog.documents import full_document, summary_document
from portal.catalog.status import call_status
from portal.catalog.views import parse_filter
from portal.core.time import now
from portal.core.urls import external_url

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 100


def _error(status: int, messages: list[str]):
    response = jsonify({"erreurs": messages})
    response.status_code = status
    return response


@bp.get("/appels")
def calls():
    criteria, errors = parse_filter(request.args)
    page = request.args.get("page", "1")
    per_page = request.args.get("par_page", "20")
    if not page.isdigit() or int(page) < 1:
        errors.append("« page » doit être un entier supérieur ou égal à 1.")
    if not per_page.isdigit() or not 1 <= int(per_page) <= MAX_PER_PAGE:
        errors.append(f"« par_page » doit être un entier entre 1 et {MAX_PER_PAGE}.")
    if errors:
        return _error(400, errors)
    page, per_page = int(page), int(per_page)
    results = queries.search_calls(criteria, now(), page=page, per_page=per_page)  # past the last: no data
    total, pages = results.total, results.pages
    args = {k: v for k, v in request.args.items() if k != "page"}

    def link(number: int) -> str:
        return external_url("api.calls", page=number, **args)

    return jsonify({
        "donnees": [summary_document(item.call, item.status) for item in results],
        "meta": {"page": page, "par_page": per_page, "total": total, "pages": pages},
        "liens": {"self": link(page), "premiere": link(1), "derniere": link(pages),
                  "suivante": link(page + 1) if page < pages else None,
                  "precedente": link(page - 1) if 1 < page <= pages + 1 else None},
    })


@bp.get("/appels/<slug>")
def call(slug: str):
    found = queries.get_call(slug)
    if found is None:
        return _error(404, [f"Aucun appel publié à l'adresse « {slug} »."])
    return jsonify(full_document(found, call_status(found, now())))


@bp.get("/openapi.json")
def openapi_description():
    return jsonify(openapi.description(external_url("api.calls").rsplit("/appels", 1)[0]))

