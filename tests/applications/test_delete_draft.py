"""A draft never deposited can be deleted by a member of its organisation, after a confirmation page that works
without JavaScript: its files are left to the store's garbage collector, its partners' invitations lapse, the audit
log keeps the deletion, and « Candidater » starts a new draft. « Se désister » is for deposited applications only."""

import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from portal.applications.models import Application, ApplicationFile, Partner
from portal.core import storage_gc
from portal.core.audit import AuditEvent
from portal.extensions import db
from tests.applications.conftest import deposit, get_application, ready, start, upload
from tests.applications.test_deposit import sign_in_as
from tests.applications.test_partners import PARTNER_EMAIL, grouped_call, invite  # noqa: F401 (fixture)
from tests.conftest import post_form
from tests.fakes.samples import pdf


def visible(response) -> str:
    text = re.sub(r"<script.*?</script>|<[^>]+>", " ", response.get_data(as_text=True), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(text).replace("\u202f", " ").replace("\xa0", " "))


@pytest.fixture
def draft(client, open_call, applicant):
    claire, _, organisation = applicant
    sign_in_as(client, claire)
    return start(client, open_call, organisation)


def test_only_a_draft_never_deposited_offers_deletion_and_only_a_deposited_one_withdrawal(client, draft):
    page = visible(client.get(draft))
    assert "Supprimer ce brouillon" in page and "Se désister" not in page
    ready(client, draft)
    deposit(client, draft)
    page = visible(client.get(draft))
    assert "Supprimer ce brouillon" not in page and "Se désister" in page


def test_a_draft_is_deleted_with_its_files_and_invitations_and_a_new_one_can_be_started(
        client, app, grouped_call, applicant, mailbox):  # noqa: F811
    claire, paul, organisation = applicant
    sign_in_as(client, claire)
    url = start(client, grouped_call, organisation)
    upload(client, url, "statuts", pdf() + b"% statuts\n", "statuts.pdf")
    invite(client, url)
    [stored] = [f.storage_key for f in get_application(url).current_files]
    token_link = mailbox.link_in(mailbox.deliver()[-1], "/partenariat/")
    application_id = get_application(url).id

    # Paul, a colleague, follows « Supprimer ce brouillon » to a confirmation page, then confirms.
    colleague = app.test_client()
    sign_in_as(colleague, paul)
    confirm = colleague.get(f"{url}supprimer")
    assert confirm.status_code == 200
    page = visible(confirm)
    assert "Supprimer ce brouillon ?" in page and "statuts.pdf" in page and "Centre social d'Arras" in page
    assert 'name="csrf_token"' in confirm.get_data(as_text=True)
    assert colleague.post(f"{url}supprimer").status_code == 400  # no CSRF token: refused
    response = post_form(colleague, f"{url}supprimer", {}, form_page=f"{url}supprimer")
    assert response.status_code == 302 and response.headers["Location"].endswith("/candidatures/")
    mine = visible(colleague.get(response.headers["Location"]))
    assert "Le brouillon de candidature à « Équipes mobiles de prévention des expulsions » est supprimé." in mine

    assert db.session.get(Application, application_id) is None
    assert db.session.scalars(select(ApplicationFile)).all() == []
    assert db.session.scalars(select(Partner)).all() == []
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.delete")).all()
    assert event.target == f"application:{application_id}" and event.details["files"] == ["statuts.pdf"]
    garbage = storage_gc.find(grace=dt.timedelta(0), force=True)  # no other file in this test's database
    assert stored in {entry.key for entry in garbage.entries}  # left to `portal storage gc`
    assert client.get(url).status_code == 404
    assert client.get(token_link).status_code == 404  # the partner's invitation lapsed with the draft

    again = start(client, grouped_call, organisation)
    assert again != url and get_application(again).status == "draft"


def test_someone_outside_the_organisation_gets_a_404(client, app, draft, make_user, make_organisation):
    bob = make_user("bob@autre-asso.fr", "Bob")
    make_organisation(bob, "Autre association", rna="W621000002")
    other = app.test_client()
    sign_in_as(other, bob)
    assert other.get(f"{draft}supprimer").status_code == 404
    assert post_form(other, f"{draft}supprimer", {}, form_page="/compte/connexion").status_code == 404
    assert get_application(draft) is not None


def test_a_deposited_application_cannot_be_deleted(client, draft):
    ready(client, draft)
    deposit(client, draft)
    assert client.get(f"{draft}supprimer").status_code == 403
    response = post_form(client, f"{draft}supprimer", {}, form_page=draft)
    assert response.status_code == 403
    assert "Une candidature déposée ne se supprime pas" in visible(response)
    assert get_application(draft).status == "submitted"
