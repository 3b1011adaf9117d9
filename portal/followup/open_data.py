"""What the follow-up gives the SCDL « subventions » export of the reviews domain (issue 17: « Awarded and paid
grants feed the SCDL export with the real convention date and payment dates »), through the `scdl.grant_facts`
slot: reviews may not import followup."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.hooks import GrantFacts
from portal.extensions import db
from portal.followup.models import Convention, Tranche
from portal.followup.states import TrancheState


def grant_facts(application_ids=(), **_context) -> dict | None:
    """For each followed grant: dateConvention is the issuer's signature (it signs last: the convention's date),
    the payment dates are the paid tranches', and the schedule's tranches (cancelled ones aside) say « unique » or
    « échelonné ». One statement for the whole export."""
    if not application_ids:
        return None
    statement = (select(Convention.application_id, Convention.issuer_signed_on, Tranche.state, Tranche.paid_on)
                 .outerjoin(Tranche, Tranche.convention_id == Convention.id)
                 .where(Convention.application_id.in_(list(application_ids))))
    found: dict = {}
    for application_id, signed_on, state, paid_on in db.session.execute(statement):
        _, dates, planned = found.get(application_id, (signed_on, [], 0))
        if state is not None and state != TrancheState.CANCELLED:
            planned += 1
            if state == TrancheState.PAID and paid_on is not None:
                dates.append(paid_on)
        found[application_id] = (signed_on, dates, planned)
    return {application_id: GrantFacts(signed_on, tuple(sorted(dates)), planned)
            for application_id, (signed_on, dates, planned) in found.items()}
