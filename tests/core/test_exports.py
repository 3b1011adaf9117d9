"""Exports staff download and open in Excel or feed to other programs: CSV, XLSX and ZIP, streamed."""

import csv
import datetime as dt
import io
import os
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.core import time
from portal.core.exports import csv_response, xlsx_response, zip_response, zip_stream

HEADER = ["Structure", "Montant demandé", "Déposé le", "Date de début"]
SUBMITTED = dt.datetime(2025, 5, 9, 21, 59, 59, tzinfo=dt.UTC)  # 23:59:59 in Paris (summer time)
ROWS = [
    ["Association Élan — Arras", Decimal("25493.66"), SUBMITTED, dt.date(2025, 9, 1)],
    ["CCAS de Lens", Decimal("1200.50"), None, None],
]


def body_of(response) -> bytes:
    return b"".join(response.response)


def test_csv_opens_in_french_excel_with_accents_and_semicolons(app):
    with app.test_request_context():
        response = csv_response("dépôts-2025.csv", HEADER, iter(ROWS))
        body = body_of(response)

    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=\"depots-2025.csv\"; filename*=UTF-8''d%C3%A9p%C3%B4ts-2025.csv")
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "Structure;Montant demandé;Déposé le;Date de début"
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1] == ["Association Élan — Arras", "25493.66", "2025-05-09T23:59:59+02:00", "2025-09-01"]
    assert rows[2] == ["CCAS de Lens", "1200.50", "", ""]


def test_csv_cell_that_would_run_as_a_formula_stays_text(app):
    with app.test_request_context():
        body = body_of(csv_response("export.csv", ["Titre"], [['=HYPERLINK("http://x","clic")']]))

    assert list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))[1] == ["'=HYPERLINK(\"http://x\",\"clic\")"]


def test_xlsx_has_a_bold_frozen_header_numbers_and_paris_times(app):
    with app.test_request_context():
        response = xlsx_response("dépôts.xlsx", "Dépôts: mai/juin", HEADER, iter(ROWS + [["=1+1", None, None, None]]))
        body = body_of(response)

    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.content_length == len(body)
    assert "filename*=UTF-8''d%C3%A9p%C3%B4ts.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.title == "Dépôts- mai-juin"
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    amount = sheet["B2"]
    assert amount.data_type == "n" and amount.value == pytest.approx(25493.66)
    assert amount.number_format == "#,##0.00"
    assert sheet["C2"].value == dt.datetime(2025, 5, 9, 23, 59, 59)  # wall-clock time in Paris, no zone
    assert sheet["D2"].value == dt.datetime(2025, 9, 1)
    assert sheet["A4"].value == "=1+1" and sheet["A4"].data_type == "s"
    assert 8 <= sheet.column_dimensions["A"].width <= 60


def files(tmp_path, contents: dict[str, bytes]):
    """Entries as a domain would pass them: a name and a way to open the stored file, called when zipped."""
    for index, data in enumerate(contents.values()):
        (tmp_path / f"stored-{index}").write_bytes(data)
    return [(name, (lambda path=tmp_path / f"stored-{index}": path.open("rb")))
            for index, name in enumerate(contents)]


def test_zip_has_every_file_identical_with_safe_unique_names(app, tmp_path):
    budget, statuts, scan = b"budget " * 5000, "Statuts signés".encode(), os.urandom(200_000)
    entries = files(tmp_path, {"budget.xlsx": budget, "statuts.odt": statuts, "scan.pdf": scan}) + [
        ("Budget.xlsx", lambda: io.BytesIO(b"second budget")),
        ("../x", lambda: io.BytesIO(b"x")),
        ("/etc/passwd", lambda: io.BytesIO(b"p")),
        ("dossier 12/..\\..\\notes?.txt", lambda: io.BytesIO(b"n" * 100_000)),
        ("budget.xlsx", lambda: io.BytesIO(b"third budget")),
    ]
    with app.test_request_context():
        response = zip_response("Dossiers déposés.zip", entries)
        archive = zipfile.ZipFile(io.BytesIO(body_of(response)))

    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="Dossiers deposes.zip"')
    assert archive.testzip() is None
    assert archive.namelist() == ["budget.xlsx", "statuts.odt", "scan.pdf", "Budget (2).xlsx", "x", "etc/passwd",
                                  "dossier 12/notes_.txt", "budget (3).xlsx"]
    assert archive.read("budget.xlsx") == budget
    assert archive.read("statuts.odt") == statuts
    assert archive.read("scan.pdf") == scan
    assert archive.read("Budget (2).xlsx") == b"second budget"
    assert archive.read("budget (3).xlsx") == b"third budget"
    assert archive.read("x") == b"x"
    assert archive.getinfo("scan.pdf").compress_type == zipfile.ZIP_STORED
    assert archive.getinfo("dossier 12/notes_.txt").compress_type == zipfile.ZIP_DEFLATED


@pytest.mark.parametrize("build", [
    lambda: csv_response("export.csv", ["Structure"], [["CCAS de Lens"]]),
    lambda: xlsx_response("export.xlsx", "Export", ["Structure"], [["CCAS de Lens"]]),
    lambda: zip_response("export.zip", [("a.txt", lambda: io.BytesIO(b"a"))]),
], ids=["csv", "xlsx", "zip"])
def test_every_export_tells_browsers_not_to_guess_its_type(app, build):
    with app.test_request_context():
        response = app.process_response(build())  # the application's after_request hooks, core.security among them
        body_of(response)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_zip_opens_each_file_only_when_its_turn_comes_and_closes_it(tmp_path):
    events = []

    class Tracked(io.BytesIO):
        def close(self):
            events.append(("closed", self.getvalue()[:1]))
            super().close()

    def opener(letter: bytes):
        def open_it():
            events.append(("opened", letter))
            return Tracked(letter * 10)
        return open_it

    stream = zip_stream([("a.txt", opener(b"a")), ("b.txt", opener(b"b"))])
    assert events == []
    for _ in stream:
        pass
    assert events == [("opened", b"a"), ("closed", b"a"), ("opened", b"b"), ("closed", b"b")]


def test_zip_of_60_mb_streams_in_constant_memory(tmp_path, app):
    time.set_clock(lambda: SUBMITTED)
    sources = []
    for index, name in enumerate(["scan-1.pdf", "scan-2.pdf", "tableau.csv"]):
        path = tmp_path / f"source-{index}"
        with path.open("wb") as out:
            for _ in range(20):  # 20 MB, written by the mebibyte
                out.write(os.urandom(1 << 20) if name.endswith(".pdf") else b"Ligne;Montant;1234.50\n" * 47663)
        sources.append((name, lambda path=path: path.open("rb")))
    target = tmp_path / "dossiers.zip"

    tracemalloc.start()
    try:
        with target.open("wb") as out:
            for chunk in zip_stream(sources):
                out.write(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 10 * 1024 * 1024, f"peak Python memory {peak / 1e6:.1f} MB"
    with zipfile.ZipFile(target) as archive:
        assert [info.file_size for info in archive.infolist()] == [20 << 20, 20 << 20, (tmp_path / "source-2").stat().st_size]
        assert archive.getinfo("scan-1.pdf").date_time == (2025, 5, 9, 23, 59, 58)  # Paris time, 2-second steps
        assert archive.testzip() is None
