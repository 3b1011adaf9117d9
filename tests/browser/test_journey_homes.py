"""Issue 15's homes in a real browser, for an association member and an administrator. Claire signs in and lands on
« Mes candidatures »: her draft's deadline counted down and what is missing, each linked; she follows the link of a
missing piece to the place where she uploads it. Alice, the administrator, signs in and lands on « État de
l'instance » with the outbox's figures. Both pages pass axe-core."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from portal.applications import drafts
from portal.core.mail import OutboxMessage
from portal.core.time import now
from portal.extensions import db
from tests.applications import conftest as applications
from tests.browser.test_journey_selection import heading, sign_in

open_call, applicant = applications.open_call, applications.applicant  # the applications tests' fixtures


def test_the_member_lands_on_her_applications_sees_the_countdown_and_fixes_a_missing_piece(
        page, checked, open_call, applicant, clock):
    claire, _, organisation = applicant
    drafts.start(open_call.windows[0], organisation, claire, now())
    db.session.commit()  # the portal's server thread reads what is committed
    clock("2025-05-06 18:00:00")  # Tuesday; the call closes on Friday 9 May at 23:59, Paris time
    sign_in(page, checked, claire.email)
    heading(page, "Mes candidatures")
    expect(page.locator("li.application time").first).to_have_text("Clôture dans 3 jours — le 9 mai 2025 à 23 h 59")
    expect(page.get_by_text(re.compile(r"^\d+ points à compléter avant de déposer"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^2 pièces manquantes"))).to_be_visible()
    checked(page, "mes candidatures", screenshot=True)

    page.get_by_role("link", name="Statuts de l'association", exact=True).click()
    expect(page).to_have_url(re.compile(r"/pieces#doc-statuts$"))
    heading(page, re.compile(r"^Pièces justificatives"))
    expect(page.locator("#doc-statuts")).to_be_visible()


def test_the_administrator_lands_on_the_state_of_the_instance(page, checked, make_user, clock):
    moment = clock("2025-05-10 12:00:00")
    make_user("admin@portail.fr", "Alice Admin", grants=[("admin", {})])
    for hours, attempts in ((5, 0), (1, 3)):
        db.session.add(OutboxMessage(recipient="claire@asso-logement.fr", subject="Accusé de réception", body="…",
                                     created_at=moment - dt.timedelta(hours=hours), attempts=attempts,
                                     last_error="connexion refusée" if attempts else None))
    db.session.commit()
    sign_in(page, checked, "admin@portail.fr")
    heading(page, "État de l'instance")
    courriels = page.get_by_role("region", name="Courriels")
    expect(courriels).to_contain_text("2 courriels en attente, le plus ancien depuis 5 h")
    expect(courriels).to_contain_text("dont 1 en échec")
    expect(page.get_by_role("region", name="Dernière sauvegarde")).to_contain_text("Aucune sauvegarde enregistrée")
    checked(page, "etat de l'instance", screenshot=True)
    courriels.get_by_role("link", name="Voir les courriels en attente").click()
    heading(page, "Courriels (file d'envoi)")
    expect(page.get_by_text("2 courriels en attente d'envoi")).to_be_visible()
    checked(page, "courriels en attente")
