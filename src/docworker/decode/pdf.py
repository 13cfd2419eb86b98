"""PDF pages with pypdfium2: the text layer as lines with boxes, and renders.

Runs inside a page process. pdfium errors are translated here into ``errors``
classes. Boxes are top-left PDF points of the displayed page (``/Rotate`` and
the crop box applied).

Input: a path and an optional password. Output: ``PdfHandle`` (see ``decode``).
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path

from PIL import Image

from docworker import errors
from docworker.decode import rtl
from docworker.decode.types import PageView, render_scale
from docworker.geometry import Line

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
            scale = render_scale(width, height, dpi / 72.0, max_pixels)
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
