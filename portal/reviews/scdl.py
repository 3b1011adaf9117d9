"""The awarded grants as open data, in the SCDL « subventions » 2.1.1 format (décret 2017-779, arrêté du
17 novembre 2017): one line per beneficiary, i.e. per published « retenu » decision carrying an amount.

Columns, types, patterns, lengths and allowed values follow the schema's own schema.json (Table Schema,
https://gitlab.com/opendatafrance/scdl/subventions, tag v2.1.1, documented at
https://schema.data.gouv.fr/scdl/subventions/2.1.1/documentation.html), plus its custom checks: `one-of-required`
(idBeneficiaire or rnaBeneficiaire) and `french-siret-value` on idAttribuant and idBeneficiaire. The file itself
follows the format's CSV conventions (https://github.com/etalab/format-subventions, « Recommandations de
formatage »): UTF-8, comma between columns, a point as decimal separator, fields quoted when needed.

dateConvention, conditionsVersement and datesPeriodeVersement come from the follow-up where it holds them (the
`scdl.grant_facts` slot: the convention signed by the issuer, its schedule, the payments made); the manager's form
gives them for the other grants."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from portal.accounts import identifiers
from portal.accounts.models import Organisation
from portal.applications.models import Application
from portal.catalog.models import Call
from portal.core import exports, hooks
from portal.extensions import db
from portal.reviews.models import Decision, ReviewRound
from portal.reviews.states import Outcome

HEADER = ["nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire",
          "idBeneficiaire", "rnaBeneficiaire", "objet", "montant", "nature", "conditionsVersement",
          "datesPeriodeVersement", "idRAE", "notificationUE", "pourcentageSubvention", "dispositifAide"]
REQUIRED = ("nomAttribuant", "idAttribuant", "dateConvention", "nomBeneficiaire", "objet", "montant", "nature",
            "conditionsVersement", "datesPeriodeVersement", "notificationUE", "pourcentageSubvention")
# schema.json, field « nature »: constraints.enum.
NATURES = ("aide en numéraire", "aide en nature", "aide en numéraire;aide en nature",
           "aide en nature;aide en numéraire")
# Field « conditionsVersement »: its description names these three; the schema constrains only maxLength 256, and
# « autre » may be replaced by a free description of the terms.
CONDITIONS = ("unique", "échelonné", "autre")
SIRET_PATTERN = r"\d{14}"  # idAttribuant, idBeneficiaire: ^\d{14}$
RNA_PATTERN = r"W\d{9}"  # rnaBeneficiaire: ^W\d{9}$
DATES_PATTERN = r"[0-9]{4}\-[0-9]{2}\-[0-9]{2}(\/[0-9]{4}\-[0-9]{2}\-[0-9]{2})?"  # datesPeriodeVersement
NUMBER_PATTERN = r"-?\d+(\.\d+)?"  # Table Schema « number » with the default decimalChar « . »
MAX_OBJET = MAX_CONDITIONS = 256
MAX_ID_RAE = 5
NOTIFICATION_VALUES = ("oui", "non")  # notificationUE: boolean, trueValues ["oui"], falseValues ["non"]
SINGLE_BENEFICIARY = "1.00"  # pourcentageSubvention, 0.01 to 1: « bénéficiaire unique … soit '1.00' »


@dataclass(frozen=True)
class Facts:
    """What the manager states in the export form: the portal does not hold them."""

    id_attribuant: str
    date_convention: dt.date
    reference_decision: str
    nature: str
    conditions: str
    dates: str
    notification_ue: str


def beneficiaries(round_: ReviewRound) -> list[tuple[Application, Organisation, Decision]]:
    """The round's published « retenu » decisions with an amount, by application number."""
    return [tuple(row) for row in db.session.execute(
        select(Application, Organisation, Decision)
        .join(Decision, Decision.application_id == Application.id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Application.window_id == round_.window_id, Decision.outcome == Outcome.SELECTED,
               Decision.published_at.is_not(None), Decision.amount.is_not(None))
        .order_by(Application.number))]


def _objet(call: Call, application: Application) -> str:
    # Cut after neutralising, so that the text as written (apostrophe included) fits the schema's 256 characters.
    suffix = f" — {application.number}"
    return exports.neutralised(call.title)[:MAX_OBJET - len(suffix)] + suffix


def followed(application_ids: list) -> dict:
    """What the follow-up knows of these grants ({application id: hooks.GrantFacts}); nothing without it."""
    known: dict = {}
    for given in hooks.contributions("scdl.grant_facts", application_ids=application_ids):
        known.update(given)
    return known


def _dates(paid: tuple[dt.date, ...], default: str) -> str:
    """datesPeriodeVersement: the one date paid, or the period from the first payment to the last."""
    if not paid:
        return default
    first, last = min(paid), max(paid)
    return first.isoformat() if first == last else f"{first.isoformat()}/{last.isoformat()}"


def _conditions(planned: int, default: str) -> str:
    # The schedule decides: one payment is « unique », several « échelonné » (the schema's own words).
    return default if not planned else ("unique" if planned == 1 else "échelonné")


def rows(call: Call, round_: ReviewRound, facts: Facts) -> list[dict[str, str]]:
    result = []
    found = beneficiaries(round_)
    known = followed([application.id for application, _, _ in found])
    for application, organisation, decision in found:
        grant = known.get(application.id) or hooks.GrantFacts()
        siret = identifiers.clean(organisation.siret or "")
        rna = identifiers.clean(organisation.rna or "")
        result.append({
            "nomAttribuant": call.spec.issuer.body,
            "idAttribuant": facts.id_attribuant,
            "dateConvention": (grant.convention_date or facts.date_convention).isoformat(),
            "referenceDecision": facts.reference_decision,
            "nomBeneficiaire": organisation.legal_name,
            "idBeneficiaire": siret if re.fullmatch(SIRET_PATTERN, siret) else "",
            "rnaBeneficiaire": rna if re.fullmatch(RNA_PATTERN, rna) else "",
            "objet": _objet(call, application),
            "montant": format(decision.amount.quantize(Decimal("0.01")), "f"),
            "nature": facts.nature,
            "conditionsVersement": _conditions(grant.payments_planned, facts.conditions),
            "datesPeriodeVersement": _dates(grant.payment_dates, facts.dates),
            "idRAE": "",
            "notificationUE": facts.notification_ue,
            "pourcentageSubvention": SINGLE_BENEFICIARY,
            "dispositifAide": str(call.uuid),
        })
    return result


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _number(text: str) -> Decimal | None:
    if not re.fullmatch(NUMBER_PATTERN, text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees a number
        return None


def _row_errors(row: dict[str, str]) -> list[str]:
    errors = []
    if list(row) != HEADER:
        return [f"les colonnes doivent être exactement, dans cet ordre : {', '.join(HEADER)}."]
    for column in REQUIRED:
        if not row[column].strip():
            errors.append(f"{column} est obligatoire.")
    for column in ("idAttribuant", "idBeneficiaire"):
        value = row[column]
        if value and (not re.fullmatch(SIRET_PATTERN, value) or identifiers.siret_error(value)):
            errors.append(f"{column} « {value} » n'est pas un numéro SIRET valide (14 chiffres, clé de contrôle).")
    if row["rnaBeneficiaire"] and not re.fullmatch(RNA_PATTERN, row["rnaBeneficiaire"]):
        errors.append(f"rnaBeneficiaire « {row['rnaBeneficiaire']} » doit être W suivi de 9 chiffres.")
    if not row["idBeneficiaire"] and not row["rnaBeneficiaire"]:
        errors.append("au moins l'une des colonnes idBeneficiaire ou rnaBeneficiaire doit être renseignée "
                      "(le bénéficiaire n'a ni SIRET ni RNA enregistré).")
    if row["dateConvention"] and _iso_date(row["dateConvention"]) is None:
        errors.append(f"dateConvention « {row['dateConvention']} » doit être une date AAAA-MM-JJ.")
    if len(row["objet"]) > MAX_OBJET:
        errors.append(f"objet dépasse {MAX_OBJET} caractères.")
    if row["montant"] and _number(row["montant"]) is None:
        errors.append(f"montant « {row['montant']} » doit être un nombre avec un point décimal (ex. 47800.20).")
    if row["nature"] and row["nature"] not in NATURES:
        errors.append(f"nature « {row['nature']} » n'est pas une valeur autorisée ({' / '.join(NATURES)}).")
    if len(row["conditionsVersement"]) > MAX_CONDITIONS:
        errors.append(f"conditionsVersement dépasse {MAX_CONDITIONS} caractères.")
    dates = row["datesPeriodeVersement"]
    if dates:
        parts = dates.split("/")
        parsed = [_iso_date(p) for p in parts]
        if not re.fullmatch(DATES_PATTERN, dates) or None in parsed:
            errors.append(f"datesPeriodeVersement « {dates} » doit être une date AAAA-MM-JJ ou une période "
                          "AAAA-MM-JJ/AAAA-MM-JJ.")
        elif len(parsed) == 2 and parsed[0] > parsed[1]:
            errors.append(f"datesPeriodeVersement « {dates} » : la période finit avant de commencer.")
    if len(row["idRAE"]) > MAX_ID_RAE:
        errors.append(f"idRAE dépasse {MAX_ID_RAE} caractères.")
    if row["notificationUE"] and row["notificationUE"] not in NOTIFICATION_VALUES:
        errors.append(f"notificationUE « {row['notificationUE']} » doit valoir oui ou non.")
    share = _number(row["pourcentageSubvention"]) if row["pourcentageSubvention"] else None
    if row["pourcentageSubvention"] and (share is None or not Decimal("0.01") <= share <= 1):
        errors.append(f"pourcentageSubvention « {row['pourcentageSubvention']} » doit être un nombre entre 0.01 et 1.")
    return errors


def validate(rows: list[dict[str, str]]) -> list[str]:
    """Every column of every line, as csv_bytes will write it, against the schema; French messages naming the line
    and the beneficiary."""
    messages = []
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        for error in _row_errors({column: exports.neutralised(value) for column, value in row.items()}):
            messages.append(f"Ligne {number} ({row.get('nomBeneficiaire') or '?'}) : {error}")
    return messages


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    """Through the portal's one CSV writer, which neutralises text that a spreadsheet would run as a formula. How
    that meets the schema: the free-text columns (nomAttribuant, nomBeneficiaire, objet, referenceDecision,
    conditionsVersement) are constrained by length only, so a leading apostrophe keeps them valid, and validate()
    checks the text as written, apostrophe included; every other column (SIRET, RNA, dates, amounts, the
    enumerations, the UUID) is held to a pattern that cannot begin with = + - @ tab or CR, so the writer leaves it
    exactly as it is."""
    return exports.csv_bytes(HEADER, ([row[column] for column in HEADER] for row in rows), delimiter=",")


def filename(call: Call, at: dt.date) -> str:
    return f"{at:%Y%m%d}-subventions-{call.slug}.csv"
