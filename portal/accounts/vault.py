"""The organisation's agréments and document vault: kept once, reused by every application."""

from __future__ import annotations

import datetime as dt
from typing import BinaryIO

from portal.accounts.models import Agrement, Organisation, User, VaultDocument
from portal.core import audit
from portal.core.errors import Refusal
from portal.core.files import UnsafeFile, check_upload, checked_filename, formats_label, mime_of
from portal.core.storage import TooLarge, delete_after_commit, storage
from portal.core.time import now
from portal.extensions import db

VAULT_FORMATS = ("pdf", "odt", "docx", "xlsx", "ods", "png", "jpg")
VAULT_MAX_MB = 20


def add_agrement(organisation: Organisation, by: User, *, kind: str, authority: str, issued_on: dt.date,
                 reference: str | None = None, expires_on: dt.date | None = None) -> Agrement:
    agrement = Agrement(organisation=organisation, kind=kind, reference=reference, authority=authority,
                        issued_on=issued_on, expires_on=expires_on)
    db.session.add(agrement)
    db.session.flush()
    audit.record("organisation.agrement_add", actor=by, target=f"organisation:{organisation.id}", kind=kind)
    db.session.flush()
    return agrement


def remove_agrement(agrement: Agrement, by: User) -> None:
    audit.record("organisation.agrement_remove", actor=by, target=f"organisation:{agrement.organisation_id}",
                 kind=agrement.kind)
    db.session.delete(agrement)
    db.session.flush()


def add_document(organisation: Organisation, by: User, stream: BinaryIO, original_name: str, *, kind: str,
                 label: str, year: int | None = None, valid_until: dt.date | None = None) -> VaultDocument:
    """Store the file under a generated name, then keep it only if its content is an accepted format and safe."""
    store = storage()
    try:
        stored = store.save(stream, VAULT_MAX_MB * 1024 * 1024)
    except TooLarge as error:
        raise Refusal(f"Le fichier dépasse la taille maximale de {VAULT_MAX_MB} Mo.", field="file") from error
    if stored.size == 0:
        store.delete(stored.key)
        raise Refusal("Le fichier est vide.", field="file")
    try:
        with store.open(stored.key) as kept:
            format_key = check_upload(kept, VAULT_FORMATS)
    except UnsafeFile as refused:
        store.delete(stored.key)
        raise Refusal(refused.message, field="file") from refused
    # The format's own MIME type and extension, not libmagic's first guess nor the sender's: a DOCX may start like any
    # ZIP, a PDF may be named « x.html », and downloads and copies into applications use both.
    document = VaultDocument(organisation_id=organisation.id, kind=kind, label=label, year=year,
                             valid_until=valid_until, storage_key=stored.key, sha256=stored.sha256, size=stored.size,
                             mime=mime_of(format_key), original_name=checked_filename(original_name, format_key),
                             uploaded_by_id=by.id, uploaded_at=now())
    db.session.add(document)
    try:
        db.session.flush()
    except Exception:
        store.delete(stored.key)  # no row will name it; a rollback later leaves it to `portal storage gc`
        raise
    audit.record("organisation.vault_add", actor=by, target=f"organisation:{organisation.id}", label=label,
                 sha256=stored.sha256)
    return document


def remove_document(document: VaultDocument, by: User) -> None:
    key = document.storage_key
    audit.record("organisation.vault_remove", actor=by, target=f"organisation:{document.organisation_id}",
                 label=document.label, sha256=document.sha256)
    db.session.delete(document)
    db.session.flush()
    delete_after_commit(key)  # not before: a rolled-back removal must not lose the file


def accepted_formats() -> str:
    return formats_label(VAULT_FORMATS)

