"""RNA, SIREN and SIRET checks with real-world numbers (REFERENCE.md, "Identifiers")."""

import pytest

from portal.accounts.identifiers import display_rna, display_siret, rna_error, siren_error, siret_error


@pytest.mark.parametrize("number", ["W751515517", "w751515517", "W 751 515 517", "W621002345"])
def test_valid_rna_numbers(number):
    assert rna_error(number) is None


@pytest.mark.parametrize("number", ["W75151551", "W7515155170", "751515517", "A751515517", "W75151551X", ""])
def test_invalid_rna_numbers_get_a_french_message(number):
    assert "W suivi de 9 chiffres" in rna_error(number)


@pytest.mark.parametrize("number", ["404833048", "732829320", "356000000", "775 672 272"])
def test_valid_siren(number):
    assert siren_error(number) is None


@pytest.mark.parametrize("number,message", [("404833047", "clé de contrôle"), ("40483304", "9 chiffres"),
                                            ("40483304A", "9 chiffres")])
def test_invalid_siren(number, message):
    assert message in siren_error(number)


@pytest.mark.parametrize("number", ["73282932000074", "732 829 320 00074", "732.829.320.00074",
                                    "35600000000048",  # La Poste's head office: plain Luhn
                                    "35600000049837"])  # a La Poste establishment: digit sum 45, not Luhn-valid
def test_valid_siret(number):
    assert siret_error(number) is None


@pytest.mark.parametrize("number,message", [("73282932000079", "clé de contrôle"), ("7328293200007", "14 chiffres"),
                                            ("35600000049838", "clé de contrôle"),  # digit sum 46
                                            ("40483304700008", "clé de contrôle")])  # Luhn-valid over 14, bad SIREN part
def test_invalid_siret(number, message):
    assert message in siret_error(number)


def test_la_poste_exception_is_needed():
    from portal.accounts.identifiers import luhn_ok

    assert not luhn_ok("35600000049837")  # without the exception this real establishment would be refused


def test_numbers_are_displayed_in_groups():
    assert display_rna("W751515517") == "W751 515 517"
    assert display_siret("73282932000074") == "732 829 320 00074"
