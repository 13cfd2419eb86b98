"""Document types: one table of the MIME types the worker reads, and sniffing.

The type always comes from the file's magic bytes, never from its name or the
server's headers. Zip containers (Office files) are typed from their member
names, read from the central directory within fixed bounds.

Input: a file path. Output: a MIME string (``application/octet-stream`` when unknown).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
WEBP = "image/webp"
BMP = "image/bmp"
GIF = "image/gif"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = "text/html"
ODT = "application/vnd.oasis.opendocument.text"

IMAGE_TYPES = frozenset({PNG, JPEG, TIFF, WEBP, BMP})
OFFICE_TYPES = frozenset({DOCX, PPTX, XLSX, HTML, ODT})
SUPPORTED_TYPES = frozenset({PDF}) | IMAGE_TYPES | OFFICE_TYPES

_OOXML_MAIN = {
    "word/document.xml": DOCX,
    "ppt/presentation.xml": PPTX,
    "xl/workbook.xml": XLSX,
}


def sniff_type(path: Path) -> str:
    """The MIME type from the file's magic bytes; never from its name or headers.

    Returns ``application/octet-stream`` for anything unrecognised.
    """
    with path.open("rb") as f:
        head = f.read(2048)
    if head.lstrip(b"\x00\t\r\n \xef\xbb\xbf")[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:2] == b"BM":
        return BMP
    if head[:4] == b"PK\x03\x04":
        return _sniff_zip(path)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")) or (
        text.startswith(b"<") and b"<html" in head.lower()
    ):
        return HTML
    return "application/octet-stream"


#: Zip containers (Office files) with more members, or a larger central
#: directory, are refused by ``pagework.check_zip`` before any parser runs.
#: ``sniff_type`` runs in the worker process itself, so it never parses a
#: directory above these bounds (a 200 MB archive of empty members would be
#: millions of ``ZipInfo`` objects there): it types such a file by a bounded
#: byte scan and leaves the refusal to the page process.
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_DIRECTORY_BYTES = 2 * 1024 * 1024
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError,
               EOFError, zlib.error, struct.error)  # fmt: skip


def zip_directory(path: Path) -> tuple[int, int] | None:
    """``(members, central directory bytes)`` from a zip's end records; ``None`` if absent.

    Reads only the file's last 64 KiB (and the zip64 end record when there is one).
    """
    with path.open("rb") as f:
        size = f.seek(0, 2)
        tail_len = min(size, 22 + 0xFFFF)
        f.seek(size - tail_len)
        tail = f.read(tail_len)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        entries, directory = struct.unpack("<HI", tail[at + 10 : at + 16])
        if entries == 0xFFFF or directory == 0xFFFFFFFF:
            locator = tail[at - 20 : at] if at >= 20 else b""
            if locator[:4] != b"PK\x06\x07":
                return None
            f.seek(struct.unpack("<Q", locator[8:16])[0])
            record = f.read(56)
            if len(record) < 56 or record[:4] != b"PK\x06\x06":
                return None
            entries, directory = struct.unpack("<QQ", record[32:48])
        return entries, directory


def _sniff_zip(path: Path) -> str:
    """The Office type of a zip container, reading a bounded amount of it."""
    try:
        directory = zip_directory(path)
        if directory is None:
            return "application/zip"
        if directory[0] > MAX_ZIP_ENTRIES or directory[1] > MAX_ZIP_DIRECTORY_BYTES:
            return _scan_zip_names(path)
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            declared = b""
            if "mimetype" in names:
                with zf.open("mimetype") as member:
                    declared = member.read(100)  # never the whole member: it may be a bomb
    except ZIP_ERRORS:
        return "application/zip"
    if declared.strip() == ODT.encode():
        return ODT
    for member, mime in _OOXML_MAIN.items():
        if member in names:
            return mime
    return "application/zip"


def _scan_zip_names(path: Path, chunk: int = 1 << 20) -> str:
    """Type an oversized zip by looking for its main part's name in 1 MiB windows of its bytes."""
    markers = {name.encode(): mime for name, mime in _OOXML_MAIN.items()}
    markers[b"mimetype" + ODT.encode()] = ODT
    overlap = max(len(m) for m in markers)
    found: set[str] = set()
    with path.open("rb") as f:
        carry = b""
        while block := f.read(chunk):
            window = carry + block
            found.update(mime for marker, mime in markers.items() if marker in window)
            carry = window[-overlap:]
    for mime in (ODT, *_OOXML_MAIN.values()):
        if mime in found:
            return mime
    return "application/zip"
