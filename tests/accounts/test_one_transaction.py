"""A use case is one transaction, committed by the request around it: services only flush, so a request that fails
or is refused after them leaves nothing — no organisation, no membership, no invitation, no e-mail in the outbox —
and a refusal that must count (a failed sign-in) or a link followed from a mail still keeps its writes."""

import io

import pytest
from sqlalchemy import func, select

from portal.accounts import organisations, vault
from portal.accounts.models import Invitation, Membership, Organisation, User, VaultDocument
from portal.accounts.views import organisations as organisation_views
from portal.core import audit, mail
from portal.core.errors import Refusal
from portal.core.storage import storage
from portal.extensions import db
from tests.accounts.test_isolation import PDF
from tests.conftest import PASSWORD, Mailbox, post_form

IDENTITY = {"legal_name": "Association Toit Commun", "legal_form": "association", "rna": "W751515517",
            "address": "3 rue des Lilas", "postcode": "62000", "city": "Arras", "representative_name": "Jeanne Leroy",
            "representative_role": "Présidente"}


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def logged(action: str) -> bool:
    return any(event.action == action for event in audit.recent(action_prefix=action))


@pytest.fixture
def claire(client, make_user, sign_in):
    person = make_user()
    sign_in(client, person.email)
    return person


def test_a_service_alone_commits_nothing(app, make_user):
    claire = make_user()
    organisations.create_organisation(organisations.Identity(**IDENTITY), by=claire)
    db.session.rollback()  # what the request does when something after the use case fails
    assert count(Organisation) == 0 and count(Membership) == 0 and not logged("organisation.create")


def test_creating_an_organisation_in_a_request_that_then_fails_leaves_no_organisation_and_no_membership(
        app, client, claire, monkeypatch):
    def broken_step(*_arguments, **_keywords):
        raise RuntimeError("the step after the use case fails")

    monkeypatch.setattr(organisation_views, "flash", broken_step)  # after create_organisation flushed its rows
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answered as in production: a 500 page
    response = post_form(client, "/organisations/nouvelle", IDENTITY)
    assert response.status_code == 500
    assert count(Organisation) == 0 and count(Membership) == 0 and not logged("organisation.create")


def test_an_invitation_mail_queued_by_a_refused_request_is_neither_stored_nor_sent(
        app, client, claire, make_organisation, monkeypatch, mailbox: Mailbox):
    organisation = make_organisation(claire)
    outbox_before = count(mail.OutboxMessage)

    def refused_after_the_use_case(*_arguments, **_keywords):
        raise Refusal("Refusé après l'invitation.")

    monkeypatch.setattr(organisation_views, "flash", refused_after_the_use_case)
    page = f"/organisations/{organisation.id}/"
    response = post_form(client, f"{page}membres/inviter", {"email": "dan@asso.fr"}, form_page=page,
                         headers={"Referer": f"http://localhost{page}"})
    assert response.status_code == 303
    assert count(Invitation) == 0 and count(mail.OutboxMessage) == outbox_before
    assert all(message["To"] != "dan@asso.fr" for message in mailbox.deliver())


def test_a_failed_sign_in_is_refused_yet_kept_in_the_audit_log(client, make_user, sign_in):
    claire = make_user()
    response = post_form(client, "/compte/connexion", {"email": claire.email, "password": PASSWORD + " faux"})
    assert response.status_code == 400
    db.session.expire_all()
    assert logged("account.sign_in_failed")


def test_the_confirmation_link_a_mail_client_follows_with_a_get_confirms_the_address(client, mailbox: Mailbox):
    post_form(client, "/compte/inscription", {"email": "nadia@asso.fr", "name": "Nadia", "password": PASSWORD,
                                              "confirm": PASSWORD})
    link = Mailbox.link_in(mailbox.deliver()[-1], "/compte/confirmer/")
    assert client.get(link).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "nadia@asso.fr")).confirmed_at is not None


def test_a_vault_document_removed_by_a_request_that_fails_keeps_its_file(app, client, claire, make_organisation,
                                                                          monkeypatch):
    organisation = make_organisation(claire)
    document = vault.add_document(organisation, claire, io.BytesIO(PDF), "statuts.pdf", kind="statuts",
                                  label="Statuts")
    db.session.commit()
    key, page = document.storage_key, f"/organisations/{organisation.id}/"

    def broken_step(*_arguments, **_keywords):
        raise RuntimeError("the step after the use case fails")

    monkeypatch.setattr(organisation_views, "flash", broken_step)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    assert post_form(client, f"{page}coffre/{document.id}/supprimer", {}, form_page=page).status_code == 500
    assert count(VaultDocument) == 1 and stored(key)

    monkeypatch.undo()
    assert post_form(client, f"{page}coffre/{document.id}/supprimer", {}, form_page=page).status_code == 302
    assert count(VaultDocument) == 0 and not stored(key)  # removed once the removal committed


def stored(key: str) -> bool:
    try:
        storage().open(key).close()
    except FileNotFoundError:
        return False
    return True
