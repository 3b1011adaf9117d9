"""Conventions: drafted only for a published « retenu », numbered CONV-<year>-NNNN, written from the issuer's
template (or the portal's), refused when a placeholder is unknown; a PDF per version; sent (the organisation is
e-mailed), signed by the organisation with a PDF then by the issuer, in force at the later signature; amended once
in force with what changed; reminded after 15 days unsigned, once per period; every step audited."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.core import mail, time
from portal.core.audit import AuditEvent
from portal.core.errors import Refusal
from portal.extensions import db
from portal.followup import conventions
from portal.followup.models import Convention, ConventionTemplate
from portal.followup.states import ConventionState, VersionKind
from tests.conftest import post_form
from tests.fakes.samples import pdf, png
from tests.followup.conftest import ISSUER, refresh, sign_in_as
from tests.reviews.test_decisions import deliberate, text_of


def drafted(selection) -> Convention:
    convention = conventions.draft(selection.applications[0], selection.manager, time.now())
    db.session.commit()
    return convention


def sent(selection) -> Convention:
    convention = drafted(selection)
    conventions.send(convention, selection.manager, time.now())
    db.session.commit()
    return convention


def in_force(selection) -> Convention:
    convention = sent(selection)
    conventions.sign_for_organisation(convention, io.BytesIO(pdf()), "signee.pdf", dt.date(2025, 7, 3),
                                      selection.applicants[0], time.now())
    conventions.sign_for_issuer(convention, io.BytesIO(pdf()), "financeur.pdf", dt.date(2025, 7, 4),
                                selection.manager, time.now())
    db.session.commit()
    return convention


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("followup.%"))
                                   .order_by(AuditEvent.id)))


def test_a_convention_is_drafted_only_for_a_published_selected_decision(selection, clock):
    deliberate(selection)
    from tests.reviews.test_decisions import decide_all

    decide_all(selection)
    with pytest.raises(Refusal, match="candidature retenue"):  # decided, not yet published
        conventions.draft(selection.applications[0], selection.manager, time.now())
    from portal.reviews import decisions, rounds

    decisions.publish(rounds.round_of(selection.window, time.now()), selection.manager, time.now())
    db.session.commit()
    with pytest.raises(Refusal, match="candidature retenue"):  # refused
        conventions.draft(selection.applications[1], selection.manager, time.now())
    convention = drafted(selection)
    assert convention.number == "CONV-2025-0001"
    assert convention.amount == Decimal("12000.50") and convention.state == ConventionState.DRAFT
    assert (convention.starts_on, convention.ends_on) == (dt.date(2025, 7, 1), dt.date(2026, 6, 30))
    assert [(v.number, v.kind) for v in convention.versions] == [(1, VersionKind.INITIAL)]
    with pytest.raises(Refusal, match="déjà préparée : CONV-2025-0001"):
        conventions.draft(selection.applications[0], selection.manager, time.now())
    assert actions() == ["followup.convention_draft", "followup.report_calendar"]


def test_the_default_template_says_what_the_call_and_the_decision_say(laureate):
    text = re.sub(r"\s+", " ", drafted(laureate).versions[0].text)
    assert "Département du Pas-de-Calais" in text and "Association Alpha" in text
    assert "Marie Exemple" in text
    assert "12 000,50 €" in text
    assert "Avance : 60 % du montant, soit 7 200,30 € (dès signature de la convention)" in text
    assert "Solde (après le bilan final, en fonction du service fait)" in text
    # The unit as the calls write it (« par semaine », docs/calls.md), the cap per household as the balance applies it.
    assert "Coût unitaire « Semaine d'accompagnement » : 55 € par semaine, dans la limite de 8 semaines par ménage" in text
    assert "Nombre de ménages accompagnés" in text and "Un bilan final sera attendu" in text
    assert "Cerfa n°15059" in text and "Respect des objectifs fixés" in text
    assert "1 juillet 2025" in text or "1er juillet 2025" in text
    assert "{{" not in text and "23 000" not in text  # the decree is a note for the staff, not a clause


def test_the_issuers_template_fills_its_placeholders(laureate):
    db.session.add(ConventionTemplate(issuer=ISSUER, text="Convention {{ numero }} avec {{ organisation }} : "
                                      "{{ montant }} pour {{ objet }}.\n\n{{ echeancier }}\n", updated_at=time.now()))
    db.session.commit()
    text = re.sub(r"\s", " ", drafted(laureate).versions[0].text)
    assert text.startswith("Convention CONV-2025-0001 avec Association Alpha : 12 000,50")
    assert "candidature n° " + laureate.applications[0].number in text and "- Avance : 60 %" in text


@pytest.mark.parametrize("template, message", [
    ("Bonjour {{ president }} et {{ organisation }}", r"champs inconnus : \{\{ president \}\}"),
    ("{{ organisation.__class__.__mro__ }}", "expression que le portail ne calcule pas"),
    ("{{ organisation ", "illisible à la ligne 1"),
    ("{{ organisation|inconnu }}", "expression que le portail ne calcule pas"),
])
def test_an_unknown_placeholder_or_an_expression_is_refused_in_french(laureate, template, message):
    db.session.add(ConventionTemplate(issuer=ISSUER, text=template, updated_at=time.now()))
    db.session.commit()
    with pytest.raises(Refusal, match=message):
        conventions.draft(laureate.applications[0], laureate.manager, time.now())
    with pytest.raises(Refusal, match=message):
        conventions.save_template(ISSUER, template, laureate.manager, time.now())


def test_the_manager_prepares_it_from_the_application_page_and_downloads_its_pdf(client, laureate):
    application = laureate.applications[0]
    sign_in_as(client, laureate.manager)
    page = client.get(f"/gestion/candidatures/{application.id}").get_data(as_text=True)
    assert "Préparer la convention" in page
    response = post_form(client, f"/gestion/suivi/candidatures/{application.id}/convention", {})
    assert response.status_code == 302
    convention = db.session.scalar(select(Convention))
    assert response.headers["Location"].endswith(f"/gestion/suivi/conventions/{convention.id}")
    shown = client.get(f"/gestion/suivi/conventions/{convention.id}")
    assert shown.status_code == 200 and "En préparation" in shown.get_data(as_text=True)
    assert "no-store" in shown.headers.get("Cache-Control", "")
    listing = client.get(f"/gestion/suivi/{laureate.call.slug}/conventions").get_data(as_text=True)
    assert convention.number in listing and "23 000" in listing
    download = client.get(f"/gestion/suivi/conventions/{convention.id}/versions/1.pdf")
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    words = text_of(download.data)
    assert "CONV-2025-0001" in words and "Association Alpha" in words and "12 000,50" in words
    assert "Conventions" in client.get(f"/gestion/appels/{laureate.call.slug}/candidatures").get_data(as_text=True)
    workspace = client.get("/gestion/").get_data(as_text=True)
    assert f'href="/gestion/suivi/{laureate.call.slug}/conventions"' in workspace


def test_sending_mails_the_organisation_with_a_link(client, laureate):
    convention = drafted(laureate)
    sign_in_as(client, laureate.manager)
    response = post_form(client, f"/gestion/suivi/conventions/{convention.id}/envoyer", {})
    assert response.status_code == 302
    convention = refresh(convention)
    assert convention.state == ConventionState.SENT and convention.sent_at is not None
    messages = [m for m in mail.pending() if m.subject.startswith("Convention")]
    assert [m.recipient for m in messages] == ["presidence@asso1.fr"]
    assert re.search(rf"https?://\S+/candidatures/{laureate.applications[0].id}/convention\s", messages[0].body)
    assert "12 000,50" in re.sub(r"\s+", " ", messages[0].body)
    again = post_form(client, f"/gestion/suivi/conventions/{convention.id}/envoyer", {}, follow_redirects=True)
    assert "déjà été envoyée" in again.get_data(as_text=True)


def test_the_organisation_signs_with_a_pdf_then_the_issuer_and_it_is_in_force(client, laureate, clock):
    convention = sent(laureate)
    application = laureate.applications[0]
    clock("2025-07-10 10:00:00")
    sign_in_as(client, laureate.applicants[0])
    assert "Lire et signer la convention" in client.get(f"/candidatures/{application.id}/").get_data(as_text=True)
    page = client.get(f"/candidatures/{application.id}/convention")
    assert page.status_code == 200 and "Déposer l'exemplaire signé" in page.get_data(as_text=True)
    url = f"/candidatures/{application.id}/convention/signature"
    refused = post_form(client, url, {"signed_on": "2025-07-08", "file": (io.BytesIO(png()), "signee.pdf")},
                        content_type="multipart/form-data")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="file-error"' in body
    assert refresh(convention).state == ConventionState.SENT
    future = post_form(client, url, {"signed_on": "2025-07-11", "file": (io.BytesIO(pdf()), "signee.pdf")},
                       content_type="multipart/form-data")
    assert future.status_code == 422 and "dans le futur" in future.get_data(as_text=True)
    done = post_form(client, url, {"signed_on": "2025-07-08", "file": (io.BytesIO(pdf()), "signee.pdf")},
                     content_type="multipart/form-data")
    assert done.status_code == 302
    convention = refresh(convention)
    assert convention.state == ConventionState.SIGNED_BY_ORGANISATION
    assert convention.organisation_signed_on == dt.date(2025, 7, 8)
    copy = convention.versions[0].signed_copies[0]
    assert client.get(f"/candidatures/{application.id}/convention/exemplaires/{copy.id}").status_code == 200

    sign_in_as(client, laureate.manager)
    signed = post_form(client, f"/gestion/suivi/conventions/{convention.id}/signature",
                       {"signed_on": "2025-07-09", "file": (io.BytesIO(pdf()), "financeur.pdf")},
                       content_type="multipart/form-data")
    assert signed.status_code == 302
    convention = refresh(convention)
    assert convention.state == ConventionState.IN_FORCE
    assert (convention.issuer_signed_on, convention.in_force_on) == (dt.date(2025, 7, 9), dt.date(2025, 7, 9))
    assert len(convention.versions[0].signed_copies) == 2
    assert actions() == ["followup.convention_draft", "followup.report_calendar", "followup.convention_send",
                         "followup.convention_sign_organisation", "followup.convention_sign_issuer",
                         "followup.convention_in_force"]


def test_the_issuer_signs_only_after_the_organisation(laureate):
    convention = sent(laureate)
    with pytest.raises(Refusal, match="après l'organisation"):
        conventions.sign_for_issuer(convention, io.BytesIO(pdf()), "f.pdf", time.today_paris(), laureate.manager,
                                    time.now())


def test_an_amendment_is_a_new_version_with_what_changed_only_once_in_force(client, laureate, clock):
    clock("2025-07-05 10:00:00")
    convention = sent(laureate)
    with pytest.raises(Refusal, match="convention en vigueur"):
        conventions.amend(convention, laureate.manager, time.now(), amount=Decimal("13000"))
    conventions.sign_for_organisation(convention, io.BytesIO(pdf()), "s.pdf", dt.date(2025, 7, 5),
                                      laureate.applicants[0], time.now())
    conventions.sign_for_issuer(convention, io.BytesIO(pdf()), "f.pdf", dt.date(2025, 7, 5), laureate.manager,
                                time.now())
    db.session.commit()
    sign_in_as(client, laureate.manager)
    url = f"/gestion/suivi/conventions/{convention.id}/avenant"
    nothing = post_form(client, url, {"amount": "", "starts_on": "", "ends_on": "", "text": "", "reason": ""},
                        follow_redirects=True)
    assert "ne change rien" in nothing.get_data(as_text=True)
    response = post_form(client, url, {"amount": "13 500,00", "starts_on": "", "ends_on": "2026-12-31", "text": "",
                                       "reason": "Prolongation de six mois"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    convention = refresh(convention)
    # Proposed only: the convention binds as signed until both parties sign the amendment (test_amendments.py).
    assert convention.amount == Decimal("12000.50") and convention.ends_on == dt.date(2026, 6, 30)
    version = convention.versions[-1]
    assert (version.number, version.kind, version.amount) == (2, VersionKind.AMENDMENT, Decimal("13500.00"))
    labels = {c["label"]: (c["before"], c["after"]) for c in version.changes}
    assert labels["Date de fin"][1] == "31 décembre 2026"
    assert labels["Montant"][0].replace("\u202f", " ").replace("\xa0", " ") == "12 000,50 €"
    assert labels["Motif"][1] == "Prolongation de six mois"
    page = client.get(f"/gestion/suivi/conventions/{convention.id}").get_data(as_text=True)
    assert "Avenant" in page and "Version 2 (PDF)" in page
    words = text_of(client.get(f"/gestion/suivi/conventions/{convention.id}/versions/2.pdf").data)
    assert "avenant" in words.lower() and "31 décembre 2026" in words
    assert "followup.convention_amend" in actions()


def test_a_reminder_goes_after_15_days_unsigned_once_per_period(laureate, clock):
    clock("2025-06-01 10:00:00")
    convention = sent(laureate)

    def remind(moment: str) -> int:
        count = conventions.remind_unsigned(clock(moment), 15)
        db.session.commit()
        return count

    def reminders() -> int:
        return len([m for m in mail.pending() if m.subject.startswith("Rappel : convention")])

    assert remind("2025-06-10 10:00:00") == 0
    assert remind("2025-06-16 10:00:00") == 1 and reminders() == 1
    assert refresh(convention).reminded_at is not None
    assert remind("2025-06-20 10:00:00") == 0 and reminders() == 1
    assert remind("2025-07-02 10:00:00") == 1 and reminders() == 2
    conventions.sign_for_organisation(refresh(convention), io.BytesIO(pdf()), "s.pdf", dt.date(2025, 7, 2),
                                      laureate.applicants[0], time.now())
    db.session.commit()
    assert remind("2025-08-01 10:00:00") == 0
    assert actions().count("followup.convention_remind") == 2


def test_the_cli_reminds(app, laureate, clock):
    clock("2025-06-01 10:00:00")
    sent(laureate)
    clock("2025-06-20 10:00:00")
    result = app.test_cli_runner().invoke(args=["followup", "remind-conventions"])
    assert "1 convention(s) rappelée(s)" in result.output


def test_numbers_count_per_year(laureate, selection):
    first = drafted(laureate)
    assert first.number == "CONV-2025-0001"
    assert conventions._number(dt.datetime(2025, 12, 1, tzinfo=dt.UTC)) == "CONV-2025-0002"
    assert conventions._number(dt.datetime(2026, 1, 2, tzinfo=dt.UTC)) == "CONV-2026-0001"


def test_nothing_shows_before_publication(client, selection):
    deliberate(selection)
    sign_in_as(client, selection.manager)
    assert "Préparer la convention" not in client.get(
        f"/gestion/candidatures/{selection.applications[0].id}").get_data(as_text=True)


def test_the_issuers_manager_writes_its_template_unknown_fields_refused_at_the_field(client, laureate, make_user):
    sign_in_as(client, laureate.manager)
    listing = client.get(f"/gestion/suivi/{laureate.call.slug}/conventions").get_data(as_text=True)
    assert "Modèle de convention de l'organisme" in listing
    url = "/gestion/suivi/modele-de-convention?emetteur=" + ISSUER
    page = client.get(url)
    assert page.status_code == 200 and "{{ organisation }}" in page.get_data(as_text=True)
    refused = post_form(client, url, {"text": "Avec {{ president }}."})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="text-error"' in body and "champs inconnus" in body
    assert db.session.get(ConventionTemplate, ISSUER) is None
    assert post_form(client, url, {"text": "Avec {{ organisation }} pour {{ montant }}."}).status_code == 302
    assert db.session.get(ConventionTemplate, ISSUER).text == "Avec {{ organisation }} pour {{ montant }}."
    assert "followup.convention_template" in actions()
    assert drafted(laureate).versions[0].text.startswith("Avec Association Alpha pour 12")
    other = make_user("gestion@nord.fr", "Nord", grants=[("manager", {"issuer": "Département du Nord"})])
    sign_in_as(client, other)
    assert client.get(url).status_code == 404
    assert post_form(client, url, {"text": "x"}, form_page="/").status_code == 404


def test_drafting_the_convention_establishes_its_reports_calendar(laureate):
    """The reports the call and the law ask are known from the convention's first day, without a manager's
    « Établir le calendrier » (kept for conventions drafted before it)."""
    convention = drafted(laureate)
    kinds = sorted(str(report.kind) for report in convention.reports)
    assert "final" in kinds and "financial" in kinds
