"""What a file really is, judged by its content (libmagic), never by its name or the browser's claim."""

from __future__ import annotations

import magic

# Format keys used in call files and forms, with the MIME types libmagic reports for them and their labels.
FORMATS: dict[str, tuple[frozenset[str], str]] = {
    "pdf": (frozenset({"application/pdf"}), "PDF"),
    "odt": (frozenset({"application/vnd.oasis.opendocument.text"}), "ODT"),
    "ods": (frozenset({"application/vnd.oasis.opendocument.spreadsheet"}), "ODS"),
    "docx": (frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}), "DOCX"),
    "xlsx": (frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}), "XLSX"),
    "png": (frozenset({"image/png"}), "PNG"),
    "jpg": (frozenset({"image/jpeg"}), "JPEG"),
}


def sniff(head: bytes) -> str:
    """The MIME type of a file from its first bytes (8 KiB is enough for every format above)."""
    return magic.from_buffer(head, mime=True)


def format_of(mime: str) -> str | None:
    return next((key for key, (mimes, _) in FORMATS.items() if mime in mimes), None)


def formats_label(keys: tuple[str, ...] | list[str]) -> str:
    return ", ".join(FORMATS[key][1] for key in keys if key in FORMATS)
