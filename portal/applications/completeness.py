"""What is missing before an application can be deposited: answers (answers.py) and documents, in one list
that the completeness panel shows with a link to each item, and that submission refuses to pass."""

from __future__ import annotations

from dataclasses import dataclass

from portal.accounts.models import Organisation
from portal.applications import answers
from portal.applications.answers import Problem
from portal.applications.models import Application, ApplicationFile
from portal.applications.states import ScanStatus
from portal.catalog.schema import Document
from portal.extensions import db


@dataclass(frozen=True)
class Slot:
    """A required or optional document of the call, with the files currently in it."""

    document: Document
    files: list[ApplicationFile]

    @property
    def anchor(self) -> str:
        return f"doc-{self.document.key}"

    @property
    def filled(self) -> bool:
        return bool(self.files)


def documents_asked(application: Application) -> list:
    """The call's documents as asked of this application's organisation: one the call requires of other legal
    forms only (« s'il s'agit d'une association »: Document.required_for) is optional for it. The deposit, the
    documents page and the screening checklist all read this."""
    documents = application.call.spec.required_documents
    if any(document.required_for for document in documents):  # read the organisation only when it matters
        legal_form = db.session.get(Organisation, application.organisation_id).legal_form
        documents = [document.for_carrier(legal_form) for document in documents]
    return documents


def slots(application: Application) -> list[Slot]:
    current = application.current_files
    return [Slot(document, [f for f in current if f.slot == document.key]) for document in documents_asked(application)]


def problems(application: Application) -> list[Problem]:
    found = answers.problems(application.call.spec, application.answers or {})
    for slot in slots(application):
        if slot.document.required and not slot.filled:
            found.append(Problem(slot.anchor, slot.document.label, "pièce obligatoire manquante.", page="documents"))
        for file in slot.files:
            if file.scan_status == ScanStatus.INFECTED:
                found.append(Problem(slot.anchor, slot.document.label,
                                     f"« {file.original_name} » contient un virus : supprimez-le.", page="documents"))
    return found
