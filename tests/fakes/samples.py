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


def odf(kind: str, manifest: bytes = ODF_MANIFEST) -> bytes:
    return archive([("mimetype", f"application/vnd.oasis.opendocument.{kind}".encode()),
                    ("content.xml", b"<office:document-content/>"), ("META-INF/manifest.xml", manifest)],
                   first_stored=True)


def docx(*, types_first: bool = False, extra: list[tuple[str, bytes]] = ()) -> bytes:
    parts = [("_rels/.rels", RELS), ("word/document.xml", b"<w:document/>" * 50), *extra]
    types = ("[Content_Types].xml", CONTENT_TYPES)
    return archive([types, *parts] if types_first else [*parts, types])


def xlsx(*, types_first: bool = False) -> bytes:
    parts = [("_rels/.rels", RELS), ("xl/workbook.xml", b"<workbook/>"), ("xl/worksheets/sheet1.xml", b"<sheet/>")]
    types = ("[Content_Types].xml", CONTENT_TYPES)
    return archive([types, *parts] if types_first else [*parts, types])


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHI", 2, 62, 1) + bytes(100)


def windows_program() -> bytes:
    return b"MZ" + b"\x90" * 58 + struct.pack("<I", 64) + b"PE\0\0\x4c\x01" + bytes(200)
