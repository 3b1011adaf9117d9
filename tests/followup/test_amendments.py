"""An « avenant » binds only once both parties have signed it, like the convention itself: proposed by the
manager, sent to the organisation by e-mail, signed by the organisation then by the issuer; until then the
convention's amount and dates stay those in force, and only one amendment is under signature at a time."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from portal.core import mail, time
from portal.core.errors import Refusal
from portal.extensions import db
from portal.followup import conventions
from portal.followup.states import ConventionState, SignatureSide
from tests.conftest import post_form
from tests.fakes.samples import pdf
from tests.followup.conftest import refresh, sign_in_as
from tests.followup.test_conventions import actions, sent


@pytest.fixture
def amended(laureate, clock):
    clock("2025-07-05 10:00:00")
    convention = sent(laureate)
    conventions.sign_for_organisation(convention, io.BytesIO(pdf()), "signee.pdf", dt.date(2025, 7, 5),
                                      laureate.applicants[0], time.now())
    conventions.sign_for_issuer(convention, io.BytesIO(pdf()), "financeur.pdf", dt.date(2025, 7, 5),
                                laureate.manager, time.now())
    clock("2025-07-10 10:00:00")
    conventions.amend(convention, laureate.manager, time.now(), amount=Decimal("13500"),
                      ends_on=dt.date(2026, 12, 31), reason="Prolongation de six mois")
    db.session.commit()
    return laureate, refresh(convention)


def test_a_proposed_amendment_changes_nothing_until_signed_and_is_mailed_to_the_organisation(amended):
    selection, convention = amended
    assert convention.state == ConventionState.IN_FORCE
    assert convention.amount == Decimal("12000.50") and convention.ends_on == dt.date(2026, 6, 30)
    pending = conventions.pending_amendment(convention)
    assert pending is not None and pending.number == 2 and pending.amount == Decimal("13500.00")
    assert conventions.in_force_version(convention).number == 1
    [message] = [m for m in mail.pending() if "Avenant" in m.subject]
    assert message.recipient == selection.applicants[0].email and convention.number in message.subject
    assert "followup.convention_amend" in actions()


def test_only_one_amendment_is_under_signature_at_a_time(amended):
    selection, convention = amended
    with pytest.raises(Refusal, match="déjà en cours de signature"):
        conventions.amend(convention, selection.manager, time.now(), amount=Decimal("14000"))


def test_the_issuer_signs_the_amendment_only_after_the_organisation(amended):
    selection, convention = amended
    with pytest.raises(Refusal, match="après l'organisation"):
        conventions.sign_for_issuer(convention, io.BytesIO(pdf()), "f.pdf", dt.date(2025, 7, 10),
                                    selection.manager, time.now())


def test_both_signatures_through_the_pages_put_the_amendment_in_force(client, amended):
    selection, convention = amended
    application = selection.applications[0]
    sign_in_as(client, selection.applicants[0])
    mine = f"/candidatures/{application.id}/convention"
    page = client.get(mine).get_data(as_text=True)
    assert "Avenant n° 1 à signer" in page and 'name="signed_on"' in page
    response = post_form(client, f"{mine}/signature", {"signed_on": "2025-07-10",
                                                       "file": (io.BytesIO(pdf()), "avenant signé.pdf")},
                         form_page=mine, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    convention = refresh(convention)
    assert [c.side for c in conventions.pending_amendment(convention).signed_copies] == [SignatureSide.ORGANISATION]
    assert convention.amount == Decimal("12000.50")

    sign_in_as(client, selection.manager)
    staff = f"/gestion/suivi/conventions/{convention.id}"
    assert "Enregistrer la signature de l'avenant" in client.get(staff).get_data(as_text=True)
    response = post_form(client, f"{staff}/signature", {"signed_on": "2025-07-10",
                                                        "file": (io.BytesIO(pdf()), "avenant financeur.pdf")},
                         form_page=staff, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    convention = refresh(convention)
    assert conventions.pending_amendment(convention) is None
    assert conventions.in_force_version(convention).number == 2
    assert convention.amount == Decimal("13500.00") and convention.ends_on == dt.date(2026, 12, 31)
    assert convention.state == ConventionState.IN_FORCE
    assert [a for a in actions() if "amendment" in a] == ["followup.amendment_sign_organisation",
                                                         "followup.amendment_in_force"]
    page = client.get(staff).get_data(as_text=True)
    assert "Texte en vigueur (version 2)" in page
