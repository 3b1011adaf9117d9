"""What call managers take away: the list of applications as CSV or XLSX, and the deposited files as a streamed
ZIP with each application's thread (files a scanner flagged or has not cleared stay out, and a note in the ZIP says
which)."""

from __future__ import annotations

import io

from portal.applications import messages
from portal.applications.models import Application
from portal.applications.permissions import can_download, reads_deposited
from portal.applications.queries import files_by_id, organisations_by_id
from portal.applications.states import Channel
from portal.core.exports import csv_response, xlsx_response, zip_response
from portal.core.storage import storage
from portal.core.time import to_paris

HEADER = ["Numéro", "Organisation", "RNA", "SIRET", "Fenêtre", "Statut", "Version", "Déposée le (heure de Paris)",
          "Montant demandé (€)", "Total des charges (€)", "Pièces", "Modifications non déposées", "Canal de dépôt",
          "Date de réception"]
# How each file came: deposited online, or received and registered by the service (registration.py).
CHANNELS = {Channel.ONLINE: "En ligne", Channel.POST: "Courrier", Channel.EMAIL: "Courriel"}


def _rows(rows: list[Application]):
    organisations = organisations_by_id(a.organisation_id for a in rows)
    for application in rows:
        organisation = organisations[application.organisation_id]
        version = application.latest_version
        yield [application.number or "", organisation.legal_name, organisation.rna or "", organisation.siret or "",
               application.window.display_label or "", application.status_label,
               version.number if version else "", to_paris(version.submitted_at) if version else "",
               version.amount_requested if version else None, version.budget_totals.charges if version else None,
               len(version.files) if version else 0,
               "oui" if application.has_pending_changes else "non", CHANNELS[Channel(application.channel)],
               application.received_on.strftime("%d/%m/%Y") if application.received_on else ""]


def application_list(call, rows: list[Application], extension: str):
    name = f"candidatures-{call.slug}.{extension}"
    if extension == "csv":
        return csv_response(name, HEADER, _rows(rows))
    return xlsx_response(name, "Candidatures", HEADER, _rows(rows))


def files_zip(filename: str, applications: list[Application], user):
    """Every file of the last deposited version of each application that `user` may download, under
    « numéro/pièce/nom »; those the scanner blocks are named in a note instead (permissions.can_download)."""
    store = storage()
    deposited = [(a, a.latest_version.files) for a in applications if a.latest_version]
    rows = files_by_id(f.application_file_id for _, files in deposited for f in files)
    entries, blocked = [], []
    for application, files in deposited:
        reader = reads_deposited(user, application)
        for item in files:
            row = rows[item.application_file_id]
            path = f"{application.number}/{item.slot}/{item.name}"
            refusal = can_download(user, application, row, reader)
            if refusal and refusal.status == 404:
                continue
            if refusal:
                blocked.append(f"{path} : {row.scan_label}")
                continue
            entries.append((path, lambda key=row.storage_key: store.open(key)))
    thread_entries, thread_blocked = messages.zip_entries(applications, user)  # each thread she may read
    entries += thread_entries
    blocked += thread_blocked
    if blocked:
        note = ("Fichiers non inclus (antivirus) :\n" + "\n".join(blocked) + "\n").encode()
        entries.append(("FICHIERS-NON-INCLUS.txt", lambda: io.BytesIO(note)))
    return zip_response(filename, entries)
