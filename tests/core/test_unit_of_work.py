"""One use case, one transaction: a request that answers well commits once at the end; a refused, failed or
reading request leaves nothing; a refusal has one French answer for every view."""

import pytest
from flask import Blueprint

from portal import config, create_app
from portal.core import audit, unit_of_work
from portal.core.errors import Refusal, refusals_go_to
from portal.extensions import db

# A second portal on the suite's database: what its requests commit is committed for real.
pytestmark = pytest.mark.real_commits


@pytest.fixture
def portal(app, tmp_path):
    """A portal on the suite's database with a few routes that write an audit entry, then answer in some way."""
    other = create_app(config.TestConfig(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path))
    other.config["WTF_CSRF_ENABLED"] = False
    routes = Blueprint("uow_test", __name__)

    @routes.route("/essai/<answer>", methods=["GET", "POST"])
    def write_then(answer: str):
        audit.record("test.write", target=answer)
        db.session.flush()
        if answer == "refus":
            raise Refusal("Ce dépôt est clos depuis le 9 mai 2025.")
        if answer == "introuvable":
            raise Refusal.not_found()
        if answer == "panne":
            raise RuntimeError("a bug half-way through the use case")
        if answer == "garde":
            unit_of_work.keep()
            return "refusé mais compté", 422
        return ("refusé", 422) if answer == "422" else "fait"

    @routes.route("/dossier/<int:number>/deposer", methods=["GET", "POST"])
    @refusals_go_to(lambda number: f"/dossier/{number}#depot")
    def deposit(number: int):
        audit.record("test.write", target="deposit")
        raise Refusal("Le dépôt est clos depuis le 9 mai 2025.")

    other.register_blueprint(routes)
    other.config["PROPAGATE_EXCEPTIONS"] = False
    return other


def _kept(app, answer: str) -> bool:
    with app.app_context():
        db.session.remove()
        return any(e.target == answer for e in audit.recent(action_prefix="test."))


@pytest.mark.parametrize(("answer", "status", "kept"), [
    ("fait", 200, True), ("422", 422, False), ("garde", 422, True), ("refus", 409, False),
    ("introuvable", 404, False), ("panne", 500, False)])
def test_a_post_commits_only_when_it_answers_well_or_keeps_its_writes(app, portal, answer, status, kept):
    response = portal.test_client().post(f"/essai/{answer}")
    assert response.status_code == status
    assert _kept(app, answer) is kept


def test_a_get_never_commits_even_when_it_writes(app, portal):
    assert portal.test_client().get("/essai/fait").status_code == 200
    assert not _kept(app, "fait")


def test_a_refused_form_goes_back_to_its_page_with_the_reason(portal):
    client = portal.test_client()
    response = client.post("/essai/refus", headers={"Referer": "http://localhost/appels/?page=2"})
    assert response.status_code == 303 and response.headers["Location"] == "/appels/?page=2"
    page = client.get("/appels/?page=2").get_data(as_text=True)
    assert "Ce dépôt est clos depuis le 9 mai 2025." in page and "<title>Erreur — " in page


def test_a_refusal_never_sends_back_to_another_site(portal):
    response = portal.test_client().post("/essai/refus", headers={"Referer": "https://evil.example/appels/"})
    text = response.get_data(as_text=True)
    assert response.status_code == 409 and "Ce dépôt est clos depuis le 9 mai 2025." in text
    assert "<title>Erreur — Action impossible" in text


def test_a_view_says_once_where_its_refusals_lead_back(app, portal):
    client = portal.test_client()
    response = client.post("/dossier/7/deposer")
    assert response.status_code == 302 and response.headers["Location"] == "/dossier/7#depot"
    assert not _kept(app, "deposit")
    with client.session_transaction() as session:
        assert session["_flashes"] == [("error", "Le dépôt est clos depuis le 9 mai 2025.")]


def test_a_refused_page_read_says_why_instead_of_sending_back_to_itself(portal):
    response = portal.test_client().get("/dossier/7/deposer")
    assert response.status_code == 409 and "Le dépôt est clos depuis le 9 mai 2025." in response.get_data(as_text=True)
