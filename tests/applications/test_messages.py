"""« Messagerie »: an application's thread between the applying organisation and the call's service, from the first
draft on. Messages are dated and signed, attachments checked like every upload, the other side e-mailed a link (never
the content), unread messages counted on both sides, nothing ever edited or deleted; a reviewer reads only what a
manager shared; a manager in conflict sees nothing; the thread goes into the ZIP, the personal-data export and the
backups."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile

import pytest
from sqlalchemy import select

from portal.accounts.models import Membership
from portal.applications import drafts, messages
from portal.applications.models import Message, MessageAttachment, MessageRead
from portal.applications.states import MessageSide
from portal.core import audit, time
from portal.core.mail import OutboxMessage
from portal.core.storage import storage
from portal.extensions import db
from tests.conftest import post_form
from tests.fakes.samples import pdf
from tests.reviews.conftest import ISSUER, deposit_application, sign_in_as

BODY = "Bonjour, notre trésorière est absente : pouvons-nous joindre le budget signé la semaine prochaine ?"


@pytest.fixture
def people(make_user, applicant):
    claire, paul, organisation = applicant
    manager = make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])
    colleague = make_user("instruction@pasdecalais.fr", "Igor Instruction", grants=[("manager", {"issuer": ISSUER})])
    return dict(claire=claire, paul=paul, organisation=organisation, manager=manager, colleague=colleague)


@pytest.fixture
def draft(open_call, people):
    application, _ = drafts.start(open_call.windows[0], people["organisation"], people["claire"], time.now())
    db.session.commit()
    return application


@pytest.fixture
def deposited(open_call, people):
    return deposit_application(open_call, people["organisation"], people["claire"])


def write(client, application, body=BODY, files=()):
    data = {"message": body, "attachments": [(io.BytesIO(content), name) for content, name in files]}
    return post_form(client, f"/candidatures/{application.id}/messages", data, content_type="multipart/form-data")


def mails_to(email: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)))


def thread_of(application) -> list[Message]:
    db.session.expire_all()
    return messages.thread(application)


def test_a_member_writes_with_a_pdf_and_the_managers_are_told_without_the_content(app, client, draft, people):
    sign_in_as(client, people["claire"])
    response = write(client, draft, files=[(pdf(), "budget signé.pdf")])
    assert response.status_code == 302 and response.headers["Location"].startswith(
        f"/candidatures/{draft.id}/messages#message-")
    [message] = thread_of(draft)
    assert (message.side, message.author_name, message.body) == (MessageSide.APPLICANT, "Claire Martin", BODY)
    [attachment] = message.attachments
    assert (attachment.original_name, attachment.format) == ("budget signé.pdf", "pdf")
    assert attachment.storage_key != "budget signé.pdf"  # a generated name in the store
    with storage().open(attachment.storage_key) as stored:
        assert stored.read() == pdf()
    for manager in (people["manager"], people["colleague"]):
        [mail] = mails_to(manager.email)
        assert BODY not in mail.body and "trésorière" not in mail.body
        assert f"/candidatures/{draft.id}/messages" in mail.body and "Association Logement Solidaire" in mail.body
    assert not mails_to(people["claire"].email) and not mails_to(people["paul"].email)
    assert [e.action for e in audit.for_target(f"application:{draft.id}")][-1] == "application.message"
    page = client.get(f"/candidatures/{draft.id}/messages").get_data(as_text=True)
    assert "Claire Martin" in page and "Organisation candidate" in page and "(heure de Paris)" in page
    assert "budget signé.pdf" in page and "(PDF, " in page and ">nouveau</span>" not in page


def test_an_attachment_whose_content_is_not_accepted_is_refused_beside_the_field(app, client, draft, people):
    sign_in_as(client, people["claire"])
    before = set(storage().keys())
    response = write(client, draft, files=[(pdf(), "ok.pdf"), (b"<html><script>alert(1)</script></html>", "faux.pdf")])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="attachments-error"' in page and "faux.pdf" in page and "n&#39;est pas un format accepté" in page
    assert 'aria-describedby="attachments-hint attachments-error"' in page
    assert BODY in page  # what she typed is still there
    assert thread_of(draft) == [] and set(storage().keys()) == before  # nothing kept, not even ok.pdf
    assert not mails_to(people["manager"].email)


def test_an_empty_or_too_long_message_is_refused_on_its_field(app, client, draft, people):
    sign_in_as(client, people["claire"])
    response = write(client, draft, body="   ")
    assert response.status_code == 422 and 'id="message-error"' in response.get_data(as_text=True)
    assert "Écrivez votre message." in response.get_data(as_text=True)
    response = write(client, draft, body="x" * (messages.MAX_LENGTH + 1))
    assert response.status_code == 422 and "5000 au plus" in response.get_data(as_text=True)
    assert thread_of(draft) == []


def test_unread_messages_are_counted_on_both_sides_until_marked_read(app, client, draft, people, clock):
    claire, paul, manager = people["claire"], people["paul"], people["manager"]
    sign_in_as(client, claire)
    write(client, draft)
    assert messages.unread_count(claire) == 0  # her own message
    assert messages.unread_count(manager) == 1
    assert messages.unread_by_application(manager, [draft.id]) == {draft.id: 1}
    sign_in_as(client, manager)
    page = client.get(f"/candidatures/{draft.id}/messages").get_data(as_text=True)
    assert ">nouveau</span>" in page and "1 message non lu" in page and "Marquer comme lu" in page
    assert messages.unread_count(manager) == 1  # reading the page (a GET) writes nothing
    [message] = thread_of(draft)
    response = post_form(client, f"/candidatures/{draft.id}/messages/lu", {"jusqu_a": str(message.id)})
    assert response.status_code == 303
    assert messages.unread_count(manager) == 0 and messages.unread_count(people["colleague"]) == 1
    clock("2025-04-15 11:00:00")
    response = write(client, draft, body="Oui, jusqu'au 30 avril.")
    assert response.status_code == 302
    assert thread_of(draft)[-1].side == MessageSide.SERVICE
    for member in (claire, paul):
        assert messages.unread_count(member) == 1
        [mail] = mails_to(member.email)
        assert "30 avril" not in mail.body and "le service instructeur" in mail.body
    assert messages.unread_count(manager) == 0  # sending marks the thread read for the sender
    sign_in_as(client, paul)
    assert client.get(f"/candidatures/{draft.id}/messages").status_code == 200
    response = client.post(f"/candidatures/{draft.id}/messages/lu",
                           data={"csrf_token": __import__("tests.conftest").conftest.csrf_token(client)},
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 204
    assert messages.unread_count(paul) == 0 and messages.unread_count(claire) == 1


def test_marking_read_stops_at_the_last_message_shown(app, client, draft, people, clock):
    claire, manager = people["claire"], people["manager"]
    first = messages.send(draft, "Première question", [], claire, MessageSide.APPLICANT, time.now())
    clock("2025-04-15 12:00:00")
    messages.send(draft, "Seconde question", [], claire, MessageSide.APPLICANT, time.now())
    db.session.commit()
    sign_in_as(client, manager)
    post_form(client, f"/candidatures/{draft.id}/messages/lu", {"jusqu_a": str(first.id)})
    assert messages.unread_count(manager) == 1  # the one sent after the page she saw stays unread


def test_a_sent_message_never_changes_nor_goes(app, draft, people):
    message = messages.send(draft, BODY, [(io.BytesIO(pdf()), "a.pdf")], people["claire"], MessageSide.APPLICANT,
                            time.now())
    db.session.commit()
    changes = {"body": lambda m: setattr(m, "body", "Corrigé"),
               "sent_at": lambda m: setattr(m, "sent_at", time.now() + dt.timedelta(hours=1)),
               "side": lambda m: setattr(m, "side", MessageSide.SERVICE),
               "author": lambda m: setattr(m, "author_id", people["paul"].id),
               "attachment": lambda m: setattr(m.attachments[0], "original_name", "autre.pdf"),
               "deletion": db.session.delete, "attachment deletion": lambda m: db.session.delete(m.attachments[0])}
    for what, change in changes.items():
        with pytest.raises(messages.ImmutableMessage, match=".") as refused:
            change(message)
            db.session.flush()
        assert refused, what
        db.session.rollback()
        message = db.session.get(Message, message.id)
    messages.share(message, people["manager"], time.now())  # the one change allowed, by a manager
    db.session.commit()
    assert db.session.get(Message, message.id).shared_by_id == people["manager"].id


def test_a_manager_in_conflict_and_a_partner_get_404_and_no_mail(app, client, draft, people, make_user):
    from portal.reviews.models import Conflict

    conflicted = people["colleague"]
    db.session.add(Conflict(application_id=draft.id, email=conflicted.email, user_id=conflicted.id,
                            kind="professional", declared_by_role="manager", declared_at=time.now()))
    db.session.commit()
    sign_in_as(client, people["claire"])
    write(client, draft)
    assert mails_to(people["manager"].email) and not mails_to(conflicted.email)
    assert messages.unread_count(conflicted) == 0
    sign_in_as(client, conflicted)
    assert client.get(f"/candidatures/{draft.id}/messages").status_code == 404
    assert write(client, draft).status_code == 404
    assert len(thread_of(draft)) == 1


def test_a_reviewer_reads_only_the_messages_a_manager_shared(app, client, deposited, people, make_user, clock):
    from portal.reviews import assignment, conflicts, eligibility, queries, rounds

    claire, manager = people["claire"], people["manager"]
    kept = messages.send(deposited, "Question confidentielle", [(io.BytesIO(pdf()), "privé.pdf")], claire,
                         MessageSide.APPLICANT, time.now())
    shown = messages.send(deposited, "Précision utile au comité", [(io.BytesIO(pdf()), "précision.pdf")], manager,
                          MessageSide.SERVICE, time.now())
    db.session.commit()
    clock("2025-05-12 09:00:00")
    reviewer = make_user("evaluatrice@pasdecalais.fr", "Eva Luatrice",
                         grants=[("reviewer", {"call_id": deposited.call.uuid})])
    checked = {item.key: True for item in eligibility.checklist(deposited)}
    eligibility.record(deposited, "eligible", checked, None, manager, time.now())
    rounds.change_phase(rounds.round_of(deposited.window, time.now()), "review", manager, time.now())
    assignment.assign(deposited, reviewer, manager, time.now())
    conflicts.declare_none(queries.assignment_of(reviewer, deposited), reviewer, time.now())
    db.session.commit()
    sign_in_as(client, manager)
    response = post_form(client, f"/candidatures/messages/{shown.id}/partager", {})
    assert response.status_code == 302
    shared = {m.body: m.shared_at is not None for m in thread_of(deposited)}
    assert shared == {"Question confidentielle": False, "Précision utile au comité": True}
    assert "partagé avec le comité" in client.get(f"/candidatures/{deposited.id}/messages").get_data(as_text=True)
    sign_in_as(client, reviewer)
    page = client.get(f"/evaluation/candidatures/{deposited.id}").get_data(as_text=True)
    assert "Messages partagés par le service" in page and "Précision utile au comité" in page
    assert "Question confidentielle" not in page and "privé.pdf" not in page
    assert client.get(f"/candidatures/messages/pieces/{shown.attachments[0].id}").status_code == 200
    assert client.get(f"/candidatures/messages/pieces/{kept.attachments[0].id}").status_code == 404
    assert client.get(f"/candidatures/{deposited.id}/messages").status_code == 404
    sign_in_as(client, claire)  # a member may not share
    assert post_form(client, f"/candidatures/messages/{kept.id}/partager", {}).status_code == 403
    assert db.session.get(Message, kept.id).shared_at is None


def test_the_application_zip_holds_the_thread_and_its_attachments(app, client, deposited, people):
    messages.send(deposited, BODY, [(io.BytesIO(pdf()), "budget.pdf")], people["claire"], MessageSide.APPLICANT,
                  time.now())
    messages.send(deposited, "Bien reçu.", [], people["manager"], MessageSide.SERVICE, time.now())
    db.session.commit()
    sign_in_as(client, people["manager"])
    response = client.get(f"/gestion/candidatures/{deposited.id}/pieces.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    names = archive.namelist()
    text = archive.read(f"{deposited.number}/messages/messages.txt").decode()
    assert BODY in text and "Bien reçu." in text and "Claire Martin" in text and "Gaëlle Gestion" in text
    assert "(heure de Paris)" in text and "budget.pdf" in text
    assert f"{deposited.number}/messages/1-budget.pdf" in names
    assert archive.read(f"{deposited.number}/messages/1-budget.pdf") == pdf()


def test_the_personal_data_export_holds_the_messages_she_wrote(app, client, draft, people):
    messages.send(draft, BODY, [], people["claire"], MessageSide.APPLICANT, time.now())
    messages.send(draft, "Réponse du service", [], people["manager"], MessageSide.SERVICE, time.now())
    db.session.commit()
    from portal.accounts import personal

    exported = json.loads(json.dumps(personal.export(people["claire"])))
    assert [m["message"] for m in exported["messages"]] == [BODY]
    assert exported["messages"][0]["au_nom_de"] == "Organisation candidate"


def test_the_storage_gc_keeps_a_message_attachment(app, draft, people):
    from portal.core import storage_gc

    message = messages.send(draft, BODY, [(io.BytesIO(pdf()), "a.pdf")], people["claire"], MessageSide.APPLICANT,
                            time.now())
    db.session.commit()
    orphan = storage().save(io.BytesIO(b"orphan"), 100).key
    garbage = storage_gc.find(grace=dt.timedelta(0))
    found = {entry.key for entry in garbage.entries}
    assert orphan in found and message.attachments[0].storage_key not in found
    assert message.attachments[0].storage_key in storage_gc.referenced_files(db.session.connection())


def test_marking_an_empty_thread_read_writes_nothing(app, client, draft, people):
    sign_in_as(client, people["manager"])
    post_form(client, f"/candidatures/{draft.id}/messages/lu", {})
    assert db.session.scalar(select(MessageRead).where(MessageRead.application_id == draft.id)) is None


def test_the_counts_take_the_same_statements_for_one_thread_or_many(app, client, open_call, people, make_user,
                                                                   make_organisation, count_queries):
    manager = people["manager"]
    window = open_call.windows[0].id
    applications = []

    def counted() -> int:
        db.session.expire_all()
        ids = [a.id for a in applications]
        assert manager.grants and manager.email  # the person is loaded before, as the request's user is
        with count_queries() as sent:
            assert messages.unread_count(manager) == sum(range(1, len(ids) + 1))
            assert messages.unread_by_application(manager, ids) == {a: n for n, a in enumerate(ids, start=1)}
            assert messages.unanswered_by_window([window], manager) == {window: len(ids)}
        return sent.count

    for index in range(4):
        person = make_user(f"membre{index}@asso{index}.fr", f"Membre {index}")
        organisation = make_organisation(person, f"Association {index}", rna=f"W62100001{index}")
        application, _ = drafts.start(open_call.windows[0], organisation, person, time.now())
        for _ in range(index + 1):
            messages.send(application, "Question", [(io.BytesIO(pdf()), "q.pdf")], person, MessageSide.APPLICANT,
                          time.now())
        applications.append(application)
        db.session.commit()
        if index == 0:
            one = counted()
    # One statement each, plus what the reviews' conflict rule reads of her first (its own small query per call).
    assert counted() == one <= 6
    sign_in_as(client, manager)
    with count_queries() as small:
        client.get(f"/candidatures/{applications[0].id}/messages")
    with count_queries() as large:
        client.get(f"/candidatures/{applications[3].id}/messages")
    assert large.count == small.count


def test_a_membership_lost_closes_the_thread(app, client, draft, people):
    messages.send(draft, BODY, [], people["claire"], MessageSide.APPLICANT, time.now())
    db.session.commit()
    paul = people["paul"]
    db.session.delete(db.session.scalar(select(Membership).where(Membership.user_id == paul.id)))
    db.session.commit()
    sign_in_as(client, paul)
    assert client.get(f"/candidatures/{draft.id}/messages").status_code == 404
    assert client.get(f"/candidatures/messages/pieces/{uuid.uuid4()}").status_code == 404
    assert db.session.scalar(select(MessageAttachment).limit(1)) is None


def test_both_sides_find_the_thread_and_its_unread_count_from_their_pages(app, client, deposited, people, clock):
    claire, manager = people["claire"], people["manager"]
    messages.send(deposited, BODY, [], claire, MessageSide.APPLICANT, time.now())
    db.session.commit()
    sign_in_as(client, manager)
    listed = client.get(f"/gestion/appels/{deposited.call.slug}/candidatures").get_data(as_text=True)
    assert f'href="/candidatures/{deposited.id}/messages"' in listed and "1 non lu" in listed
    shown = client.get(f"/gestion/candidatures/{deposited.id}").get_data(as_text=True)
    assert "Messagerie avec l'organisation" in shown and "1 message non lu" in shown
    assert "Message envoyé" in shown and "application.message" not in shown  # the history reads in French
    clock("2025-04-15 11:00:00")
    messages.send(deposited, "Réponse", [], manager, MessageSide.SERVICE, time.now())
    messages.send(deposited, "Précision", [], manager, MessageSide.SERVICE, time.now())
    db.session.commit()
    assert "1 non lu" not in client.get(f"/gestion/appels/{deposited.call.slug}/candidatures").get_data(as_text=True)
    sign_in_as(client, claire)
    page = client.get(f"/candidatures/{deposited.id}/").get_data(as_text=True)
    assert f'href="/candidatures/{deposited.id}/messages"' in page and "2 nouveaux messages" in page


@pytest.mark.real_commits  # a backup reads the database through connections of its own
def test_a_backup_holds_the_messages_and_their_attachments(app, draft, people, tmp_path):
    from portal.core import backup

    message = messages.send(draft, BODY, [(io.BytesIO(pdf()), "a.pdf")], people["claire"], MessageSide.APPLICANT,
                            time.now())
    db.session.commit()
    key = message.attachments[0].storage_key
    report = backup.backup(tmp_path / "sauvegarde")
    assert not report.problems
    assert key in json.dumps(backup.read_manifest(tmp_path / "sauvegarde"))
    assert backup.verify(tmp_path / "sauvegarde") == []


def test_a_draft_with_a_thread_is_kept_and_says_why(app, client, draft, people):
    messages.send(draft, BODY, [], people["claire"], MessageSide.APPLICANT, time.now())
    db.session.commit()
    sign_in_as(client, people["claire"])
    response = post_form(client, f"/candidatures/{draft.id}/supprimer", {},
                         headers={"Referer": f"http://localhost/candidatures/{draft.id}/"})
    assert response.status_code in (302, 303, 409)
    assert len(thread_of(draft)) == 1
    page = client.get(f"/candidatures/{draft.id}/").get_data(as_text=True)
    assert response.status_code == 409 or "déjà suivi par le service instructeur" in page


def test_an_attachment_the_scanner_blocks_is_refused_to_staff_and_left_out_of_the_zip(app, client, deposited,
                                                                                      people):
    from portal.applications.states import ScanStatus

    message = messages.send(deposited, BODY, [(io.BytesIO(pdf()), "douteux.pdf")], people["claire"],
                            MessageSide.APPLICANT, time.now())
    message.attachments[0].scan_status = ScanStatus.FAILED  # the one change a stored attachment admits
    db.session.commit()
    url = f"/candidatures/messages/pieces/{message.attachments[0].id}"
    sign_in_as(client, people["manager"])
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{deposited.id}/messages")
    assert "analyse impossible" in client.get(response.headers["Location"]).get_data(as_text=True)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/gestion/candidatures/{deposited.id}/pieces.zip").get_data()))
    assert f"{deposited.number}/messages/1-douteux.pdf" not in archive.namelist()
    assert "1-douteux.pdf" in archive.read("FICHIERS-NON-INCLUS.txt").decode()
    sign_in_as(client, people["claire"])  # the organisation gets back what it sent
    assert client.get(url).status_code == 200


def test_erasing_a_person_keeps_her_messages_with_the_application_and_drops_her_read_marks(app, draft, people):
    from portal.core import personal_data

    messages.send(draft, BODY, [], people["claire"], MessageSide.APPLICANT, time.now())
    db.session.commit()
    personal_data.erase_all(people["claire"].id, people["claire"].email)
    db.session.commit()
    assert [m.body for m in thread_of(draft)] == [BODY]
    assert db.session.scalar(select(MessageRead).where(MessageRead.user_id == people["claire"].id)) is None
