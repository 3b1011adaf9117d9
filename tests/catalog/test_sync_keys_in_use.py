"""`portal calls sync` never drops a window, a criterion or a document that applications or reviews already use:
the file is refused with a French message naming the file, the field and the applications, the version online
stays whole, and the other files of the same sync are still published."""

from __future__ import annotations

import pytest

from portal.applications import drafts
from portal.applications.call_usage import used_by
from portal.catalog.queries import get_call
from portal.catalog.services import sync_calls
from portal.catalog.usage import KeyInUse, KeysInUse
from portal.config import ROOT
from portal.core import time
from portal.extensions import db
from portal.reviews.models import Review, ReviewRound, Score
from tests.applications.conftest import DECLARATIONS, DOCUMENTS, QUESTIONS
from tests.conftest import call_data
from tests.reviews.conftest import CRITERIA, deposit_application

WINDOWS = [{"key": "unique", "label": "Fenêtre unique", "opens_on": "2025-04-01", "closes_on": "2025-05-09"},
           {"key": "rattrapage", "label": "Fenêtre de rattrapage", "opens_on": "2025-06-01", "closes_on": "2025-06-30"}]
FILE = "aap-2025-equipes-mobiles.md"
SLUG = "aap-2025-equipes-mobiles"
KEPT = "La version en ligne reste inchangée."


@pytest.fixture
def published(app, clock, write_call):
    """The call file as first published, while its first window is open; returns its front-matter."""
    clock("2025-04-15 10:00:00")
    data = call_data(title="Équipes mobiles, version publiée", windows=WINDOWS, required_documents=DOCUMENTS,
                     questions=QUESTIONS, declarations=DECLARATIONS, selection_criteria=CRITERIA)
    write_call(FILE, data)
    assert sync_calls([write_call.folder], time.now()).created == [SLUG]
    return data


@pytest.fixture
def applications(published, make_user, make_organisation):
    """Two deposited applications (AAP-2025-0001, AAP-2025-0002) and a draft of « Association Gamma »."""
    call = get_call(SLUG)
    deposited = []
    for index, name in enumerate(["Association Alpha", "Association Bêta", "Association Gamma"], start=1):
        person = make_user(f"presidence@asso{index}.fr", f"Présidente {index}")
        organisation = make_organisation(person, name, rna=f"W62100000{index}")
        if index < 3:
            deposited.append(deposit_application(call, organisation, person))
        else:
            drafts.start(call.windows[0], organisation, person, time.now())
            db.session.commit()  # the use case flushes; as a request would, the fixture commits
    assert [a.number for a in deposited] == ["AAP-2025-0001", "AAP-2025-0002"]
    return deposited


def republish(write_call, data: dict, **changes):
    """Edit the file as an author would (a new title too, to see that nothing of it goes online) and sync."""
    write_call(FILE, {**data, "title": "Équipes mobiles, version refusée", **changes})
    return sync_calls([write_call.folder], time.now())


def assert_old_version_online(client, windows: int = 2) -> None:
    db.session.expire_all()
    call = get_call(SLUG)
    assert call.title == "Équipes mobiles, version publiée" and len(call.revisions) == 1
    assert len(call.windows) == windows
    page = client.get(f"/appels/{SLUG}/")
    assert page.status_code == 200 and "Équipes mobiles, version publiée" in page.get_data(as_text=True)


def test_removing_a_window_that_applications_use_is_refused_and_the_old_version_stays_online(
        client, write_call, published, applications):
    report = republish(write_call, published, windows=WINDOWS[1:])

    assert [str(e) for e in report.errors] == [
        f"{FILE}: windows: la fenêtre « unique » ne peut pas être retirée : les candidatures AAP-2025-0001, "
        f"AAP-2025-0002, Association Gamma (brouillon) l'utilisent. {KEPT}"]
    assert report.updated == [] and report.unchanged == []
    assert_old_version_online(client)


def test_renaming_a_used_window_key_is_a_removal_and_is_refused(client, write_call, published, applications):
    renamed = [{**WINDOWS[0], "key": "principale"}, WINDOWS[1]]
    report = republish(write_call, published, windows=renamed)
    assert "la fenêtre « unique » ne peut pas être retirée" in str(report.errors[0])
    assert_old_version_online(client)


def test_changing_a_used_window_dates_and_removing_an_unused_one_is_published(client, write_call, published,
                                                                              applications):
    report = republish(write_call, published, windows=[{**WINDOWS[0], "closes_on": "2025-05-16"}])

    assert report.errors == [] and report.updated == [SLUG]
    call = get_call(SLUG)
    assert [w.key for w in call.windows] == ["unique"]
    assert time.to_paris(call.windows[0].closes_at).date().isoformat() == "2025-05-16"
    assert all(a.window_id == call.windows[0].id for a in applications)


def test_removing_a_document_that_application_files_use_is_refused(client, write_call, published, applications):
    kept = [d for d in DOCUMENTS if d["key"] != "statuts"]
    report = republish(write_call, published, required_documents=kept)

    assert [str(e) for e in report.errors] == [
        f"{FILE}: required_documents: la pièce « statuts » ne peut pas être retirée : les candidatures "
        f"AAP-2025-0001, AAP-2025-0002 l'utilisent. {KEPT}"]
    assert_old_version_online(client)


def test_removing_a_document_nobody_uploaded_is_published(write_call, published, applications):
    report = republish(write_call, published, required_documents=[d for d in DOCUMENTS if d["key"] != "annexes"])
    assert report.errors == [] and report.updated == [SLUG]


def test_removing_a_criterion_that_reviews_scored_is_refused(client, write_call, published, applications,
                                                             make_user):
    reviewer = make_user("evaluatrice@pasdecalais.fr", "Évaluatrice")
    db.session.add(Review(application_id=applications[1].id, reviewer_id=reviewer.id, status="draft",
                          created_at=time.now(), updated_at=time.now(),
                          scores=[Score(criterion="partenariat", value=3)]))
    db.session.commit()

    report = republish(write_call, published, selection_criteria=[c for c in CRITERIA if c["key"] != "partenariat"])

    assert [str(e) for e in report.errors] == [
        f"{FILE}: selection_criteria: le critère « partenariat » ne peut pas être retiré : 1 évaluation de la "
        f"candidature AAP-2025-0002 l'utilise. {KEPT}"]
    assert_old_version_online(client)


def test_removing_a_window_whose_selection_has_begun_is_refused_even_without_applications(client, clock,
                                                                                        write_call, published):
    clock("2025-07-01 09:00:00")  # both windows closed
    window = next(w for w in get_call(SLUG).windows if w.key == "rattrapage")
    db.session.add(ReviewRound(call_id=window.call_id, window_id=window.id, phase="eligibility",
                               phase_changed_at=time.now()))
    db.session.commit()

    report = republish(write_call, published, windows=WINDOWS[:1])

    assert [str(e) for e in report.errors] == [
        f"{FILE}: windows: la fenêtre « rattrapage » ne peut pas être retirée : sa sélection a commencé "
        f"(phase « Recevabilité »). {KEPT}"]
    assert_old_version_online(client)


def test_sync_command_prints_the_refusal_exits_non_zero_and_publishes_the_other_files(
        app, client, write_call, published, applications):
    write_call("autre-appel.md", call_data(title="Un autre appel, valide"))
    write_call(FILE, {**published, "title": "Équipes mobiles, version refusée", "windows": WINDOWS[1:]})

    result = app.test_cli_runner().invoke(args=["calls", "sync", str(write_call.folder)])

    assert result.exit_code == 1
    assert f"{FILE}: windows: la fenêtre « unique » ne peut pas être retirée" in result.output
    assert "1 publié(s), 0 mis à jour, 0 inchangé(s), 1 refusé(s)." in result.output
    assert get_call("autre-appel").title == "Un autre appel, valide"
    assert_old_version_online(client)


def test_the_authoring_guide_shows_the_refusal_as_sync_prints_it():
    refused = KeysInUse([KeyInUse("windows", "unique", used_by([("AAP-2025-0001", "A"), ("AAP-2025-0002", "B")]))])
    [(field, message)] = refused.messages()
    guide = (ROOT / "docs" / "calls.md").read_text(encoding="utf-8")
    assert f"{FILE}: {field}: {message}" in guide
