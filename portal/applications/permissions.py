"""Who may see and change an application: the one place these rules live. The reviews domain adds its own
rules for committee members on top of these; nothing here knows of reviewers.

Each `can_*` predicate answers `Refusal | None`: None when allowed, else the refusal with its reason in the words
every door uses (core.errors): a 404 to whoever must not learn the file exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Select, exists, select

from portal.accounts.permissions import can_manage_call, membership_in
from portal.applications.models import Application, ApplicationFile, PieceRequest
from portal.applications.states import ScanStatus
from portal.core.errors import Refusal
from portal.core.formatting import datetime_fr
from portal.extensions import db

UPLOADS_CLOSED = "Le dépôt de pièces est clos pour ce dossier."
DEPOSITED_STAYS = ("Une candidature déposée ne se supprime pas : le service instructeur l'a reçue. Vous pouvez vous "
                   "désister.")
NOT_DEPOSITED = "Un brouillon jamais déposé se supprime ; le désistement concerne une candidature déposée."


def is_lead_member(user, application: Application) -> bool:
    return membership_in(user, application.organisation_id) is not None


def partner_organisation_of(user, application: Application):
    """The id of the accepted partner organisation this person acts for, else None."""
    return next((p.organisation_id for p in application.partners
                 if p.organisation_id is not None and membership_in(user, p.organisation_id) is not None), None)


# Other domains may withdraw staff access to applications without this one knowing why: the reviews domain hides
# from a manager the applications she has a conflict of interest with. Each rule maps a person to a SELECT of the
# application ids to hide from her on the staff side.
_staff_exclusions: list[Callable[[object], Select]] = []


def exclude_from_staff(rule: Callable[[object], Select]) -> None:
    if rule not in _staff_exclusions:
        _staff_exclusions.append(rule)


def hidden_from_staff(user) -> list[Select]:
    return [rule(user) for rule in _staff_exclusions] if getattr(user, "is_authenticated", False) else []


def can_manage_application(user, application: Application) -> Refusal | None:
    """The call's managers (and platform administrators), unless a rule hides this application from them; to
    anyone else it does not exist (404)."""
    if refusal := can_manage_call(user, application.call.uuid, application.call.issuer):
        return refusal
    if any(db.session.scalar(select(exists().where(Application.id == application.id, Application.id.in_(hidden))))
           for hidden in hidden_from_staff(user)):
        return Refusal.not_found()
    return None


def can_register_application(user, call) -> Refusal | None:
    """Registering a file received by post or e-mail on an organisation's behalf: the call's managers (and platform
    administrators); to anyone else the page does not exist (404)."""
    return can_manage_call(user, call.uuid, call.issuer)


def can_view_application(user, application: Application) -> Refusal | None:
    """Members of the applying organisation and of its accepted partners; to anyone else it does not exist (404)."""
    if is_lead_member(user, application) or partner_organisation_of(user, application) is not None:
        return None
    return Refusal.not_found()


def _lead_only(user, application: Application, what: str) -> Refusal | None:
    """A partner's member is told that only the applying organisation does this (403); anyone else is not told the
    file exists (404)."""
    if is_lead_member(user, application):
        return None
    if partner_organisation_of(user, application) is not None:
        return Refusal.forbidden(f"Seuls les membres de l'organisation qui candidate peuvent {what}.")
    return Refusal.not_found()


def editing_refusal(application: Application, moment: dt.datetime) -> Refusal | None:
    """Why nobody may change this application now, if so: withdrawn, or its window not open."""
    if application.is_withdrawn:
        return Refusal("Cette candidature a fait l'objet d'un désistement : elle ne peut plus être modifiée.")
    if not application.window.is_open_at(moment):
        return Refusal(f"La date limite ({datetime_fr(application.window.closes_at)}) est passée : le dossier ne peut "
                       "plus être modifié. Il est conservé tel quel.")
    return None


def can_edit_answers(user, application: Application, moment: dt.datetime) -> Refusal | None:
    """The lead organisation's members, while the window is open and the application not withdrawn."""
    return _lead_only(user, application, "modifier ses réponses") or editing_refusal(application, moment)


def can_delete_draft(user, application: Application) -> Refusal | None:
    """The lead organisation's members, while the application has never been deposited: once deposited, the
    service has seen it, and it is withdrawn instead."""
    if application.ever_deposited and can_view_application(user, application) is None:
        return Refusal.forbidden(DEPOSITED_STAYS)
    return _lead_only(user, application, "supprimer ce brouillon")


def can_withdraw(user, application: Application) -> Refusal | None:
    """The lead organisation's members, once the application is deposited (a draft never deposited is deleted)."""
    if refusal := _lead_only(user, application, "se désister"):
        return refusal
    if application.is_withdrawn:
        return Refusal("Cette candidature a déjà fait l'objet d'un désistement.")
    if not application.is_deposited:
        return Refusal(NOT_DEPOSITED)
    return None


def can_add_documents(user, application: Application, moment: dt.datetime) -> Refusal | None:
    """Lead and partner members while the window is open; after closing, only through a request for pieces."""
    if refusal := can_view_application(user, application):
        return refusal
    if application.is_withdrawn or not application.window.is_open_at(moment):
        return Refusal(UPLOADS_CLOSED)
    return None


def open_piece_request(application: Application, moment: dt.datetime):
    if application.locked_at is not None:
        return None  # the review has started: requests still open lapse
    return next((r for r in application.piece_requests if r.is_open_at(moment)), None)


def acting_organisation(user, application: Application):
    """Files are added in the name of the lead organisation, or of the partner this person belongs to."""
    if is_lead_member(user, application):
        return application.organisation_id
    return partner_organisation_of(user, application)


def answering_piece_request(user, application: Application, key: str, moment: dt.datetime) -> PieceRequest | None:
    """After closing, the open request for pieces through which the lead organisation uploads to this slot."""
    if can_add_documents(user, application, moment) is None:
        return None
    request = open_piece_request(application, moment)
    if request is not None and key in request.slots and is_lead_member(user, application):
        return request
    return None


def can_upload(user, application: Application, key: str, moment: dt.datetime) -> Refusal | None:
    """Before closing: the file's members and partners. After: only the slots of an open request for pieces."""
    if can_add_documents(user, application, moment) is None or answering_piece_request(user, application, key,
                                                                                        moment):
        return None
    return Refusal(UPLOADS_CLOSED)


def can_remove_file(user, application: Application, file: ApplicationFile, moment: dt.datetime) -> Refusal | None:
    """Whoever may upload to its slot now, if the file is her organisation's or she belongs to the lead."""
    if file.removed_at is not None:
        return Refusal.not_found()
    if can_upload(user, application, file.slot, moment) is not None or (
            file.organisation_id != acting_organisation(user, application) and not is_lead_member(user, application)):
        return Refusal("Vous ne pouvez plus retirer ce fichier.")
    return None


# Who else reads a deposited file is another domain's knowledge: the reviews domain lets a committee member read
# the applications assigned to her. Each rule maps (person, application) to whether she reads its last version.
_deposited_readers: list[Callable[[object, Application], bool]] = []


def read_deposited_by(rule: Callable[[object, Application], bool]) -> None:
    if rule not in _deposited_readers:
        _deposited_readers.append(rule)


def reads_deposited(user, application: Application) -> bool:
    """Its call's managers, and whoever a rule of another domain lets read it (read_deposited_by)."""
    return can_manage_application(user, application) is None or any(rule(user, application)
                                                                      for rule in _deposited_readers)


def can_download(user, application: Application, file: ApplicationFile, reader: bool | None = None) -> Refusal | None:
    """The applying organisation and its partners download any file of their application. Those who read what it
    deposited (reads_deposited; `reader` when the caller asked it already, once for many files) download the files
    of its last deposited version only — never a draft's — and none a virus scanner flagged or has not cleared."""
    if file.application_id != application.id:
        return Refusal.not_found()
    if can_view_application(user, application) is None:
        return None
    if reader is None:
        reader = reads_deposited(user, application)
    if not reader or not application.ever_deposited or file.id not in application.latest_version.file_ids:
        return Refusal.not_found()
    if file.is_blocked:
        return Refusal.forbidden(f"« {file.original_name} » ne peut pas être téléchargé : {file.scan_label}.")
    return None


# ---- the thread (messages.py) ---------------------------------------------------------------------------------

# Reviewers read only what a manager shared of a thread, and only where the reviews domain lets them read the file
# (assigned, not in conflict): each rule maps (person, application) to whether she reads the shared messages.
_shared_message_readers: list[Callable[[object, Application], bool]] = []


def read_shared_messages_by(rule: Callable[[object, Application], bool]) -> None:
    if rule not in _shared_message_readers:
        _shared_message_readers.append(rule)


def reads_shared_messages(user, application: Application) -> bool:
    return any(rule(user, application) for rule in _shared_message_readers)


def can_read_thread(user, application: Application) -> Refusal | None:
    """The lead organisation's members and the call's staff (can_manage_application: not those in conflict), from
    the first draft to after the decision; to anyone else — partners included — it does not exist (404)."""
    if is_lead_member(user, application):
        return None
    return can_manage_application(user, application)


def can_write_message(user, application: Application) -> Refusal | None:
    """Whoever reads the thread writes in it, withdrawn or decided: the thread outlives the file's changes."""
    return can_read_thread(user, application)


def can_share_message(user, application: Application) -> Refusal | None:
    """Only the call's staff share a message with the committee; a member is told why not, anyone else 404."""
    if can_manage_application(user, application) is None:
        return None
    if is_lead_member(user, application):
        return Refusal.forbidden("Seul le service instructeur partage un message avec le comité.")
    return Refusal.not_found()


def can_download_attachment(user, application: Application, attachment) -> Refusal | None:
    """Those who read the thread, and reviewers whom a rule lets read its shared messages (a shared message's
    attachments only); staff and reviewers never one a virus scanner flagged or has not cleared."""
    if attachment.message.application_id != application.id:
        return Refusal.not_found()
    if is_lead_member(user, application):
        return None
    staff = can_manage_application(user, application) is None
    if not staff and not (attachment.message.shared_at is not None and reads_shared_messages(user, application)):
        return Refusal.not_found()
    if ScanStatus(attachment.scan_status).is_blocked:
        return Refusal.forbidden(f"« {attachment.original_name} » ne peut pas être téléchargé : "
                                 f"{ScanStatus(attachment.scan_status).label}.")
    return None
