"""After closing, a call manager asks an application for pieces by a due date: the members are told by e-mail, may
upload into the requested slots only, and « Transmettre les pièces » deposits them as a new version; past the due
date nothing more comes in."""

import html
import re

import pytest

from tests.applications.conftest import ANSWERS, deposit, fill, get_application, ready, start, upload
from tests.conftest import post_form
from tests.fakes.samples import pdf

NEW_STATUTS = pdf() + b"% statuts signes\n"


@pytest.fixture
def manager(make_user):
    return make_user("gestion@pasdecalais.fr", "Gaëlle Gestion",
                     grants=[("manager", {"issuer": "Département du Pas-de-Calais"})])


@pytest.fixture
def deposited(client, open_call, applicant, sign_in):
    """Claire deposited her association's application before the deadline; her client stays signed in."""
    claire, _, organisation = applicant
    sign_in(client, claire.email)
    url = start(client, open_call, organisation)
    ready(client, url)
    deposit(client, url)
    client.url = url
    return client


@pytest.fixture
def staff(app, manager, sign_in):
    browser = app.test_client()
    sign_in(browser, manager.email)
    return browser


def request_pieces(staff, url: str, slots=("statuts",), message="Les statuts transmis ne sont pas signés.",
                   due_on="2025-05-20", **kwargs):
    page = f"/gestion/candidatures/{get_application(url).id}"
    return post_form(staff, f"{page}/demande-pieces", {"slots": list(slots), "message": message, "due_on": due_on},
                     form_page=page, **kwargs)


def transmit(client, url: str, **kwargs):
    application = get_application(url)
    request_id = application.piece_requests[-1].id
    return post_form(client, f"{url}pieces-complementaires/{request_id}/transmettre", {}, form_page=f"{url}pieces",
                     **kwargs)


def uploaded(client, url: str, key: str, content: bytes, name: str) -> str:
    """Upload as a browser without JavaScript and return the page it is sent back to, with its message."""
    response = upload(client, url, key, content, name)
    return text_of(client.get(response.headers["Location"]))


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_requested_pieces_are_mailed_uploaded_and_transmitted_as_a_new_version(deposited, staff, clock, mailbox,
                                                                              applicant):
    url = deposited.url
    clock("2025-05-12 09:00:00")
    response = request_pieces(staff, url, follow_redirects=True)
    assert "La demande de pièces est envoyée à l'organisation." in text_of(response)

    messages = {m["To"]: m for m in mailbox.deliver() if m["Subject"].startswith("Pièces demandées")}
    assert set(messages) == {"claire@asso-logement.fr", "paul@asso-logement.fr"}
    body = messages["paul@asso-logement.fr"].get_content()
    assert "AAP-2025-0001" in body and "Les statuts transmis ne sont pas signés." in body
    assert "Statuts de l'association" in body and "20 mai 2025" in body
    link = mailbox.link_in(messages["claire@asso-logement.fr"], "/pieces")

    page = text_of(deposited.get(link))
    assert "Pièces demandées par le service instructeur" in page and "Transmettre les pièces" in page
    refused = uploaded(deposited, url, "cerfa-12156", pdf() + b"% autre\n", "cerfa.pdf")
    assert "Le dépôt de pièces est clos pour ce dossier." in refused
    accepted = uploaded(deposited, url, "statuts", NEW_STATUTS, "statuts signés.pdf")
    assert "Pièce ajoutée : statuts signés.pdf (" in accepted

    response = transmit(deposited, url)
    assert response.headers["Location"].endswith("/versions/2")
    application = get_application(url)
    assert [(v.number, v.reason) for v in application.versions] == [(1, "deposit"), (2, "pieces")]  # stored in English
    assert application.number == "AAP-2025-0001" and application.piece_requests[0].answered_at is not None
    assert not application.has_pending_changes
    files = {f["slot"]: f["name"] for f in application.versions[1].snapshot["files"]}
    assert files == {"statuts": "statuts signés.pdf", "cerfa-12156": "cerfa 12156.pdf"}
    receipts = [m for m in mailbox.deliver() if "version 2" in m["Subject"]]
    assert sorted(m["To"] for m in receipts) == ["claire@asso-logement.fr", "paul@asso-logement.fr"]
    # The request is answered: nothing more can be uploaded.
    again = uploaded(deposited, url, "statuts", pdf(), "encore.pdf")
    assert "Le dépôt de pièces est clos pour ce dossier." in again

    history = text_of(staff.get(f"/gestion/candidatures/{application.id}"))
    history = history[history.index('id="historique"'):]
    assert re.search(r"Pièces demandées — gestion@pasdecalais\.fr", history)
    assert re.search(r"Pièces transmises — claire@asso-logement\.fr — version 2", history)
    assert history.index("Pièces demandées") < history.index("Pièces transmises")
    assert "Version 2 (Pièces complémentaires)" in text_of(staff.get(f"/gestion/candidatures/{application.id}"))


def test_pieces_transmitted_after_closing_carry_nothing_left_undeposited_at_the_deadline(deposited, staff, clock):
    """Edits saved before the deadline but never deposited stay out: a request for pieces is no late deposit."""
    url = deposited.url
    fill(deposited, url, {**ANSWERS, "q.objectifs": "Ajouté sans être déposé"})
    upload(deposited, url, "annexes", pdf() + b"% annexe\n", "annexe tardive.pdf")
    clock("2025-05-12 09:00:00")
    request_pieces(staff, url)
    upload(deposited, url, "statuts", NEW_STATUTS, "statuts signés.pdf")
    transmit(deposited, url)
    application = get_application(url)
    version = application.versions[1]
    assert version.reason == "pieces" and application.has_pending_changes  # still there, still not deposited
    assert version.snapshot["answers"]["questions"]["objectifs"] == "Aller vers les ménages."
    assert sorted(f["name"] for f in version.snapshot["files"]) == ["cerfa 12156.pdf", "statuts signés.pdf"]
    page = text_of(staff.get(f"/gestion/candidatures/{application.id}"))
    assert "Ajouté sans être déposé" not in page and "annexe tardive.pdf" not in page


def test_after_the_due_date_the_requested_pieces_are_refused(deposited, staff, clock):
    url = deposited.url
    clock("2025-05-12 09:00:00")
    request_pieces(staff, url, due_on="2025-05-20")
    clock("2025-05-20 23:59:59")
    upload(deposited, url, "statuts", NEW_STATUTS, "statuts signés.pdf")
    clock("2025-05-21 00:00:00")
    refused = uploaded(deposited, url, "statuts", pdf() + b"% trop tard\n", "trop tard.pdf")
    assert "Le dépôt de pièces est clos pour ce dossier." in refused
    page = text_of(transmit(deposited, url, follow_redirects=True))
    assert "La demande de pièces était à satisfaire avant le 20 mai 2025" in page
    application = get_application(url)
    assert [v.number for v in application.versions] == [1]
    assert "trop tard.pdf" not in [f.original_name for f in application.files]


def test_a_request_needs_pieces_a_message_and_a_later_due_date(deposited, staff, clock):
    url = deposited.url
    clock("2025-05-12 09:00:00")
    assert "Choisissez au moins une pièce." in text_of(request_pieces(staff, url, slots=(), follow_redirects=True))
    page = text_of(request_pieces(staff, url, due_on="2025-05-12", follow_redirects=True))
    assert "La date limite de réponse doit être postérieure à aujourd'hui." in page
    assert get_application(url).piece_requests == []


def test_pieces_are_requested_only_once_the_window_has_closed(deposited, staff):
    """Before the deadline the applicant may still change and deposit the whole file."""
    page = text_of(request_pieces(staff, deposited.url, follow_redirects=True))
    assert "après la date limite" in page
    assert get_application(deposited.url).piece_requests == []
