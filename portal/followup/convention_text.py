"""The text of a convention: the issuer's Markdown template (or the portal's default one) with its placeholders,
checked and rendered in a Jinja sandbox, filled from the call, the decision and the organisation (issue 17,
docs/conventions.md). Reads only: drafting, saving a template and amending live in conventions.py."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from portal.accounts.models import Organisation
from portal.applications.models import Application
from portal.core.errors import Refusal
from portal.core.formatting import date_fr, money_fr, number_fr
from portal.extensions import db
from portal.followup.models import Convention, ConventionTemplate
from portal.followup.payments import unit_noun

DEFAULT_TEMPLATE = Path(__file__).parent / "data" / "convention.md"

PLACEHOLDERS = {
    "numero": "le numéro de la convention",
    "financeur": "l'organisme financeur",
    "signataire": "le signataire pour le financeur",
    "organisation": "le nom de l'organisation bénéficiaire",
    "organisation_adresse": "son adresse",
    "representant": "son représentant légal",
    "appel": "le titre de l'appel",
    "candidature": "le numéro de la candidature",
    "objet": "l'objet de la convention",
    "montant": "le montant attribué",
    "duree": "la durée",
    "debut": "la date de début",
    "fin": "la date de fin",
    "echeancier": "l'échéancier des versements",
    "indicateurs": "les indicateurs d'évaluation",
    "bilans": "les bilans attendus",
    "clauses": "les conditions de l'appel",
}

EXPRESSION = ("Le modèle de convention emploie une expression que le portail ne calcule pas : écrivez seulement "
              "des champs, par exemple {{ organisation }}.")
_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def check_template(text: str) -> None:
    """Refuse a template Jinja cannot read or that names a placeholder the portal does not fill."""
    try:
        parsed = _env.parse(text)
    except TemplateSyntaxError as error:
        raise Refusal(f"Le modèle de convention est illisible à la ligne {error.lineno} : écrivez chaque champ "
                      "entre doubles accolades, par exemple {{ organisation }}.", field="text") from error
    try:
        unknown = sorted(meta.find_undeclared_variables(parsed) - set(PLACEHOLDERS))
    except TemplateSyntaxError as error:  # an unknown filter or test, found when the template is compiled
        raise Refusal(EXPRESSION, field="text") from error
    if unknown:
        names = ", ".join(f"{{{{ {name} }}}}" for name in unknown)
        known = ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS)
        raise Refusal(f"Le modèle de convention emploie des champs inconnus : {names}. Champs possibles : {known}.",
                      field="text")
    _render(parsed_text=text, context=dict.fromkeys(PLACEHOLDERS, "…"))


def _render(parsed_text: str, context: dict) -> str:
    try:
        return _env.from_string(parsed_text).render(**context)
    except (SecurityError, UndefinedError, TemplateSyntaxError, TypeError, ValueError) as error:
        raise Refusal(EXPRESSION, field="text") from error


def template_text(issuer: str) -> str:
    stored = db.session.get(ConventionTemplate, issuer)
    return stored.text if stored is not None else DEFAULT_TEMPLATE.read_text(encoding="utf-8")


def _bullets(lines: list[str], empty: str) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else empty


def _schedule(spec, amount: Decimal) -> str:
    funding = spec.funding
    lines = []
    for payment in (funding.payment_schedule if funding else []):
        share = f" : {money_fr(payment.amount)}" if payment.amount is not None else ""
        if payment.percent is not None:
            share = (f" : {number_fr(payment.percent)} % du montant, soit "
                     f"{money_fr((amount * payment.percent / 100).quantize(Decimal('0.01')))}")
        lines.append(f"{payment.label}{share}{f' ({payment.when})' if payment.when else ''}")
    for cost in (funding.unit_costs if funding else []):
        lines.append(f"Coût unitaire « {cost.label} » : {money_fr(cost.amount)}{f' {cost.unit}' if cost.unit else ''}"
                     f"{_cap(cost)}")
    return _bullets(lines, "Le versement intervient selon les modalités précisées par le financeur.")


def _cap(cost) -> str:
    """A unit cost's unit reads as the calls write it (« 55 € par semaine », docs/calls.md); its cap is per household,
    as the balance applies it (payments.service_lines): « dans la limite de 8 semaines soit 440 € par ménage »."""
    caps = [f"{cost.max_units} {unit_noun(cost, cost.max_units)}" if cost.max_units else None,
            money_fr(cost.max_amount) if cost.max_amount is not None else None]
    caps = [c for c in caps if c]
    return f", dans la limite de {' soit '.join(caps)} par ménage" if caps else ""


def _indicators(spec) -> str:
    evaluation = spec.evaluation
    lines = [f"{i.label}{f' — objectif : {i.target.text}' if i.target else ''}"
             for i in (evaluation.indicators if evaluation else [])]
    return _bullets(lines, "Les indicateurs sont ceux du projet présenté dans la candidature.")


def _reports(spec) -> str:
    evaluation = spec.evaluation
    lines = []
    if evaluation and evaluation.interim_report:
        lines.append(f"Bilan intermédiaire : {evaluation.interim_report}")
    if evaluation and evaluation.annual_report:
        lines.append(f"Bilan annuel : {evaluation.annual_report}")
    if evaluation and evaluation.final_report:
        lines.append(f"Bilan final : {evaluation.final_report}")
    lines.append("Compte rendu financier (Cerfa n°15059), dans les six mois suivant la fin de l'exercice financé "
                 "(loi n°2000-321 du 12 avril 2000, article 10).")
    return _bullets(lines, "")


def _clauses(spec) -> str:
    lines = list(spec.funding.conditions if spec.funding else [])
    lines += [f"{c.label} : {c.text}" for c in spec.commitments]
    return _bullets(lines, "Aucune condition particulière.")


def context_of(convention: Convention, application: Application, amount: Decimal | None = None) -> dict:
    call = application.call
    spec = call.spec
    organisation = db.session.get(Organisation, application.organisation_id)
    signatory = spec.letter_signatory
    amount = convention.amount if amount is None else amount
    years = None
    if convention.starts_on and convention.ends_on:
        years = round((convention.ends_on - convention.starts_on).days / 365.25) or None
    return {
        "numero": convention.number,
        "financeur": spec.issuer.body,
        "signataire": (f"{signatory.name}, {signatory.title}{' (par délégation)' if signatory.by_delegation else ''}"
                       if signatory else "son représentant habilité"),
        "organisation": organisation.legal_name,
        "organisation_adresse": f"{organisation.address}, {organisation.postcode} {organisation.city}",
        "representant": f"{organisation.representative_name}, {organisation.representative_role}",
        "appel": call.title,
        "candidature": application.number,
        "objet": (f"la mise en œuvre du projet présenté par le bénéficiaire dans sa candidature n° {application.number} "
                  f"à l'appel « {call.title} »"),
        "montant": money_fr(amount),
        "duree": f"{years} an{'s' if years > 1 else ''}" if years else "la durée de l'action",
        "debut": date_fr(convention.starts_on) if convention.starts_on else "la date de sa signature par les deux parties",
        "fin": date_fr(convention.ends_on) if convention.ends_on else "la remise du bilan final",
        "echeancier": _schedule(spec, amount),
        "indicateurs": _indicators(spec),
        "bilans": _reports(spec),
        "clauses": _clauses(spec),
    }


def render_text(template: str, context: dict) -> str:
    check_template(template)
    return _render(template, context)
