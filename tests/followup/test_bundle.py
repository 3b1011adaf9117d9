"""« Dossier de contrôle » (issue 17): one ZIP per convention, downloaded by its staff, holding the application as
deposited, its eligibility, reviews, decision and letter, the convention's versions and signed copies, the reports
and their files, the payment schedule and the messages with their attachments, in numbered French folders, with an
index PDF naming every file with its date, author, size and SHA-256 and the audit trail; to anyone else, the
applicant and a manager in conflict included, it does not exist (404). Each download is audited."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile

import pytest
from sqlalchemy import select, update

from portal.applications import messages
from portal.applications.models import MessageAttachment
from portal.applications.states import MessageSide
from portal.core import time
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.followup import conventions, payments, reports
from portal.followup.models import Convention
from portal.followup.states import ReportKind
from portal.reviews import decisions
from portal.reviews.models import Conflict
from tests.conftest import post_form
from tests.fakes.samples import pdf
from tests.followup.conftest import ISSUER, sign_in_as
from tests.reviews.test_decisions import add_review, decide_all, deliberate, text_of

RIB = pdf() + b"% RIB de l'association\n"
ACTIVITY_REPORT = pdf() + b"% rapport d'activite 2025-2026\n"


def url(convention: Convention) -> str:
    return f"/gestion/suivi/conventions/{convention.id}/dossier-de-controle"


@pytest.fixture
def audited(selection, make_user, clock):
    """The first application reviewed, retained and published; a message with its attachment; its convention signed
    by both sides; the 60 % advance requested, certified and paid; the final report filed with its activity report
    and accepted."""
    application = selection.applications[0]
    round_ = deliberate(selection)
    add_review(selection, application, selection.reviewers[0], {"qualite": 4, "partenariat": 3, "budget": 8},
               comments={"qualite": "Accompagnement solide."}, comment="Projet bien ancré.")
    decide_all(selection)
    decisions.publish(round_, selection.manager, time.now())
    messages.send(application, "Voici notre RIB pour le versement.", [(io.BytesIO(RIB), "rib.pdf")],
                  selection.applicants[0], MessageSide.APPLICANT, time.now())
    convention = conventions.draft(application, selection.manager, time.now())
    clock("2025-07-02 10:00:00")
    conventions.send(convention, selection.manager, time.now())
    clock("2025-07-04 10:00:00")
    conventions.sign_for_organisation(convention, io.BytesIO(pdf()), "convention signée.pdf", dt.date(2025, 7, 3),
                                      selection.applicants[0], time.now())
    conventions.sign_for_issuer(convention, io.BytesIO(pdf()), "financeur.pdf", dt.date(2025, 7, 4),
                                selection.manager, time.now())
    finance = make_user("finances@pasdecalais.fr", "Fanny Finances", grants=[("finance", {"issuer": ISSUER})])
    advance = convention.tranches[0]
    payments.request(advance, selection.manager, time.now())
    payments.certify(advance, advance.amount_due, finance, time.now())
    payments.pay(advance, commitment_ref="EJ-2025-17", payment_ref="MDT-0042", paid_on=dt.date(2025, 7, 15),
                 paid_amount=advance.amount_due, by=finance, at=time.now())
    clock("2026-07-06 10:00:00")
    final = next(r for r in convention.reports if r.kind == ReportKind.FINAL)
    assert reports.save(final, {"indicator.0": "34", "indicator.1": "12", "quantity.0": "40", "quantity.1": "6",
                                "qualitative": "Les freins rencontrés : la mobilité des ménages."},
                        selection.applicants[0], time.now()) == {}
    reports.add_file(final, "rapport-activite", io.BytesIO(ACTIVITY_REPORT), "rapport.pdf", selection.applicants[0],
                     time.now())
    reports.submit(final, selection.applicants[0], time.now())
    reports.accept(final, selection.manager, time.now())
    db.session.commit()
    selection.finance = finance
    return selection, convention


def download(client, convention: Convention):
    return post_form(client, url(convention), {})


def test_the_zip_holds_every_part_of_the_file_in_numbered_french_folders(client, audited):
    selection, convention = audited
    application = selection.applications[0]
    sign_in_as(client, selection.manager)
    response = download(client, convention)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/zip"
    assert f"dossier-de-controle-{convention.number}.zip" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    assert names[0] == "00-index.pdf"
    number = application.number
    for expected in (f"01-candidature/accuse-reception-{number}-v1.pdf", f"01-candidature/reponses-{number}-v1.pdf",
                     "01-candidature/pieces/statuts/statuts.pdf", "01-candidature/pieces/cerfa-12156/cerfa-12156.pdf",
                     "02-recevabilite/recevabilite.csv", "03-evaluations/evaluations.csv",
                     "04-decision/decision.csv", f"04-decision/decision-{number}.pdf",
                     f"05-convention/{convention.number}-v1.pdf",
                     "05-convention/exemplaires-signes/v1-organisation-convention signée.pdf",
                     "05-convention/exemplaires-signes/v1-financeur-financeur.pdf",
                     "06-bilans/01-bilan-final/bilan.csv", "06-bilans/01-bilan-final/rapport-activite-rapport.pdf",
                     "07-paiements/echeancier.csv", "08-messages/messages.txt", "08-messages/pieces-jointes/1-rib.pdf"):
        assert expected in names, (expected, names)
    assert all(name.split("/")[0] in {"00-index.pdf", "01-candidature", "02-recevabilite", "03-evaluations",
                                      "04-decision", "05-convention", "06-bilans", "07-paiements", "08-messages"}
               for name in names)
    # The files are the stored ones, byte for byte.
    assert archive.read("08-messages/pieces-jointes/1-rib.pdf") == RIB
    assert archive.read("06-bilans/01-bilan-final/rapport-activite-rapport.pdf") == ACTIVITY_REPORT
    assert archive.read(f"04-decision/decision-{number}.pdf").startswith(b"%PDF")
    assert "Association Alpha" in text_of(archive.read(f"04-decision/decision-{number}.pdf"))

    schedule = list(csv.reader(io.StringIO(archive.read("07-paiements/echeancier.csv").decode("utf-8-sig")),
                               delimiter=";"))
    advance = dict(zip(schedule[0], schedule[1], strict=True))
    assert advance["Tranche"] == "Avance" and advance["État"] == "Payée"
    assert (advance["Montant payé (€)"], advance["Numéro d'engagement"], advance["Numéro de mandat"],
            advance["Payée le"]) == ("7200.30", "EJ-2025-17", "MDT-0042", "2025-07-15")
    scores = list(csv.reader(io.StringIO(archive.read("03-evaluations/evaluations.csv").decode("utf-8-sig")),
                             delimiter=";"))
    assert len(scores) == 2 and scores[1][:3] == [number, "Association Alpha", "Évaluateur 1"]
    assert "Accompagnement solide." in scores[1] and "Projet bien ancré." in scores[1]
    report = archive.read("06-bilans/01-bilan-final/bilan.csv").decode("utf-8-sig")
    assert "Nombre de ménages accompagnés;34" in report and "la mobilité des ménages" in report
    assert "Accepté" in report
    thread = archive.read("08-messages/messages.txt").decode()
    assert "Voici notre RIB pour le versement." in thread and "1-rib.pdf" in thread


def test_the_index_names_every_file_with_its_sha256_and_the_audit_trail(client, audited):
    selection, convention = audited
    sign_in_as(client, selection.manager)
    archive = zipfile.ZipFile(io.BytesIO(download(client, convention).get_data()))
    index = text_of(archive.read("00-index.pdf"))
    application = selection.applications[0]
    for fact in ("Dossier de contrôle", convention.number, application.number, "Association Alpha", "W621000001",
                 "Département du Pas-de-Calais", selection.call.title):
        assert fact in index, fact
    others = [name for name in archive.namelist() if name != "00-index.pdf"]
    assert len(others) >= 16
    for name in others:
        assert name.rsplit("/", 1)[-1] in index, name
        assert hashlib.sha256(archive.read(name)).hexdigest() in index, name
    # The audit trail of the application and of the convention, dated in Paris time, in French.
    for label in ("Dépôt", "Convention préparée", "Signée par l'organisation", "Paiement enregistré",
                  "Bilan accepté", "gestion@pasdecalais.fr", "finances@pasdecalais.fr"):
        assert label in index, label
    assert "4 juillet 2025" in index


def test_each_download_is_audited_with_its_file_count(client, audited):
    selection, convention = audited
    sign_in_as(client, selection.manager)
    archive = zipfile.ZipFile(io.BytesIO(download(client, convention).get_data()))
    db.session.expire_all()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "followup.bundle"))
    assert event is not None and event.actor_id == selection.manager.id
    assert event.target == f"convention:{convention.id}"
    assert event.details["files"] == len(archive.namelist())


def test_the_convention_page_offers_the_download_as_a_form(client, audited):
    selection, convention = audited
    sign_in_as(client, selection.manager)
    page = client.get(f"/gestion/suivi/conventions/{convention.id}").get_data(as_text=True)
    assert "Télécharger le dossier de contrôle (ZIP)" in page and f'action="{url(convention)}"' in page
    assert client.get(url(convention)).status_code == 405  # a GET never writes: the download is audited


def test_finance_gets_the_follow_up_only(client, audited):
    selection, convention = audited
    sign_in_as(client, selection.finance)
    response = download(client, convention)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    folders = {name.split("/")[0] for name in archive.namelist()}
    assert folders == {"00-index.pdf", "05-convention", "06-bilans", "07-paiements"}
    assert "réservée aux gestionnaires de l'appel" in text_of(archive.read("00-index.pdf"))


@pytest.mark.parametrize("who", ["applicant", "other issuer", "conflicted manager", "reviewer"])
def test_anyone_else_finds_nothing(client, audited, make_user, who):
    selection, convention = audited
    person = {"applicant": lambda: selection.applicants[0], "reviewer": lambda: selection.reviewers[0],
              "other issuer": lambda: make_user("gestion@nord.fr", "Gestion Nord",
                                                grants=[("manager", {"issuer": "Département du Nord"})])}.get(who)
    if who == "conflicted manager":
        person = make_user("collegue@pasdecalais.fr", "Camille Collègue", grants=[("manager", {"issuer": ISSUER})])
        db.session.add(Conflict(application_id=selection.applications[0].id, email=person.email, user_id=person.id,
                                kind="personal", declared_by_role="manager", reason="Proche de la présidente",
                                declared_by_id=selection.manager.id, declared_at=time.now(),
                                confirmed_by_id=selection.manager.id, confirmed_at=time.now()))
        db.session.commit()
    else:
        person = person()
    sign_in_as(client, person)
    assert download(client, convention).status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "followup.bundle")) is None


def test_finance_in_conflict_finds_nothing(client, audited):
    selection, convention = audited
    db.session.add(Conflict(application_id=selection.applications[0].id, email=selection.finance.email,
                            user_id=selection.finance.id, kind="personal", declared_by_role="manager",
                            reason="Trésorière de l'association", declared_by_id=selection.manager.id,
                            declared_at=time.now(), confirmed_by_id=selection.manager.id, confirmed_at=time.now()))
    db.session.commit()
    sign_in_as(client, selection.finance)
    assert download(client, convention).status_code == 404



def test_a_file_the_virus_scanner_blocks_is_named_in_the_index_not_joined(client, audited):
    selection, convention = audited
    attachment = messages.thread(selection.applications[0])[0].attachments[0]
    db.session.execute(update(MessageAttachment).where(MessageAttachment.id == attachment.id)
                       .values(scan_status="infected"))
    db.session.commit()
    sign_in_as(client, selection.manager)
    archive = zipfile.ZipFile(io.BytesIO(download(client, convention).get_data()))
    assert "08-messages/pieces-jointes/1-rib.pdf" not in archive.namelist()
    assert "08-messages/messages.txt" in archive.namelist()
    assert "« 1-rib.pdf » n'est pas jointe" in text_of(archive.read("00-index.pdf"))
