"""The call manager's side: the list of a call's applications (drafts counted, never opened), each application as
last deposited, CSV and XLSX exports, and ZIPs holding exactly the deposited bytes; nobody else gets in."""

import csv
import html
import io
import zipfile

import openpyxl
import pytest

from tests.applications.conftest import deposit, fill, get_application, ready, start, upload
from tests.conftest import post_form
from tests.fakes.samples import pdf

ISSUER = "Département du Pas-de-Calais"


@pytest.fixture
def manager(make_user):
    return make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])


@pytest.fixture
def deposited(app, open_call, applicant, sign_in):
    """Claire's association has deposited its application, with two annexes bearing the same name."""
    claire, _, organisation = applicant
    browser = app.test_client()
    sign_in(browser, claire.email)
    url = start(browser, open_call, organisation)
    ready(browser, url)
    upload(browser, url, "annexes", pdf() + b"% annexe A\n", "annexe.pdf")
    upload(browser, url, "annexes", pdf() + b"% annexe B\n", "annexe.pdf")
    assert "/versions/1" in deposit(browser, url).headers["Location"]
    browser.url = url
    return browser


@pytest.fixture
def draft(app, open_call, make_user, make_organisation, sign_in):
    """Another association has only saved a draft."""
    bob = make_user("bob@entraide-boulonnais.fr", "Bob Lefebvre")
    organisation = make_organisation(bob, "Entraide du Boulonnais", rna="W621000002")
    browser = app.test_client()
    sign_in(browser, bob.email)
    url = start(browser, open_call, organisation)
    fill(browser, url, {"q.objectifs": "Notre projet confidentiel"})
    upload(browser, url, "statuts", pdf() + b"% brouillon\n", "statuts-brouillon.pdf")
    browser.url = url
    return browser


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def deposited_files(url: str) -> list[bytes]:
    """The bytes of every file of the last deposited version, read back from the store, sorted."""
    from portal.core.storage import storage

    application = get_application(url)
    rows = {str(f.id): f for f in application.files}
    contents = []
    for item in application.latest_version.snapshot["files"]:
        with storage().open(rows[item["id"]].storage_key) as handle:
            contents.append(handle.read())
    return sorted(contents)


def zipped(response) -> zipfile.ZipFile:
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.testzip() is None
    return archive


def test_a_manager_sees_deposits_and_drafts_but_never_the_content_of_a_draft(client, open_call, deposited, draft,
                                                                           manager, sign_in):
    sign_in(client, manager.email)
    page = text_of(client.get(f"/gestion/appels/{open_call.slug}/candidatures"))
    assert "AAP-2025-0001" in page and "Association Logement Solidaire" in page
    assert "Entraide du Boulonnais" in page and "Brouillon — non déposé" in page
    assert "<strong>1</strong> déposée(s)" in page and "<strong>1</strong> brouillon(s) non déposé(s)" in page
    assert "Notre projet confidentiel" not in page and "statuts-brouillon.pdf" not in page
    draft_id = get_application(draft.url).id
    assert f"/gestion/candidatures/{draft_id}" not in page
    # Typing the address of the draft leads nowhere: staff see what was deposited, never a draft.
    assert client.get(f"/gestion/candidatures/{draft_id}").status_code == 404
    assert client.get(f"/gestion/candidatures/{draft_id}/pieces.zip").status_code == 404


def test_the_manager_sees_the_last_deposited_version_not_the_edits_pending_since(client, open_call, deposited,
                                                                                manager, sign_in):
    from tests.applications.conftest import ANSWERS

    fill(deposited, deposited.url, {**ANSWERS, "q.objectifs": "Objectifs révisés"})
    upload(deposited, deposited.url, "statuts", pdf() + b"% statuts 2026\n", "statuts-modifies.pdf")
    application = get_application(deposited.url)
    assert application.has_pending_changes
    sign_in(client, manager.email)
    page = text_of(client.get(f"/gestion/candidatures/{application.id}"))
    assert "AAP-2025-0001 — Association Logement Solidaire" in page and "Version 1 (Dépôt)" in page
    assert "Aller vers les ménages." in page and "statuts.pdf" in page
    assert "Objectifs révisés" not in page and "statuts-modifies.pdf" not in page
    listing = text_of(client.get(f"/gestion/appels/{open_call.slug}/candidatures"))
    assert "Objectifs révisés" not in listing

    assert "/versions/2" in deposit(deposited, deposited.url).headers["Location"]
    page = text_of(client.get(f"/gestion/candidatures/{application.id}"))
    assert "Version 2 (Modifications déposées)" in page
    assert "Objectifs révisés" in page and "statuts-modifies.pdf" in page


def test_the_csv_export_opens_in_french_excel_with_the_number_and_the_organisation(client, open_call, deposited,
                                                                                   draft, manager, sign_in):
    sign_in(client, manager.email)
    response = client.get(f"/gestion/appels/{open_call.slug}/candidatures.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, lines = rows[0], {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert header[:2] == ["Numéro", "Organisation"]
    assert set(lines) == {"Association Logement Solidaire", "Entraide du Boulonnais"}
    mine = lines["Association Logement Solidaire"]
    assert mine["Numéro"] == "AAP-2025-0001" and mine["Statut"] == "Déposée" and mine["Version"] == "1"
    assert mine["RNA"] == "W751515517" and mine["Montant demandé (€)"] == "12000.00" and mine["Pièces"] == "4"
    assert lines["Entraide du Boulonnais"]["Numéro"] == "" and lines["Entraide du Boulonnais"]["Pièces"] == "0"
    only_deposited = client.get(f"/gestion/appels/{open_call.slug}/candidatures.csv?statut=submitted")
    assert "Entraide du Boulonnais" not in only_deposited.get_data(as_text=True)


def test_the_xlsx_export_lists_the_same_applications(client, open_call, deposited, draft, manager, sign_in):
    sign_in(client, manager.email)
    response = client.get(f"/gestion/appels/{open_call.slug}/candidatures.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:2] == ["Numéro", "Organisation"]
    assert sorted((row[0] or "", row[1]) for row in rows[1:]) == [
        ("", "Entraide du Boulonnais"), ("AAP-2025-0001", "Association Logement Solidaire")]


def test_the_application_zip_holds_every_deposited_file_with_identical_bytes(client, open_call, deposited, manager,
                                                                           sign_in):
    # A file replaced after the deposit is a pending edit: the ZIP still holds the deposited one.
    upload(deposited, deposited.url, "statuts", pdf() + b"% pas encore depose\n", "statuts.pdf")
    application = get_application(deposited.url)
    sign_in(client, manager.email)
    archive = zipped(client.get(f"/gestion/candidatures/{application.id}/pieces.zip"))
    names = archive.namelist()
    assert sorted(names) == ["AAP-2025-0001/annexes/annexe (2).pdf", "AAP-2025-0001/annexes/annexe.pdf",
                             "AAP-2025-0001/cerfa-12156/cerfa 12156.pdf", "AAP-2025-0001/statuts/statuts.pdf"]
    assert sorted(archive.read(name) for name in names) == deposited_files(deposited.url)
    assert archive.read("AAP-2025-0001/statuts/statuts.pdf") == pdf()


def test_the_window_zip_holds_the_files_of_every_deposited_application_and_no_draft(client, app, open_call, deposited,
                                                                                  draft, manager, make_user,
                                                                                  make_organisation, sign_in):
    other = app.test_client()
    lucie = make_user("lucie@toit-commun.fr", "Lucie Caron")
    organisation = make_organisation(lucie, "Le Toit commun", rna="W621000003")
    sign_in(other, lucie.email)
    url = start(other, open_call, organisation)
    ready(other, url)
    deposit(other, url)
    sign_in(client, manager.email)
    archive = zipped(client.get(f"/gestion/appels/{open_call.slug}/fenetres/unique/pieces.zip"))
    names = archive.namelist()
    assert {name.split("/")[0] for name in names} == {"AAP-2025-0001", "AAP-2025-0002"}
    assert not any("brouillon" in name for name in names)
    assert sorted(archive.read(name) for name in names) == sorted(deposited_files(deposited.url)
                                                                   + deposited_files(url))
    assert client.get(f"/gestion/appels/{open_call.slug}/fenetres/autre/pieces.zip").status_code == 404


@pytest.mark.parametrize("who", ["manager of another issuer", "reviewer of the call", "applicant"])
def test_nobody_but_the_calls_managers_reaches_the_staff_pages(client, open_call, deposited, make_user, sign_in,
                                                              applicant, who):
    application = get_application(deposited.url)
    if who == "manager of another issuer":
        user = make_user("gestion@nord.fr", grants=[("manager", {"issuer": "Département du Nord"})])
    elif who == "reviewer of the call":
        user = make_user("comite@pasdecalais.fr", grants=[("reviewer", {"call_id": open_call.uuid})])
    else:
        user = applicant[0]
    sign_in(client, user.email)
    file_id = application.latest_version.snapshot["files"][0]["id"]
    for url in (f"/gestion/appels/{open_call.slug}/candidatures",
                f"/gestion/appels/{open_call.slug}/candidatures.csv",
                f"/gestion/appels/{open_call.slug}/candidatures.xlsx",
                f"/gestion/appels/{open_call.slug}/fenetres/unique/pieces.zip",
                f"/gestion/candidatures/{application.id}",
                f"/gestion/candidatures/{application.id}/pieces.zip",
                f"/gestion/candidatures/{application.id}/fichiers/{file_id}"):
        assert client.get(url).status_code == 404, url
    response = post_form(client, f"/gestion/candidatures/{application.id}/demande-pieces",
                         {"slots": ["statuts"], "message": "Statuts signés", "due_on": "2025-06-01"},
                         form_page=f"/appels/{open_call.slug}/")
    assert response.status_code == 404
    assert get_application(deposited.url).piece_requests == []


def test_a_manager_named_for_the_call_alone_reaches_it(client, open_call, deposited, make_user, sign_in):
    named = make_user("charge@pasdecalais.fr", grants=[("manager", {"call_id": open_call.uuid})])
    sign_in(client, named.email)
    assert "AAP-2025-0001" in text_of(client.get(f"/gestion/appels/{open_call.slug}/candidatures"))
