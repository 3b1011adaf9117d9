"""Grouped applications: the lead organisation names its partners, invited by e-mail to view the file and add
their own documents. Only where the call allows grouped applications."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from portal.accounts.models import Organisation, User
from portal.accounts.permissions import invitation_refusal, membership_in
from portal.accounts.queries import normalise_email
from portal.applications.drafts import ensure_editable
from portal.applications.models import Application, Partner
from portal.core import audit, mail
from portal.core.errors import Refusal
from portal.core.urls import external_url
from portal.extensions import db


class InvitationForSomeoneElse(Refusal):
    """The signed-in person is not the one the invitation was sent to."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=403)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(application: Application, name: str, email: str, by: User, at: dt.datetime) -> Partner:
    if not application.call.spec.grouped_applications:
        raise Refusal("Cet appel n'accepte pas les candidatures groupées.")
    ensure_editable(application, at)  # a partner joins to add documents: not once the file is closed
    email = normalise_email(email)
    if not name.strip() or "@" not in email:
        raise Refusal("Indiquez le nom de l'organisation partenaire et une adresse électronique valide.")
    if any(p.email == email for p in application.partners):
        raise Refusal("Ce partenaire est déjà invité.")
    token = secrets.token_urlsafe(24)
    partner = Partner(application_id=application.id, email=email, name=name.strip(), token_hash=_hash(token),
                      invited_by_id=by.id, invited_at=at)
    application.partners.append(partner)
    audit.record("application.partner_invite", actor=by, target=f"application:{application.id}", email=email,
                 name=name.strip())
    mail.enqueue(email, f"Invitation à une candidature groupée — {application.call.title}", "partner_invitation",
                 inviter=by.name, application=application, partner=partner,
                 url=external_url("applications.partner_accept", token=token))
    db.session.flush()
    return partner


def pending(token: str) -> Partner | None:
    return db.session.scalar(select(Partner).where(Partner.token_hash == _hash(token), Partner.accepted_at.is_(None)))


def accept(partner: Partner, organisation: Organisation, by: User, at: dt.datetime) -> None:
    refusal = invitation_refusal(partner.email, by)
    if refusal:
        raise InvitationForSomeoneElse(refusal)
    if membership_in(by, organisation.id) is None:
        raise Refusal("Vous n'êtes pas membre de cette organisation.")
    if organisation.id == partner.application.organisation_id:
        raise Refusal("L'organisation chef de file ne peut pas être sa propre partenaire.")
    partner.organisation_id, partner.accepted_at = organisation.id, at
    audit.record("application.partner_accept", actor=by, target=f"application:{partner.application_id}",
                 organisation=organisation.legal_name)
    db.session.flush()
