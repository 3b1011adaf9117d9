"""French identifiers of organisations: RNA, SIREN, SIRET (see REFERENCE.md, "Identifiers")."""

from __future__ import annotations

import re

LA_POSTE_SIREN = "356000000"


def clean(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        number = int(char)
        if position % 2:
            number = number * 2 - 9 if number > 4 else number * 2
        total += number
    return total % 10 == 0


def rna_error(value: str) -> str | None:
    if not re.fullmatch(r"W\d{9}", clean(value)):
        return "Le numéro RNA commence par W suivi de 9 chiffres, par exemple W751515517."
    return None


def siren_error(value: str) -> str | None:
    digits = clean(value)
    if not re.fullmatch(r"\d{9}", digits):
        return "Le numéro SIREN compte 9 chiffres."
    if not luhn_ok(digits):
        return "Ce numéro SIREN n'est pas valide (clé de contrôle incorrecte) : vérifiez chaque chiffre."
    return None


def siret_error(value: str) -> str | None:
    digits = clean(value)
    if not re.fullmatch(r"\d{14}", digits):
        return "Le numéro SIRET compte 14 chiffres (SIREN à 9 chiffres suivi de 5 chiffres)."
    # La Poste's establishments share one SIREN; their SIRETs follow a digit-sum rule instead of Luhn.
    if digits.startswith(LA_POSTE_SIREN) and digits != "35600000000048":
        valid = sum(int(c) for c in digits) % 5 == 0
    else:
        valid = luhn_ok(digits) and luhn_ok(digits[:9])
    return None if valid else "Ce numéro SIRET n'est pas valide (clé de contrôle incorrecte) : vérifiez chaque chiffre."


def siren_or_siret_error(value: str) -> str | None:
    return siren_error(value) if len(clean(value)) == 9 else siret_error(value)


def display_rna(value: str) -> str:
    value = clean(value)
    return f"{value[:4]} {value[4:7]} {value[7:]}" if len(value) == 10 else value


def display_siret(value: str) -> str:
    value = clean(value)
    return " ".join([value[:3], value[3:6], value[6:9]] + ([value[9:]] if len(value) > 9 else []))


def directory_url(siren_or_siret: str) -> str:
    """The public company directory (annuaire des entreprises), for a person to check the number by eye."""
    value = clean(siren_or_siret)
    kind = "etablissement" if len(value) == 14 else "entreprise"
    return f"https://annuaire-entreprises.data.gouv.fr/{kind}/{value}"
