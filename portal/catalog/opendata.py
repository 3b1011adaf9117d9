"""The catalogue as open data in Etalab's « dispositif d'aide » schema (schema.data.gouv.fr, v0.1.0).

Columns and formats follow the schema's Table Schema: pipe-separated lists, COG codes, ISO 8601 instants."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import nh3
from flask import Blueprint, Response, stream_with_context

from portal.catalog import queries
from portal.catalog.documents import iso
from portal.catalog.models import Call
from portal.catalog.schema import CARRIER_LABELS, CarrierType
from portal.core import exports
from portal.core.time import now
from portal.core.urls import external_url

bp = Blueprint("opendata", __name__, url_prefix="/donnees")

COLUMNS = ["id", "titre", "promesse", "description", "eligibilite", "types_aides", "porteurs",
           "programmes_parents", "url_source", "cibles", "eligibilite_geographique",
           "eligibilite_geographique_exclusions", "date_ouverture", "date_cloture", "date_mise_a_jour"]

# The schema's four target groups, from the legal forms the call accepts.
_TARGETS = {
    CarrierType.ASSOCIATION: "associations", CarrierType.FONDATION: "associations",
    CarrierType.ORGANISME_AGREE: "professionnels", CarrierType.BAILLEUR_SOCIAL: "professionnels",
    CarrierType.AUTRE: "professionnels", CarrierType.ETABLISSEMENT_PUBLIC: "secteur public",
    CarrierType.COLLECTIVITE: "secteur public", CarrierType.SERVICE_ETAT: "secteur public",
}
_ORDER = ["professionnels", "particuliers", "associations", "secteur public"]
# The schema's pattern accepts digits only (Corsica's 2A/2B cannot be expressed).
_COG = re.compile(r"^[A-Z]+-\d+$")


def record(call: Call) -> dict[str, str]:
    spec = call.spec
    opens = [w.opens_at for w in call.windows if w.opens_at is not None]
    closes = [w.closes_at for w in call.windows]
    targets = {_TARGETS[t] for t in spec.carrier_types} or {"secteur public"}
    codes = [t.code for t in spec.all_territories if t.code and _COG.match(t.code)]
    codes += [a.territory.code for a in spec.allocations if a.territory.code and _COG.match(a.territory.code)]
    return {
        "id": str(call.uuid),
        "titre": call.title,
        "promesse": call.summary,
        "description": _plain(call.body_html, 5000),
        "eligibilite": _eligibility(call),
        "types_aides": "financement",
        "porteurs": json.dumps([{"nom": spec.issuer.body, "siren": spec.issuer.siren or "",
                                 "roles": ["instructeur", "financeur"]}], ensure_ascii=False),
        "programmes_parents": "",
        "url_source": external_url("catalog.detail", slug=call.slug),
        "cibles": "|".join(t for t in _ORDER if t in targets),
        "eligibilite_geographique": "|".join(dict.fromkeys(codes)),
        "eligibilite_geographique_exclusions": "",
        "date_ouverture": iso(min(opens)) if opens else "",
        "date_cloture": iso(max(closes)) if closes else "",
        "date_mise_a_jour": iso(call.updated_at),
    }


def records() -> Iterator[dict[str, str]]:
    """Every published call's record, read from the database as they are sent (exports stream)."""
    return (record(item.call) for item in queries.all_calls(now()))


@bp.get("/dispositifs-aide.csv")
def as_csv():
    rows = ([record[column] for column in COLUMNS] for record in records())
    body = exports.csv_lines(COLUMNS, rows, delimiter=",", bom=False)  # open data: a comma and no BOM
    response = Response(stream_with_context(body), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="dispositifs-aide.csv"'
    return response


@bp.get("/dispositifs-aide.json")
def as_json():
    return Response(stream_with_context(_json_array(records())), mimetype="application/json")


def _json_array(items: Iterator[dict]) -> Iterator[str]:
    """A JSON array written one element at a time: `[`, the elements separated by commas, `]`."""
    yield "["
    for number, item in enumerate(items):
        yield ("," if number else "") + "\n " + json.dumps(item, ensure_ascii=False)
    yield "\n]\n"


def _eligibility(call: Call) -> str:
    spec = call.spec
    lines = []
    if spec.carriers:
        lines.append("Porteurs : " + ", ".join(CARRIER_LABELS[t] for t in spec.carriers.types))
        if spec.carriers.description:
            lines.append(spec.carriers.description)
        lines.extend(f"Agrément ou label requis : {a}" for a in spec.carriers.agreements)
    lines.extend(f"Territoire : {t.name}" for t in spec.all_territories)
    lines.extend(f"Département retenu : {a.territory.name}" for a in spec.allocations)
    return "\n".join(f"• {line}" for line in lines)


def _plain(markup: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", html.unescape(nh3.clean(markup, tags=set()))).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
