"""The audit log: who did what, to which object, when and from which address. Written by services, in the
same transaction as the change it records, so the log and the data never disagree."""

from __future__ import annotations

import datetime as dt

from flask import has_request_context, request
from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import Base, UTCDateTime
from portal.core.time import now
from portal.extensions import db


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # The actor is copied, not linked: the log outlives accounts that are deleted.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_email: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str | None] = mapped_column(String(120), index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))


def record(action: str, *, actor=None, target: str | None = None, **details) -> AuditEvent:
    """Add an event to the current transaction; `actor` is anything with `id` and `email` (or None)."""
    event = AuditEvent(at=now(), actor_id=getattr(actor, "id", None), actor_email=getattr(actor, "email", None),
                       action=action, target=target, details=details,
                       address=request.remote_addr if has_request_context() else None)
    db.session.add(event)
    return event


def recent(limit: int = 200, action_prefix: str = "") -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if action_prefix:
        query = query.where(AuditEvent.action.startswith(action_prefix))
    return list(db.session.scalars(query))


def for_target(target: str, limit: int = 500) -> list[AuditEvent]:
    """The history of one object (« application:<id> »), oldest first."""
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.target == target)
                                   .order_by(AuditEvent.at, AuditEvent.id).limit(limit)))
