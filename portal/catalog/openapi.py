"""OpenAPI 3.1 description of the read-only catalogue API."""

from __future__ import annotations

_FILTERS = [
    ("q", "Recherche plein texte en français : tous les mots, chacun sous ses formes (« expulsions » trouve "
          "« expulsion »), sans tenir compte des accents ni de la casse ; résultats classés par pertinence",
     {"type": "string"}),
    ("statut", "ouvert, a-venir, cloture ou tout ; par défaut les appels non clôturés",
     {"type": "string", "enum": ["ouvert", "a-venir", "cloture", "tout"]}),
    ("organisme", "Organisme émetteur, tel que publié", {"type": "string"}),
    ("type", "AAP, AMI ou cadre", {"type": "string", "enum": ["AAP", "AMI", "cadre"]}),
    ("porteur", "Type de porteur éligible", {"type": "string"}),
    ("territoire", "Nom d'un territoire", {"type": "string"}),
    ("theme", "Thème", {"type": "string"}),
    ("avant", "Date limite de dépôt au plus tard ce jour (AAAA-MM-JJ)", {"type": "string", "format": "date"}),
    ("tri", "cloture, publication ou pertinence (par défaut avec « q »)",
     {"type": "string", "enum": ["cloture", "publication", "pertinence"]}),
    ("page", "Numéro de page, à partir de 1", {"type": "integer", "minimum": 1, "default": 1}),
    ("par_page", "Appels par page", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
]

_INSTANT = {"type": ["string", "null"], "format": "date-time",
            "description": "ISO 8601 avec le décalage horaire de Paris"}

_SUMMARY = {
    "type": "object",
    "required": ["id", "slug", "type", "titre", "resume", "organisme", "statut", "fenetres", "publie_le",
                 "mis_a_jour_le", "url"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "slug": {"type": "string"},
        "type": {"type": "string", "enum": ["AAP", "AMI", "cadre"]},
        "titre": {"type": "string"},
        "resume": {"type": "string"},
        "organisme": {"type": "string"},
        "statut": {"type": "object", "required": ["code", "libelle"], "properties": {
            "code": {"type": "string", "enum": ["a-venir", "ouvert", "cloture-imminente", "cloture", "information"]},
            "libelle": {"type": "string"}}},
        "fenetres": {"type": "array", "items": {"type": "object", "required": ["cle", "ouverture", "cloture"],
                                                "properties": {"cle": {"type": "string"},
                                                               "libelle": {"type": ["string", "null"]},
                                                               "ouverture": _INSTANT, "cloture": _INSTANT}}},
        "publie_le": _INSTANT,
        "mis_a_jour_le": _INSTANT,
        "url": {"type": "string", "format": "uri"},
    },
}

_ERRORS = {"description": "Paramètres invalides ou appel introuvable",
           "content": {"application/json": {"schema": {"type": "object", "required": ["erreurs"], "properties": {
               "erreurs": {"type": "array", "items": {"type": "string"}}}}}}}


def description(server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "API des appels à projets", "version": "1.0.0",
                 "description": "Appels à projets et à manifestation d'intérêt publiés sur le portail. "
                                "Lecture seule, sans authentification."},
        "servers": [{"url": server_url}],
        "paths": {
            "/appels": {"get": {
                "operationId": "listCalls", "summary": "Liste paginée des appels",
                "parameters": [{"name": n, "in": "query", "required": False, "description": d, "schema": s}
                               for n, d, s in _FILTERS],
                "responses": {
                    "200": {"description": "Une page d'appels", "content": {"application/json": {"schema": {
                        "type": "object", "required": ["donnees", "meta", "liens"],
                        "properties": {
                            "donnees": {"type": "array", "items": {"$ref": "#/components/schemas/CallSummary"}},
                            "meta": {"type": "object", "required": ["page", "par_page", "total", "pages"],
                                     "properties": {k: {"type": "integer"} for k in
                                                    ("page", "par_page", "total", "pages")}},
                            "liens": {"type": "object"}}}}}},
                    "400": _ERRORS}}},
            "/appels/{slug}": {"get": {
                "operationId": "getCall", "summary": "Un appel, avec toutes ses données",
                "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "L'appel", "content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Call"}}}},
                    "404": _ERRORS}}},
        },
        "components": {"schemas": {
            "CallSummary": _SUMMARY,
            "Call": {"allOf": [{"$ref": "#/components/schemas/CallSummary"}, {
                "type": "object", "required": ["donnees", "texte_markdown", "texte_html", "revisions"],
                "properties": {
                    "donnees": {"type": "object", "description": "L'en-tête du fichier d'appel (voir docs/calls.md)"},
                    "texte_markdown": {"type": "string"}, "texte_html": {"type": "string"},
                    "calendrier": {"type": "string", "format": "uri"},
                    "revisions": {"type": "array", "items": {"type": "object", "properties": {
                        "numero": {"type": "integer"}, "date": _INSTANT,
                        "modifications": {"type": "array", "items": {"type": "string"}}}}}}}]},
        }},
    }
