"""`portal demo load`: fictitious data for a local demonstration, never mixed with the real calls of calls/.

The real calls shipped in calls/ are all closed by now; the demo adds one open and one upcoming call, plainly
titled as fictitious, with dates relative to today so the demonstration never goes stale."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import click
from flask.cli import AppGroup

from portal.accounts import auth, organisations, queries, roles
from portal.accounts.models import Membership, MembershipRole
from portal.catalog import services
from portal.catalog.schema import CallSpec
from portal.config import DEMO_ISSUER
from portal.core.time import now, today_paris
from portal.extensions import db

demo_cli = AppGroup("demo", help="Données de démonstration (fictives).")

_NAMESPACE = uuid.UUID("6f1d3c52-0000-4000-8000-000000000000")


def demo_calls(today: dt.date) -> list[tuple[str, dict, str]]:
    common = {
        "kind": "AAP",
        "issuer": {"body": DEMO_ISSUER, "service": "Service fictif de démonstration",
                   # Fictitious, as the whole demo: who signs its letters and where they may be contested.
                   "appeals_court": "Tribunal administratif de Démonstration",
                   "signatory": {"name": "Dominique Exemple", "title": "Directrice fictive de la solidarité",
                                 "by_delegation": True}},
        "themes": ["démonstration"],
        "territories": [{"name": "Territoire de démonstration"}],
        "carriers": {"types": ["association"], "description": "Associations (exemple fictif)."},
        "selection_criteria": [{"key": "qualite", "label": "Qualité du projet (exemple)", "weight": "2"},
                               {"key": "partenariat", "label": "Partenariats (exemple)", "weight": "1"}],
        "required_documents": [
            {"key": "cerfa-12156", "label": "Demande de subvention (Cerfa n°12156)", "formats": ["pdf"]},
            {"key": "statuts", "label": "Statuts de l'association", "formats": ["pdf"], "max_size_mb": 10},
            {"key": "note", "label": "Note descriptive du projet", "formats": ["pdf", "odt", "docx"]},
            {"key": "annexes", "label": "Annexes", "required": False, "multiple": True}],
        "questions": [
            {"key": "objectifs", "label": "Objectifs du projet", "type": "long_text", "max_length": 3000},
            {"key": "menages", "label": "Nombre de ménages accompagnés par an", "type": "number"},
            {"key": "territoires", "label": "Territoires couverts", "type": "multiple_choice",
             "choices": ["Territoire nord (exemple)", "Territoire sud (exemple)"]},
            {"key": "equipe", "label": "Équipe du projet", "type": "table", "max_rows": 6,
             "columns": [{"key": "fonction", "label": "Fonction"}, {"key": "etp", "label": "ETP", "type": "number"}]},
            {"key": "renouvellement", "label": "S'agit-il d'un renouvellement ?", "type": "yes_no"}],
        "declarations": [
            {"key": "engagement-republicain",
             "text": "L'association souscrit au contrat d'engagement républicain (exemple de déclaration)."}],
        "grouped_applications": True,
        "contacts": [{"name": "Contact fictif", "email": "demo@example.org"}],
    }
    body = ("## Démonstration\n\nCet appel est **fictif**. Il sert à essayer le portail en local ; "
            "il n'engage aucun organisme.")
    return [
        ("demonstration-appel-ouvert", {
            **common, "id": str(uuid.uuid5(_NAMESPACE, "open")),
            "title": "[Démonstration] Appel fictif ouvert aux candidatures",
            "summary": "Appel fictif pour essayer le portail : candidatures ouvertes.",
            "windows": [{"key": "unique", "opens_on": (today - dt.timedelta(days=10)).isoformat(),
                         "closes_on": (today + dt.timedelta(days=20)).isoformat()}],
            "funding": {"envelope": "50000.00"}}, body),
        ("demonstration-appel-en-selection", {
            **common, "id": str(uuid.uuid5(_NAMESPACE, "selection")),
            "title": "[Démonstration] Appel fictif clos, en cours de sélection",
            "summary": "Appel fictif pour essayer la sélection : candidatures évaluées, décisions à prendre.",
            "windows": [{"key": "unique", "opens_on": (today - dt.timedelta(days=40)).isoformat(),
                         "closes_on": (today - dt.timedelta(days=5)).isoformat()}],
            "selection_criteria": [
                {"key": "qualite", "label": "Qualité du projet (exemple)", "weight": "2",
                 "scale": {"min": 0, "max": 5, "labels": {0: "Insuffisant", 3: "Satisfaisant", 5: "Excellent"}}},
                {"key": "partenariat", "label": "Partenariats (exemple)", "weight": "1"},
                {"key": "budget", "label": "Cohérence du budget (exemple)", "weight": "1",
                 "scale": {"min": 0, "max": 5}}],
            "funding": {"envelope": "60000.00"}}, body),
        ("demonstration-appel-en-suivi", {
            **common, "id": str(uuid.uuid5(_NAMESPACE, "followup")),
            "title": "[Démonstration] Appel fictif clos, lauréats en suivi",
            "summary": "Appel fictif pour essayer le suivi : conventions, versements et bilans (démonstration).",
            "windows": [{"key": "unique", "opens_on": (today - dt.timedelta(days=130)).isoformat(),
                         "closes_on": (today - dt.timedelta(days=95)).isoformat(),
                         "agreement_period": {"start": (today - dt.timedelta(days=75)).isoformat(),
                                              "end": (today - dt.timedelta(days=5)).isoformat()}}],
            "funding": {"envelope": "60000.00", "payment_schedule": [
                {"label": "Avance", "percent": "60", "trigger": "signature",
                 "when": "dès la signature de la convention (démonstration)"},
                {"label": "Solde", "trigger": "report", "report": "final",
                 "when": "après le bilan final, en fonction du service fait (démonstration)"}],
                "unit_costs": [{"label": "Diagnostic (démonstration)", "amount": "150"},
                               {"label": "Semaine d'accompagnement (démonstration)", "amount": "55",
                                "unit": "par semaine", "max_units": 8}]},
            # Fictitious like the whole call: it says it puts the DIHAL's national framework into effect, so that the
            # framework's indicators page (/gestion/cadres/…/indicateurs) has a call to show in the demo.
            "framework": "cadre-national-equipes-mobiles-prevention-expulsions",
            # One indicator carries the framework's own label (« Nombre de relogements accompagnés »), so that the
            # framework's page adds it up across its calls; the other is the demo's own, listed without a match.
            "evaluation": {"final_report": "Un bilan final est attendu, avec les indicateurs (démonstration).",
                           "indicators": [{"label": "Ménages accompagnés (démonstration)", "target": {"at_least": 40, "unit": "ménages"}},
                                          {"label": "Nombre de relogements accompagnés", "target": {"at_least": 25, "unit": "ménages"}}]}}, body),
        ("demonstration-appel-a-venir", {
            **common, "id": str(uuid.uuid5(_NAMESPACE, "upcoming")),
            "title": "[Démonstration] Appel fictif à venir",
            "summary": "Appel fictif pour essayer le portail : ouverture prochaine.",
            "windows": [{"key": "unique", "opens_on": (today + dt.timedelta(days=15)).isoformat(),
                         "closes_on": (today + dt.timedelta(days=75)).isoformat()}]}, body),
    ]


# For local use only: these accounts and their shared password are printed in the README.
DEMO_PASSWORD = "demonstration-portail"
DEMO_PEOPLE = [
    ("admin@demo.example.org", "Alice Administratrice", [("admin", {})]),
    ("gestionnaire@demo.example.org", "Gaston Gestionnaire", [("manager", {"issuer": DEMO_ISSUER})]),
    ("finances@demo.example.org", "Fanny Finances", [("finance", {"issuer": DEMO_ISSUER})]),
    ("evaluatrice1@demo.example.org", "Églantine Évaluatrice", [("reviewer", {"call": "open"}), ("reviewer", {"call": "selection"})]),
    ("evaluateur2@demo.example.org", "Émile Évaluateur", [("reviewer", {"call": "open"}), ("reviewer", {"call": "selection"})]),
    ("presidente@asso-logement.demo.example.org", "Paule Présidente", []),
    ("salarie@asso-logement.demo.example.org", "Sami Salarié", []),
    ("directrice@asso-budget.demo.example.org", "Denise Directrice", []),
    ("benevole@asso-budget.demo.example.org", "Bruno Bénévole", []),
]
DEMO_ORGANISATIONS = [
    ({"legal_name": "Association fictive Logement Solidaire", "legal_form": "association", "rna": "W621000001",
      "address": "1 rue de la Démonstration", "postcode": "62000", "city": "Arras",
      "representative_name": "Paule Présidente", "representative_role": "Présidente"},
     "presidente@asso-logement.demo.example.org", ["salarie@asso-logement.demo.example.org"]),
    ({"legal_name": "Association fictive Budget et Conseil", "legal_form": "association", "siret": "73282932000074",
      "address": "2 place de l'Exemple", "postcode": "67000", "city": "Strasbourg",
      "representative_name": "Denise Directrice", "representative_role": "Directrice"},
     "directrice@asso-budget.demo.example.org", ["benevole@asso-budget.demo.example.org"]),
]


@demo_cli.command("load")
def load() -> None:
    """Charge les données de démonstration (idempotent ; les dates suivent la date du jour)."""
    moment = now()
    for slug, data, body in demo_calls(today_paris(moment)):
        spec = CallSpec.model_validate(data)
        digest = hashlib.sha256(f"{spec.model_dump_json()}\n{body}".encode()).hexdigest()
        outcome = services.publish(slug, spec, body, digest, moment)
        click.echo(f"{slug} : {outcome}")
    db.session.commit()
    people = _load_people()
    from portal.demo_selection import load_selection  # here: it needs every domain's services loaded
    # The selection demo: applications deposited ten days ago, before the window closed five days ago.
    load_selection(people["gestionnaire@demo.example.org"],
                   [people["evaluatrice1@demo.example.org"], people["evaluateur2@demo.example.org"]],
                   today_paris(moment) - dt.timedelta(days=10))
    from portal.demo_followup import load_followup

    # The follow-up demo: a call closed weeks ago, its laureates' first convention in force, advance paid.
    load_followup(people["gestionnaire@demo.example.org"], people["finances@demo.example.org"], moment)


def _load_people() -> dict:
    people = {}
    for email, name, grants in DEMO_PEOPLE:
        person = queries.user_by_email(email)
        if person is None:
            person = auth.create_confirmed_user(email, name, DEMO_PASSWORD)
            for role, scope in grants:
                call_id = uuid.uuid5(_NAMESPACE, scope["call"]) if "call" in scope else None
                roles.grant_role(person, role, by=None, issuer=scope.get("issuer"), call_id=call_id)
            db.session.commit()  # one loaded thing, one transaction: the person with her roles
            click.echo(f"compte de démonstration : {email}")
        people[email] = person
    for identity, admin, members in DEMO_ORGANISATIONS:
        if any(m.organisation.legal_name == identity["legal_name"] for m in people[admin].memberships):
            continue
        organisation = organisations.create_organisation(organisations.Identity(**identity), by=people[admin])
        for email in members:
            db.session.add(Membership(organisation=organisation, user=people[email], role=MembershipRole.MEMBER, joined_at=now()))
        db.session.commit()  # the organisation with its members
        click.echo(f"organisation de démonstration : {identity['legal_name']}")
    return people
