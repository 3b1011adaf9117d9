"""Reads of applications for pages and exports, written for the database (no query per row)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import Membership, Organisation
from portal.applications import permissions
from portal.applications.models import Application, ApplicationFile, Partner, Version
from portal.applications.states import ApplicationStatus
from portal.catalog.models import Call, Window
from portal.core.audit import AuditEvent, for_target
from portal.extensions import db


def _with_everything(query):
    """For lists: what the staff list shows of every application, one statement per relation for all of them."""
    return query.options(selectinload(Application.versions), selectinload(Application.files),
                         selectinload(Application.partners), selectinload(Application.piece_requests),
                         selectinload(Application.window), selectinload(Application.call))


def get(application_id: uuid.UUID) -> Application | None:
    """One application in one statement with its window, its call and its versions: every page of it reads them,
    and a deposit numbers its version from the versions read here, so that a double click whose twin deposited
    meanwhile meets the unique number (submission._flush_or_refuse) instead of adding a second version. Its files,
    partners and piece requests, one statement each, are read when the page uses them (issue 18: loading all of them
    on every request of a deposit cost a fifth of the server's CPU), at most once per request."""
    query = (select(Application).where(Application.id == application_id)
             .options(joinedload(Application.window), joinedload(Application.call),
                      joinedload(Application.versions)))
    return db.session.scalars(query).unique().one_or_none()


def for_member(application_id: uuid.UUID, user) -> Application | None:
    """The application if this person belongs to its organisation or to an accepted partner; else None (404)."""
    application = get(application_id)
    if application is None or permissions.can_view_application(user, application) is not None:
        return None
    return application


def for_manager(application_id: uuid.UUID, user) -> Application | None:
    application = get(application_id)
    if application is None or permissions.can_manage_application(user, application) is not None:
        return None
    return application


def of_organisation_in_window(organisation_id: uuid.UUID, window_id: int) -> Application | None:
    return db.session.scalar(select(Application).where(Application.organisation_id == organisation_id,
                                                       Application.window_id == window_id))


def of_person(user) -> list[Application]:
    """Applications of every organisation the person belongs to, as lead or as accepted partner, with what « Mes
    candidatures » shows of each (home.py: completeness needs the files, the open request its pieces) loaded for
    all at once."""
    organisations = select(Membership.organisation_id).where(Membership.user_id == user.id)
    partnered = select(Partner.application_id).where(Partner.organisation_id.in_(organisations))
    query = (select(Application)
             .where((Application.organisation_id.in_(organisations)) | (Application.id.in_(partnered)))
             .options(selectinload(Application.call), selectinload(Application.window),
                      selectinload(Application.files), selectinload(Application.piece_requests))
             .order_by(Application.updated_at.desc()))
    return list(db.session.scalars(query))


def _visible_to_staff(query, user):
    for hidden in permissions.hidden_from_staff(user):
        query = query.where(Application.id.not_in(hidden))
    return query


def of_call(call: Call, window_key: str = "", status: str = "", user=None) -> list[Application]:
    """The staff list of a call, with what the list shows loaded in a fixed number of queries; without what is
    hidden from `user` (see permissions.exclude_from_staff)."""
    query = (_with_everything(select(Application)).join(Application.window).join(
        Organisation, Organisation.id == Application.organisation_id)
        .where(Application.call_id == call.id).order_by(Window.closes_at, Organisation.legal_name))
    if window_key:
        query = query.where(Window.key == window_key)
    if status:
        query = query.where(Application.status == status)
    return list(db.session.scalars(_visible_to_staff(query, user)))


def organisations_by_id(ids) -> dict[uuid.UUID, Organisation]:
    ids = set(ids)
    if not ids:
        return {}
    return {o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}


def file_of(application: Application, file_id: uuid.UUID) -> ApplicationFile | None:
    return next((f for f in application.files if f.id == file_id), None)


def version_of(application: Application, number: int) -> Version | None:
    return next((v for v in application.versions if v.number == number), None)


def version_by_code(code: str) -> Version | None:
    return db.session.scalar(select(Version).where(Version.verification_code == code)
                             .options(selectinload(Version.application).selectinload(Application.call)))


def files_by_id(ids) -> dict[uuid.UUID, ApplicationFile]:
    ids = {uuid.UUID(str(i)) for i in ids}
    if not ids:
        return {}
    return {f.id: f for f in db.session.scalars(select(ApplicationFile).where(ApplicationFile.id.in_(ids)))}


def needing_reminder(moment: dt.datetime, closing_by: dt.datetime) -> list[Application]:
    """Unsubmitted drafts (or undeposited changes) whose window is open at `moment` and closes by `closing_by`,
    and that were not reminded."""
    query = (select(Application).join(Application.window)
             .where(Application.reminded_at.is_(None), Application.status != ApplicationStatus.WITHDRAWN,
                    (Application.status == ApplicationStatus.DRAFT) | Application.has_pending_changes,
                    Window.closes_at > moment, Window.closes_at <= closing_by)
             .options(selectinload(Application.call), selectinload(Application.window)))
    return list(db.session.scalars(query))


def stored_keys() -> set[str]:
    """Every storage key an application file row refers to (the rest of the store is garbage, see storage gc)."""
    return set(db.session.scalars(select(ApplicationFile.storage_key)))


def staff_history(application: Application) -> list[AuditEvent]:
    """The application's history as staff see it, oldest first. Work on the draft's files is shown only for files
    that were deposited: a file added or removed and not deposited since is a pending edit, staff see nothing of it."""
    deposited = {(f.name, f.sha256) for v in application.versions for f in v.files}

    def shown(event: AuditEvent) -> bool:
        if event.action == "application.file_add":
            return (event.details.get("name"), event.details.get("sha256")) in deposited
        return event.action not in ("application.file_remove", "application.file_infected")

    return [e for e in for_target(f"application:{application.id}") if shown(e)]


def counts_by_status(call: Call, user=None) -> dict[str, int]:
    rows = db.session.execute(_visible_to_staff(select(Application.status, func.count())
                                                .where(Application.call_id == call.id), user)
                              .group_by(Application.status))
    return dict(rows.all())
