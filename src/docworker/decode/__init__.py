"""Bytes on disk → pages: type sniffing, PDF text layer and rendering, image frames.

Runs inside a page process (see ``sandbox``). pypdfium2 and Pillow errors are
translated here into ``errors`` classes. Everything returned uses the original
page's coordinate space with the origin at the top-left: PDF points for PDF
pages, pixels for image pages.

Inputs: a file path, its sniffed MIME type, an optional password.
Outputs: ``DocumentHandle`` objects with ``page_count`` and per-page
``PageView`` objects (size, text-layer lines, a ``render(dpi)`` method).
"""

from __future__ import annotations

import math
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageOps

from docworker import errors
from docworker.decode import rtl
from docworker.geometry import Line

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
_ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError,
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
    except _ZIP_ERRORS:
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


@dataclass
class PageView:
    """One page, ready for stages."""

    number: int
    width: float
    height: float
    unit: str
    lines: list[Line] = field(default_factory=list)
    invisible_ratio: float = 0.0
    image_coverage: float = 0.0  # share of the page under image objects (PDF only)
    graphics: int = 0  # vector path segments on the page (PDF only; rulings, boxes)


class DocumentHandle(Protocol):
    page_count: int

    def page(self, number: int, *, text_layer: bool) -> PageView: ...

    def render(self, number: int, dpi: int, max_pixels: int) -> tuple[Image.Image, float]:
        """The page as RGB and the scale from image pixels to page units."""
        ...

    def close(self) -> None: ...


# ---------------------------------------------------------------------------- PDF

_PDFIUM_PASSWORD = 4
_INVISIBLE = 3  # FPDF_TEXTRENDERMODE_INVISIBLE

#: A text layer beyond these fails its page with limit_exceeded. Real pages
#: hold thousands of characters in hundreds of runs; reading each run costs a
#: pass over all the page's characters, so a 500 KB page of 200 000 runs would
#: hold a page process for hours, and 10 MB of text a page would travel back
#: to the worker process (measured in docs/ROBUSTNESS.md).
MAX_PAGE_CHARS = 1_000_000
MAX_PAGE_RUNS = 20_000
_NOT_A_PDF = b"not a pdf"


def _reset_pdfium_error() -> None:
    """Set pdfium's last error to "format" by failing to load a few bytes that are no PDF.

    ``FPDF_GetLastError`` is per thread and only written by some failures: a
    page tree with no pages fails to load without setting it. A page process
    opens many documents, so without this reset such a file would be reported
    with the code left by an earlier one (``password_required``, say).
    """
    import pypdfium2.raw as raw

    handle = raw.FPDF_LoadMemDocument(_NOT_A_PDF, len(_NOT_A_PDF), None)
    if handle:  # pragma: no cover - those bytes never load
        raw.FPDF_CloseDocument(handle)


def _render_scale(width_units: float, height_units: float, scale: float, max_pixels: int) -> float:
    """Lower ``scale`` so the rendered page stays under ``max_pixels``."""
    pixels = width_units * scale * height_units * scale
    if pixels > max_pixels:
        scale *= math.sqrt(max_pixels / pixels) * 0.998  # pdfium rounds sizes up
    return scale


class PdfHandle:
    """An open PDF. pypdfium2 objects never leave this class."""

    def __init__(self, path: Path, password: str | None, max_pages: int, max_page_points: float):
        import pypdfium2 as pdfium

        self._pdfium = pdfium
        _reset_pdfium_error()
        try:
            self._pdf = pdfium.PdfDocument(str(path), password=password or None)
        except pdfium.PdfiumError as e:
            if e.err_code == _PDFIUM_PASSWORD:
                if password:
                    raise errors.BadPassword("the password does not open this PDF") from e
                raise errors.PasswordRequired("this PDF is encrypted; send `password`") from e
            raise errors.CorruptDocument(f"the PDF cannot be opened ({e})") from e
        self.page_count = len(self._pdf)
        if self.page_count == 0:
            self._pdf.close()
            raise errors.CorruptDocument("the PDF has no pages")
        if self.page_count > max_pages:
            self._pdf.close()
            raise errors.LimitExceeded(
                f"the PDF has {self.page_count} pages; the limit is {max_pages}"
            )
        self._max_page_points = max_page_points

    def _load(self, number: int):  # -> pdfium.PdfPage
        try:
            page = self._pdf[number - 1]
        except (self._pdfium.PdfiumError, IndexError) as e:
            raise errors.CorruptDocument(f"page {number} cannot be loaded") from e
        width, height = page.get_size()
        if not (0 < width <= self._max_page_points and 0 < height <= self._max_page_points):
            page.close()
            raise errors.LimitExceeded(
                f"page {number} is {width:.0f}x{height:.0f} pt; the limit is"
                f" {self._max_page_points:.0f} pt a side"
            )
        return page

    def page(self, number: int, *, text_layer: bool) -> PageView:
        page = self._load(number)
        try:
            width, height = page.get_size()
            view = PageView(number=number, width=width, height=height, unit="pt")
            if text_layer:
                view.lines, view.invisible_ratio = self._text_lines(page, width, height)
                view.image_coverage, view.graphics = _object_stats(page)
            return view
        finally:
            page.close()

    def _text_lines(self, page, width: float, height: float) -> tuple[list[Line], float]:
        """Text runs of the text layer, merged into lines, in top-left page points."""
        raw = self._pdfium.raw
        textpage = page.get_textpage()
        try:
            n_chars = textpage.count_chars()
            if n_chars <= 0:
                return [], 0.0
            n_runs = textpage.count_rects()
            if n_chars > MAX_PAGE_CHARS or n_runs > MAX_PAGE_RUNS:
                raise errors.LimitExceeded(
                    f"the page's text layer has {n_chars} characters in {n_runs} runs; the limits"
                    f" are {MAX_PAGE_CHARS} and {MAX_PAGE_RUNS}"
                )
            sample = range(0, n_chars, max(1, n_chars // 200))
            invisible = 0
            for i in sample:
                obj = raw.FPDFText_GetTextObject(textpage.raw, i)
                if obj and raw.FPDFTextObj_GetTextRenderMode(obj) == _INVISIBLE:
                    invisible += 1
            sampled = len(sample)
            rotation = page.get_rotation() % 360
            left, bottom, right, top = page.get_cropbox()
            runs: list[Line] = []
            for i in range(n_runs):
                l, b, r, t = textpage.get_rect(i)
                text = textpage.get_text_bounded(l, b, r, t).replace("\r", "").replace("\n", " ")
                text = unicodedata.normalize("NFC", text).strip()
                if not text:
                    continue
                bbox = _to_top_left((l, b, r, t), (left, bottom, right, top), rotation)
                runs.append(Line(text=text, bbox=_clip(bbox, width, height)))
            if any(rtl.has_rtl(run.text) for run in runs):
                # Right-to-left script: rebuilt from glyph positions (see stages/rtl.py);
                # told from the runs already read, so left-to-right pages pay nothing more.
                glyphs = self._glyphs(textpage, n_chars, (left, bottom, right, top), rotation)
                lines = [
                    Line(text=text, bbox=_clip(bbox, width, height))
                    for text, bbox in rtl.page_lines(glyphs)
                ]
                return lines, invisible / max(1, sampled)
            return _merge_runs(runs), invisible / max(1, sampled)
        finally:
            textpage.close()

    def _glyphs(self, textpage, n_chars: int, crop, rotation: int) -> list[rtl.Glyph]:
        """Every character pdfium read (its inserted spaces and line breaks left out).

        A glyph the font maps to no text keeps its place with empty text.
        """
        raw = self._pdfium.raw
        glyphs: list[rtl.Glyph] = []
        for i in range(n_chars):
            if raw.FPDFText_IsGenerated(textpage.raw, i) == 1:
                continue
            code = raw.FPDFText_GetUnicode(textpage.raw, i)
            text = chr(code) if 0 < code < 0x110000 else ""
            if text in ("\r", "\n"):
                continue
            if raw.FPDFText_HasUnicodeMapError(textpage.raw, i) == 1 or (
                text and unicodedata.category(text) in ("Cc", "Cs") and not text.isspace()
            ):
                text = ""
            if text.isspace():
                text = " "
            box = _to_top_left(textpage.get_charbox(i, loose=True), crop, rotation)
            ink = _to_top_left(textpage.get_charbox(i), crop, rotation)
            glyphs.append(rtl.Glyph(text=text, box=box, ink=ink))
        return glyphs

    def render(self, number: int, dpi: int, max_pixels: int) -> tuple[Image.Image, float]:
        page = self._load(number)
        try:
            width, height = page.get_size()
            scale = _render_scale(width, height, dpi / 72.0, max_pixels)
            bitmap = page.render(scale=scale, rev_byteorder=True)
            try:
                image = bitmap.to_pil().convert("RGB")
            finally:
                bitmap.close()
            return image, 1.0 / scale
        finally:
            page.close()

    def close(self) -> None:
        self._pdf.close()


_PAGEOBJ_PATH = 2
_PAGEOBJ_IMAGE = 3


def _object_stats(page, max_objects: int = 20000, grid: int = 48) -> tuple[float, int]:
    """(share of the crop box covered by image objects, number of path segments).

    Coverage is the union of image bounds on a coarse grid, so stacked strips
    of one scan count once. Hostile pages with huge object counts are sampled
    up to ``max_objects``.
    """
    import pypdfium2.raw as pdfium_raw

    left, bottom, right, top = page.get_cropbox()
    w, h = right - left, top - bottom
    if w <= 0 or h <= 0:
        return 0.0, 0
    cells = bytearray(grid * grid)
    paths = 0
    for n, obj in enumerate(page.get_objects(max_depth=2)):
        if n >= max_objects:
            break
        if obj.type == _PAGEOBJ_PATH:
            paths += max(1, pdfium_raw.FPDFPath_CountSegments(obj.raw))
        elif obj.type == _PAGEOBJ_IMAGE:
            l, b, r, t = obj.get_bounds()
            x0 = max(0, int((l - left) / w * grid))
            x1 = min(grid, math.ceil((r - left) / w * grid))
            y0 = max(0, int((b - bottom) / h * grid))
            y1 = min(grid, math.ceil((t - bottom) / h * grid))
            for y in range(y0, y1):
                cells[y * grid + x0 : y * grid + x1] = b"\x01" * max(0, x1 - x0)
    return sum(cells) / (grid * grid), paths


def _to_top_left(
    box: tuple[float, float, float, float],
    crop: tuple[float, float, float, float],
    rotation: int,
) -> tuple[float, float, float, float]:
    """PDF user space (origin bottom-left) → displayed page, origin top-left, y down."""
    l, b, r, t = box
    cl, cb, cr, ct = crop
    w0, h0 = cr - cl, ct - cb
    # unrotated, top-left origin
    x0, x1, y0, y1 = l - cl, r - cl, ct - t, ct - b
    if rotation == 90:
        x0, y0, x1, y1 = h0 - y1, x0, h0 - y0, x1
    elif rotation == 180:
        x0, y0, x1, y1 = w0 - x1, h0 - y1, w0 - x0, h0 - y0
    elif rotation == 270:
        x0, y0, x1, y1 = y0, w0 - x1, y1, w0 - x0
    return (x0, y0, x1, y1)


def _clip(bbox: tuple[float, float, float, float], width: float, height: float):
    x0, y0, x1, y1 = bbox
    return (
        round(min(max(x0, 0.0), width), 2),
        round(min(max(y0, 0.0), height), 2),
        round(min(max(x1, 0.0), width), 2),
        round(min(max(y1, 0.0), height), 2),
    )


def _merge_runs(runs: list[Line]) -> list[Line]:
    """Join runs that sit on the same baseline and touch horizontally into one line.

    pdfium yields runs in content-stream order, which is the reading order
    most producers write; we keep that order and only merge neighbours.
    """
    lines: list[Line] = []
    for run in runs:
        if lines:
            last = lines[-1]
            lx0, ly0, lx1, ly1 = last.bbox
            rx0, ry0, rx1, ry1 = run.bbox
            height = max(ly1 - ly0, ry1 - ry0, 1.0)
            overlap = min(ly1, ry1) - max(ly0, ry0)
            gap = rx0 - lx1
            if overlap > 0.5 * height and -0.5 * height <= gap <= 2.5 * height:
                sep = "" if gap < 0.15 * height else " "
                last.text = f"{last.text}{sep}{run.text}"
                last.bbox = (min(lx0, rx0), min(ly0, ry0), max(lx1, rx1), max(ly1, ry1))
                continue
        lines.append(Line(text=run.text, bbox=run.bbox))
    return lines


# ------------------------------------------------------------------------- images


#: What Pillow raises on malformed data besides DecompressionBombError (found by fuzzing).
_PILLOW_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError,
                  KeyError, TypeError, ZeroDivisionError, OverflowError)  # fmt: skip


class ImageHandle:
    """A raster image; multi-frame TIFFs have one page per frame."""

    def __init__(self, path: Path, max_pixels: int, max_pages: int):
        # Pillow's own bomb guard: Image.open raises past twice this (and warns past it).
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            self._image = Image.open(path)
            # Checked before load(): a header claiming up to twice the limit only warns.
            if self._image.width * self._image.height > max_pixels:
                raise errors.LimitExceeded(
                    f"the image is {self._image.width}x{self._image.height} pixels;"
                    f" the limit is {max_pixels} pixels"
                )
            self._image.load()
            self.page_count = getattr(self._image, "n_frames", 1)
        except Image.DecompressionBombError as e:
            raise errors.LimitExceeded(f"the image is larger than {max_pixels} pixels") from e
        except _PILLOW_ERRORS as e:
            raise errors.CorruptDocument(f"the image cannot be decoded ({type(e).__name__})") from e
        if self.page_count > max_pages:
            raise errors.LimitExceeded(
                f"the image has {self.page_count} frames; the limit is {max_pages}"
            )
        self._max_pixels = max_pixels

    def _frame(self, number: int) -> Image.Image:
        try:
            self._image.seek(number - 1)
            # Pillow checks only the first frame's size; a later frame is checked here.
            if self._image.width * self._image.height > self._max_pixels:
                raise errors.LimitExceeded(
                    f"frame {number} is larger than {self._max_pixels} pixels"
                )
            frame = self._image.copy()
            return ImageOps.exif_transpose(frame).convert("RGB")
        except _PILLOW_ERRORS as e:
            raise errors.CorruptDocument(f"frame {number} cannot be decoded") from e

    def page(self, number: int, *, text_layer: bool) -> PageView:
        frame = self._frame(number)
        return PageView(number=number, width=frame.width, height=frame.height, unit="px")

    def render(self, number: int, dpi: int, max_pixels: int) -> tuple[Image.Image, float]:
        del dpi  # an image is OCR'd at its own resolution, shrunk only to the pixel cap
        frame = self._frame(number)
        scale = _render_scale(frame.width, frame.height, 1.0, max_pixels)
        if scale < 1.0:
            size = (max(1, int(frame.width * scale)), max(1, int(frame.height * scale)))
            frame = frame.resize(size, Image.Resampling.LANCZOS)
            return frame, 1.0 / scale
        return frame, 1.0

    def close(self) -> None:
        self._image.close()


def open_document(
    path: Path,
    mime: str,
    password: str | None,
    *,
    max_pages: int,
    max_page_points: float,
    max_pixels: int,
) -> DocumentHandle:
    """Open a PDF or image for page access; raise a ``WorkerError`` when it can't be."""
    if mime == PDF:
        return PdfHandle(path, password, max_pages, max_page_points)
    if mime in IMAGE_TYPES:
        return ImageHandle(path, max_pixels, max_pages)
    raise errors.UnsupportedType(f"no page decoder for {mime}")
