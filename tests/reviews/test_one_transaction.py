"""A reviews use case that fails half-way leaves nothing: its request commits once, at the end, or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.permissions import is_reviewer_of
from portal.core import mail
from portal.core.audit import AuditEvent
from portal.extensions import db
from portal.reviews import conflicts
from portal.reviews.models import Decision, ReviewRound
from portal.reviews.states import RoundPhase
from tests.conftest import post_form
from tests.reviews.conftest import refresh, sign_in_as
from tests.reviews.test_decisions import decide_all, decision_mails, deliberate


class MailServerDown(RuntimeError):
    pass


def test_publishing_that_fails_at_the_second_letter_publishes_nothing_and_mails_no_one(client, selection,
                                                                                        monkeypatch):
    round_ = deliberate(selection)
    decide_all(selection)
    db.session.commit()
    queued = []
    enqueue = mail.enqueue

    def first_then_down(*args, **kwargs):
        if queued:
            raise MailServerDown("the outbox refused the second letter")
        queued.append(enqueue(*args, **kwargs))
        return queued[-1]

    monkeypatch.setattr(mail, "enqueue", first_then_down)
    sign_in_as(client, selection.manager)
    url = f"/gestion/selection/{selection.call.slug}/fenetres/unique"
    with pytest.raises(MailServerDown):
        post_form(client, f"{url}/publier", {"confirm": "y"}, form_page=f"{url}/publication")
    assert queued, "the first letter was queued and the decisions flushed before the failure"
    db.session.expire_all()
    assert refresh(round_).phase == RoundPhase.DELIBERATION
    assert db.session.scalar(select(ReviewRound.decisions_published_at).where(ReviewRound.id == round_.id)) is None
    assert db.session.scalars(select(Decision).where(Decision.published_at.is_not(None))).all() == []
    assert not decision_mails()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.publish")) is None


def test_naming_a_reviewer_whose_conflicts_cannot_be_recorded_names_no_one(client, selection, make_user,
                                                                            monkeypatch):
    """The role, its audit entry and the conflicts from her memberships are one use case: all or nothing."""
    newcomer = make_user("nouvelle@pasdecalais.fr", "Nadia Nouvelle")

    def broken(*args, **kwargs):
        raise RuntimeError("conflicts could not be recorded")

    monkeypatch.setattr(conflicts, "sync_automatic", broken)
    sign_in_as(client, selection.manager)
    with pytest.raises(RuntimeError):
        post_form(client, f"/gestion/selection/{selection.call.slug}/comite", {"email": newcomer.email})
    db.session.expire_all()
    assert not is_reviewer_of(refresh(newcomer), selection.call.uuid)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.committee_add")) is None
