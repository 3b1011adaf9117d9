"""The « dossier de contrôle » of a convention (issue 17): the file a control asks for about one grant — the
application as deposited, its eligibility, reviews, decision and letters, the convention's versions and signed
copies, the reports and their files, the payment schedule, the messages — gathered through each domain's public
reads into one ZIP in numbered French folders, with an index PDF (bundle_index) naming every file with its date,
author, size and SHA-256, and the audit trail.

Each part holds what the person may see through the domain's own predicates: the call's managers get every part;
the issuer's finance department, who sees the convention as staff, gets the convention, reports and payments, and is
told the rest is the managers'. A stored file is copied from the store as the ZIP is written (never held in memory);
the documents the portal draws (PDFs, CSVs) are small and made first, so that the index can give their SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import posixpath
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from portal.accounts.models import Organisation, User
from portal.applications import cerfa, messages, receipts
from portal.applications.models import Application
from portal.applications.permissions import can_download, can_download_attachment, can_read_thread, reads_deposited
from portal.applications.queries import files_by_id
from portal.core.errors import Refusal
from portal.core.exports import safe_entry_name, zip_stream
from portal.core.pdf import render_pdf
from portal.core.scan_status import SCAN_LABELS, ScanStatus
from portal.core.storage import storage
from portal.extensions import db
from portal.followup import bundle_parts, conventions
from portal.followup.models import Convention
from portal.followup.permissions import can_manage_convention, can_view_convention_as_staff
from portal.followup.states import SIGNATURE_SIDE_LABELS
from portal.reviews import letters
from portal.reviews import queries as review_queries
from portal.reviews.permissions import can_review, has_conflict

INDEX = "00-index.pdf"
PARTS = {"01-candidature": "Candidature", "02-recevabilite": "Recevabilité", "03-evaluations": "Évaluations",
         "04-decision": "Décision et lettre de notification", "05-convention": "Convention et avenants",
         "06-bilans": "Bilans", "07-paiements": "Paiements", "08-messages": "Messagerie"}
RESERVED = "Partie réservée aux gestionnaires de l'appel : elle n'est pas jointe à ce dossier."


def can_download_bundle(user, convention: Convention) -> Refusal | None:
    """The convention's staff (its managers, the issuer's finance department), never a person in conflict of
    interest with the application: to her, as to anyone else, the file does not exist (404)."""
    if refusal := can_view_convention_as_staff(user, convention):
        return refusal
    if has_conflict(user, conventions.application_of(convention)):
        return Refusal.not_found()
    return None


@dataclass(frozen=True)
class Entry:
    """One file of the ZIP: where it lies, what the index says of it, and how to open it when its turn comes."""

    path: str
    size: int
    sha256: str
    dated: dt.datetime | dt.date | None
    author: str | None
    opener: Callable[[], BinaryIO]

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class Part:
    folder: str
    title: str
    entries: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what is left out, and why; what the part holds otherwise
    taken: set[str] = field(default_factory=set, repr=False)

    def _path(self, name: str) -> str:
        # Compared case-insensitively, as zip_stream does: it then keeps the name the index gives.
        path = safe_entry_name(f"{self.folder}/{name}")
        stem, extension = posixpath.splitext(path)
        candidate, number = path, 1
        while candidate.casefold() in self.taken:
            number += 1
            candidate = f"{stem} ({number}){extension}"
        self.taken.add(candidate.casefold())
        return candidate

    def add_bytes(self, name: str, data: bytes, dated, author: str | None = None) -> None:
        self.entries.append(Entry(self._path(name), len(data), hashlib.sha256(data).hexdigest(), dated, author,
                                  lambda: io.BytesIO(data)))

    def add_stored(self, name: str, key: str, size: int, sha256: str, dated, author: str | None = None) -> None:
        self.entries.append(Entry(self._path(name), size, sha256, dated, author, lambda: storage().open(key)))


@dataclass
class Bundle:
    convention: Convention
    application: Application
    organisation: Organisation
    parts: list[Part]
    manages: bool  # the call's manager: every part; else (finance) the follow-up's only

    @property
    def call(self):
        return self.application.call

    @property
    def entries(self) -> list[Entry]:
        return [entry for part in self.parts for entry in part.entries]

    @property
    def file_count(self) -> int:
        """The files of the ZIP, its index included."""
        return len(self.entries) + 1


def slug(text: str) -> str:
    """« Bilan final (fin de la convention) » → « bilan-final-fin-de-la-convention »: a folder's name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60] or "document"


class People:
    """The names of the people who wrote or uploaded something, read once each."""

    def __init__(self) -> None:
        self.names: dict[int, str | None] = {}

    def __call__(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self.names:
            user = db.session.get(User, user_id)
            self.names[user_id] = user.name if user is not None else None
        return self.names[user_id]


# ---- the parts the call's managers see (the selection side) -------------------------------------------------

def _application_part(part: Part, application: Application, user, people: People) -> None:
    """Each deposited version's receipt and answers, and the files of the last deposited version (the ones staff
    download: can_download); a file the virus scanner blocks is named, not joined."""
    number = application.number
    for version in application.versions:
        part.add_bytes(f"accuse-reception-{number}-v{version.number}.pdf", receipts.pdf(application, version),
                       version.submitted_at, version.submitted_by_name)
        answers = render_pdf("followup/bundle_answers_pdf.html", application=application, version=version,
                             spec=application.call.spec, given=version.answers, cerfa=cerfa,
                             totals=version.budget_totals, issuer_name=application.call.spec.issuer.body)
        part.add_bytes(f"reponses-{number}-v{version.number}.pdf", answers, version.submitted_at,
                       version.submitted_by_name)
    latest = application.latest_version
    if latest is None:
        return
    rows = files_by_id(f.application_file_id for f in latest.files if f.application_file_id)
    reader = reads_deposited(user, application)
    for item in latest.files:
        row = rows.get(item.application_file_id)
        refusal = can_download(user, application, row, reader) if row is not None else Refusal.not_found()
        if refusal is not None:
            part.notes.append(f"«\u00a0{item.name}\u00a0» ({item.slot}) n'est pas joint : "
                              f"{row.scan_label if row is not None else 'fichier introuvable'}.")
            continue
        part.add_stored(f"pieces/{item.slot}/{item.name}", row.storage_key, item.size, item.sha256, row.uploaded_at,
                        people(row.uploaded_by_id))


def _decision_part(part: Part, application: Application, people: People) -> None:
    decision = review_queries.decision_of(application)
    if decision is None:
        part.notes.append("Aucune décision n'est enregistrée.")
        return
    part.add_bytes("decision.csv", bundle_parts.decision_csv(decision), decision.decided_at,
                   people(decision.decided_by_id))
    if letters.letter_of(application) is not None and decision.published_at is not None:
        part.add_bytes(letters.filename(application), letters.letter_pdf(application), decision.published_at)
    for change in decision.changes:
        part.add_bytes(letters.filename(application, change), letters.render(letters.change_letter(application, change)),
                       change.recorded_at, people(change.recorded_by_id))


def _messages_part(part: Part, application: Application, user) -> None:
    """The thread as text (messages.transcript) with each attachment beside it, named as the text names it."""
    thread = messages.thread(application)
    if not thread:
        part.notes.append("Aucun message n'a été échangé.")
        return
    names, rank = {}, 0
    for message in thread:
        for attachment in message.attachments:
            rank += 1
            names[attachment.id] = f"{rank}-{attachment.original_name}"
            if refusal := can_download_attachment(user, application, attachment):
                part.notes.append(f"«\u00a0{names[attachment.id]}\u00a0» n'est pas jointe : {refusal.message}")
                continue
            part.add_stored(f"pieces-jointes/{names[attachment.id]}", attachment.storage_key, attachment.size,
                            attachment.sha256, message.sent_at, message.author_name)
    part.add_bytes("messages.txt", messages.transcript(application, thread, names).encode(), thread[-1].sent_at)


# ---- the follow-up's parts, which finance sees too ----------------------------------------------------------

def _convention_part(part: Part, convention: Convention, people: People) -> None:
    for version in convention.versions:
        part.add_bytes(conventions.filename(convention, version), conventions.version_pdf(convention, version),
                       version.created_at, people(version.created_by_id))
        for copy in version.signed_copies:
            name = f"exemplaires-signes/v{version.number}-{slug(SIGNATURE_SIDE_LABELS[copy.side].split()[0])}-" \
                   f"{copy.original_name}"
            if ScanStatus(copy.scan_status).is_blocked:
                part.notes.append(f"«\u00a0{copy.original_name}\u00a0» n'est pas joint : {SCAN_LABELS[ScanStatus(copy.scan_status)]}.")
                continue
            part.add_stored(name, copy.storage_key, copy.size, copy.sha256, copy.uploaded_at,
                            people(copy.uploaded_by_id))


def _reports_part(part: Part, convention: Convention, people: People) -> None:
    filed = [r for r in convention.reports if r.submitted_at is not None]
    for report in convention.reports:
        if report.submitted_at is None:
            part.notes.append(f"{report.label} : {bundle_parts.report_state(report)}, non déposé.")
    for index, report in enumerate(filed, start=1):
        folder = f"{index:02d}-{slug(report.label.split(' (')[0])}"
        part.add_bytes(f"{folder}/bilan.csv", bundle_parts.report_csv(report), report.accepted_at or report.submitted_at,
                       people(report.accepted_by_id or report.submitted_by_id))
        for file in report.files:
            if ScanStatus(file.scan_status).is_blocked:
                part.notes.append(f"«\u00a0{file.original_name}\u00a0» ({report.label}) n'est pas joint : "
                                  f"{SCAN_LABELS[ScanStatus(file.scan_status)]}.")
                continue
            part.add_stored(f"{folder}/{file.slot}-{file.original_name}", file.storage_key, file.size, file.sha256,
                            file.uploaded_at, people(file.uploaded_by_id))


# ---- the bundle -----------------------------------------------------------------------------------------------

def gather(convention: Convention, user, at: dt.datetime) -> Bundle:
    """Every part of the file, as this person may see it at `at`; the caller has checked can_download_bundle."""
    application = conventions.application_of(convention)
    organisation = db.session.get(Organisation, application.organisation_id)
    manages = can_manage_convention(user, convention) is None
    selection = manages and can_review(user, application) is None
    people, taken = People(), {INDEX.casefold()}
    parts = {folder: Part(folder, title, taken=taken) for folder, title in PARTS.items()}
    if manages:
        _application_part(parts["01-candidature"], application, user, people)
    if selection:
        bundle_parts.eligibility_part(parts["02-recevabilite"], application, people)
        bundle_parts.reviews_part(parts["03-evaluations"], application, organisation.legal_name)
        _decision_part(parts["04-decision"], application, people)
    if manages and can_read_thread(user, application) is None:
        _messages_part(parts["08-messages"], application, user)
    _convention_part(parts["05-convention"], convention, people)
    _reports_part(parts["06-bilans"], convention, people)
    parts["07-paiements"].add_bytes("echeancier.csv", bundle_parts.schedule_csv(convention), at)
    left_out = [] if manages else ["01-candidature", "08-messages"]
    left_out += [] if selection else ["02-recevabilite", "03-evaluations", "04-decision"]
    for folder in left_out:
        parts[folder].notes.append(RESERVED)
    return Bundle(convention, application, organisation, list(parts.values()), manages)


def write_zip(bundle: Bundle, index_pdf: bytes, target: BinaryIO) -> int:
    """Write the ZIP into `target` (a temporary file: the archive may weigh hundreds of megabytes), chunk by chunk;
    return its size."""
    size = 0
    entries = [(INDEX, lambda: io.BytesIO(index_pdf))] + [(e.path, e.opener) for e in bundle.entries]
    for chunk in zip_stream(entries):
        target.write(chunk)
        size += len(chunk)
    target.flush()
    return size
