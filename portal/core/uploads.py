"""The one upload path of the portal: a file streamed to the store, then checked by its content, scanned, and kept
only when it passed — the applications' documents and messages and the calls' attachments alike.

The store and the transaction meet thus: a file is written to the store first (streamed while the request lasts),
then the caller adds its row and flushes; the request commits both at its end (core.unit_of_work). A file refused
here is deleted from the store at once; a request that fails after the file was stored rolls its row back and
leaves the stored copy named by no row, which `portal storage gc` deletes after its grace period."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from portal.core import audit
from portal.core.errors import Refusal
from portal.core.files import UnsafeFile, check_upload, checked_filename, safe_filename
from portal.core.scan_status import ScanStatus
from portal.core.scanner import ScanResult, scanner
from portal.core.storage import StoredFile, TooLarge, storage

MB = 1024 * 1024


@dataclass(frozen=True)
class Checked:
    """A file in the store that passed every check: its content's format, the name it is kept under and what the
    virus scanner said (never « infected »: that one is refused)."""

    stored: StoredFile
    format: str
    name: str
    scan: ScanResult

    def columns(self) -> dict:
        """The values of core.stored_files.StoredFileColumns for the row that keeps this file."""
        return dict(storage_key=self.stored.key, sha256=self.stored.sha256, size=self.stored.size,
                    format=self.format, original_name=self.name, scan_status=ScanStatus(self.scan.status),
                    scan_signature=self.scan.signature)


def store_checked(stream: BinaryIO, filename: str, formats: tuple[str, ...], max_mb: int, by, target: str, *,
                  infected_action: str, too_large: str = "pour cette pièce",
                  also: Callable[[StoredFile], None] | None = None) -> Checked:
    """Stream to the store under a generated name, then refuse it (and delete it at once) when empty, too large, not
    of an accepted format by its content, unsafe or infected (audited as `infected_action` on `target`, by the
    person `by`). `also` adds the caller's own check on the stored file (a total size)."""
    store = storage()
    try:
        stored = store.save(stream, max_mb * MB)
    except TooLarge as error:
        raise Refusal(f"« {safe_filename(filename)} » dépasse la taille maximale de {max_mb} Mo {too_large} : il n'a "
                      "pas été enregistré.") from error
    try:
        if stored.size == 0:
            raise Refusal(f"« {safe_filename(filename)} » est vide.")
        if also is not None:
            also(stored)
        with store.open(stored.key) as handle:
            file_format = check_upload(handle, formats)
        with store.open(stored.key) as handle:
            result = scanner().scan(handle)
        name = checked_filename(filename, file_format)
        if result.status == ScanStatus.INFECTED:
            # Refused before any row is written: only the audit entry remains, which the view keeps
            # (unit_of_work.keep).
            audit.record(infected_action, actor=by, target=target, name=name, signature=result.signature)
            raise Refusal(f"« {name} » contient un virus ({result.signature}) : il a été refusé et supprimé.")
        return Checked(stored, file_format, name, result)
    except UnsafeFile as refused:
        store.delete(stored.key)
        raise Refusal(f"« {safe_filename(filename)} » : {refused.message}") from refused
    except BaseException:
        store.delete(stored.key)
        raise
