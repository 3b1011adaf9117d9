"""What call managers take away: the list of applications as CSV or XLSX, and the deposited files as a streamed
ZIP (files a scanner flagged or has not cleared stay out, and a note in the ZIP says which)."""

from __future__ import annotations

import io
import uuid

from portal.applications import cerfa
from portal.applications.models import Application
from portal.applications.queries import files_by_id, organisations_by_id
from portal.core.exports import csv_response, xlsx_response, zip_response
from portal.core.storage import storage
from portal.core.time import to_paris

HEADER = ["Numéro", "Organisation", "RNA", "SIRET", "Fenêtre", "Statut", "Version", "Déposée le (heure de Paris)",
          "Montant demandé (€)", "Total des charges (€)", "Pièces", "Modifications non déposées"]


def _rows(rows: list[Application]):
    organisations = organisations_by_id(a.organisation_id for a in rows)
    for application in rows:
        organisation = organisations[application.organisation_id]
        version = application.latest_version
        given = version.snapshot.get("answers", {}) if version else {}
        figures = given.get("cerfa", {})
        try:
            requested = cerfa.parse_amount(figures.get("amount_requested"))
        except ValueError:
            requested = None
        yield [application.number or "", organisation.legal_name, organisation.rna or "", organisation.siret or "",
               application.window.display_label or "", application.status_label,
               version.number if version else "", to_paris(version.submitted_at) if version else "",
               requested, cerfa.totals(figures.get("budget", {})).charges if version else None,
               len(version.snapshot.get("files", [])) if version else 0,
               "oui" if application.has_pending_changes else "non"]


def application_list(call, rows: list[Application], extension: str):
    name = f"candidatures-{call.slug}.{extension}"
    if extension == "csv":
        return csv_response(name, HEADER, _rows(rows))
    return xlsx_response(name, "Candidatures", HEADER, _rows(rows))


def files_zip(filename: str, applications: list[Application]):
    """Every file of the last deposited version of each application, under « numéro/pièce/nom »."""
    store = storage()
    snapshots = [(a, a.latest_version.snapshot["files"]) for a in applications if a.latest_version]
    rows = files_by_id(f["id"] for _, files in snapshots for f in files)
    entries, blocked = [], []
    for application, files in snapshots:
        for item in files:
            row = rows[uuid.UUID(item["id"])]
            path = f"{application.number}/{item['slot']}/{item['name']}"
            if row.is_blocked:
                blocked.append(f"{path} : {row.scan_label}")
                continue
            entries.append((path, lambda key=row.storage_key: store.open(key)))
    if blocked:
        note = ("Fichiers non inclus (antivirus) :\n" + "\n".join(blocked) + "\n").encode()
        entries.append(("FICHIERS-NON-INCLUS.txt", lambda: io.BytesIO(note)))
    return zip_response(filename, entries)
