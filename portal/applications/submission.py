"""Depositing an application: judged at the instant the request arrived, refused after the window's last second
with the draft intact, and frozen as an immutable numbered version with a receipt for every member."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.applications import completeness, permissions, receipts
from portal.applications.answers import Problem
from portal.applications.models import Application, ApplicationFile, NumberCounter, PieceRequest, Version, VersionFile
from portal.applications.states import ApplicationStatus, VersionKind
from portal.core import audit
from portal.core.errors import Refusal
from portal.core.formatting import datetime_fr
from portal.core.time import to_paris
from portal.extensions import db


class AlreadyDeposited(Refusal):
    """A double click: the other request deposited this version first. The transaction is spoilt (its flush
    failed): whoever catches this lets the request roll back."""


class Incomplete(Refusal):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"Le dossier est incomplet : {len(problems)} point(s) à compléter avant le dépôt.")
        self.problems = problems


def submit(application: Application, by: User, at: dt.datetime) -> Version:
    """Deposit the draft as the next version; `at` is when the request arrived, not when its upload finished."""
    window = application.window
    if application.is_withdrawn:
        raise Refusal("Cette candidature a fait l'objet d'un désistement : elle ne peut plus être déposée.")
    if window.has_closed_at(at):
        raise Refusal(f"Dépôt refusé : la date limite était le {datetime_fr(window.closes_at)} ; votre "
                               f"demande est arrivée le {datetime_fr(at)} ({to_paris(at):%H:%M:%S}). Votre brouillon "
                               "est conservé tel quel.")
    if not window.is_open_at(at):
        raise Refusal("Dépôt refusé : la fenêtre de candidature n'est pas encore ouverte.")
    if application.is_deposited and not application.has_pending_changes:
        raise Refusal("Aucune modification à déposer : la dernière version déposée est à jour.")
    problems = completeness.problems(application)
    if problems:
        raise Incomplete(problems)
    return record_deposit(application, by, at)


def record_deposit(application: Application, by: User, at: dt.datetime) -> Version:
    """The deposit itself, once its checks have passed: the number at the first one, the draft frozen as the next
    version, the receipt to every member. The one path of every deposit: online (submit) and registered by staff
    from a file received by post or e-mail (registration.register), which judges its own time limit."""
    first = not application.ever_deposited
    if first:
        application.number = _next_number(application, at)
    version = _freeze(application, by, at, VersionKind.DEPOSIT if first else VersionKind.CHANGES, application.answers or {},
                      [_entry(f) for f in application.current_files])
    application.status, application.has_pending_changes = ApplicationStatus.SUBMITTED, False
    audit.record("application.submit", actor=by, target=f"application:{application.id}", number=application.number,
                 version=version.number)
    receipts.send(application, version)
    db.session.flush()
    return version


def deposit_pieces(application: Application, request: PieceRequest, by: User, at: dt.datetime) -> Version:
    """Send the pieces asked for after closing: a new version, everything else unchanged."""
    if application.locked_at is not None:
        raise Refusal("L'évaluation des candidatures a commencé : le dossier ne peut plus être complété.")
    if not request.is_open_at(at):
        raise Refusal(f"La demande de pièces était à satisfaire avant le {datetime_fr(request.due_at)}.")
    added = [f for f in application.current_files if f.piece_request_id == request.id]
    if not added:
        raise Refusal("Ajoutez au moins une des pièces demandées avant de les transmettre.")
    version = _freeze(application, by, at, VersionKind.PIECES, application.latest_version.answers,
                      _pieces_on_top(application, request, added))
    request.answered_at = at
    application.has_pending_changes = _differs(application, version)
    audit.record("application.pieces_deposit", actor=by, target=f"application:{application.id}",
                 version=version.number, files=[f.original_name for f in added])
    receipts.send(application, version)
    db.session.flush()
    return version


def withdraw(application: Application, reason: str, by: User, at: dt.datetime) -> None:
    if application.is_withdrawn:
        raise Refusal("Cette candidature a déjà fait l'objet d'un désistement.")
    if not application.ever_deposited:
        raise Refusal(permissions.NOT_DEPOSITED)
    if not reason.strip():
        raise Refusal("Indiquez la raison du désistement.")
    application.status, application.withdrawn_at, application.withdrawal_reason = (ApplicationStatus.WITHDRAWN, at,
                                                                                   reason.strip())
    db.session.flush()
    audit.record("application.withdraw", actor=by, target=f"application:{application.id}", reason=reason.strip())


def _entry(file: ApplicationFile) -> dict:
    return {"id": str(file.id), "slot": file.slot, "name": file.original_name, "size": file.size,
            "sha256": file.sha256, "format": file.format}


def _pieces_on_top(application: Application, request: PieceRequest, added: list[ApplicationFile]) -> list[dict]:
    """The last version's files with the requested slots as the applicant left them after the request. Nothing else
    of the draft: edits saved before the deadline but never deposited must not slip in after it."""
    rows = {f.id: f for f in application.files}

    def given_up(item: VersionFile) -> bool:  # replaced or removed while answering the request
        removed = rows[item.application_file_id].removed_at
        return item.slot in request.slots and removed is not None and removed >= request.requested_at

    return [item.entry() for item in application.latest_version.files if not given_up(item)] + [
        _entry(f) for f in added]


def _differs(application: Application, version: Version) -> bool:
    """Whether the draft holds changes that this version does not."""
    return ((application.answers or {}) != version.answers
            or {f.id for f in application.current_files} != version.file_ids)


def _freeze(application: Application, by: User, at: dt.datetime, reason: VersionKind, answers: dict,
            files: list[dict]) -> Version:
    number = (application.latest_version.number if application.latest_version else 0) + 1
    snapshot = {"answers": answers, "files": files, "organisation_id": str(application.organisation_id)}
    version = Version(application_id=application.id, number=number, reason=reason, submitted_at=at,
                      submitted_by_id=by.id, submitted_by_name=by.name, snapshot=snapshot,
                      verification_code=secrets.token_urlsafe(18),
                      files=[VersionFile(application_file_id=uuid.UUID(f["id"]), position=position, slot=f["slot"],
                                         name=f["name"], size=f["size"], sha256=f["sha256"], format=f["format"])
                             for position, f in enumerate(files)])
    db.session.add(version)
    application.versions.append(version)
    _flush_or_refuse()  # before any query autoflushes it: a double click is met here, and said in French
    return version


def _next_number(application: Application, at: dt.datetime) -> str:
    """« AAP-2025-0042 »: kind and year of the window's closing, then a counter shared by all servers.
    The UPDATE takes a row lock, so two deposits at the same instant never get the same number."""
    prefix = f"{application.call.kind.upper()}-{to_paris(application.window.closes_at).year}"
    bumped = update(NumberCounter).where(NumberCounter.prefix == prefix).values(last=NumberCounter.last + 1)
    if db.session.execute(bumped).rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(NumberCounter).values(prefix=prefix, last=1))
        except IntegrityError:  # another server created the counter meanwhile
            db.session.execute(bumped)
    last = db.session.scalar(select(NumberCounter.last).where(NumberCounter.prefix == prefix))
    return f"{prefix}-{last:04d}"


def _flush_or_refuse() -> None:
    """Write the version now, so that a double click meets the unique (application, number) here, refused in
    French; the session is then unusable until the request rolls back, which the refusal makes it do."""
    try:
        db.session.flush()
    except IntegrityError as error:  # a double click: the other request deposited this version first
        raise AlreadyDeposited("Ce dépôt vient déjà d'être enregistré (double envoi) : consultez la dernière "
                               "version ci-dessous.") from error


def lock_for_review(applications: list[Application], at: dt.datetime) -> None:
    """Freeze the files once the committee starts reviewing (the reviews domain calls this; the caller commits)."""
    for application in applications:
        if application.locked_at is None:
            application.locked_at = at
