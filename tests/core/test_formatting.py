"""French dates and money as the calls write them."""

import datetime as dt
from decimal import Decimal

from portal.core.formatting import date_fr, datetime_fr, money_fr
from portal.core.text import fold
from portal.core.time import end_of_day_paris


def nbsp(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_dates_are_written_in_french():
    assert date_fr(dt.date(2025, 5, 9)) == "9 mai 2025"
    assert date_fr(dt.date(2023, 7, 1)) == "1er juillet 2023"
    assert date_fr(dt.date(2023, 2, 3)) == "3 février 2023"


def test_deadline_is_shown_in_paris_time_whatever_the_season():
    assert datetime_fr(end_of_day_paris(dt.date(2025, 5, 9))) == "9 mai 2025 à 23 h 59 (heure de Paris)"
    assert datetime_fr(end_of_day_paris(dt.date(2023, 2, 3))) == "3 février 2023 à 23 h 59 (heure de Paris)"


def test_money_in_french_with_cents_only_when_there_are_some():
    assert nbsp(money_fr(Decimal("25493.66"))) == "25 493,66 €"
    assert nbsp(money_fr(Decimal("150"))) == "150 €"
    assert nbsp(money_fr(Decimal("100000.00"))) == "100 000 €"


def test_fold_ignores_accents_case_and_ligatures():
    assert fold("Équipes  MOBILES") == "equipes mobiles"
    assert fold("Œuvre") == "oeuvre"
