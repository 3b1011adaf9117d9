"""Journey 2 in a real browser: Claire signs up, confirms her address with the link of the e-mail received by the
test SMTP server, signs in, creates her association with its RNA number and invites Paul, her colleague. Paul, in
his own browser, follows the invitation link, creates his account, confirms it, comes back to the link and accepts:
the organisation page lists him. And a sign-up form sent with mistakes says so at its top, linking to each field."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from portal.accounts.models import Membership, Organisation
from portal.extensions import db
from tests.conftest import PASSWORD, Mailbox

ASSOCIATION = "Association Logement Solidaire"


def sign_up(page, checked, name: str, email: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    checked(page, "inscription")
    page.get_by_label("Nom et prénom").fill(name)
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmer le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez votre messagerie")
    expect(page.get_by_role("main")).to_contain_text(f"Un courriel vient d'être envoyé à {email}.")
    checked(page, "inscription courriel envoye")


def confirm_and_sign_in(page, checked, mailbox, email: str) -> None:
    """The confirmation e-mail arrives; its link confirms the address and leads to the sign-in form."""
    mailbox.deliver()
    message = mailbox.last_to(email)
    assert message["Subject"] == "Confirmez votre adresse électronique"
    page.goto(Mailbox.link_in(message, "/compte/confirmer/"))
    expect(page.get_by_text("Votre adresse est confirmée. Vous pouvez vous connecter.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    checked(page, "adresse confirmee")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("button", name="Se déconnecter", exact=True)).to_be_visible()


def test_a_person_signs_up_creates_her_association_and_invites_a_colleague(page, new_page, checked, mailbox):
    # Claire creates her account from the header link.
    page.goto("/")
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Créer un compte").click()
    sign_up(page, checked, "Claire Martin", "claire@asso-logement.fr")

    # The confirmation e-mail reaches the SMTP server; she follows its link and signs in.
    confirm_and_sign_in(page, checked, mailbox, "claire@asso-logement.fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon compte")
    expect(page.get_by_role("main")).to_contain_text("Vous n'êtes membre d'aucune organisation.")
    checked(page, "mon compte")

    # She creates her association with its RNA number.
    page.get_by_role("link", name="Créer une organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer une organisation")
    checked(page, "organisation nouvelle")
    page.get_by_label("Dénomination (nom officiel)").fill(ASSOCIATION)
    page.get_by_label("Sigle").fill("ALS")
    page.get_by_label("Forme juridique").select_option(label="Association loi 1901 (ou de droit local)")
    page.get_by_label("Numéro RNA").fill("W751515517")
    page.get_by_label("Adresse du siège").fill("12 rue des Tilleuls")
    page.get_by_label("Code postal").fill("62000")
    page.get_by_label("Commune").fill("Arras")
    page.get_by_label("Nom du représentant légal").fill("Jeanne Leroy")
    page.get_by_label("Qualité du représentant légal").fill("Présidente")
    page.get_by_role("button", name="Créer l'organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{ASSOCIATION} (ALS)")
    expect(page.get_by_text(f"L'organisation « {ASSOCIATION} » est créée ; vous en êtes l'administrateur.")
           ).to_be_visible()
    identity = page.get_by_role("region", name="Identité")
    expect(identity).to_contain_text("Association loi 1901 (ou de droit local)")
    expect(identity).to_contain_text("Numéro RNAW751 515 517")
    expect(identity).to_contain_text("12 rue des Tilleuls, 62000 Arras")
    checked(page, "organisation")
    organisation_url = page.url

    # She invites Paul by e-mail.
    members = page.get_by_role("region", name="Membres")
    members.get_by_label("Adresse électronique de la personne à inviter").fill("paul@asso-logement.fr")
    members.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.get_by_text("Une invitation a été envoyée à paul@asso-logement.fr.")).to_be_visible()
    expect(page.get_by_role("region", name="Membres")).to_contain_text("paul@asso-logement.fr — valable jusqu'au")
    checked(page, "organisation invitation envoyee")

    # The invitation reaches Paul's mailbox.
    mailbox.deliver()
    invitation = mailbox.last_to("paul@asso-logement.fr")
    assert invitation["Subject"] == f"Invitation à rejoindre {ASSOCIATION}"
    assert f"Claire Martin vous invite à rejoindre l'organisation « {ASSOCIATION} »" in invitation.get_content()
    link = Mailbox.link_in(invitation, "/compte/invitation/")

    # Paul, in his own browser, follows the link; he has no account yet, so he creates it.
    paul = new_page()
    paul.goto(link)
    expect(paul.get_by_role("heading", level=1)).to_have_text(f"Rejoindre {ASSOCIATION}")
    checked(paul, "invitation")
    paul.get_by_role("main").get_by_role("link", name="Créer un compte").click()
    sign_up(paul, checked, "Paul Durand", "paul@asso-logement.fr")
    confirm_and_sign_in(paul, checked, mailbox, "paul@asso-logement.fr")

    # He comes back to the invitation link and accepts it: he is a member.
    paul.goto(link)
    expect(paul.get_by_role("heading", level=1)).to_have_text(f"Rejoindre {ASSOCIATION}")
    checked(paul, "invitation connecte")
    paul.get_by_role("button", name="Accepter l'invitation").click()
    expect(paul.get_by_text(f"Vous avez rejoint {ASSOCIATION}.")).to_be_visible()
    expect(paul.get_by_role("heading", level=1)).to_have_text(f"{ASSOCIATION} (ALS)")
    paul_row = paul.get_by_role("region", name="Membres").get_by_role("row").filter(has_text="Paul Durand")
    expect(paul_row).to_contain_text("paul@asso-logement.fr")
    expect(paul_row).to_contain_text("Membre")
    checked(paul, "organisation membre")

    # Claire sees him among the members; the invitation is no longer pending.
    page.goto(organisation_url)
    members = page.get_by_role("region", name="Membres")
    expect(members.get_by_role("row").filter(has_text="Paul Durand")).to_contain_text("Membre")
    expect(members.get_by_role("row").filter(has_text="Claire Martin")).to_contain_text("Administrateur")
    expect(members).not_to_contain_text("Invitations en attente")
    checked(page, "organisation membres")
    organisation = db.session.scalar(db.select(Organisation).where(Organisation.legal_name == ASSOCIATION))
    assert organisation.rna == "W751515517" and organisation.legal_form == "association"
    roles = {m.user.email: m.role for m in db.session.scalars(
        db.select(Membership).where(Membership.organisation_id == organisation.id))}
    assert roles == {"claire@asso-logement.fr": "admin", "paul@asso-logement.fr": "member"}


def test_the_sign_up_form_lists_its_errors_at_the_top_linking_to_each_field(page, checked, mailbox):
    page.goto("/compte/inscription")
    checked(page, "inscription")
    page.get_by_label("Nom et prénom").fill("Claire Martin")
    page.get_by_label("Adresse électronique").fill("claire.asso-logement.fr")
    page.get_by_label("Mot de passe", exact=True).fill("court")
    page.get_by_label("Confirmer le mot de passe").fill("court")
    page.get_by_role("button", name="Créer mon compte").click()

    # The summary comes first in the page, is announced, and links to each field in error.
    summary = page.get_by_role("alert").filter(has_text="Le formulaire contient 2 erreurs")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # a keyboard or screen-reader user starts from the list of what to fix
    expect(page).to_have_title(re.compile(r"^Erreur — Créer un compte"))
    links = summary.get_by_role("link")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_text(
        "Adresse électronique : Saisissez une adresse électronique valide, par exemple nom@exemple.fr.")
    expect(links.nth(0)).to_have_attribute("href", "#email")
    expect(links.nth(1)).to_have_text("Mot de passe : Le mot de passe doit contenir au moins 12 caractères.")
    expect(links.nth(1)).to_have_attribute("href", "#password")
    before_form = page.evaluate("""() => {
        const summary = document.querySelector('.error-summary'), form = document.querySelector('main form');
        return !!(summary.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    assert before_form, "le récapitulatif des erreurs doit précéder le formulaire"

    # Each field in error says so itself, tied to its message, and keeps what was typed (but not the password).
    email = page.get_by_label("Adresse électronique")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(
        "Un lien de confirmation vous sera envoyé à cette adresse. "
        "Erreur : Saisissez une adresse électronique valide, par exemple nom@exemple.fr.")
    expect(email).to_have_value("claire.asso-logement.fr")
    expect(page.get_by_label("Mot de passe", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Nom et prénom")).not_to_have_attribute("aria-invalid", "true")
    checked(page, "inscription erreurs")

    # Following a link of the summary takes her to the field.
    links.nth(1).click()
    expect(page.get_by_label("Mot de passe", exact=True)).to_be_focused()
    assert mailbox.deliver() == []  # nothing was sent
