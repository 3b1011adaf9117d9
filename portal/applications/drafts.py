"""Starting an application and saving its draft: every member of the organisation edits the same draft."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from portal.accounts.models import Organisation, User
from portal.applications import answers, permissions
from portal.applications.models import Application
from portal.applications.queries import of_organisation_in_window
from portal.catalog.models import Window
from portal.core import audit
from portal.core.errors import Refusal
from portal.core.formatting import datetime_fr
from portal.extensions import db


def start(window: Window, organisation: Organisation, by: User, at: dt.datetime) -> tuple[Application, bool]:
    """The organisation's application to this window: the existing one, or a new draft. Returns (it, created)."""
    existing = of_organisation_in_window(organisation.id, window.id)
    if existing is not None:
        return existing, False
    if not window.is_open_at(at):
        raise Refusal("Cette fenêtre de candidature n'est pas ouverte : impossible de commencer un dossier.")
    application = Application(call_id=window.call_id, window_id=window.id, organisation_id=organisation.id,
                              answers={}, created_at=at, created_by_id=by.id, updated_at=at, updated_by_id=by.id,
                              updated_by_name=by.name)
    try:
        with db.session.begin_nested():  # a savepoint: only this insert is undone, not the caller's transaction
            db.session.add(application)
    except IntegrityError:  # a colleague started it a moment ago: lead to theirs
        return of_organisation_in_window(organisation.id, window.id), False
    audit.record("application.start", actor=by, target=f"application:{application.id}",
                 call=window.call.slug, window=window.key, organisation=organisation.legal_name)
    return application, True


def ensure_editable(application: Application, at: dt.datetime) -> None:
    if refusal := permissions.editing_refusal(application, at):
        raise refusal


def seen_by_service(application: Application, at: dt.datetime) -> str:
    """What the service instructeur sees of this application, said alike by the flashes, the banners and autosave:
    nothing of a draft never deposited; of a deposited one, its last version and not the changes saved since."""
    latest = application.latest_version
    if not application.ever_deposited:
        return "Ce dossier n'est pas encore déposé : le service instructeur ne le voit pas."
    seen = f"Le service instructeur voit la version {latest.number} déposée le {datetime_fr(latest.submitted_at)}"
    if not application.has_pending_changes:
        return seen + "."
    if application.window.has_closed_at(at):
        if permissions.open_piece_request(application, at) is not None:
            return seen + " ; les pièces ajoutées depuis ne lui sont transmises qu'avec « Transmettre les pièces »."
        return seen + " ; les modifications enregistrées depuis ne lui ont pas été transmises avant la date limite."
    return (seen + " ; vos modifications enregistrées depuis ne lui sont pas transmises tant que vous n'avez pas "
            "cliqué sur « Déposer les modifications ».")


def saved_message(application: Application, at: dt.datetime) -> str:
    """« Brouillon enregistré le … par … », or « Modifications enregistrées … » once deposited, then what the service
    sees."""
    what = ("Brouillon enregistré" if not application.ever_deposited
            else "Modifications enregistrées" if application.has_pending_changes else "Enregistré")
    return (f"{what} le {datetime_fr(application.updated_at)} par {application.updated_by_name}. "
            f"{seen_by_service(application, at)}")


def delete(application: Application, by: User) -> None:
    """Delete a draft never deposited, with its partners' invitations and its files' rows: the stored copies, named
    by no row any more, are left to `portal storage gc` (core/storage_gc.py), so nothing is lost if this fails."""
    if application.ever_deposited:
        raise Refusal(permissions.DEPOSITED_STAYS)
    names = [f.original_name for f in application.files]
    partners = [p.name for p in application.partners]
    try:
        with db.session.begin_nested():  # a savepoint: a refusal undoes the deletion only
            for row in [*application.files, *application.partners, *application.piece_requests]:
                db.session.delete(row)
            db.session.delete(application)
    except IntegrityError as error:  # another domain keeps something of it (a review, a conflict)
        raise Refusal("Ce brouillon est déjà suivi par le service instructeur : il ne peut pas être "
                               "supprimé.") from error
    audit.record("application.delete", actor=by, target=f"application:{application.id}",
                 call=application.call.slug, window=application.window.key, files=names, partners=partners)


@dataclass(frozen=True)
class Saved:
    warning: str | None  # a colleague saved since this form was loaded
    refused: list[answers.Problem]  # typed values past their announced length: kept as before, not saved
    typed: dict  # the answers as the form held them, to show them again beside the refusals


def save(application: Application, form, by: User, at: dt.datetime, seen_revision: int | None = None) -> Saved:
    """Save the answers typed in `form`, but for any value past its announced length (checked here, not only by
    the browser), which keeps its previous value while everything else is saved."""
    ensure_editable(application, at)
    previous = application.answers or {}
    typed = answers.read(application.call.spec, form, previous, {"user_id": by.id, "name": by.name}, at)
    refused = answers.over_limit(application.call.spec, typed)
    new = answers.keep_previous(typed, previous, [path for path, _ in refused]) if refused else typed
    warning = None
    if seen_revision is not None and application.revision > seen_revision and application.updated_by_id != by.id:
        warning = (f"{application.updated_by_name} a aussi modifié ce dossier le {datetime_fr(application.updated_at)} ; "
                   "vos réponses ont été enregistrées : relisez l'ensemble du dossier.")
    if new != previous:
        application.answers = new
        application.revision += 1
        application.updated_at, application.updated_by_id, application.updated_by_name = at, by.id, by.name
        if application.is_deposited:
            application.has_pending_changes = True
        db.session.flush()
    return Saved(warning, [problem for _, problem in refused], typed)
