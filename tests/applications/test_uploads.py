"""Documents of an application: judged by content against the slot's formats, refused with a French message and
without leaving anything in the store, names cleaned and ending with the extension of what the content is, limits
enforced, vault documents reused, macros and viruses stopped."""

import html
import io
import zipfile

import pytest
from werkzeug.http import parse_options_header

from portal.accounts.models import VaultDocument
from portal.applications.models import ApplicationFile
from portal.core.storage import storage
from portal.extensions import db
from tests.applications.conftest import deposit, get_application, ready, start, upload
from tests.applications.test_deposit import sign_in_as
from tests.conftest import csrf_token, post_form
from tests.fakes import samples
from tests.fakes.clamd import EICAR, FakeClamd


@pytest.fixture
def draft(client, open_call, applicant):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    return start(client, open_call, organisation)


def stored_keys() -> set[str]:
    return set(storage().keys())


def page_after(client, response) -> str:
    text = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    return text.replace("\u202f", " ").replace("\xa0", " ")


def offered_name(response) -> str:
    """The name the browser saves a download under; it must save it, never display it."""
    assert response.status_code == 200
    disposition, options = parse_options_header(response.headers["Content-Disposition"])
    assert disposition == "attachment" and response.headers["X-Content-Type-Options"] == "nosniff"
    return options["filename"]


PDF, XLSX = "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("name, content", [
    ("rapport.pdf", samples.pdf()), ("note.odt", samples.odf("text")), ("budget.ods", samples.odf("spreadsheet")),
    ("note.docx", samples.docx()), ("budget.xlsx", samples.xlsx()), ("plan.png", samples.png()),
])
def test_the_formats_a_slot_accepts_are_stored_with_their_hash(client, draft, name, content):
    import hashlib

    upload(client, draft, "cerfa-12156", content, name)
    [file] = get_application(draft).current_files
    assert (file.original_name, file.size, file.sha256) == (name, len(content), hashlib.sha256(content).hexdigest())
    with storage().open(file.storage_key) as stored:
        assert stored.read() == content
    assert file.storage_key != name and "." not in file.storage_key  # stored under a generated name


@pytest.mark.parametrize("name, content, said", [
    ("statuts.pdf", b"<!doctype html><html><script>alert(1)</script></html>", "HTML"),
    ("statuts.pdf", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
    ("statuts.pdf", samples.elf(), "exécutable"),
    ("statuts.pdf", samples.windows_program(), "exécutable"),
    ("statuts.pdf", samples.docx(), "PDF"),  # a real document, but this slot asks for PDF only
])
def test_a_disguised_or_wrong_file_is_refused_and_nothing_is_kept(client, draft, name, content, said):
    before = stored_keys()
    response = upload(client, draft, "statuts", content, name)
    page = page_after(client, response)
    assert "Erreur" in page and said in page and "statuts.pdf" in page
    assert get_application(draft).current_files == []
    assert stored_keys() == before


def test_a_zip_bomb_dressed_as_a_word_document_is_refused(client, draft):
    bomb = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", samples.CONTENT_TYPES)
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            zeros = bytes(1024 * 1024)
            for _ in range(400):
                part.write(zeros)
    before = stored_keys()
    page = page_after(client, upload(client, draft, "cerfa-12156", bomb.getvalue(), "note.docx"))
    assert "Erreur" in page and "note.docx" in page
    assert get_application(draft).current_files == [] and stored_keys() == before


def test_a_file_over_the_slot_limit_is_refused_without_being_stored(client, draft):
    big = samples.pdf() + b"0" * (1024 * 1024)  # the statutes slot takes 1 Mo at most
    before = stored_keys()
    page = page_after(client, upload(client, draft, "statuts", big, "statuts.pdf"))
    assert "dépasse la taille maximale de 1 Mo" in page and "n'a pas été enregistré" in page
    assert stored_keys() == before and db.session.query(ApplicationFile).count() == 0


@pytest.mark.parametrize("sent, kept", [
    ("../../../etc/passwd.pdf", "passwd.pdf"),
    ("Statuts signe\u0301s 2024.pdf", "Statuts signés 2024.pdf"),  # decomposed accents (macOS) come back composed
    ("Rapport d'activité — été 2024 ✓.pdf", "Rapport d'activité — été 2024 ✓.pdf"),
    ("r" * 400 + ".pdf", "r" * 176 + ".pdf"),
])
def test_names_are_cleaned_and_offered_back_on_download(client, draft, sent, kept):
    upload(client, draft, "annexes", samples.pdf(), sent)
    [file] = get_application(draft).current_files
    assert file.original_name == kept
    response = client.get(f"{draft}fichiers/{file.id}")
    assert response.status_code == 200 and response.data == samples.pdf()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and ".." not in disposition and "/" not in disposition
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_pdf_that_is_also_a_web_page_sent_as_html_comes_back_as_a_pdf(client, draft):
    upload(client, draft, "annexes", samples.pdf_html_polyglot(), "x.html")
    [file] = get_application(draft).current_files
    assert file.original_name == "x.pdf" and "x.pdf" in client.get(f"{draft}pieces").get_data(as_text=True)
    response = client.get(f"{draft}fichiers/{file.id}")
    assert offered_name(response) == "x.pdf" and response.headers["Content-Type"] == PDF
    assert response.data == samples.pdf_html_polyglot()


@pytest.mark.parametrize("sent, content, kept, mime", [
    ("rapport.PDF", samples.pdf(), "rapport.pdf", PDF),
    ("statuts", samples.pdf(), "statuts.pdf", PDF),
    ("budget.xlsx.exe", samples.xlsx(), "budget.xlsx", XLSX),
    ("budget.pdf", samples.xlsx(), "budget.xlsx", XLSX),
])
def test_a_file_is_offered_back_with_the_extension_and_type_of_its_content(client, draft, sent, content, kept, mime):
    upload(client, draft, "annexes", content, sent)
    [file] = get_application(draft).current_files
    response = client.get(f"{draft}fichiers/{file.id}")
    assert offered_name(response) == kept and response.headers["Content-Type"] == mime


def add_to_vault(client, organisation, content: bytes, name: str):
    """« Ajouter un document » in the organisation's vault, as the browser posts it."""
    url = f"/organisations/{organisation.id}/coffre/ajouter"
    return client.post(url, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, url), "kind": "statuts", "label": "Statuts signés",
        "file": (io.BytesIO(content), name)})


def test_the_vault_and_its_copies_offer_a_checked_file_back_as_what_it_is(client, draft, applicant):
    _, _, organisation = applicant
    assert add_to_vault(client, organisation, samples.pdf_html_polyglot(), "x.html").status_code == 302
    document = db.session.scalars(db.select(VaultDocument)).one()
    assert "x.pdf" in client.get(f"/organisations/{organisation.id}/").get_data(as_text=True)
    response = client.get(f"/organisations/{organisation.id}/coffre/{document.id}/telecharger")
    assert offered_name(response) == "x.pdf" and response.headers["Content-Type"] == PDF

    post_form(client, f"{draft}pieces/annexes/coffre", {"document_id": str(document.id)}, form_page=f"{draft}pieces")
    [file] = get_application(draft).current_files
    response = client.get(f"{draft}fichiers/{file.id}")
    assert offered_name(response) == "x.pdf" and response.headers["Content-Type"] == PDF


def test_staff_get_a_checked_file_under_its_real_extension_alone_and_in_the_zips(client, open_call, draft, make_user,
                                                                                 sign_in):
    ready(client, draft)
    upload(client, draft, "annexes", samples.pdf_html_polyglot(), "x.html")
    assert deposit(client, draft).status_code == 302
    application = get_application(draft)
    [file] = [f for f in application.current_files if f.slot == "annexes"]
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion",
                        grants=[("manager", {"issuer": open_call.issuer})])
    sign_in(client, manager.email)
    response = client.get(f"/gestion/candidatures/{application.id}/fichiers/{file.id}")
    assert offered_name(response) == "x.pdf" and response.headers["Content-Type"] == PDF
    for url in (f"/gestion/candidatures/{application.id}/pieces.zip",
                f"/gestion/appels/{open_call.slug}/fenetres/unique/pieces.zip"):
        names = zipfile.ZipFile(io.BytesIO(client.get(url).get_data())).namelist()
        assert f"{application.number}/annexes/x.pdf" in names and not any(n.endswith(".html") for n in names)


@pytest.mark.parametrize("name, content", [
    ("note.docx", samples.docm()), ("budget.xlsx", samples.xlsm()),
    ("note.odt", samples.odf_with_basic("text")), ("budget.ods", samples.odf_with_python("spreadsheet")),
])
def test_a_document_with_macros_is_refused_saying_to_save_it_without_and_nothing_is_kept(client, draft, name,
                                                                                          content):
    before = stored_keys()
    page = page_after(client, upload(client, draft, "cerfa-12156", content, name))
    assert "Erreur" in page and name in page and "contient des macros" in page
    assert "enregistrez-le sans macros (au format .docx, .xlsx, .odt ou .ods ordinaire)" in page
    assert get_application(draft).current_files == [] and stored_keys() == before


def test_the_vault_refuses_a_document_with_macros_and_keeps_nothing(client, draft, applicant):
    _, _, organisation = applicant
    before = stored_keys()
    response = add_to_vault(client, organisation, samples.xlsm(), "budget.xlsx")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "contient des macros" in page and "enregistrez-le sans macros" in page
    assert db.session.query(VaultDocument).count() == 0 and stored_keys() == before


def test_a_slot_taking_one_file_keeps_the_last_one_and_a_multiple_slot_keeps_all(client, draft):
    upload(client, draft, "statuts", samples.pdf(), "statuts-2019.pdf")
    upload(client, draft, "statuts", samples.pdf() + b"%2024\n", "statuts-2024.pdf")
    upload(client, draft, "annexes", samples.pdf(), "annexe-1.pdf")
    upload(client, draft, "annexes", samples.png(), "annexe-2.png")
    current = {(f.slot, f.original_name) for f in get_application(draft).current_files}
    assert current == {("statuts", "statuts-2024.pdf"), ("annexes", "annexe-1.pdf"), ("annexes", "annexe-2.png")}


def test_an_upload_with_progress_answers_in_json(client, draft):
    from tests.conftest import csrf_token

    token = csrf_token(client, f"{draft}pieces")
    response = client.post(f"{draft}pieces/statuts", headers={"X-Upload": "1"}, content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(b"<html></html>"), "statuts.pdf")})
    assert response.status_code == 422 and response.json["ok"] is False and "HTML" in response.json["message"]
    response = client.post(f"{draft}pieces/statuts", headers={"X-Upload": "1"}, content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(samples.pdf()), "statuts.pdf")})
    assert response.status_code == 200 and response.json["ok"] is True


def test_statutes_are_reused_from_the_vault_as_a_copy(client, draft, applicant):
    from portal.accounts import vault

    claire, _, organisation = applicant
    document = vault.add_document(organisation, claire, io.BytesIO(samples.pdf()), "statuts.pdf", kind="statuts",
                                  label="Statuts 2024")
    from tests.conftest import post_form

    post_form(client, f"{draft}pieces/statuts/coffre", {"document_id": str(document.id)}, form_page=f"{draft}pieces")
    [file] = get_application(draft).current_files
    assert file.vault_document_id == document.id and file.sha256 == document.sha256
    assert file.storage_key != document.storage_key  # the application keeps its own copy
    vault.remove_document(db.session.get(type(document), document.id), claire)
    assert client.get(f"{draft}fichiers/{file.id}").data == samples.pdf()


def test_with_an_antivirus_infected_files_are_refused_and_clean_ones_marked(app, client, draft):
    with FakeClamd() as url:
        app.config["CLAMD_URL"] = url
        try:
            page = page_after(client, upload(client, draft, "annexes", samples.pdf() + EICAR, "annexe.pdf"))
            upload(client, draft, "annexes", samples.pdf(), "propre.pdf")
        finally:
            app.config["CLAMD_URL"] = None
    assert "contient un virus" in page and "Eicar" in page
    [file] = get_application(draft).current_files
    assert (file.original_name, file.scan_status) == ("propre.pdf", "clean")


def test_without_an_antivirus_files_are_marked_not_scanned(client, draft):
    upload(client, draft, "annexes", samples.pdf(), "annexe.pdf")
    [file] = get_application(draft).current_files
    assert file.scan_status == "not_scanned"
    assert "non analysé" in client.get(f"{draft}pieces").get_data(as_text=True)


def test_when_the_antivirus_fails_the_file_is_kept_but_blocked_for_staff(app, client, draft):
    with FakeClamd(silent=True) as url:
        app.config["CLAMD_URL"] = url
        try:
            upload(client, draft, "annexes", samples.pdf(), "annexe.pdf")
        finally:
            app.config["CLAMD_URL"] = None
    [file] = get_application(draft).current_files
    assert file.scan_status == "failed" and file.is_blocked


class BrokenStream(io.RawIOBase):
    """A connection that drops after 3 MB, as a phone losing its network midway."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.sent >= 3 * 1024 * 1024:
            raise ConnectionResetError("client went away")
        chunk = min(len(buffer), 64 * 1024)
        buffer[:chunk] = b"%PDF-1.4\n".ljust(chunk, b"0") if self.sent == 0 else bytes(chunk)
        self.sent += chunk
        return chunk


def test_an_upload_that_fails_midway_leaves_nothing_and_the_draft_intact(app, client, draft, applicant):
    from portal.applications import documents
    from portal.core.time import now

    claire, _, organisation = applicant
    upload(client, draft, "statuts", samples.pdf(), "statuts.pdf")
    before_keys, before = stored_keys(), get_application(draft)
    files_before = [(f.original_name, f.sha256) for f in before.current_files]
    with app.test_request_context(), pytest.raises(ConnectionResetError):
        documents.upload(get_application(draft), "annexes", io.BufferedReader(BrokenStream()), "gros.pdf", claire,
                         organisation.id, now())
    db.session.rollback()
    after = get_application(draft)
    assert stored_keys() == before_keys
    assert [(f.original_name, f.sha256) for f in after.current_files] == files_before
    leftovers = [p for p in storage().root.rglob("*") if p.is_file() and p.name.endswith(".part")]
    assert leftovers == []


@pytest.mark.parametrize("moment, warning", [
    ("2025-05-03 00:00:00", "Moins de 7 jours"), ("2025-05-09 00:00:01", "Moins d'un jour"),
    ("2025-05-09 23:10:00", "Moins d'une heure"), ("2025-04-20 12:00:00", None),
])
def test_the_page_warns_at_seven_days_one_day_and_one_hour(client, draft, clock, moment, warning):
    clock(moment)
    page = html.unescape(client.get(draft).get_data(as_text=True))
    for text in ("Moins de 7 jours", "Moins d'un jour", "Moins d'une heure"):
        assert (text in page) == (text == warning), text
    assert "pas encore déposé" in page  # a saved draft is not a submission, plainly
