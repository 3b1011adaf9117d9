"""What a file really is, judged by its content (libmagic, then the ZIP directory for office documents), never by
its name or the browser's claim; whether it is safe to keep; and the name under which it is shown again."""

from __future__ import annotations

import re
import struct
import unicodedata
import zipfile
import zlib
from typing import BinaryIO
from xml.parsers import expat

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
# The extensions a file of each format may be offered under, the first when its name has none of them.
EXTENSIONS: dict[str, tuple[str, ...]] = {key: (key,) for key in FORMATS} | {"jpg": ("jpg", "jpeg")}
ZIP_FORMATS = frozenset({"odt", "ods", "docx", "xlsx"})
ODF_MIMETYPES = {"application/vnd.oasis.opendocument.text": "odt",
                 "application/vnd.oasis.opendocument.spreadsheet": "ods"}
HEAD = 8192
CHUNK = 64 * 1024

# Far above any real office document (a 20 Mo DOCX full of photos unpacks to well under 100 Mo): past these, the
# container was built to explode in the hands of whoever opens it (reviewer's desktop, converter, indexer).
MAX_UNPACKED = 300 * 1024 * 1024
MAX_RATIO = 100  # office XML compresses about 10:1; beyond 100:1 on a large entry it is padding
RATIO_FROM = 1024 * 1024
MAX_ENTRIES = 10_000

EMPTY = "Le fichier est vide."
DAMAGED = ("Ce document est endommagé ou incomplet : ouvrez-le, enregistrez-le à nouveau depuis votre logiciel, "
           "puis déposez-le encore.")
ENCRYPTED = "Ce document est protégé par un mot de passe : enregistrez-le sans mot de passe, puis déposez-le encore."
BOMB = ("Ce document est refusé : une fois décompressé, il occuperait un volume anormal "
        "(plus de 300 Mo, ou un taux de compression suspect).")
CROWDED = ("Ce document est refusé : il contient plus de 10 000 éléments internes, "
           "ce qu'aucun document ordinaire ne fait.")
UNREADABLE = "un document endommagé ou protégé (archive ZIP illisible)"
ESCAPING = "Ce document est refusé : il contient des chemins internes dangereux (chemin absolu ou « .. »)."
MACROS = ("Ce document contient des macros, qui peuvent exécuter un programme à l'ouverture : enregistrez-le sans "
          "macros (au format .docx, .xlsx, .odt ou .ods ordinaire), puis déposez-le encore.")
# Word and Excel keep macros in a VBA project (.docm, .xlsm: « vbaProject.bin », « vbaData.xml ») or, for Excel 4.0
# macros, in macro sheets; the part's name may change, its content type may not (ECMA-376 part 2, 10.1.2.2).
OOXML_MACRO_PART = re.compile(r"vbaproject|vbadata|(^|/)macrosheets/")
OOXML_MACRO_TYPE = re.compile(r"vba|macroenabled|macrosheet")
# LibreOffice says a document has macros when its package holds a « Basic » or « Scripts » folder
# (sfx2/source/doc/docmacromode.cxx, DocumentMacroMode::storageHasMacros).
ODF_MACRO_FOLDERS = ("basic/", "scripts/")
TYPES_MAX = 8 * 1024 * 1024  # 10 000 parts declared one by one stay under 3 Mo

EXECUTABLE, ARCHIVE, SCRIPT = "un programme exécutable", "une archive compressée", "un script (programme)"
# What libmagic found, in the words of the refusal message.
DESCRIPTIONS = {
    "text/html": "une page web (HTML)", "application/xhtml+xml": "une page web (HTML)",
    "image/svg+xml": "une image SVG", "application/zip": "une archive ZIP",
    "application/x-executable": EXECUTABLE, "application/x-pie-executable": EXECUTABLE,
    "application/x-sharedlib": EXECUTABLE, "application/x-mach-binary": EXECUTABLE,
    "application/x-dosexec": EXECUTABLE, "application/vnd.microsoft.portable-executable": EXECUTABLE,
    "application/x-msi": EXECUTABLE, "application/x-ms-installer": EXECUTABLE,
    "text/x-shellscript": SCRIPT, "text/javascript": SCRIPT, "application/javascript": SCRIPT,
    "text/x-python": SCRIPT, "text/x-perl": SCRIPT, "text/x-php": SCRIPT, "text/x-msdos-batch": SCRIPT,
    "application/x-rar": ARCHIVE, "application/vnd.rar": ARCHIVE, "application/x-7z-compressed": ARCHIVE,
    "application/gzip": ARCHIVE, "application/x-tar": ARCHIVE, "application/x-bzip2": ARCHIVE,
    "application/x-xz": ARCHIVE,
    "application/msword": "un document Word d'ancien format (.doc)",
    "application/vnd.ms-excel": "un classeur Excel d'ancien format (.xls)",
    "application/x-ole-storage": "un document Office d'ancien format ou protégé par un mot de passe",
    "application/encrypted": "un document Office protégé par un mot de passe",
    "text/plain": "un fichier texte", "text/xml": "un fichier XML", "application/xml": "un fichier XML",
    "text/rtf": "un document RTF", "image/gif": "une image GIF", "image/webp": "une image WebP",
    "image/heic": "une photo HEIC", "image/tiff": "une image TIFF", "image/bmp": "une image BMP",
}
# What zipfile and zlib raise on a damaged or unusual container; NotImplementedError is zipfile's answer to a
# compression method it does not know (not a stub of ours): such a file is refused as damaged too.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError,
              ValueError, struct.error)


class UnsafeFile(Exception):
    """A user's file we refuse to keep; `message` tells them why, in French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sniff(head: bytes) -> str:
    """The MIME type of a file from its first bytes (8 KiB is enough for every format above)."""
    return magic.from_buffer(head, mime=True)


def format_of(mime: str) -> str | None:
    return next((key for key, (mimes, _) in FORMATS.items() if mime in mimes), None)


def mime_of(key: str) -> str:
    """The MIME type to serve a file of this format with, whatever libmagic said of its first bytes."""
    return next(iter(FORMATS[key][0]))


def formats_label(keys: tuple[str, ...] | list[str]) -> str:
    return ", ".join(FORMATS[key][1] for key in keys if key in FORMATS)


def identify(file: BinaryIO) -> str | None:
    """The format key of a seekable file, from its content alone; None for anything else (HTML, SVG, programs…)."""
    return _examine(file)[0]


def check_upload(file: BinaryIO, accepted: tuple[str, ...]) -> str:
    """The one content check of the portal: the file's format key if accepted and safe, else UnsafeFile."""
    key, found = _examine(file)
    if found == EMPTY:
        raise UnsafeFile(EMPTY)
    if key is None or key not in accepted:
        if key is not None:
            found = f"un fichier {FORMATS[key][1]}"
        what = f" : il s'agit d'{found}" if found else ""
        raise UnsafeFile(f"Le contenu de ce fichier n'est pas un format accepté ({formats_label(accepted)}){what}, "
                         "quel que soit le nom du fichier.")
    check_safe(file, key)
    return key


def check_safe(file: BinaryIO, format: str) -> None:
    """Refuse a container that would explode, write outside a folder or hide behind a password when opened; the
    central directory decides, then each entry is inflated once, streaming, to hold it to its declared size."""
    if format not in ZIP_FORMATS:
        return
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            _check_directory(entries)
            for entry in entries:
                _check_inflates_as_declared(file, entry)
            if format in ODF_MIMETYPES.values() and _odf_is_encrypted(archive):
                raise UnsafeFile(ENCRYPTED)
            if _has_macros(archive, format):
                raise UnsafeFile(MACROS)
    except ZIP_ERRORS as error:
        raise UnsafeFile(DAMAGED) from error
    finally:
        file.seek(0)


def _examine(file: BinaryIO) -> tuple[str | None, str | None]:
    """The format key, or None with what was found in the users' words (None when we cannot name it)."""
    file.seek(0)
    head = file.read(HEAD)
    file.seek(0)
    if not head:
        return None, EMPTY
    if head.startswith(b"PK\x03\x04"):
        # libmagic names an OOXML file only when [Content_Types].xml comes first, and names an executable with a ZIP
        # appended as a ZIP: only an archive starting at byte 0 is opened, and only its directory decides.
        return _examine_zip(file)
    mime = sniff(head)
    key = format_of(mime)
    if key is not None and key not in ZIP_FORMATS:
        return key, None
    if mime in DESCRIPTIONS:
        return None, DESCRIPTIONS[mime]
    return None, "une image d'un autre format" if mime.startswith("image/") else None


def _examine_zip(file: BinaryIO) -> tuple[str | None, str | None]:
    try:
        with zipfile.ZipFile(file) as archive:
            if any(entry.header_offset < 0 for entry in archive.infolist()):
                return None, UNREADABLE  # a forged directory pointing before the file: seeking there is an OSError
            names = archive.namelist()
            if "mimetype" in names:  # OpenDocument, section 3.3: the package's type, as plain text
                declared = archive.getinfo("mimetype")
                kind = archive.read(declared).decode("ascii", "replace").strip() if declared.file_size < 256 else ""
                key = ODF_MIMETYPES.get(kind)
                return key, None if key else "un document OpenDocument d'un autre type"
            if "[Content_Types].xml" in names:  # Office Open XML (ECMA-376, part 2): the main part's folder
                if any(name.startswith("word/") for name in names):
                    return "docx", None
                if any(name.startswith("xl/") for name in names):
                    return "xlsx", None
                return None, "un document Office d'un autre type (présentation…)"
            return None, DESCRIPTIONS["application/zip"]
    except ZIP_ERRORS:
        return None, UNREADABLE
    finally:
        file.seek(0)


def _check_directory(entries: list[zipfile.ZipInfo]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise UnsafeFile(CROWDED)
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED:
        raise UnsafeFile(BOMB)
    for entry in entries:
        if entry.header_offset < 0:
            raise UnsafeFile(DAMAGED)
        if entry.flag_bits & 0x1:
            raise UnsafeFile(ENCRYPTED)
        parts = re.split(r"[/\\]", entry.orig_filename)
        if parts[0] == "" or re.match(r"[A-Za-z]:", parts[0]) or ".." in parts or "\0" in entry.orig_filename:
            raise UnsafeFile(ESCAPING)
        if entry.file_size > RATIO_FROM and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise UnsafeFile(BOMB)


def _odf_is_encrypted(archive: zipfile.ZipFile) -> bool:
    """OpenDocument encrypts each entry, not the ZIP, and says so in its manifest (OpenDocument 1.3, part 2, 4.8)."""
    try:
        manifest = archive.getinfo("META-INF/manifest.xml")
    except KeyError:
        return False
    return manifest.file_size <= RATIO_FROM and b"encryption-data" in archive.read(manifest)


def _has_macros(archive: zipfile.ZipFile, format: str) -> bool:
    """Macros run a program on the reader's computer once she lets them, and no call asks for one. Called only after
    every entry was held to its declared size, so the parts read here are as small as they say."""
    names = [name.lower() for name in archive.namelist()]
    if format in ODF_MIMETYPES.values():
        return any(name.startswith(ODF_MACRO_FOLDERS) for name in names)
    if any(OOXML_MACRO_PART.search(name) for name in names):
        return True
    return any(OOXML_MACRO_TYPE.search(kind) for kind in _content_types(archive))


def _content_types(archive: zipfile.ZipFile) -> set[str]:
    """Every content type [Content_Types].xml declares, lower-cased, as an XML parser reads them: a type spelt with
    character references (« &#x6D;acroEnabled ») is the same type to Word."""
    try:
        entry = archive.getinfo("[Content_Types].xml")
    except KeyError as error:  # the package's index of its parts (ECMA-376 part 2, 10.1.2): no Office opens it
        raise UnsafeFile(DAMAGED) from error
    if entry.file_size > TYPES_MAX:
        raise UnsafeFile(DAMAGED)
    found: set[str] = set()
    parser = expat.ParserCreate()
    parser.StartElementHandler = lambda _, attributes: found.add(attributes.get("ContentType", "").lower())
    try:
        parser.Parse(archive.read(entry), True)
    except expat.ExpatError as error:
        raise UnsafeFile(DAMAGED) from error
    return found


def _check_inflates_as_declared(file: BinaryIO, entry: zipfile.ZipInfo) -> None:
    """Declared sizes are the sender's word: inflate, and stop as soon as the output goes past them."""
    file.seek(entry.header_offset)
    local = file.read(30)  # APPNOTE 4.3.7: local file header, then name and extra field
    if len(local) < 30 or not local.startswith(b"PK\x03\x04"):
        raise UnsafeFile(DAMAGED)
    name_length, extra_length = struct.unpack("<HH", local[26:30])
    file.seek(entry.header_offset + 30 + name_length + extra_length)
    if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UnsafeFile(DAMAGED)  # no office suite writes bzip2, LZMA or Deflate64
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if entry.compress_type == zipfile.ZIP_DEFLATED else None
    left, produced, crc = entry.compress_size, 0, 0
    while left > 0:
        pending = file.read(min(CHUNK, left))
        if not pending:
            raise UnsafeFile(DAMAGED)
        left -= len(pending)
        while pending:
            if inflater is None:
                output, pending = pending, b""
            else:
                output, pending = inflater.decompress(pending, CHUNK), inflater.unconsumed_tail
            produced, crc = produced + len(output), zlib.crc32(output, crc)
            if produced > entry.file_size:
                raise UnsafeFile(BOMB)
    if inflater is not None:
        output = inflater.flush()  # with no input left, only the few bytes already decoded can come out
        produced, crc = produced + len(output), zlib.crc32(output, crc)
        if produced > entry.file_size:
            raise UnsafeFile(BOMB)
        if not inflater.eof:
            raise UnsafeFile(DAMAGED)
    if produced != entry.file_size or crc != entry.CRC:
        raise UnsafeFile(DAMAGED)


WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
JOINERS = {"\u200c", "\u200d"}  # they build emoji and Persian words; other format characters can spoof (U+202E)


def safe_filename(name: str, max_length: int = 180) -> str:
    """The name shown and offered on download: the sender's words (accents, emoji) without the folders, control
    characters and Windows-forbidden characters that would let a name lie, escape or fail to save."""
    name = unicodedata.normalize("NFC", name)  # macOS sends « é » as e + accent
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(character for character in name
                   if character in JOINERS or unicodedata.category(character) not in {"Cc", "Cf", "Cs"})
    name = " ".join(WINDOWS_FORBIDDEN.sub(" ", name).split()).rstrip(". ")
    stem, dot, extension = name.rpartition(".")
    if not dot or not re.fullmatch(r"\w{1,10}", extension):
        stem, extension = name, ""
    stem = stem.lstrip(". ").rstrip() or "document"
    if stem.split(".")[0].upper() in WINDOWS_RESERVED:
        stem = f"_{stem}"
    suffix = f".{extension}" if extension else ""
    room = max_length - len(suffix)  # an extension has at most 10 characters: keep max_length well above that
    if len(stem) > room:
        stem = stem[:room].rstrip(". ") or "document"
    return f"{stem}{suffix}"


def checked_filename(name: str, format: str) -> str:
    """The name a checked file is kept, shown, zipped and downloaded under: the sender's words ending with the
    extension of the format its content was found to be, so a PDF sent as « x.html » only ever opens as a PDF."""
    accepted = EXTENSIONS[format]
    stem, extension = _split_extension(safe_filename(name))
    if extension.lower() not in accepted:
        inner_stem, inner = _split_extension(stem)  # « budget.xlsx.exe »: the real one was already there
        stem, extension = (inner_stem, inner) if inner.lower() in accepted else (stem, accepted[0])
    return safe_filename(f"{stem.rstrip('. ')}.{extension.lower()}")


def _split_extension(name: str) -> tuple[str, str]:
    """« rapport.PDF » is (« rapport », « PDF »); a date or an initial after the last dot (« AG 12.03.2024 »,
    « Statuts A.G ») belongs to the name."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem.strip(". ") and re.fullmatch(r"\w{2,10}", extension) and not extension.isdigit():
        return stem, extension
    return name, ""
