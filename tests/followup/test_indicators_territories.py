"""The territory of a convention and the indicators per territory (issue 17, « What no one else shows »): a convention
drafted under a call (or a window) of one territory takes it; the manager sets them among the call's territories
while the convention is unsigned; the indicators page adds up each territory's conventions (a convention in two
territories counted in each column, once in the total) in the same single statement."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core import time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.followup import conventions, indicators
from portal.followup.states import ConventionState
from portal.reviews.models import Conflict
from tests.conftest import post_form
from tests.followup.conftest import ISSUER
from tests.followup.payments_setup import OTHER_ISSUER
from tests.followup.payments_setup import build_followed as build_followed  # noqa: F401 - the fixture
from tests.followup.test_indicators import filed, with_indicators
from tests.reviews.conftest import refresh, sign_in_as

WINDOW_TERRITORIES = [{"name": "Lens-Hénin"}, {"name": "Artois"}, {"name": "Boulonnais"}]


def with_territories(followed):
    """The 2025 call's shape: the Pas-de-Calais as the call's territory, three of its territories in the window."""
    call = followed.call
    windows = [{**call.spec_json["windows"][0], "territories": WINDOW_TERRITORIES}]
    call.spec_json = {**call.spec_json, "windows": windows}
    call.__dict__.pop("spec", None)  # a cached property
    db.session.flush()
    return followed


@pytest.fixture
def three(build_followed):
    """Three conventions: in Lens-Hénin and Artois (40 households), in Artois (35,5), in no territory (10)."""
    followed = with_territories(with_indicators(build_followed(count=3)))
    first, second, third = followed.conventions
    first.territories, second.territories = ["Lens-Hénin", "Artois"], ["Artois"]
    filed(first, {"0": "40", "1": "12"})
    filed(second, {"0": "35,5", "1": "6"})
    filed(third, {"0": "10"})
    db.session.commit()
    return followed


def test_a_convention_in_two_territories_counts_in_each_and_once_in_the_total(three):
    table = indicators.totals(three.call, three.manager)
    assert [t.name for t in table.territories] == ["Lens-Hénin", "Artois", indicators.NO_TERRITORY]
    assert [t.conventions for t in table.territories] == [1, 2, 1]
    households, landlords = table.rows[:2]
    assert households.by_territory == [Decimal(40), Decimal("75.5"), Decimal(10)]
    assert households.total == Decimal("85.5")  # not 125,5
    assert landlords.by_territory == [Decimal(12), Decimal(18), None]
    assert table.territories_without_conventions == ["Pas-de-Calais", "Boulonnais"]


def test_no_unknown_column_when_every_convention_has_its_territory(three):
    three.conventions[2].territories = ["Boulonnais"]
    db.session.commit()
    table = indicators.totals(three.call, three.manager)
    assert [t.name for t in table.territories] == ["Lens-Hénin", "Artois", "Boulonnais"]


def test_the_page_shows_the_territories_table_and_says_how_a_convention_is_counted(three, client):
    sign_in_as(client, three.manager)
    page = client.get(f"/gestion/suivi/{three.call.slug}/indicateurs").get_data(as_text=True)
    tables = re.findall(r"<table>.*?</table>", page, re.S)
    assert len(tables) == 2
    territories = tables[1]
    assert "par territoire" in territories and "Territoire non renseigné" in territories
    assert 'scope="col">Artois' in territories and "75,5" in territories and "85,5" in territories
    assert "comptée dans chacun" in page and "une seule fois dans le total" in page


def test_a_manager_in_conflict_sees_no_figure_of_the_file_in_the_territories(three, make_user):
    conflicted = make_user("collegue@pasdecalais.fr", "Camille Collègue",
                           grants=[("manager", {"issuer": three.call.issuer})])
    db.session.add(Conflict(application_id=three.applications[0].id, email=conflicted.email, user_id=conflicted.id,
                            kind="personal", declared_by_role="manager", reason="Proche de la présidente",
                            declared_by_id=three.manager.id, declared_at=time.now(),
                            confirmed_by_id=three.manager.id, confirmed_at=time.now()))
    db.session.commit()
    table = indicators.totals(three.call, conflicted)
    assert [t.name for t in table.territories] == ["Artois", indicators.NO_TERRITORY]
    assert table.rows[0].by_territory == [Decimal("35.5"), Decimal(10)]


@pytest.mark.parametrize("count", [2, 6])
def test_territories_come_in_the_same_single_statement(build_followed, count_queries, count):
    followed = with_territories(with_indicators(build_followed(count=count)))
    for number, convention in enumerate(followed.conventions):
        convention.territories = [["Artois"], ["Artois", "Boulonnais"]][number % 2]
        filed(convention, {"0": "10"})
    db.session.commit()
    db.session.expire_all()
    call = db.session.get(type(followed.call), followed.call.id)
    assert call.spec
    with count_queries() as counted:
        table = indicators.totals(call, None)
    assert counted.count == 1, counted
    assert table.rows[0].by_territory == [Decimal(10) * count, Decimal(10) * (count // 2)]


# ---- the convention's territories ------------------------------------------------------------------------------

def test_a_convention_drafted_under_a_call_of_one_territory_takes_it(laureate):
    convention = conventions.draft(laureate.applications[0], laureate.manager, time.now())
    assert convention.territories == ["Pas-de-Calais"]


def test_a_convention_drafted_under_a_window_of_several_territories_has_none_yet(laureate):
    call = laureate.call
    call.spec_json = {**call.spec_json, "windows": [{**call.spec_json["windows"][0],
                                                     "territories": WINDOW_TERRITORIES}]}
    call.__dict__.pop("spec", None)
    db.session.flush()
    convention = conventions.draft(laureate.applications[0], laureate.manager, time.now())
    assert convention.territories == []


def test_a_convention_drafted_under_a_window_of_one_territory_takes_the_windows(laureate):
    call = laureate.call
    call.spec_json = {**call.spec_json, "windows": [{**call.spec_json["windows"][0],
                                                     "territories": [{"name": "Artois"}]}]}
    call.__dict__.pop("spec", None)
    db.session.flush()
    convention = conventions.draft(laureate.applications[0], laureate.manager, time.now())
    assert convention.territories == ["Artois"]


@dataclass
class Unsigned:
    """The laureate's convention drafted and sent under a window of three territories, with the issuer's finance."""

    call: object
    manager: object
    finance: object
    applications: list
    applicants: list


@pytest.fixture
def unsigned(laureate, make_user):
    with_territories(laureate)
    convention = conventions.draft(laureate.applications[0], laureate.manager, time.now())
    conventions.send(convention, laureate.manager, time.now())
    finance = make_user("finances@pasdecalais.fr", "Fanny Finances", grants=[("finance", {"issuer": ISSUER})])
    db.session.commit()
    return Unsigned(laureate.call, laureate.manager, finance, laureate.applications, laureate.applicants), convention


def url(convention) -> str:
    return f"/gestion/suivi/conventions/{convention.id}/territoires"


def test_the_manager_sets_the_territories_of_an_unsigned_convention_audited(unsigned, client, app):
    followed, convention = unsigned
    sign_in_as(client, followed.manager)
    page = client.get(f"/gestion/suivi/conventions/{convention.id}").get_data(as_text=True)
    assert 'type="checkbox" name="territories" value="Boulonnais"' in page
    assert "tant que la convention n'est pas signée" in page
    response = post_form(client, url(convention), {"territories": ["Boulonnais", "Lens-Hénin"]})
    assert response.status_code == 302
    assert refresh(convention).territories == ["Lens-Hénin", "Boulonnais"]  # in the call's order
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "followup.convention_territories"))
    assert event.actor_id == followed.manager.id
    assert event.details["before"] == [] and event.details["after"] == ["Lens-Hénin", "Boulonnais"]
    page = client.get(f"/gestion/suivi/conventions/{convention.id}").get_data(as_text=True)
    assert 'value="Lens-Hénin" checked' in page and 'value="Artois" checked' not in page
    assert post_form(client, url(convention), {}).status_code == 302  # none: the territory is not known
    assert refresh(convention).territories == []


def test_a_territory_that_is_not_the_calls_is_refused_at_the_field(unsigned, client):
    followed, convention = unsigned
    sign_in_as(client, followed.manager)
    response = post_form(client, url(convention), {"territories": ["Artois", "Atlantide"]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "« Atlantide » n&#39;est pas un territoire de l&#39;appel" in page
    assert refresh(convention).territories == []


def test_the_territories_of_a_signed_convention_are_kept(unsigned, client):
    followed, convention = unsigned
    convention.state = ConventionState.IN_FORCE
    db.session.commit()
    sign_in_as(client, followed.manager)
    page = client.get(f"/gestion/suivi/conventions/{convention.id}").get_data(as_text=True)
    assert 'type="checkbox" name="territories"' not in page
    response = post_form(client, url(convention), {"territories": ["Artois"]}, follow_redirects=True)
    assert "Les territoires ne changent plus une fois la convention signée" in response.get_data(as_text=True)
    assert refresh(convention).territories == []


def test_outsiders_and_the_finance_department_cannot_set_them(unsigned, make_user, app):
    followed, convention = unsigned
    other = make_user("gestion@nord.fr", "Gestion Nord", grants=[("manager", {"issuer": OTHER_ISSUER})])
    conflicted = make_user("collegue@pasdecalais.fr", "Camille Collègue",
                           grants=[("manager", {"issuer": followed.call.issuer})])
    db.session.add(Conflict(application_id=followed.applications[0].id, email=conflicted.email,
                            user_id=conflicted.id, kind="personal", declared_by_role="manager", reason="Proche",
                            declared_by_id=followed.manager.id, declared_at=time.now(),
                            confirmed_by_id=followed.manager.id, confirmed_at=time.now()))
    db.session.commit()
    for person in (other, conflicted, followed.finance, followed.applicants[0]):
        client = app.test_client()
        sign_in_as(client, person)
        assert post_form(client, url(convention), {"territories": ["Artois"]}, form_page="/").status_code == 404
    assert refresh(convention).territories == []


def test_the_chart_draws_a_bar_per_territory_before_the_total(three):
    table = indicators.totals(three.call, three.manager)
    households = indicators.charts(table)[0]
    assert [bar.label for bar in households.bars] == [
        "Association 1 equipes-mobiles", "Association 2 equipes-mobiles", "Association 3 equipes-mobiles",
        "Territoire : Lens-Hénin", "Territoire : Artois", indicators.NO_TERRITORY, "Total"]
    assert [bar.kind for bar in households.bars][-4:] == ["territory", "territory", "territory", "total"]
    widths = {bar.label: bar.width for bar in households.bars}
    assert widths["Territoire : Artois"] < widths["Total"] <= indicators.BAR_WIDTH  # 75,5 < 85,5: same scale
    assert "Par territoire : Lens-Hénin : 40 ; Artois : 75,5 ; Territoire non renseigné : 10" in households.description


def test_one_territory_draws_no_territory_bar(build_followed):
    followed = with_indicators(build_followed(count=1))
    followed.conventions[0].territories = ["Pas-de-Calais"]
    filed(followed.conventions[0], {"0": "4"})
    db.session.commit()
    drawn = indicators.charts(indicators.totals(followed.call, followed.manager))[0]
    assert [bar.kind for bar in drawn.bars] == ["operator", "total"]
