"""The accusé de réception of a version: what it states (number, call, window, time, every file with its size and
SHA-256, a verification link), as a PDF and as an e-mail to every member of the organisation."""

from __future__ import annotations

from dataclasses import dataclass

from portal.accounts.queries import members_of
from portal.applications.models import Application, Version
from portal.core import mail
from portal.core.pdf import render_pdf
from portal.core.urls import external_url
from portal.extensions import db


@dataclass(frozen=True)
class Receipt:
    application: Application
    version: Version
    organisation: object
    files: list  # of VersionFile
    verification_url: str

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)


def receipt_of(application: Application, version: Version) -> Receipt:
    from portal.accounts.models import Organisation

    organisation = db.session.get(Organisation, application.organisation_id)
    url = external_url("verification.verify", code=version.verification_code)
    return Receipt(application, version, organisation, version.files, url)


def send(application: Application, version: Version) -> None:
    """Queue the receipt e-mail to every member, in the depositing transaction (the outbox sends it)."""
    receipt = receipt_of(application, version)
    subject = f"Accusé de réception — candidature {application.number} (version {version.number})"
    pdf_url = external_url("applications.receipt_pdf", application_id=application.id, number=version.number)
    for membership in members_of(receipt.organisation):
        mail.enqueue(membership.user.email, subject, "receipt", receipt=receipt, name=membership.user.name,
                     pdf_url=pdf_url)


def pdf(application: Application, version: Version) -> bytes:
    return render_pdf("applications/receipt_pdf.html", receipt=receipt_of(application, version))
