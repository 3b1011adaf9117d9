"""What the virus scanner (core.scanner) said of a stored upload, plus pending while it has not answered: one
vocabulary for the applications' files, the messages' attachments and the calls' attachments."""

from __future__ import annotations

from portal.core.labels import Labelled, labelled


class ScanStatus(Labelled):
    """What the virus scanner said of a file (core.scanner's results, plus pending while it has not answered)."""

    PENDING = "pending"
    CLEAN = "clean"
    INFECTED = "infected"
    FAILED = "failed"
    NOT_SCANNED = "not_scanned"

    @property
    def is_blocked(self) -> bool:
        """Staff may not download a file a virus scanner flagged, or could not check, or has not finished."""
        return self in (ScanStatus.PENDING, ScanStatus.INFECTED, ScanStatus.FAILED)


SCAN_LABELS = labelled(ScanStatus, {
    ScanStatus.PENDING: "analyse en cours", ScanStatus.CLEAN: "analysé, sain",
    ScanStatus.INFECTED: "virus détecté — bloqué", ScanStatus.FAILED: "analyse impossible — bloqué",
    ScanStatus.NOT_SCANNED: "non analysé"})
