"""The files published with a call written in the portal (the signed notice, a budget template, a model of the
descriptive note, an annex table): uploaded by its issuer's managers through the portal's one upload path
(core.uploads), listed on the call's page for download. Services flush and audit; the request commits."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import BinaryIO

from sqlalchemy import func, select

from portal.catalog.authoring_models import CallAttachment, CallSource
from portal.catalog.models import Call
from portal.core import audit
from portal.core.errors import Refusal
from portal.core.files import formats_label
from portal.core.scan_status import ScanStatus
from portal.core.storage import delete_after_commit
from portal.core.uploads import store_checked
from portal.extensions import db

FORMATS = ("pdf", "odt", "ods", "docx", "xlsx")
MAX_MB = 20
TITLE_MAX = 200
HINT = f"Formats acceptés : {formats_label(FORMATS)}. Taille maximale : {MAX_MB} Mo."


def add(source: CallSource, title: str, stream: BinaryIO, filename: str, by, at: dt.datetime) -> CallAttachment:
    """Check the file like every upload and keep it with the call's source, after the others. The caller has
    checked can_edit_source. A Refusal names its field: « title » or « file »."""
    title = " ".join((title or "").split())
    if not title:
        raise Refusal("Donnez un titre au document, tel que la page de l'appel le listera.", field="title")
    if len(title) > TITLE_MAX:
        raise Refusal(f"Le titre compte {len(title)} caractères pour {TITLE_MAX} au plus.", field="title")
    if stream is None or not filename:
        raise Refusal("Choisissez le fichier à joindre.", field="file")
    try:
        checked = store_checked(stream, filename, FORMATS, MAX_MB, by, f"call_source:{source.id}",
                                infected_action="catalog.attachment_infected", too_large="par document")
    except Refusal as refused:
        raise Refusal(refused.message, field="file") from refused
    position = db.session.scalar(select(func.coalesce(func.max(CallAttachment.position), -1))
                                 .where(CallAttachment.source_id == source.id)) + 1
    attachment = CallAttachment(
        source_id=source.id, position=position, title=title, **checked.columns(),
        uploaded_by_id=getattr(by, "id", None), uploaded_at=at)
    source.attachments.append(attachment)
    db.session.flush()
    audit.record("catalog.attachment_add", actor=by, target=f"call_source:{source.id}", title=title,
                 name=checked.name, sha256=checked.stored.sha256, size=checked.stored.size, scan=checked.scan.status)
    return attachment


def remove(attachment: CallAttachment, by) -> None:
    """Take a document off the call (audited); its stored file goes once the request commits, never before."""
    source = attachment.source
    source.attachments.remove(attachment)
    db.session.flush()
    delete_after_commit(attachment.storage_key)
    audit.record("catalog.attachment_remove", actor=by, target=f"call_source:{source.id}", title=attachment.title,
                 name=attachment.original_name, sha256=attachment.sha256)


def of_source(source: CallSource) -> list[CallAttachment]:
    """Every document of a call's source, as its managers see them (scan status included)."""
    return list(source.attachments)


def get(source: CallSource, attachment_id: uuid.UUID) -> CallAttachment | None:
    return next((a for a in source.attachments if a.id == attachment_id), None)


def published_with(call: Call) -> list[CallAttachment]:
    """The documents the call's page lists for download: its source's, but none a scanner blocked."""
    if call.id is None:  # the editor's preview of a call not yet published (catalog.services.unsaved_call)
        return []
    rows = db.session.scalars(select(CallAttachment).join(CallSource, CallSource.id == CallAttachment.source_id)
                              .where(CallSource.call_id == call.id).order_by(CallAttachment.position))
    return [row for row in rows if not ScanStatus(row.scan_status).is_blocked]


def published_one(call: Call, attachment_id: uuid.UUID) -> CallAttachment | None:
    return next((a for a in published_with(call) if a.id == attachment_id), None)
