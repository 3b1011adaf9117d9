"""Downloads built from rows or files (CSV, XLSX, ZIP), streamed so that memory stays flat whatever the size.
X-Content-Type-Options: nosniff comes with every response from core.security; it is not repeated here."""

from __future__ import annotations

import csv
import datetime as dt
import io
import posixpath
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import chain, islice
from typing import BinaryIO
from urllib.parse import quote

from flask import Response, has_request_context, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.core import time

CHUNK = 64 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Already compressed: deflating them again costs CPU for a gain of a few percent at best.
STORED_EXTENSIONS = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".zip", ".gz", ".7z",
                               ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".mp3", ".mp4"})
# A text cell starting with one of these runs as a formula in a spreadsheet (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and, when needed, the exact UTF-8 name (RFC 6266 / RFC 5987)."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r'[\x00-\x1f\x7f"\\]', "", fallback) or "export"
    if fallback == filename:
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _streamed(body: Iterator[bytes], mimetype: str, filename: str, size: int | None = None) -> Response:
    # Lazy rows (a database cursor, files from storage) need the request's context while they are read.
    body = stream_with_context(body) if has_request_context() else body
    response = Response(body, mimetype=mimetype, headers={"Content-Disposition": content_disposition(filename)})
    if size is not None:
        response.content_length = size
    return response


def neutralised(text: str) -> str:
    """Text that a spreadsheet will show, never run: a leading apostrophe before = + - @ tab or CR (OWASP). Applied
    to text only — numbers and dates are written by _csv_cell from their types — and idempotent."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_cell(value: object) -> object:
    # Decimal is written "1234.50", not "1234,50": these files feed other programs first, and a dot never
    # depends on the reader's locale. Instants are ISO 8601 in Paris time, with their offset.
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return time.to_paris(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralised(value)
    return value


def csv_lines(header: list[str], rows: Iterable[list], delimiter: str = ";", bom: bool = True) -> Iterator[bytes]:
    """The one CSV writer of the portal (exports, open data, SCDL): UTF-8, CRLF, every cell through _csv_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if bom:
        buffer.write("\ufeff")
    for row in chain([header], rows):
        writer.writerow([_csv_cell(value) for value in row])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()


def csv_bytes(header: list[str], rows: Iterable[list], delimiter: str = ",") -> bytes:
    """A whole CSV file for machines (open-data formats ask for a comma and no BOM)."""
    return b"".join(csv_lines(header, rows, delimiter=delimiter, bom=False))


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> Response:
    """CSV for French Excel and for machines: UTF-8 with a BOM (Excel needs it to read accents), `;` between cells."""
    return _streamed(csv_lines(header, rows), "text/csv; charset=utf-8", filename)


def _xlsx_cell(sheet, value: object) -> WriteOnlyCell:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: an instant is shown as the wall-clock time in Paris.
        value = time.to_paris(value).replace(tzinfo=None) if value.tzinfo else value
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, Decimal):
        cell.number_format = "#,##0.00"
    elif isinstance(value, dt.datetime):
        cell.number_format = "dd/mm/yyyy hh:mm"
    elif isinstance(value, dt.date):
        cell.number_format = "dd/mm/yyyy"
    elif isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # openpyxl would store it as a formula: a user's text stays text
    return cell


def _shown_width(value: object) -> int:
    if isinstance(value, dt.date):
        return 16 if isinstance(value, dt.datetime) else 10  # as the number formats above display them
    return 0 if value is None else len(str(value))


def xlsx_response(filename: str, sheet_title: str, header: list[str], rows: Iterable[list]) -> Response:
    """One sheet with a bold, frozen header; the workbook is built in a temporary file, then streamed."""
    workbook = Workbook(write_only=True)
    # Excel refuses these characters, a leading or trailing apostrophe, and names past 31 characters.
    sheet = workbook.create_sheet(re.sub(r"[\\*?:/\[\]]", "-", sheet_title).strip("'")[:31] or "Export")
    rows = iter(rows)
    sample = list(islice(rows, 200))  # column widths must be set before the first row is written
    for index, title in enumerate(header, start=1):
        longest = max([len(title)] + [_shown_width(row[index - 1]) for row in sample if len(row) >= index])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(longest + 2, 8), 60)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = [WriteOnlyCell(sheet, value=title) for title in header]
    for cell in heading:
        cell.font = bold
    sheet.append(heading)
    for row in chain(sample, rows):
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it, once sent or abandoned
    workbook.save(spool)
    size = spool.tell()
    spool.seek(0)
    response = _streamed(iter(lambda: spool.read(CHUNK), b""), XLSX, filename, size)
    response.call_on_close(spool.close)
    return response


class _Pipe:
    """What zipfile writes into: an unseekable sink, drained after each chunk so it never holds more than one."""

    def __init__(self) -> None:
        self.pending = bytearray()

    def write(self, data) -> int:
        self.pending += data
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        data = bytes(self.pending)
        self.pending.clear()
        if data:  # the compressor often keeps a chunk to itself
            yield data


def safe_entry_name(name: str) -> str:
    """A relative path that extracts where expected on every system: no root, no `..`, no characters Windows refuses."""
    parts = (re.sub(r'[\x00-\x1f<>:"|?*]', "_", part).rstrip(". ") for part in name.replace("\\", "/").split("/"))
    return "/".join(part for part in parts if part not in ("", ".", "..")) or "fichier"


def _unique(name: str, taken: set[str]) -> str:
    # Compared case-insensitively: "Budget.pdf" and "budget.pdf" would overwrite each other on Windows and macOS.
    stem, extension = posixpath.splitext(name)
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{stem} ({number}){extension}"
    taken.add(candidate.casefold())
    return candidate


def _may_need_zip64(source: BinaryIO) -> bool:
    """Sizes follow the data (the output cannot seek back), so ZIP64 headers must be chosen before: only for
    sources that are large or of unknown size, since a few old unzippers stumble on them."""
    try:
        return source.seek(0, io.SEEK_END) - source.seek(0) >= zipfile.ZIP64_LIMIT
    except (AttributeError, OSError):
        return True


def zip_stream(entries: Iterable[tuple[str, Callable[[], BinaryIO]]]) -> Iterator[bytes]:
    """A ZIP archive produced as it is sent: each file is opened when its turn comes, copied by 64 KiB, closed."""
    pipe, taken = _Pipe(), set()
    stamp = time.to_paris(time.now()).timetuple()[:6]
    with zipfile.ZipFile(pipe, "w", allowZip64=True) as archive:
        for name, open_entry in entries:
            info = zipfile.ZipInfo(_unique(safe_entry_name(name), taken), date_time=stamp)
            info.external_attr = 0o644 << 16  # rw-r--r-- once extracted on Unix
            stored = posixpath.splitext(info.filename)[1].lower() in STORED_EXTENSIONS
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            with open_entry() as source, archive.open(info, "w", force_zip64=_may_need_zip64(source)) as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield from pipe.drain()
            yield from pipe.drain()
    yield from pipe.drain()


def zip_response(filename: str, entries: Iterable[tuple[str, Callable[[], BinaryIO]]]) -> Response:
    """The archive of `entries` (name, opener) as a download; see zip_stream."""
    return _streamed(zip_stream(entries), "application/zip", filename)
