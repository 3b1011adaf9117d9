"""A file that came by post (« le cachet de la poste faisant foi ») or by e-mail, registered by the call's manager
on the organisation's behalf: numbered and deposited like an online one, marked as registered by the service on
every page, the receipt and the exports; refused with the reason at the field when out of time; one transaction."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.accounts.models import Organisation
from portal.applications.models import Application
from portal.applications.states import ApplicationStatus, Channel, VersionKind
from portal.core import mail
from portal.core.audit import AuditEvent
from portal.core.storage import storage
from portal.extensions import db
from tests.conftest import post_form
from tests.fakes.samples import pdf

ISSUER = "Département du Pas-de-Calais"
AFTER_CLOSING = "2025-05-12 09:00:00"  # the Monday after the 9 May deadline
NEW_ORGANISATION = {"legal_name": "Association Papier Solidaire", "legal_form": "association", "rna": "W622000017",
                    "siret": "", "address": "3 place de la Mairie", "postcode": "62100", "city": "Calais",
                    "representative_name": "Louise Courrier", "representative_role": "Présidente",
                    "email": "contact@papier-solidaire.fr"}


@pytest.fixture
def manager(make_user):
    return make_user("gestion@pasdecalais.fr", "Gaëlle Gestion", grants=[("manager", {"issuer": ISSUER})])


@pytest.fixture
def signed_in_manager(client, manager, sign_in):
    sign_in(client, manager.email)
    return client


def url_of(call) -> str:
    return f"/gestion/appels/{call.slug}/candidatures/enregistrer"


def register(client, call, files: dict | None = None, **overrides):
    data = {"window_id": str(call.windows[0].id), "organisation_id": "", **NEW_ORGANISATION, "channel": "post",
            "received_on": "2025-05-09", "amount_requested": "8 000"}
    data.update(overrides)
    for key, (content, name) in (files if files is not None else {"statuts": (pdf(), "statuts scannés.pdf")}).items():
        data[f"doc_{key.replace('-', '_')}"] = (io.BytesIO(content), name)
    return post_form(client, url_of(call), data, content_type="multipart/form-data")


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def stored_keys() -> set[str]:
    return set(storage().keys())


def test_a_file_received_by_post_is_numbered_deposited_listed_with_its_badge_and_exported(
        signed_in_manager, open_call, manager, clock):
    client = signed_in_manager
    clock(AFTER_CLOSING)
    listing = text_of(client.get(f"/gestion/appels/{open_call.slug}/candidatures"))
    assert "Enregistrer un dossier reçu par courrier ou courriel" in listing and url_of(open_call) in listing

    response = register(client, open_call)
    assert response.status_code == 302, text_of(response)[:3000]
    application = db.session.scalar(select(Application))
    assert response.headers["Location"].endswith(f"/gestion/candidatures/{application.id}")
    assert application.status == ApplicationStatus.SUBMITTED and application.number == "AAP-2025-0001"
    assert application.channel == Channel.POST and str(application.received_on) == "2025-05-09"
    assert application.registered_by_id == manager.id
    version = application.latest_version
    assert version.reason == VersionKind.DEPOSIT and version.submitted_by_id == manager.id
    assert version.submitted_at.isoformat().startswith("2025-05-12T07:00")  # registered now; the postmark counts
    assert [f.name for f in version.files] == ["statuts scannés.pdf"]
    assert version.amount_requested == 8000

    shown = text_of(client.get(response.headers["Location"]))
    assert "Dossier enregistré : AAP-2025-0001" in shown
    assert "Reçu par courrier — cachet du 09/05/2025" in shown
    assert "enregistré par le service le 12 mai 2025" in shown
    listing = text_of(client.get(f"/gestion/appels/{open_call.slug}/candidatures"))
    assert "Reçu par courrier — cachet du 09/05/2025" in listing and "1</strong> déposée(s)" in listing

    exported = list(csv.reader(io.StringIO(client.get(
        f"/gestion/appels/{open_call.slug}/candidatures.csv").get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    header, row = exported[0], exported[1]
    assert row[header.index("Canal de dépôt")] == "Courrier"
    assert row[header.index("Date de réception")] == "09/05/2025"
    assert row[header.index("Montant demandé (€)")].startswith("8")

    # The organisation has no member: the service prints the receipt and posts it.
    assert f"/gestion/candidatures/{application.id}/accuse-de-reception.pdf" in shown
    receipt = client.get(f"/gestion/candidatures/{application.id}/accuse-de-reception.pdf")
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    printed = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.get_data())).pages).split())
    assert ("Dossier reçu par courrier le 9 mai 2025 (cachet de la poste), enregistré par le service le 12 mai 2025"
            in printed)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "application.registered"))
    assert event.actor_id == manager.id and event.target == f"application:{application.id}"
    assert event.details["channel"] == "post" and event.details["received_on"] == "2025-05-09"
    organisation = db.session.get(Organisation, application.organisation_id)
    assert organisation.legal_name == "Association Papier Solidaire" and organisation.memberships == []


def test_a_postmark_after_the_deadline_is_refused_at_its_field_and_leaves_nothing(signed_in_manager, open_call,
                                                                                  clock):
    clock(AFTER_CLOSING)
    before = stored_keys()
    response = register(signed_in_manager, open_call, received_on="2025-05-10")
    page = text_of(response)
    assert response.status_code == 422
    assert ("Le cachet de la poste (10 mai 2025) est postérieur à la date limite du 9 mai 2025 : le dossier est "
            "hors délai.") in page
    assert re.search(r'id="received_on"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="received_on"', page)
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0
    assert stored_keys() == before


def test_an_email_received_after_the_deadline_is_late_too(signed_in_manager, open_call, clock):
    clock(AFTER_CLOSING)
    page = text_of(register(signed_in_manager, open_call, channel="email", received_on="2025-05-11"))
    assert ("La date de réception du courriel (11 mai 2025) est postérieure à la date limite du 9 mai 2025 : le "
            "dossier est hors délai.") in page


def test_a_date_in_the_future_or_before_the_window_opened_is_refused(signed_in_manager, open_call, clock):
    clock(AFTER_CLOSING)
    response = register(signed_in_manager, open_call, received_on="2025-05-13")
    assert response.status_code == 422 and "ne peut pas être dans le futur" in text_of(response)
    response = register(signed_in_manager, open_call, received_on="2025-03-20")
    assert response.status_code == 422 and "avant l'ouverture" in text_of(response)
    response = register(signed_in_manager, open_call, channel="", received_on="")
    page = text_of(response)
    assert "Choisissez comment le dossier est arrivé" in page and "Indiquez la date" in page
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_a_refused_file_leaves_no_organisation_no_application_and_no_stored_file(signed_in_manager, open_call,
                                                                                 clock):
    clock(AFTER_CLOSING)
    before = stored_keys()
    response = register(signed_in_manager, open_call, files={"statuts": (pdf(), "statuts.pdf"),
                                                             "cerfa-12156": (b"not a pdf at all", "cerfa.pdf")})
    assert response.status_code == 422, text_of(response)[:2000]
    assert "cerfa.pdf" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0
    assert stored_keys() == before


def test_a_known_organisation_is_reused_by_its_identifier_and_its_members_get_the_receipt(
        signed_in_manager, open_call, clock, make_user, make_organisation):
    claire = make_user("claire@asso-logement.fr", "Claire Martin")
    known = make_organisation(claire, "Association Logement Solidaire", rna="W622000017")
    clock(AFTER_CLOSING)
    response = register(signed_in_manager, open_call, channel="email", received_on="2025-05-07",
                        legal_name="Asso Logement (nom mal recopié)", rna="W 622 000 017")
    assert response.status_code == 302, text_of(response)[:3000]
    application = db.session.scalar(select(Application))
    assert application.organisation_id == known.id
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 1
    receipt = next(m for m in mail.pending(50) if m.recipient == claire.email)
    assert receipt.subject.startswith("Accusé de réception — candidature AAP-2025-0001")
    assert "Dossier reçu par courriel le 7 mai 2025, enregistré par le service le 12 mai 2025" in receipt.body
    # Registered after closing: the mail must not invite her to change a file she no longer can.
    assert "vous pouvez modifier votre dossier" not in receipt.body

    # Claire sees it on her page, marked as registered by the service.
    from tests.applications.conftest import get_application  # noqa: F401 (the same reads)
    other = signed_in_manager.application.test_client()
    post_form(other, "/compte/connexion", {"email": claire.email, "password": "une phrase de passe solide"})
    page = text_of(other.get(f"/candidatures/{application.id}/"))
    assert "Reçu par courriel le 07/05/2025, enregistré par le service" in page


def test_an_organisation_chosen_from_the_search_is_used_as_it_is(signed_in_manager, open_call, clock, make_user,
                                                                 make_organisation):
    bob = make_user("bob@entraide.fr", "Bob Lefebvre")
    known = make_organisation(bob, "Entraide du Boulonnais", rna="W621000002")
    clock(AFTER_CLOSING)
    found = text_of(signed_in_manager.get(url_of(open_call) + "?recherche=W621000002"))
    assert "Entraide du Boulonnais" in found and str(known.id) in found
    response = register(signed_in_manager, open_call, organisation_id=str(known.id),
                        **{k: "" for k in NEW_ORGANISATION})
    assert response.status_code == 302, text_of(response)[:3000]
    assert db.session.scalar(select(Application)).organisation_id == known.id


def test_a_second_file_of_the_same_organisation_is_refused_with_a_link_to_the_first(signed_in_manager, open_call,
                                                                                    clock):
    clock(AFTER_CLOSING)
    assert register(signed_in_manager, open_call).status_code == 302
    first = db.session.scalar(select(Application))
    response = register(signed_in_manager, open_call, received_on="2025-05-08")
    page = text_of(response)
    assert response.status_code == 422
    assert "a déjà un dossier pour cette fenêtre" in page and f"/gestion/candidatures/{first.id}" in page
    assert 'href="#legal_name"' in page  # the error summary leads to a field the page shows
    assert db.session.scalar(select(func.count()).select_from(Application)) == 1


def test_only_the_calls_managers_may_register(client, open_call, clock, make_user, sign_in):
    clock(AFTER_CLOSING)
    assert client.get(url_of(open_call)).status_code in (302, 401)  # signed out: to the sign-in page
    other = make_user("gestion@nord.fr", "Autre Gestion", grants=[("manager", {"issuer": "Département du Nord"})])
    applicant = make_user("claire@asso.fr", "Claire")
    for person in (other, applicant):
        sign_in(client, person.email)
        assert client.get(url_of(open_call)).status_code == 404
        assert register(client, open_call).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_the_registration_form_is_french_and_labelled(signed_in_manager, open_call, clock):
    clock(AFTER_CLOSING)
    page = text_of(signed_in_manager.get(url_of(open_call)))
    for label in ("Reçu par courrier", "Reçu par courriel", "Date du cachet de la poste ou de réception",
                  "Statuts de l'association", "Demande de subvention (Cerfa n°12156)", "Montant de la subvention demandée",
                  "Forme juridique", "Numéro RNA"):
        assert label in page, label
    for name in ("received_on", "legal_name", "doc_statuts", "doc_cerfa_12156"):
        assert f'for="{name}"' in page, name


def test_the_service_registers_in_one_call_and_screening_judges_the_postmark_not_the_registration(
        open_call, manager, clock):
    """By the service function (as the reviews and the demo call it): registered three days after closing, on time
    by its postmark; the eligibility checklist says so and lists the missing document."""
    import datetime as dt

    from portal.accounts.organisations import Identity
    from portal.applications import registration
    from portal.core import time
    from portal.reviews import eligibility

    clock(AFTER_CLOSING)
    identity = Identity(**{k: v or None for k, v in NEW_ORGANISATION.items()})
    application = registration.register(open_call.windows[0], identity, "post", dt.date(2025, 5, 9),
                                        {"statuts": [(io.BytesIO(pdf()), "statuts.pdf")]}, manager, time.now())
    db.session.commit()
    items = {item.key: item for item in eligibility.checklist(application)}
    assert items["delai"].automatic is True and "Le cachet de la poste : 9 mai 2025" in items["delai"].detail
    assert items["piece-cerfa-12156"].automatic is False  # the paper file came without its Cerfa
    assert registration.marks_of([application.id])[application.id].received_on == dt.date(2025, 5, 9)


def test_the_postmark_date_may_be_typed_the_french_way_and_a_wrong_one_is_refused_in_french(signed_in_manager,
                                                                                             open_call, clock):
    """Where the browser shows no date picker, the manager types the date as it reads on the envelope."""
    clock(AFTER_CLOSING)
    wrong = register(signed_in_manager, open_call, received_on="9 mai")
    assert wrong.status_code == 422
    assert "Indiquez la date du cachet de la poste ou de réception du courriel (JJ/MM/AAAA)." in text_of(wrong)
    response = register(signed_in_manager, open_call, received_on="09/05/2025")
    assert response.status_code == 302, text_of(response)[:2000]
    assert str(db.session.scalar(select(Application)).received_on) == "2025-05-09"


def test_an_organisation_created_by_the_registration_is_joined_by_its_contact_who_administers_it(
        signed_in_manager, open_call, clock, make_user):
    """An organisation the service created has nobody to invite its people: its contact e-mail is invited, and the
    first to join administers it and finds the file on « Mes candidatures »."""
    clock(AFTER_CLOSING)
    assert register(signed_in_manager, open_call).status_code == 302
    [invitation] = [m for m in mail.pending(50) if m.recipient == NEW_ORGANISATION["email"]
                    and m.subject.startswith("Invitation")]
    assert "a enregistré le dossier" in invitation.body and "/compte/invitation/" in invitation.body
    link = re.search(r"https?://[^/\s]+(/compte/invitation/\S+)", invitation.body).group(1)
    louise = make_user(NEW_ORGANISATION["email"], "Louise Courrier")
    person = signed_in_manager.application.test_client()
    post_form(person, "/compte/connexion", {"email": louise.email, "password": "une phrase de passe solide"})
    assert post_form(person, link, {}).status_code == 302
    organisation = db.session.scalar(select(Organisation))
    [membership] = organisation.memberships
    assert membership.user_id == louise.id and membership.role == "admin"
    assert open_call.title in text_of(person.get("/candidatures/"))
