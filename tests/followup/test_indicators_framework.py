"""A national framework's indicators across the calls that declare it (issue 17: « for a national framework — the
DIHAL's mobile teams in 26 Départements — the same figures across the calls that share it »): the call file's
`framework` names a call of kind cadre, checked by the loader; the framework's page matches each member call's
indicators by label (folded), one column per member call; each manager sees the member calls she manages only, and
a file hidden from her (conflict of interest) is left out of the totals too."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from portal.catalog import loader
from portal.catalog.queries import get_call
from portal.core import time
from portal.extensions import db
from portal.followup import indicators_framework
from portal.reviews.models import Conflict
from tests.conftest import call_data
from tests.followup.payments_setup import OTHER_ISSUER
from tests.followup.payments_setup import build_followed as build_followed  # noqa: F401 - the fixture
from tests.followup.test_indicators import filed, with_indicators
from tests.reviews.conftest import sign_in_as

CALLS = Path(__file__).resolve().parents[2] / "calls"
FRAMEWORK = "cadre-equipes-mobiles"
DIHAL = "Délégation interministérielle à l'hébergement et à l'accès au logement (DIHAL)"
FRAMEWORK_EVALUATION = {"indicators": [
    {"label": "Nombre de ménages accompagnés", "group": "Indicateurs de suivi"},
    {"label": "NOMBRE DE BAILLEURS CONTACTES"},  # the same indicator once folded
    {"label": "Nombre de relogements accompagnés"}]}


# ---- the call file's field ---------------------------------------------------------------------------------------

def cadre_data(**overrides) -> dict:
    data = call_data(kind="cadre", issuer={"body": DIHAL}, title="Cadrage national des équipes mobiles")
    return {**data, "windows": [], "carriers": None, **overrides}


def test_a_call_names_its_framework_by_the_frameworks_file_name(write_call):
    write_call(f"{FRAMEWORK}.md", cadre_data())
    write_call("ami-seine-et-marne.md", call_data(framework=FRAMEWORK))
    results = loader.load_all([write_call.folder])
    assert [r.errors for r in results] == [[], []]
    assert results[0].spec.framework == FRAMEWORK


def test_an_unknown_framework_is_refused_in_french_at_its_line(write_call):
    write_call(f"{FRAMEWORK}.md", cadre_data())
    write_call("ami-seine-et-marne.md", call_data(framework="cadre-inconnu"))
    member = next(r for r in loader.load_all([write_call.folder]) if r.slug == "ami-seine-et-marne")
    assert not member.valid
    [error] = member.errors
    assert error.field == "framework" and error.line is not None
    assert "« cadre-inconnu »" in error.message and "aucun appel" in error.message
    text = (write_call.folder / "ami-seine-et-marne.md").read_text(encoding="utf-8")
    assert text.splitlines()[error.line - 1].startswith("framework:")


def test_a_framework_that_is_not_a_cadre_is_refused(write_call):
    write_call("aap-ordinaire.md", call_data())
    write_call("ami-seine-et-marne.md", call_data(framework="aap-ordinaire"))
    member = next(r for r in loader.load_all([write_call.folder]) if r.slug == "ami-seine-et-marne")
    [error] = member.errors
    assert error.field == "framework" and "n'est pas un document de cadrage" in error.message


def test_a_cadre_itself_declares_no_framework(write_call):
    write_call(f"{FRAMEWORK}.md", cadre_data())
    write_call("autre-cadre.md", cadre_data(id="7b0e2c1e-3d2a-4b7e-9a53-1f0b8b6e1a11", framework=FRAMEWORK))
    other = next(r for r in loader.load_all([write_call.folder]) if r.slug == "autre-cadre")
    assert [e.field for e in other.errors] == ["framework"]


def test_the_seine_et_marne_ami_belongs_to_the_national_framework_and_the_2025_call_does_not():
    results = {r.slug: r for r in loader.load_all([CALLS])}
    assert all(r.valid for r in results.values()), [str(e) for r in results.values() for e in r.errors]
    assert results["ami-2021-seine-et-marne-equipes-mobiles"].spec.framework == \
        "cadre-national-equipes-mobiles-prevention-expulsions"
    assert results["aap-2025-equipes-mobiles-prevention-expulsions"].spec.framework is None


# ---- the framework's page ----------------------------------------------------------------------------------------

def member(build_followed, slug: str, count: int = 2, issuer: str | None = None):
    followed = with_indicators(build_followed(count=count, slug=slug))
    call = followed.call
    call.spec_json = {**call.spec_json, "framework": FRAMEWORK}
    if issuer is not None:
        call.issuer = issuer
        call.spec_json = {**call.spec_json, "issuer": {"body": issuer}, "territories": [{"name": "Nord", "code": "DEP-59"}]}
    call.__dict__.pop("spec", None)
    db.session.flush()
    return followed


@pytest.fixture
def shared(build_followed, publish_call, make_user):
    """The framework and two member calls: the Pas-de-Calais' (40 + 35,5 households) and the Nord's (7 + 3)."""
    framework = publish_call(slug=FRAMEWORK, **cadre_data(evaluation=FRAMEWORK_EVALUATION))
    south = member(build_followed, "membre-pas-de-calais")
    north = member(build_followed, "membre-nord", issuer=OTHER_ISSUER)
    for convention, values in zip(south.conventions + north.conventions,
                                  [{"0": "40", "1": "12"}, {"0": "35,5", "1": "6", "3": "2"},
                                   {"0": "7", "2": "9"}, {"0": "3"}], strict=True):
        filed(convention, values)
    north_manager = make_user("gestion@nord.fr", "Gestion Nord", grants=[("manager", {"issuer": OTHER_ISSUER})])
    national = make_user("pole@dihal.gouv.fr", "Pôle national", grants=[("manager", {"issuer": DIHAL})])
    db.session.commit()
    return framework, south, north, north_manager, national


def test_the_frameworks_indicators_add_up_across_its_member_calls(shared):
    framework, south, north, _, national = shared
    members = indicators_framework.visible_members(national, framework)
    assert [c.slug for c in members] == ["membre-nord", "membre-pas-de-calais"]  # by title then slug
    table = indicators_framework.totals(framework, members, national)
    assert [column.call.slug for column in table.columns] == ["membre-nord", "membre-pas-de-calais"]
    assert [column.counted for column in table.columns] == [2, 2]
    households, landlords, rehoused = table.rows
    assert households.values == [Decimal(10), Decimal("75.5")] and households.total == Decimal("85.5")
    assert landlords.values == [None, Decimal(18)] and landlords.total == Decimal(18)  # matched once folded
    assert rehoused.values == [None, None] and rehoused.total == Decimal(0)
    unmatched = {(u.call.slug, u.label): u.total for u in table.unmatched}
    assert unmatched == {("membre-nord", "Délai moyen d'intervention"): Decimal(9),
                         ("membre-nord", "Nombre de réunions partenariales"): Decimal(0),
                         ("membre-pas-de-calais", "Délai moyen d'intervention"): Decimal(0),
                         ("membre-pas-de-calais", "Nombre de réunions partenariales"): Decimal(2)}


def test_the_page_shows_one_column_per_member_call_with_its_territories(shared, client):
    framework, south, north, _, national = shared
    sign_in_as(client, national)
    response = client.get(f"/gestion/cadres/{FRAMEWORK}/indicateurs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<caption>" in page and 'scope="col"' in page and 'scope="row"' in page
    assert "Nord" in page and "Pas-de-Calais" in page and "85,5" in page and "75,5" in page
    assert "Indicateurs des appels sans correspondance" in page and "Délai moyen d&#39;intervention" in page
    assert f'href="/gestion/suivi/{south.call.slug}/indicateurs"' in page


def test_a_manager_of_one_member_call_sees_only_her_calls(shared, app):
    framework, south, north, north_manager, _ = shared
    client = app.test_client()
    sign_in_as(client, north_manager)
    page = client.get(f"/gestion/cadres/{FRAMEWORK}/indicateurs").get_data(as_text=True)
    assert "membre-nord" in page or north.call.title in page
    assert south.call.slug not in page and "75,5" not in page and ">10<" in page
    client = app.test_client()
    sign_in_as(client, south.manager)
    page = client.get(f"/gestion/cadres/{FRAMEWORK}/indicateurs").get_data(as_text=True)
    assert "membre-nord" not in page and "75,5" in page and "85,5" not in page


def test_a_manager_of_no_member_call_and_a_member_get_404(shared, make_user, app):
    framework, south, *_ = shared
    outsider = make_user("gestion@gironde.fr", "Gestion Gironde", grants=[("manager", {"issuer": "Gironde"})])
    for person in (outsider, south.applicants[0]):
        client = app.test_client()
        sign_in_as(client, person)
        assert client.get(f"/gestion/cadres/{FRAMEWORK}/indicateurs").status_code == 404
    assert client.get(f"/gestion/cadres/{south.call.slug}/indicateurs").status_code == 404  # not a cadre
    assert client.get("/gestion/cadres/inconnu/indicateurs").status_code == 404


def test_a_convention_hidden_from_the_viewer_is_left_out_of_the_totals(shared, make_user):
    framework, south, north, _, national = shared
    conflicted = make_user("collegue@dihal.gouv.fr", "Camille Collègue", grants=[("manager", {"issuer": DIHAL})])
    db.session.add(Conflict(application_id=south.applications[0].id, email=conflicted.email, user_id=conflicted.id,
                            kind="personal", declared_by_role="manager", reason="Proche de la présidente",
                            declared_by_id=south.manager.id, declared_at=time.now(),
                            confirmed_by_id=south.manager.id, confirmed_at=time.now()))
    db.session.commit()
    table = indicators_framework.totals(framework, indicators_framework.visible_members(conflicted, framework),
                                        conflicted)
    assert table.rows[0].values == [Decimal(10), Decimal("35.5")] and table.rows[0].total == Decimal("45.5")
    assert [column.counted for column in table.columns] == [2, 1]


def test_the_member_calls_indicators_page_links_to_the_framework(shared, client):
    framework, south, *_ = shared
    sign_in_as(client, south.manager)
    page = client.get(f"/gestion/suivi/{south.call.slug}/indicateurs").get_data(as_text=True)
    assert f'href="/gestion/cadres/{FRAMEWORK}/indicateurs"' in page


def test_the_frameworks_public_page_links_its_indicators_for_its_managers_only(shared, app):
    framework, south, *_, national = shared
    link = f'href="/gestion/cadres/{FRAMEWORK}/indicateurs"'
    assert link not in app.test_client().get(f"/appels/{FRAMEWORK}/").get_data(as_text=True)
    client = app.test_client()
    sign_in_as(client, national)
    assert link in client.get(f"/appels/{FRAMEWORK}/").get_data(as_text=True)


@pytest.mark.parametrize("count", [2, 6])
def test_the_framework_totals_in_bounded_statements(build_followed, publish_call, count_queries, count):
    framework = publish_call(slug=FRAMEWORK, **cadre_data(evaluation=FRAMEWORK_EVALUATION))
    calls = [member(build_followed, f"membre-{n}", count=count) for n in (1, 2)]
    for followed in calls:
        for convention in followed.conventions:
            filed(convention, {"0": "10"})
    db.session.commit()
    db.session.expire_all()
    framework = get_call(FRAMEWORK)
    assert framework.spec
    with count_queries() as counted:
        members = indicators_framework.members(framework)
        table = indicators_framework.totals(framework, members, None)
    assert counted.count == 2, "\n".join(s[:90] for s in counted)  # the member calls, then their conventions
    assert table.rows[0].total == Decimal(10) * count * 2


def test_the_browser_editor_looks_for_the_framework_among_the_published_calls(publish_call):
    import yaml

    from portal.catalog import authoring

    def text(framework: str) -> str:
        front = yaml.safe_dump(call_data(framework=framework), allow_unicode=True, sort_keys=False)
        return f"---\n{front}---\n## Contexte\n\nUn texte d'appel suffisant.\n"

    assert [e.field for e in authoring.check("ami-seine-et-marne", text(FRAMEWORK)).errors] == ["framework"]
    publish_call(slug=FRAMEWORK, **cadre_data())
    assert authoring.check("ami-seine-et-marne", text(FRAMEWORK)).errors == []
    publish_call(slug="aap-ordinaire")
    [error] = authoring.check("ami-seine-et-marne", text("aap-ordinaire")).errors
    assert "n'est pas un document de cadrage" in error.message and error.line is not None


def test_an_administrator_sees_every_member_call_and_finance_its_issuers(shared, make_user):
    framework, south, north, _, _ = shared
    admin = make_user("admin@portail.fr", "Alice Admin", grants=[("admin", {})])
    assert [c.slug for c in indicators_framework.visible_members(admin, framework)] == ["membre-nord",
                                                                                          "membre-pas-de-calais"]
    assert [c.slug for c in indicators_framework.visible_members(south.finance, framework)] == ["membre-pas-de-calais"]
