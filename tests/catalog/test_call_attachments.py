"""The files published with a call written in the portal: its issuer's managers join them (checked by content like
every upload, a refused format said at its field), the call's page lists them with their format and size, anyone
downloads them as attachments, `portal storage gc` keeps them, and another issuer's manager never sees the page."""

from __future__ import annotations

import io
import re

import pytest

from portal.catalog.authoring_models import CallAttachment, CallSource
from portal.core import storage_gc, time
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests.conftest import post_form
from tests.fakes import samples

ISSUER = "Département du Pas-de-Calais"
SLUG = "equipes-mobiles"
PAGE = f"/gestion/redaction/{SLUG}/pieces-jointes"


@pytest.fixture
def source(publish_call, clock):
    """A call written in the portal and published (its source names the call)."""
    clock("2025-04-15 10:00:00")
    call = publish_call(slug=SLUG, issuer={"body": ISSUER})
    row = CallSource(slug=SLUG, issuer=ISSUER, text="---\n…", call_id=call.id, created_at=time.now(),
                     updated_at=time.now())
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def manager(client, make_user, sign_in):
    make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    sign_in(client, "gestion@pasdecalais.fr")


def attach(client, title: str, content: bytes, name: str):
    return post_form(client, PAGE, {"title": title, "file": (io.BytesIO(content), name)},
                     content_type="multipart/form-data")


def test_a_manager_joins_a_document_checked_by_content_and_the_call_page_lists_it(client, source, manager):
    response = attach(client, "Avis d’appel signé", samples.pdf(), "avis signé.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)

    row = db.session.query(CallAttachment).one()
    assert (row.title, row.format, row.original_name) == ("Avis d’appel signé", "pdf", "avis signé.pdf")
    assert db.session.query(AuditEvent).filter_by(action="catalog.attachment_add").count() == 1
    managed = client.get(PAGE).get_data(as_text=True)
    assert "Avis d’appel signé" in managed and "non analysé" in managed

    page = client.get(f"/appels/{SLUG}/").get_data(as_text=True)
    assert "Documents de l'appel" in page and "Avis d’appel signé" in page and "(PDF, " in page
    link = re.search(rf'href="(/appels/{SLUG}/documents/[0-9a-f-]+)"', page).group(1)

    client.post("/compte/deconnexion", data={})
    download = client.get(link)
    assert download.status_code == 200 and download.data == samples.pdf()
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.mimetype == "application/pdf"


def test_office_formats_are_accepted(client, source, manager):
    for title, content, name in (("Modèle de budget", samples.xlsx(), "budget.xlsx"),
                                 ("Note descriptive", samples.odf("text"), "note.odt"),
                                 ("Annexe", samples.docx(), "annexe.docx")):
        assert attach(client, title, content, name).status_code == 302, title
    assert [a.position for a in db.session.query(CallAttachment).order_by(CallAttachment.position)] == [0, 1, 2]


def test_a_refused_format_is_said_at_the_file_field(client, source, manager):
    response = attach(client, "Photo", samples.png(), "photo.png")  # an image: not among a call's documents
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="file-error"' in page and 'aria-invalid="true"' in page
    assert db.session.query(CallAttachment).count() == 0

    disguised = attach(client, "Avis", samples.elf(), "avis.pdf")  # a program named .pdf: judged by content
    assert disguised.status_code == 422 and 'id="file-error"' in disguised.get_data(as_text=True)


def test_a_missing_title_is_said_at_its_field(client, source, manager):
    response = attach(client, "  ", samples.pdf(), "avis.pdf")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="title-error"' in page and "Donnez un titre" in page


def test_removing_a_document_takes_it_off_the_page(client, source, manager):
    attach(client, "Avis d’appel signé", samples.pdf(), "avis.pdf")
    attachment_id = db.session.query(CallAttachment).one().id
    response = post_form(client, f"{PAGE}/{attachment_id}/retirer", {})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.query(CallAttachment).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="catalog.attachment_remove").count() == 1
    assert "Documents de l'appel" not in client.get(f"/appels/{SLUG}/").get_data(as_text=True)
    assert client.get(f"/appels/{SLUG}/documents/{attachment_id}").status_code == 404


def test_a_blocked_document_is_neither_listed_nor_served(client, source, manager):
    attach(client, "Avis d’appel signé", samples.pdf(), "avis.pdf")
    row = db.session.query(CallAttachment).one()
    row.scan_status = "failed"
    db.session.commit()
    assert "Documents de l'appel" not in client.get(f"/appels/{SLUG}/").get_data(as_text=True)
    assert client.get(f"/appels/{SLUG}/documents/{row.id}").status_code == 404
    assert "analyse impossible — bloqué" in client.get(PAGE).get_data(as_text=True)


def test_storage_gc_keeps_a_call_document(client, source, manager):
    attach(client, "Avis d’appel signé", samples.pdf(), "avis.pdf")
    row = db.session.query(CallAttachment).one()
    assert storage_gc.referenced_files(db.session.connection())[row.storage_key] == row.sha256


def test_a_manager_of_another_issuer_does_not_find_the_page(client, source, make_user, sign_in):
    make_user("gestion@nord.fr", "Nora Nord", grants=[("manager", {"issuer": "Département du Nord"})])
    sign_in(client, "gestion@nord.fr")
    assert client.get(PAGE).status_code == 404
    assert attach(client, "Avis", samples.pdf(), "avis.pdf").status_code == 404
    assert db.session.query(CallAttachment).count() == 0
