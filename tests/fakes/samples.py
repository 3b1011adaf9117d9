"""Real sample files built in memory (no binary fixtures): documents the portal accepts and files it must refuse."""

import io
import struct
import zipfile
import zlib

CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                 b'2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
RELS = b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>'
ODF_MANIFEST = (b'<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                b'manifest:1.0"><manifest:file-entry manifest:full-path="/"/></manifest:manifest>')


def pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def pdf_html_polyglot() -> bytes:
    """A real PDF that is also a web page: a browser told it is HTML runs the script hidden in a PDF comment."""
    return pdf().replace(b"%%EOF", b"%<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF")


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # one pixel, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte, then a red pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def archive(entries: list[tuple[str, bytes]], *, first_stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for position, (name, data) in enumerate(entries):
            stored = first_stored and position == 0
            zf.writestr(name, data, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def odf(kind: str, manifest: bytes = ODF_MANIFEST, extra: list[tuple[str, bytes]] = ()) -> bytes:
    return archive([("mimetype", f"application/vnd.oasis.opendocument.{kind}".encode()),
                    ("content.xml", b"<office:document-content/>"), ("META-INF/manifest.xml", manifest), *extra],
                   first_stored=True)


def docx(*, types_first: bool = False, extra: list[tuple[str, bytes]] = (), types: bytes = CONTENT_TYPES) -> bytes:
    parts = [("_rels/.rels", RELS), ("word/document.xml", b"<w:document/>" * 50), *extra]
    return archive([("[Content_Types].xml", types), *parts] if types_first else [*parts, ("[Content_Types].xml", types)])


def xlsx(*, types_first: bool = False, extra: list[tuple[str, bytes]] = (), types: bytes = CONTENT_TYPES) -> bytes:
    parts = [("_rels/.rels", RELS), ("xl/workbook.xml", b"<workbook/>"), ("xl/worksheets/sheet1.xml", b"<sheet/>"),
             *extra]
    return archive([("[Content_Types].xml", types), *parts] if types_first else [*parts, ("[Content_Types].xml", types)])


def content_types(*declarations: str) -> bytes:
    """[Content_Types].xml declaring these <Default/> and <Override/> elements after the plain XML default."""
    return CONTENT_TYPES.replace(b"</Types>", "".join(declarations).encode() + b"</Types>")


def override(part: str, content_type: str) -> str:
    return f'<Override PartName="/{part}" ContentType="{content_type}"/>'


# What Word and Excel write when a document keeps its macros (.docm, .xlsm): a VBA project, an OLE compound file.
VBA_PROJECT = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
VBA_DEFAULT = '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
EXCEL_MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def docm() -> bytes:
    """A Word document saved with its macros (.docm), as Word writes it."""
    return docx(types=content_types(VBA_DEFAULT, override("word/document.xml", WORD_MACRO_MAIN)),
                extra=[("word/vbaProject.bin", VBA_PROJECT), ("word/_rels/vbaProject.bin.rels", RELS)])


def xlsm() -> bytes:
    """An Excel workbook saved with its macros (.xlsm), as Excel writes it."""
    return xlsx(types=content_types(VBA_DEFAULT, override("xl/workbook.xml", EXCEL_MACRO_MAIN)),
                extra=[("xl/vbaProject.bin", VBA_PROJECT)])


# What LibreOffice writes for a document macro in LibreOffice Basic: a « Basic » folder, one library per folder.
BASIC_LIBRARIES = (b'<?xml version="1.0" encoding="UTF-8"?><library:libraries xmlns:library="http://openoffice.org/'
                   b'2000/library"><library:library library:name="Standard" library:link="false"/></library:libraries>')
BASIC_MODULE = (b'<?xml version="1.0" encoding="UTF-8"?><script:module xmlns:script="http://openoffice.org/2000/'
                b'script" script:name="Module1" script:language="StarBasic">Sub Main\n  Shell("calc.exe")\n'
                b'End Sub</script:module>')


def odf_with_basic(kind: str) -> bytes:
    return odf(kind, extra=[("Basic/script-lc.xml", BASIC_LIBRARIES), ("Basic/Standard/script-lb.xml", b"<lib/>"),
                            ("Basic/Standard/Module1.xml", BASIC_MODULE)])


def odf_with_python(kind: str) -> bytes:
    """LibreOffice keeps Python, BeanShell and JavaScript macros of a document under « Scripts »."""
    return odf(kind, extra=[("Scripts/python/macro.py", b"import os\nos.system('calc.exe')\n")])


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHI", 2, 62, 1) + bytes(100)


def windows_program() -> bytes:
    return b"MZ" + b"\x90" * 58 + struct.pack("<I", 64) + b"PE\0\0\x4c\x01" + bytes(200)
