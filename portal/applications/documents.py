"""Files of an application: uploaded in chunks to the store, checked by content against the slot's formats,
scanned (the portal's one upload path, core.uploads), or copied from the organisation's vault. A refused or failed
upload leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import BinaryIO

from flask import current_app

from portal.accounts.models import User, VaultDocument
from portal.applications.models import Application, ApplicationFile
from portal.applications.states import ScanStatus
from portal.catalog.schema import Document
from portal.core import audit, uploads
from portal.core.errors import Refusal
from portal.core.files import formats_label
from portal.core.storage import StoredFile, storage
from portal.core.uploads import MB, Checked
from portal.extensions import db


def slot_of(application: Application, key: str) -> Document:
    document = next((d for d in application.call.spec.required_documents if d.key == key), None)
    if document is None:
        raise Refusal("Cette pièce n'est pas demandée par l'appel.")
    return document


def hint(document: Document) -> str:
    """« Formats acceptés : PDF, ODT. Taille maximale : 20 Mo. » shown beside every upload field."""
    return (f"Formats acceptés : {formats_label(document.effective_formats)}. "
            f"Taille maximale : {document.effective_max_size_mb} Mo par fichier"
            f"{' ; plusieurs fichiers possibles' if document.multiple else ''}.")


def store_checked(stream: BinaryIO, filename: str, formats: tuple[str, ...], max_mb: int, by: User, target: str,
                  too_large: str = "pour cette pièce", also: Callable[[StoredFile], None] | None = None) -> Checked:
    """The portal's one upload path (core.uploads), an infected file audited as the applications' own: documents
    and messages alike."""
    return uploads.store_checked(stream, filename, formats, max_mb, by, target, infected_action="application.file_infected",
                                 too_large=too_large, also=also)


def upload(application: Application, key: str, stream: BinaryIO, filename: str, by: User,
           organisation_id: uuid.UUID, at: dt.datetime, piece_request_id: uuid.UUID | None = None,
           vault_document_id: uuid.UUID | None = None) -> ApplicationFile:
    """Store one file in a slot. The caller has checked that this person may add documents now."""
    document = slot_of(application, key)
    total_limit = current_app.config.get("APPLICATION_MAX_MB", 500) * MB

    def within_total(stored: StoredFile) -> None:
        if sum(f.size for f in application.current_files) + stored.size > total_limit:
            raise Refusal(f"L'ensemble des pièces dépasserait {total_limit // MB} Mo : retirez ou "
                          "compressez d'autres fichiers.")

    checked = store_checked(stream, filename, document.effective_formats, document.effective_max_size_mb, by,
                            f"application:{application.id}", also=within_total)
    try:
        origin = {"piece_request_id": piece_request_id, "vault_document_id": vault_document_id}
        return _keep(application, document, checked.stored, checked.format, checked.name, by, organisation_id, at,
                     checked.scan, origin)
    except BaseException:
        storage().delete(checked.stored.key)
        raise


def attach_from_vault(application: Application, key: str, vault_document: VaultDocument, by: User,
                      at: dt.datetime) -> ApplicationFile:
    """Copy a vault document into the slot: the application keeps its own copy even if the vault changes later."""
    with storage().open(vault_document.storage_key) as source:
        return upload(application, key, source, vault_document.original_name, by, vault_document.organisation_id,
                      at, vault_document_id=vault_document.id)


def _keep(application, document, stored, file_format, name, by, organisation_id, at, result,
          origin: dict) -> ApplicationFile:
    if not document.multiple:
        for previous in application.current_files:
            if previous.slot == document.key:
                previous.removed_at = at  # replaced; kept while a version refers to it
    row = ApplicationFile(application_id=application.id, slot=document.key, organisation_id=organisation_id,
                          storage_key=stored.key, sha256=stored.sha256, size=stored.size, format=file_format,
                          original_name=name, uploaded_by_id=by.id, uploaded_at=at, scan_status=ScanStatus(result.status),
                          scan_signature=result.signature, **origin)
    application.files.append(row)  # the draft sees it in this same transaction (the deposit that sent it)
    _touch(application, by, at)
    db.session.flush()
    audit.record("application.file_add", actor=by, target=f"application:{application.id}", slot=document.key,
                 name=name, sha256=stored.sha256, size=stored.size, scan=result.status)
    return row


def remove(application: Application, file: ApplicationFile, by: User, at: dt.datetime) -> None:
    file.removed_at = at
    _touch(application, by, at)
    audit.record("application.file_remove", actor=by, target=f"application:{application.id}", slot=file.slot,
                 name=file.original_name, sha256=file.sha256)
    db.session.flush()


def _touch(application: Application, by: User, at: dt.datetime) -> None:
    application.updated_at, application.updated_by_id, application.updated_by_name = at, by.id, by.name
    application.revision += 1
    if application.is_deposited:
        application.has_pending_changes = True
