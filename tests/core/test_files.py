"""What people upload is judged by its content: real documents pass whatever their inner order, disguised pages,
programs, archives built to explode and documents carrying macros are refused with a message that says what was
found; names come back clean, ending with the extension of what the content is."""

import io
import struct
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest

from portal.core.files import UnsafeFile, check_upload, checked_filename, identify, safe_filename
from tests.fakes import samples
from tests.fakes.samples import CONTENT_TYPES, archive, docx, elf, jpeg, odf, pdf, png, windows_program, xlsx

ACCEPTED = ("pdf", "odt", "docx", "xlsx", "ods", "png", "jpg")
def refusal(content: bytes, accepted: tuple[str, ...] = ACCEPTED) -> str:
    with pytest.raises(UnsafeFile) as refused:
        check_upload(io.BytesIO(content), accepted)
    return refused.value.message


DOCUMENTS = {
    "pdf": pdf(), "png": png(), "jpg": jpeg(), "odt": odf("text"), "ods": odf("spreadsheet"),
    "docx": docx(), "docx types first": docx(types_first=True), "xlsx": xlsx(), "xlsx types first": xlsx(types_first=True),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_real_documents_are_accepted_whatever_the_order_inside(name, tmp_path: Path):
    path = tmp_path / "document"
    path.write_bytes(DOCUMENTS[name])
    with path.open("rb") as file:
        assert identify(file) == name.split()[0]
        assert check_upload(file, ACCEPTED) == name.split()[0]
        assert file.read() == DOCUMENTS[name]  # left rewound for whoever stores or scans it next


@pytest.mark.parametrize(("content", "found"), [
    (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "page web (HTML)"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>', "image SVG"),
    (elf(), "programme exécutable"),
    (windows_program(), "programme exécutable"),
    (windows_program() + docx(), "programme exécutable"),  # a program carrying a document is still a program
    (archive([("statuts.pdf", pdf())]), "archive ZIP"),
])
def test_disguised_files_are_refused_saying_what_they_really_are(content, found, tmp_path: Path):
    renamed = tmp_path / "statuts.pdf"
    renamed.write_bytes(content)
    with renamed.open("rb") as file:
        assert identify(file) is None
        with pytest.raises(UnsafeFile) as refused:
            check_upload(file, ACCEPTED)
    assert found in refused.value.message
    assert "PDF, ODT, DOCX, XLSX, ODS, PNG, JPEG" in refused.value.message
    assert "quel que soit le nom du fichier" in refused.value.message


def test_an_accepted_format_elsewhere_is_refused_where_only_pdf_is_asked():
    assert refusal(png(), ("pdf",)) == ("Le contenu de ce fichier n'est pas un format accepté (PDF) : il s'agit d'un "
                                        "fichier PNG, quel que soit le nom du fichier.")


def test_an_empty_file_is_refused():
    assert identify(io.BytesIO(b"")) is None
    assert refusal(b"") == "Le fichier est vide."


def test_a_zip_bomb_disguised_as_docx_is_refused_at_once(tmp_path: Path):
    bomb = tmp_path / "rapport.docx"
    zeros = bytes(4 * 1024 * 1024)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        with zf.open("word/document.xml", "w", force_zip64=True) as entry:
            for _ in range(100):  # 400 Mo of zeros, written in streaming: a few Mo on disk
                entry.write(zeros)
    assert bomb.stat().st_size < 5 * 1024 * 1024
    started = time.perf_counter()
    with bomb.open("rb") as file, pytest.raises(UnsafeFile) as refused:
        check_upload(file, ACCEPTED)
    assert time.perf_counter() - started < 1  # decided on the directory, nothing inflated
    assert "volume anormal" in refused.value.message


def test_a_document_with_one_overcompressed_part_is_refused():
    assert "volume anormal" in refusal(docx(extra=[("word/media/padding.bin", bytes(20 * 1024 * 1024))]))


def test_a_document_lying_about_its_inner_sizes_is_refused():
    honest = docx(extra=[("word/padding.xml", bytes(600_000))])
    lying = _forge(honest, "word/padding.xml", size=1000)
    assert identify(io.BytesIO(lying)) == "docx"
    assert "volume anormal" in refusal(lying)


def test_a_document_with_too_many_parts_is_refused():
    assert "10 000" in refusal(docx(extra=[(f"word/part{n}.xml", b"") for n in range(10_001)]))


@pytest.mark.parametrize("name", ["../../evil.xml", "/etc/cron.d/evil", "word\\..\\..\\evil.xml", "C:/evil.xml"])
def test_a_document_whose_parts_escape_their_folder_is_refused(name):
    assert "chemins internes dangereux" in refusal(docx(extra=[(name, b"x")]))


def test_a_password_protected_document_is_refused():
    assert "mot de passe" in refusal(_forge(docx(), "word/document.xml", encrypted=True))
    encrypted = b'<manifest:manifest><manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:manifest>'
    assert "mot de passe" in refusal(odf("text", manifest=encrypted))


def test_a_damaged_document_is_refused():
    whole = docx()
    assert "endommagé" in refusal(whole[: len(whole) // 2])
    body = whole.index(b"word/document.xml") + len("word/document.xml") + 2
    flipped = whole[:body] + bytes([whole[body] ^ 0xFF]) + whole[body + 1:]
    assert "endommagé" in refusal(flipped)


@pytest.mark.parametrize(("sent", "shown"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\CV.pdf", "CV.pdf"),
    ("Statuts signés 2024.pdf", "Statuts signés 2024.pdf"),
    (unicodedata.normalize("NFD", "Procès-verbal AG été.odt"), "Procès-verbal AG été.odt"),
    ("Budget 🎉 équipe 👩‍💻.xlsx", "Budget 🎉 équipe 👩‍💻.xlsx"),
    ("bud\x00get\x07 2024\r\n.pdf", "budget 2024.pdf"),
    ("facture\u202efdp.exe", "facturefdp.exe"),  # a right-to-left override would show « facture.pdf »
    ('devis : "final" ?.pdf', "devis final.pdf"),
    ("  Rapport \t  moral\u00a0 2024 .pdf", "Rapport moral 2024.pdf"),
    ("..cache.pdf", "cache.pdf"),
    ("...", "document"),
    (".pdf", "document.pdf"),
    ("", "document"),
    ("CON.pdf", "_CON.pdf"),
])
def test_names_come_back_without_folders_controls_or_forbidden_characters(sent, shown):
    assert safe_filename(sent) == shown


def test_a_very_long_name_is_cut_keeping_its_extension():
    sent = "Statuts " + "é" * 388 + ".pdf"
    assert len(sent) == 400
    shown = safe_filename(sent)
    assert len(shown) == 180
    assert shown.startswith("Statuts éé") and shown.endswith("é.pdf")


@pytest.mark.parametrize(("sent", "format", "kept"), [
    ("x.html", "pdf", "x.pdf"),  # a PDF+HTML polyglot can never come back as a web page
    ("rapport.PDF", "pdf", "rapport.pdf"),
    ("statuts", "pdf", "statuts.pdf"),
    ("budget.xlsx.exe", "xlsx", "budget.xlsx"),
    ("budget.XLSX.exe", "xlsx", "budget.xlsx"),
    ("budget.pdf.html", "xlsx", "budget.pdf.xlsx"),
    ("note.pdf", "docx", "note.docx"),
    ("photo.jpeg", "jpg", "photo.jpeg"),  # the other usual spelling of the same format
    ("photo.PNG", "jpg", "photo.jpg"),
    ("Compte rendu AG 12.03.2024", "odt", "Compte rendu AG 12.03.2024.odt"),  # a date is not an extension
    ("Statuts A.G", "pdf", "Statuts A.G.pdf"),
    ("../../x.html", "pdf", "x.pdf"),
    ("facture\u202efdp.exe", "pdf", "facturefdp.pdf"),
    ("CON.html", "pdf", "_CON.pdf"),
    (".html", "pdf", "document.pdf"),
    ("", "ods", "document.ods"),
])
def test_a_checked_file_is_named_with_the_extension_of_what_its_content_is(sent, format, kept):
    assert checked_filename(sent, format) == kept


def test_a_long_name_given_a_longer_extension_still_fits():
    kept = checked_filename("r" * 178 + ".x", "docx")
    assert len(kept) == 180 and kept.endswith("r.docx")


MACROS = ("Ce document contient des macros, qui peuvent exécuter un programme à l'ouverture : enregistrez-le sans "
          "macros (au format .docx, .xlsx, .odt ou .ods ordinaire), puis déposez-le encore.")
WITH_MACROS = {
    "docm": samples.docm(),
    "xlsm": samples.xlsm(),
    "VBA project alone": docx(extra=[("word/vbaProject.bin", samples.VBA_PROJECT)]),
    "VBA project renamed": docx(types=samples.content_types(samples.override("word/m.bin", "application/vnd.ms-office."
                                                                            "vbaProject")),
                                extra=[("word/m.bin", samples.VBA_PROJECT)]),
    "macro-enabled main part alone": docx(types=samples.content_types(samples.override("word/document.xml",
                                                                                       samples.WORD_MACRO_MAIN))),
    "content type spelt with character references": docx(types=samples.content_types(
        samples.override("word/document.xml", "application/vnd.ms-word.document.&#x6D;acro&#69;nabled.main+xml"))),
    "Excel 4.0 macro sheet": xlsx(types=samples.content_types(samples.override(
        "xl/macrosheets/sheet1.xml", "application/vnd.ms-excel.macrosheet+xml")),
        extra=[("xl/macrosheets/sheet1.xml", b"<xm:macrosheet/>")]),
    "ODT with Basic": samples.odf_with_basic("text"),
    "ODS with Basic": samples.odf_with_basic("spreadsheet"),
    "ODS with Python": samples.odf_with_python("spreadsheet"),
}


@pytest.mark.parametrize("name", WITH_MACROS)
def test_documents_with_macros_are_refused_saying_to_save_them_without(name):
    assert refusal(WITH_MACROS[name]) == MACROS


def test_ordinary_binary_parts_and_libreoffice_settings_are_not_macros():
    embedded = docx(types=samples.content_types(samples.override(
        "word/embeddings/oleObject1.bin", "application/vnd.openxmlformats-officedocument.oleObject")),
        extra=[("word/embeddings/oleObject1.bin", samples.VBA_PROJECT)])
    printer = xlsx(extra=[("xl/printerSettings/printerSettings1.bin", bytes(64))])
    toolbars = odf("text", extra=[("Configurations2/accelerator/current.xml", b""),
                                  ("Configurations2/toolbar/", b""), ("Dialogs/dialog-lc.xml", b"<dialogs/>")])
    assert check_upload(io.BytesIO(embedded), ACCEPTED) == "docx"
    assert check_upload(io.BytesIO(printer), ACCEPTED) == "xlsx"
    assert check_upload(io.BytesIO(toolbars), ACCEPTED) == "odt"


def test_a_document_whose_content_types_cannot_be_read_is_refused_as_damaged():
    assert "endommagé" in refusal(docx(types=b"<Types><Default Extension='xml'"))


def _forge(content: bytes, name: str, *, size: int | None = None, encrypted: bool = False) -> bytes:
    """Rewrite an entry's headers, local and central, as a forged archive would (APPNOTE 4.3.7, 4.3.12, 4.4.4)."""
    data = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        local, central = zf.getinfo(name).header_offset, zf.start_dir
    while data[central + 46: central + 46 + len(name)] != name.encode():
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, central + 28)
        central += 46 + name_length + extra_length + comment_length
    for flags, uncompressed in ((local + 6, local + 22), (central + 8, central + 24)):
        if encrypted:
            data[flags] |= 0x1
        if size is not None:
            struct.pack_into("<I", data, uncompressed, size)
    return bytes(data)
