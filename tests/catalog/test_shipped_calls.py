"""The real calls shipped in calls/ carry the facts of their source documents (../shared/seeds/)."""

import datetime as dt
import html
from decimal import Decimal

import pytest

from portal.catalog import queries
from portal.catalog.services import sync_calls
from portal.config import ROOT
from portal.core.time import now


@pytest.fixture
def shipped(app):
    report = sync_calls([ROOT / "calls"], now())
    assert report.errors == []
    return {item.call.slug: item.call for item in queries.all_calls(now())}


def find(shipped, closes_on: str, title_word: str = ""):
    day = dt.date.fromisoformat(closes_on)
    matches = [c for c in shipped.values() if any(w.closes_on == day for w in c.spec.windows)
               and title_word.lower() in c.title.lower()]
    assert len(matches) == 1, [c.slug for c in matches]
    return matches[0]


def page_of(client, call) -> str:
    text = html.unescape(client.get(f"/appels/{call.slug}/").get_data(as_text=True))
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_ten_calls_are_shipped_and_all_are_published(shipped):
    assert len(shipped) == 10
    kinds = sorted(c.kind for c in shipped.values())
    assert kinds.count("cadre") == 1 and "AMI" in kinds


def test_2025_mobile_teams_call(client, shipped):
    call = find(shipped, "2025-05-09")
    spec = call.spec
    assert spec.windows[0].opens_on == dt.date(2025, 4, 1)
    costs = {c.amount for c in spec.funding.unit_costs}
    assert {Decimal("150"), Decimal("370"), Decimal("55")} <= costs
    assert [p.percent for p in spec.funding.payment_schedule if p.percent] == [Decimal("60")]
    assert spec.funding.envelope is None  # « non connu à la date de publication »
    page = page_of(client, call)
    for fact in ["9 mai 2025 à 23 h 59 (heure de Paris)", "150 €", "370 €", "55 €", "Jean-Hugues DANGLA",
                 "joriatti.emeline@pasdecalais.fr", "Clôturé"]:
        assert fact in page, fact


def test_2023_vej_call_has_two_windows_with_their_budgets(client, shipped):
    call = find(shipped, "2023-09-15")
    windows = {w.closes_on: w for w in call.spec.windows}
    assert windows[dt.date(2023, 2, 3)].opens_on == dt.date(2022, 12, 15)
    assert windows[dt.date(2023, 2, 3)].budget == Decimal("80928")
    assert windows[dt.date(2023, 9, 15)].opens_on == dt.date(2023, 7, 1)
    assert windows[dt.date(2023, 9, 15)].budget == Decimal("25493.66")
    assert {c.amount for c in call.spec.funding.unit_costs} == {Decimal("162.38"), Decimal("39.12")}
    page = page_of(client, call)
    assert "80 928 €" in page and "25 493,66 €" in page


def test_astre_call_has_its_own_window_and_advance(shipped):
    call = find(shipped, "2023-05-31")
    assert call.spec.windows[0].opens_on == dt.date(2023, 4, 1)
    assert call.spec.funding.envelope == Decimal("42000")
    assert [p.percent for p in call.spec.funding.payment_schedule if p.percent] == [Decimal("80")]


def test_seine_et_marne_ami_states_no_opening_date(shipped):
    call = find(shipped, "2021-01-22")
    assert call.kind == "AMI"
    assert call.spec.windows[0].opens_on is None
    assert call.spec.selection_date == dt.date(2021, 1, 29)
    assert any(c.email == "annick.volpatti@seine-et-marne.gouv.fr" for c in call.spec.contacts)
    assert any("12156" in d.label for d in call.spec.required_documents)


def test_national_framework_carries_its_annex_table(client, shipped):
    call = next(c for c in shipped.values() if c.kind == "cadre")
    rows = {a.territory.code: a for a in call.spec.allocations}
    assert len(rows) == 26
    assert rows["DEP-62"].etp == 4 and rows["DEP-62"].budget == Decimal("156800")
    assert rows["DEP-59"].budget == Decimal("196000") and rows["DEP-974"].etp == 3
    assert "156 800 €" in page_of(client, call)


def test_every_pas_de_calais_2023_call_closes_on_3_february_except_astre_and_ami_2(shipped):
    closing = sorted(w.closes_on.isoformat() for c in shipped.values()
                     if c.spec.issuer.body == "Département du Pas-de-Calais" for w in c.spec.windows)
    assert closing.count("2023-02-03") == 6
    assert "2023-05-31" in closing and "2023-09-15" in closing and "2025-05-09" in closing
