"""A call's indicators added up across its operators, against the call's targets (issue 17, « What no one else
shows »): only the latest accepted report of each convention counts, a manager in conflict with a file sees neither
its row nor its figures, and the page shows the same figures as a table and as an inline SVG chart."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from portal.core import time
from portal.extensions import db
from portal.followup import indicators
from portal.followup.states import ReportKind, ReportState
from portal.reviews.models import Conflict
from tests.followup.payments_setup import OTHER_ISSUER, accept_report
from tests.followup.payments_setup import build_followed as build_followed  # noqa: F401 - the fixture
from tests.reviews.conftest import sign_in_as

EVALUATION = {"indicators": [
    {"label": "Nombre de ménages accompagnés", "group": "Pour les équipes mobiles",
     "target": {"at_least": "100", "unit": "ménages"}},
    {"label": "Nombre de bailleurs contactés", "target": {"value": "20", "unit": "bailleurs"}},
    {"label": "Délai moyen d'intervention", "target": {"at_most": "15", "unit": "jours"}},
    {"label": "Nombre de réunions partenariales"}]}


def with_indicators(followed):
    call = followed.call
    call.spec_json = {**call.spec_json, "evaluation": EVALUATION}
    call.__dict__.pop("spec", None)  # a cached property
    db.session.flush()
    return followed


def filed(convention, values: dict, state=ReportState.ACCEPTED, kind=ReportKind.FINAL, at=None):
    report = accept_report(convention, kind=kind)
    report.indicator_values = values
    report.state = state
    if state != ReportState.ACCEPTED:
        report.accepted_at = None
    elif at is not None:
        report.accepted_at = at
    db.session.flush()
    return report


@pytest.fixture
def two(build_followed):
    followed = with_indicators(build_followed(count=2))
    first, second = followed.conventions
    filed(first, {"0": "40", "1": "12", "2": "10", "3": "3"})
    filed(second, {"0": "35,5", "1": "6", "2": "14", "3": "2"})
    db.session.commit()
    return followed


def test_sums_across_operators_against_the_targets(two):
    table = indicators.totals(two.call, two.manager)
    assert [o.name for o in table.operators] == ["Association 1 equipes-mobiles", "Association 2 equipes-mobiles"]
    households, landlords, delay, meetings = table.rows
    assert households.values == [Decimal("40"), Decimal("35.5")]
    assert households.total == Decimal("75.5")
    assert households.share == Decimal("75.5") and households.reached is False  # au moins 100
    assert landlords.total == Decimal(18) and landlords.share == Decimal(90) and landlords.reached is False
    assert delay.total == Decimal(24) and delay.reached is False  # au plus 15
    assert meetings.total == Decimal(5) and meetings.share is None and meetings.target is None


def test_only_the_latest_accepted_report_counts(build_followed):
    followed = with_indicators(build_followed(count=2))
    first, second = followed.conventions
    filed(first, {"0": "10"}, at=time.now().replace(year=2025, month=1))
    filed(first, {"0": "40"})  # the latest accepted one
    filed(second, {"0": "500"}, state=ReportState.SUBMITTED)
    filed(second, {"0": "700"}, state=ReportState.TO_COMPLETE)
    filed(second, {"0": "900"}, kind=ReportKind.INTERIM)  # another kind
    db.session.commit()
    table = indicators.totals(followed.call, followed.manager)
    assert table.rows[0].values == [Decimal(40), None]
    assert table.rows[0].total == Decimal(40)
    interim = indicators.totals(followed.call, followed.manager, kind=ReportKind.INTERIM)
    assert interim.rows[0].total == Decimal(900)


def test_a_manager_in_conflict_sees_neither_the_row_nor_its_figures(two, make_user, client):
    conflicted = make_user("collegue@pasdecalais.fr", "Camille Collègue",
                           grants=[("manager", {"issuer": two.call.issuer})])
    db.session.add(Conflict(application_id=two.applications[0].id, email=conflicted.email, user_id=conflicted.id,
                            kind="personal", declared_by_role="manager", reason="Proche de la présidente",
                            declared_by_id=two.manager.id, declared_at=time.now(),
                            confirmed_by_id=two.manager.id, confirmed_at=time.now()))
    db.session.commit()
    table = indicators.totals(two.call, conflicted)
    assert [o.name for o in table.operators] == ["Association 2 equipes-mobiles"]
    assert table.rows[0].total == Decimal("35.5")
    sign_in_as(client, conflicted)
    page = client.get(f"/gestion/suivi/{two.call.slug}/indicateurs").get_data(as_text=True)
    assert "Association 1" not in page and "75,5" not in page and "35,5" in page


def test_the_page_shows_a_table_and_the_same_figures_as_a_chart(two, app):
    for person in (two.manager, two.finance):
        client = app.test_client()
        sign_in_as(client, person)
        response = client.get(f"/gestion/suivi/{two.call.slug}/indicateurs")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "<caption>" in page and 'scope="col"' in page and 'scope="row"' in page
        assert "75,5" in page and "au moins 100 ménages" in page and "Bilan final" in page
        svg = "".join(re.findall(r"<svg.*?</svg>", page, re.S))
        assert svg.count("<svg") == 4
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
        for figure in ("40", "35,5", "12", "6", "100", "20"):
            assert f">{figure}<" in svg or f"{figure} " in svg, figure
        assert 'class="target"' in svg and ">75,5<" in svg  # the total's bar


def test_the_conventions_list_links_to_it(two, client):
    sign_in_as(client, two.manager)
    page = client.get(f"/gestion/suivi/{two.call.slug}/conventions").get_data(as_text=True)
    assert f'href="/gestion/suivi/{two.call.slug}/indicateurs"' in page


def test_another_issuers_manager_and_a_member_get_404(two, make_user, app):
    other = make_user("gestion@nord.fr", "Gestion Nord", grants=[("manager", {"issuer": OTHER_ISSUER})])
    for person in (other, two.applicants[0]):
        client = app.test_client()
        sign_in_as(client, person)
        assert client.get(f"/gestion/suivi/{two.call.slug}/indicateurs").status_code == 404
    assert client.get("/gestion/suivi/inconnu/indicateurs").status_code == 404


def test_another_kind_of_report_is_asked_by_its_name(two, app):
    client = app.test_client()
    sign_in_as(client, two.manager)
    page = client.get(f"/gestion/suivi/{two.call.slug}/indicateurs?bilan=interim").get_data(as_text=True)
    assert "dernier bilan intermédiaire" in page and "40" not in page.split("<caption>")[1].split("</table>")[0]
    for unknown in ("financial", "rien"):
        assert client.get(f"/gestion/suivi/{two.call.slug}/indicateurs?bilan={unknown}").status_code == 404


@pytest.mark.parametrize("count", [2, 6])
def test_totals_in_bounded_statements(build_followed, count_queries, count):
    followed = with_indicators(build_followed(count=count))
    for convention in followed.conventions:
        filed(convention, {"0": "10", "1": "1"})
    db.session.commit()
    db.session.expire_all()
    call = db.session.get(type(followed.call), followed.call.id)
    assert call.spec
    with count_queries() as counted:
        table = indicators.totals(call, None)
    assert counted.count == 1, counted
    assert table.rows[0].total == Decimal(10) * count
