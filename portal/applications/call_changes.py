"""A published call changed in what matters to applicants (catalog.changes): every member of an organisation that
has a draft or a deposit on it is told by e-mail what changed, once, whatever the number of its applications.
The catalogue sends `call_updated` without knowing who listens (its dependencies run the other way)."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import Membership, User
from portal.applications.models import Application
from portal.applications.states import ApplicationStatus
from portal.catalog.models import Call
from portal.catalog.services import call_updated
from portal.core import mail
from portal.core.urls import external_url
from portal.extensions import db


def register() -> None:
    """Listen to the catalogue's publications (a named function: connected once however many apps are made)."""
    call_updated.connect(tell_applicants)


def tell_applicants(call: Call, **_) -> None:
    """Receiver of `call_updated`: one mail per person of the organisations applying, when the new revision
    changed something for them (its `details`); a withdrawn application is no longer told."""
    revision = call.latest_revision
    if revision is None or not revision.details:
        return
    url = external_url("catalog.detail", slug=call.slug)
    for person in people_applying(call):
        mail.enqueue(person.email, f"Modification de l'appel « {call.title} »", "call_changed", call=call,
                     person=person, revision=revision, call_url=url)


def people_applying(call: Call) -> list[User]:
    """The members of the organisations with a draft or a deposited application on the call, each once."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id.in_(
            select(Application.organisation_id).where(
                Application.call_id == call.id,
                Application.status.in_([ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED]))),
               User.deleted_at.is_(None))
        .distinct().order_by(User.email)))
