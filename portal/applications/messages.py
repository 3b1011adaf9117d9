"""An application's thread (« Messagerie »): the applying organisation's members and the call's staff write to each
other, from the first draft to after the decision. A message is sent once and never changes (a correction is a new
message); only a manager's sharing with the call's reviewers is set afterwards. Attachments are checked like every
upload (documents.store_checked). The other side is told by e-mail that a message waits, never what it says.

Other domains read: unread_by_application, unread_count, unanswered_by_window, shared_with_reviewers."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import BinaryIO

from sqlalchemy import and_, case, event, false, func, inspect, or_, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import Membership, Role, User
from portal.accounts.permissions import is_admin
from portal.accounts.queries import managers_of, members_of
from portal.applications.documents import store_checked
from portal.applications.models import Application, Message, MessageAttachment, MessageRead
from portal.applications.permissions import (
    can_download_attachment,
    can_manage_application,
    can_read_thread,
    hidden_from_staff,
)
from portal.applications.states import MessageSide, ScanStatus
from portal.catalog.models import Call
from portal.core import audit, mail, personal_data
from portal.core.errors import Refusal
from portal.core.files import formats_label
from portal.core.formatting import datetime_fr, size_fr
from portal.core.storage import storage
from portal.core.urls import external_url
from portal.extensions import db

MAX_LENGTH = 5000
MAX_ATTACHMENTS = 5
ATTACHMENT_MAX_MB = 10
ATTACHMENT_FORMATS = ("pdf", "odt", "ods", "docx", "xlsx", "png", "jpg")
TOO_LONG = (f"Le message dépasse {MAX_LENGTH} caractères ({MAX_LENGTH} au plus) : raccourcissez-le ou joignez un "
            "document.")
HINT = (f"Jusqu'à {MAX_ATTACHMENTS} fichiers. Formats acceptés : {formats_label(ATTACHMENT_FORMATS)}. "
        f"Taille maximale : {ATTACHMENT_MAX_MB} Mo par fichier.")


class ImmutableMessage(Exception):
    """A sent message, or its attachment, was about to be changed or deleted: a programming error, never a user's."""


# ---- writing ------------------------------------------------------------------------------------------------

def send(application: Application, body: str, uploads: list[tuple[BinaryIO, str]], by: User, side: MessageSide,
         at: dt.datetime) -> Message:
    """Add a message to the thread with its attachments, tell the other side by e-mail, and mark the thread read
    for the sender. The caller has checked can_write_message and the side she writes for."""
    body = (body or "").strip()
    if not body:
        raise Refusal("Écrivez votre message.", field="message")
    if len(body) > MAX_LENGTH:
        raise Refusal(TOO_LONG, field="message")
    if len(uploads) > MAX_ATTACHMENTS:
        raise Refusal(f"Joignez au plus {MAX_ATTACHMENTS} fichiers à un message.", field="attachments")
    checked = []
    try:
        for stream, filename in uploads:
            checked.append(store_checked(stream, filename, ATTACHMENT_FORMATS, ATTACHMENT_MAX_MB, by,
                                         f"application:{application.id}", too_large="par pièce jointe"))
    except Refusal as refused:
        for kept in checked:  # nothing of a refused message stays, not even the attachments checked before
            storage().delete(kept.stored.key)
        raise Refusal(f"{refused.message} Le message n'a pas été envoyé.", field="attachments") from refused
    message = Message(application_id=application.id, side=side, author_id=by.id, author_name=by.name, body=body,
                      sent_at=at)
    for position, item in enumerate(checked):
        message.attachments.append(MessageAttachment(position=position, **item.columns()))
    db.session.add(message)
    db.session.flush()
    audit.record("application.message", actor=by, target=f"application:{application.id}", message=str(message.id),
                 side=str(side), attachments=[a.original_name for a in message.attachments])
    mark_read(by, application, at)
    _tell_the_other_side(application, message, by)
    return message


def mark_read(user: User, application: Application, at: dt.datetime) -> None:
    """The thread is read up to `at` for this person (never moved back). Nothing is written while the thread is
    empty, so that opening it does not make a draft look followed."""
    read = db.session.get(MessageRead, (user.id, application.id))
    if read is None:
        if not db.session.scalar(select(func.count(Message.id)).where(Message.application_id == application.id)):
            return
        db.session.add(MessageRead(user_id=user.id, application_id=application.id, read_until=at))
    elif read.read_until < at:
        read.read_until = at
    db.session.flush()


def share(message: Message, by: User, at: dt.datetime) -> None:
    """Show this message (and its attachments) to the call's reviewers assigned to the application. The caller has
    checked can_share_message."""
    if message.shared_at is not None:
        raise Refusal("Ce message est déjà partagé avec le comité.")
    message.shared_at, message.shared_by_id = at, by.id
    db.session.flush()
    audit.record("application.message_share", actor=by, target=f"application:{message.application_id}",
                 message=str(message.id))


def _tell_the_other_side(application: Application, message: Message, by: User) -> None:
    """One e-mail per recipient, with a link and no content: the applicant's message goes to the call's managers
    who may see the application (not those in conflict), the service's to the lead organisation's members."""
    if message.side == MessageSide.APPLICANT:
        recipients = [u for u in managers_of(application.call.uuid, application.call.issuer)
                      if can_manage_application(u, application) is None]
        url = external_url("applications.messages", application_id=application.id)
        sender = application_organisation_name(application)
    else:
        recipients = [m.user for m in members_of(_organisation(application))]
        url = external_url("applications.messages", application_id=application.id)
        sender = "le service instructeur"
    subject = f"Nouveau message — {application.number or application.call.title}"
    for person in recipients:
        if person.id == by.id or person.deleted_at is not None:
            continue
        mail.enqueue(person.email, subject, "message_waiting", person=person, application=application, url=url,
                     sender=sender, attachments=len(message.attachments))


def _organisation(application: Application):
    from portal.accounts.models import Organisation

    return db.session.get(Organisation, application.organisation_id)


def application_organisation_name(application: Application) -> str:
    return _organisation(application).legal_name


# ---- reading ------------------------------------------------------------------------------------------------

def thread(application: Application) -> list[Message]:
    """Every message, oldest first, with its attachments."""
    return list(db.session.scalars(select(Message).where(Message.application_id == application.id)
                                   .options(selectinload(Message.attachments)).order_by(Message.sent_at, Message.id)))


def shared_with_reviewers(application: Application) -> list[Message]:
    """The messages a manager shared with the committee, oldest first: all a reviewer ever reads of the thread."""
    return [m for m in thread(application) if m.shared_at is not None]


def message_of(application: Application, message_id: uuid.UUID) -> Message | None:
    return db.session.scalar(select(Message).where(Message.id == message_id,
                                                   Message.application_id == application.id))


def message_by_id(message_id: uuid.UUID) -> Message | None:
    return db.session.get(Message, message_id)


def attachment_by_id(attachment_id: uuid.UUID) -> MessageAttachment | None:
    return db.session.scalar(select(MessageAttachment).where(MessageAttachment.id == attachment_id)
                             .options(selectinload(MessageAttachment.message)))


def read_until(user: User, application: Application) -> dt.datetime | None:
    read = db.session.get(MessageRead, (user.id, application.id))
    return read.read_until if read is not None else None


def _my_organisations(user):
    return select(Membership.organisation_id).where(Membership.user_id == user.id)


def _from_the_other_side(user, hide: bool = True):
    """SQL: the message, of an application joined in the query, comes from the side this person does not write
    for — the service's for the applying organisation's members, the applicant's for staff (never an application
    hidden from her on the staff side, unless the caller has already left those out: `hide=False`)."""
    mine = Application.organisation_id.in_(_my_organisations(user))
    staff = [Message.side == MessageSide.APPLICANT, ~mine]
    if hide:
        staff += [Application.id.not_in(hidden) for hidden in hidden_from_staff(user)]
    return or_(and_(mine, Message.side == MessageSide.SERVICE), and_(*staff))


def _unread(user):
    """SQL: sent after the person's read mark on that thread (or she never read it)."""
    return or_(MessageRead.read_until.is_(None), Message.sent_at > MessageRead.read_until)


def _with_read_marks(query, user):
    return (query.join(Application, Application.id == Message.application_id)
            .outerjoin(MessageRead, and_(MessageRead.application_id == Message.application_id,
                                         MessageRead.user_id == user.id)))


def unread_by_application(user, application_ids) -> dict[uuid.UUID, int]:
    """For each of these applications, how many messages from the other side she has not read (absent: none), in
    one statement. The caller has already kept only the applications she may see (a staff list leaves out those
    hidden from her, an organisation's list holds its own): they are not filtered again."""
    ids = list(application_ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return {}
    rows = db.session.execute(_with_read_marks(select(Message.application_id, func.count(Message.id)), user)
                              .where(Message.application_id.in_(ids), _from_the_other_side(user, hide=False),
                                     _unread(user))
                              .group_by(Message.application_id))
    return dict(rows.all())


def _managed_calls(user):
    """SQL condition on Call: the calls this person manages (accounts.permissions.can_manage_call's rule)."""
    if is_admin(user):
        return Call.id.is_not(None)
    grants = [g for g in user.grants if g.role == Role.MANAGER]
    conditions = []
    if any(g.call_id for g in grants):
        conditions.append(Call.uuid.in_([g.call_id for g in grants if g.call_id]))
    if any(g.issuer for g in grants):
        conditions.append(Call.issuer.in_([g.issuer for g in grants if g.issuer]))
    return or_(*conditions) if conditions else false()


def unread_count(user) -> int:
    """How many messages wait for this person over every thread she reads: the service's in her organisations'
    applications, the applicants' in the applications of the calls she manages (none hidden from her). One
    statement."""
    if not getattr(user, "is_authenticated", False):
        return 0
    mine = Application.organisation_id.in_(_my_organisations(user))
    managed = Application.call_id.in_(select(Call.id).where(_managed_calls(user)))
    query = (_with_read_marks(select(func.count(Message.id)), user)
             .where(or_(mine, managed), _from_the_other_side(user), _unread(user)))
    return db.session.scalar(query) or 0


def unanswered_by_window(window_ids, user) -> dict[int, int]:
    """For each window, the applications whose latest message comes from the applicant (a question waiting for the
    service), among those not hidden from this person; one grouped statement."""
    ids = list(window_ids)
    if not ids:
        return {}
    latest = (select(Message.application_id,
                     func.max(case((Message.side == MessageSide.APPLICANT, Message.sent_at))).label("asked"),
                     func.max(case((Message.side == MessageSide.SERVICE, Message.sent_at))).label("answered"))
              .group_by(Message.application_id).subquery("latest"))
    query = (select(Application.window_id, func.count(Application.id))
             .join(latest, latest.c.application_id == Application.id)
             .where(Application.window_id.in_(ids), latest.c.asked.is_not(None),
                    or_(latest.c.answered.is_(None), latest.c.asked > latest.c.answered)))
    for hidden in hidden_from_staff(user):
        query = query.where(Application.id.not_in(hidden))
    return dict(db.session.execute(query.group_by(Application.window_id)).all())


def threads_of(application_ids) -> dict[uuid.UUID, list[Message]]:
    """The threads of many applications at once (two statements whatever their number), oldest message first."""
    ids = list(application_ids)
    if not ids:
        return {}
    found: dict[uuid.UUID, list[Message]] = {}
    for message in db.session.scalars(select(Message).where(Message.application_id.in_(ids))
                                      .options(selectinload(Message.attachments))
                                      .order_by(Message.sent_at, Message.id)):
        found.setdefault(message.application_id, []).append(message)
    return found


def transcript(application: Application, thread: list[Message], names: dict[uuid.UUID, str]) -> str:
    """The thread as plain text, for the application's ZIP: each message dated, signed and with its attachments
    as the ZIP names them."""
    lines = [f"Messagerie de la candidature {application.number or '(brouillon)'} — {application.call.title}",
             "Heures de Paris. Un message envoyé n'est ni modifié ni supprimé.", ""]
    for message in thread:
        lines += ["-" * 72, f"Le {datetime_fr(message.sent_at)} — {message.author_name} "
                  f"({MessageSide(message.side).label})"]
        if message.shared_at is not None:
            lines.append(f"Partagé avec le comité le {datetime_fr(message.shared_at)}")
        for attachment in message.attachments:
            lines.append(f"Pièce jointe : {names.get(attachment.id, attachment.original_name)} "
                         f"({attachment.format.upper()}, {size_fr(attachment.size)})")
        lines += ["", message.body, ""]
    return "\n".join(lines) + "\n"


def zip_entries(applications: list[Application], user) -> tuple[list, list[str]]:
    """For the ZIP of these applications, the thread of each one this person reads (never one hidden from her):
    « numéro/messages/messages.txt » and the attachments beside it (« 1-nom.pdf »), and the attachments a virus
    scanner blocks, named instead."""
    readable = [a for a in applications if can_read_thread(user, a) is None]
    threads = threads_of(a.id for a in readable)
    store = storage()
    entries, blocked = [], []
    for application in readable:
        thread = threads.get(application.id)
        if not thread:
            continue
        folder, names, rank = f"{application.number or application.id}/messages", {}, 0
        for message in thread:
            for attachment in message.attachments:
                rank += 1
                names[attachment.id] = f"{rank}-{attachment.original_name}"
                path = f"{folder}/{names[attachment.id]}"
                if can_download_attachment(user, application, attachment) is not None:
                    blocked.append(f"{path} : {ScanStatus(attachment.scan_status).label}")
                    continue
                entries.append((path, lambda key=attachment.storage_key: store.open(key)))
        text = transcript(application, thread, names).encode()
        entries.append((f"{folder}/messages.txt", lambda text=text: io.BytesIO(text)))
    return entries, blocked


# ---- immutability -------------------------------------------------------------------------------------------

MESSAGE_FIXED = ("application_id", "side", "author_name", "body", "sent_at")
ATTACHMENT_CHANGES = {"scan_status", "scan_signature"}  # a later scan may still give its verdict


@event.listens_for(Message, "before_update")
def _message_never_changes(mapper, connection, message: Message) -> None:
    state = inspect(message)
    changed = [name for name in MESSAGE_FIXED if state.attrs[name].history.has_changes()]
    author = state.attrs.author_id.history
    if author.has_changes() and author.added != [None]:  # detached from a deleted account: allowed
        changed.append("author_id")
    if changed:
        raise ImmutableMessage(f"A sent message never changes ({', '.join(changed)}): send a new one.")


@event.listens_for(MessageAttachment, "before_update")
def _attachment_never_changes(mapper, connection, attachment: MessageAttachment) -> None:
    state = inspect(attachment)
    changed = [a.key for a in state.attrs if a.key not in ATTACHMENT_CHANGES and a.key != "message"
               and a.history.has_changes()]
    if changed:
        raise ImmutableMessage(f"A sent attachment never changes ({', '.join(changed)}).")


@event.listens_for(Message, "before_delete")
@event.listens_for(MessageAttachment, "before_delete")
def _never_deleted(mapper, connection, target) -> None:
    raise ImmutableMessage("A sent message and its attachments are kept with the application: never deleted.")


# ---- personal data ------------------------------------------------------------------------------------------

def _export(user_id: int, email: str) -> list[dict]:
    """The messages the person wrote, with the application they belong to."""
    rows = db.session.execute(select(Message, Application.number, Call.title)
                              .join(Application, Application.id == Message.application_id)
                              .join(Call, Call.id == Application.call_id)
                              .where(Message.author_id == user_id).options(selectinload(Message.attachments))
                              .order_by(Message.sent_at))
    return [{"candidature": number, "appel": title, "envoye_le": m.sent_at.isoformat(), "au_nom_de": MessageSide(m.side).label,
             "message": m.body,
             "pieces_jointes": [a.original_name for a in m.attachments]} for m, number, title in rows]


def _erase(user_id: int, email: str) -> None:
    """Messages stay with the application they belong to (its record for the organisation and the service), under
    the name they were signed with; the person's read marks go."""
    for read in db.session.scalars(select(MessageRead).where(MessageRead.user_id == user_id)):
        db.session.delete(read)


personal_data.register("messages", _export, _erase)
