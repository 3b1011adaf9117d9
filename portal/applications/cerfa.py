"""The project budget of the Cerfa n°12156*06 (section 6): its lines, totals and the balance rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from portal.core.formatting import money_fr


@dataclass(frozen=True)
class Line:
    code: str
    label: str


CHARGES = [
    Line("60", "60 – Achats"), Line("61", "61 – Services extérieurs"), Line("62", "62 – Autres services extérieurs"),
    Line("63", "63 – Impôts et taxes"), Line("64", "64 – Charges de personnel"),
    Line("65", "65 – Autres charges de gestion courante"), Line("66", "66 – Charges financières"),
    Line("67", "67 – Charges exceptionnelles"), Line("68", "68 – Dotations aux amortissements"),
]
PRODUITS = [
    Line("70", "70 – Ventes de produits finis, prestations de services"),
    Line("73", "73 – Dotations et produits de tarification"),
    Line("74-etat", "74 – Subventions : État"), Line("74-region", "74 – Subventions : Région"),
    Line("74-departement", "74 – Subventions : Département"),
    Line("74-epci", "74 – Subventions : intercommunalité (EPCI)"), Line("74-commune", "74 – Subventions : commune"),
    Line("74-sociaux", "74 – Subventions : organismes sociaux (CAF…)"),
    Line("74-europe", "74 – Subventions : fonds européens"), Line("74-asp", "74 – Aides à l'emploi (ASP)"),
    Line("74-autres-publics", "74 – Autres établissements publics"), Line("74-prives", "74 – Aides privées"),
    Line("75", "75 – Autres produits de gestion courante (cotisations, dons)"),
    Line("76", "76 – Produits financiers"), Line("77", "77 – Produits exceptionnels"),
    Line("78", "78 – Reprises sur amortissements et provisions"),
]
IN_KIND = [Line("86", "86 – Emplois des contributions volontaires en nature"),
           Line("87", "87 – Contributions volontaires en nature")]
ALL_LINES = [*CHARGES, *PRODUITS, *IN_KIND]

_AMOUNT = re.compile(r"^-?\d+(\.\d{1,2})?$")


def parse_amount(text: str | None) -> Decimal | None:
    """« 12 500,50 », « 12500.5 » or « 12 500 € » as a Decimal; None when empty; ValueError when not an amount."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "").replace(",", ".")
    if not cleaned:
        return None
    if not _AMOUNT.match(cleaned):
        raise ValueError(text)
    try:
        return Decimal(cleaned).quantize(Decimal("0.01"))
    except InvalidOperation as error:  # pragma: no cover - the pattern already guarantees a number
        raise ValueError(text) from error


def shown_amount(text: str | None) -> str:
    """A budget line as typed (« 3000,5 ») shown like the totals (« 3 000,50 € »); kept as typed if not an amount."""
    try:
        amount = parse_amount(text)
    except ValueError:
        return text or ""
    return money_fr(amount) if amount is not None else ""


@dataclass(frozen=True)
class Totals:
    charges: Decimal
    produits: Decimal
    emplois_nature: Decimal
    contributions_nature: Decimal

    @property
    def balanced(self) -> bool:
        # Cerfa 12156*06, section 6: total charges must equal total produits, and 86 must equal 87.
        return self.charges == self.produits and self.emplois_nature == self.contributions_nature


def totals_of(answers: dict) -> Totals:
    """The budget's totals of a set of answers (a draft's, a version's)."""
    return totals((answers.get("cerfa") or {}).get("budget") or {})


def totals(budget: dict[str, str]) -> Totals:
    """Totals of the lines that parse; lines that do not are reported by the answers' checks."""

    def add(lines: list[Line]) -> Decimal:
        total = Decimal("0.00")
        for line in lines:
            try:
                total += parse_amount(budget.get(line.code)) or 0
            except ValueError:
                continue
        return total

    return Totals(add(CHARGES), add(PRODUITS), add(IN_KIND[:1]), add(IN_KIND[1:]))
