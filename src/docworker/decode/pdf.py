"""PDF pages with pypdfium2: the text layer as line pieces with boxes, and renders.

The text layer is read character by character (``pdfchars``) and cut into
line pieces with words, font size and style (``pdflines``); pages holding
right-to-left script are rebuilt from glyph positions instead (``rtl``).

Runs inside a page process. pdfium errors are translated here into ``errors``
classes. Boxes are top-left PDF points of the displayed page (``/Rotate`` and
the crop box applied).

Input: a path and an optional password. Output: ``PdfHandle`` (see ``decode``).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from PIL import Image

from docworker import errors
from docworker.decode import ligatures, pdfimages, rtl
from docworker.decode.checkboxes import mark_boxes
from docworker.decode.pdfchars import read_chars, to_top_left
from docworker.decode.pdffields import field_lines, unprinted
from docworker.decode.pdflines import picture_bullets, pieces, slanted_lines, turn
from docworker.decode.pdfobjects import PageObjects, backdrops, read_objects
from docworker.decode.types import PageView, render_scale
from docworker.geometry import Line

_PDFIUM_PASSWORD = 4

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


def _substitutes_pdf() -> bytes:
    """A one-page PDF showing one glyph in each of two fonts it does not embed: a serif
    and a sans (font flags 34 and 32), which pdfium draws with its multiple-master
    substitutes. With no width for the glyph and no stem width for the font, pdfium sets
    each substitute to its default weight and width (``_reset_substitute_fonts``)."""
    font = (
        "<< /Type /Font /Subtype /Type1 /BaseFont /Substitute /FirstChar 65 /LastChar 65"
        " /Widths [0] /FontDescriptor << /Type /FontDescriptor /FontName /Substitute"
        " /Flags {} /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 /Descent -200"
        " /CapHeight 700 /StemV 0 >> >>"
    )
    content = "BT /F1 1 Tf 0 1 Td <41> Tj /F2 1 Tf <41> Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 4 4] /Contents 4 0 R"
        " /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        font.format(34),
        font.format(32),
    ]
    out, offsets = "%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n"
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("ascii")


_SUBSTITUTES = _substitutes_pdf()
#: A page was rendered in this process since the substitute fonts were last reset.
_rendered = False


def _reset_substitute_fonts() -> None:
    """Put pdfium's shared multiple-master substitute fonts back at their default instance.

    pdfium draws a font a PDF does not embed with one of two multiple-master fonts
    shared by every document in the process, set to each glyph's weight and width
    as it is drawn; the glyph boxes of the text layer are then read from whatever
    instance the last drawing left (pdfium sets none for them). A page's text layer
    therefore read differently after a render of another document: the corpus's
    ``tika/testPDF_bad_page_303226-p1-4.pdf`` page 4, whose fonts pdfium substitutes,
    had its boxes moved by a tenth of a point and two lines grouped otherwise after
    ``pdfminer/issue-00369-excel.pdf`` was rendered for OCR, so its markdown depended
    on which documents its page process had met. Drawing one glyph of each at the
    default instance from a freshly opened document (a cached glyph would not set
    it) puts them back as a fresh process has them: about 0.3 ms, paid by the first
    text-layer page after a render.
    """
    global _rendered
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(_SUBSTITUTES)
    try:
        page = pdf[0]
        try:
            page.render(scale=1).close()
        finally:
            page.close()
    finally:
        pdf.close()
    _rendered = False


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
        # Before any page is loaded (pdfium's rule): filled form fields are then drawn
        # in renders, and their values can be read (``pdffields``).
        try:
            self._forms = bool(self._pdf.init_forms())
        except pdfium.PdfiumError:
            self._forms = False
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
        #: The last text-layer page read with ``keep``: (number, page, text page).
        self._kept: tuple[int, Any, Any] | None = None

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

    def page(self, number: int, *, text_layer: bool, keep: bool = False) -> PageView:
        """Page ``number``'s size and, with ``text_layer``, its text layer and graphics.

        With ``keep``, a text-layer page and its text page stay open after this returns,
        for ``kept_text``, until ``release``, the next ``page`` or ``render``, or
        ``close``: the table stage reads its characters from them instead of loading
        and parsing the page a second time."""
        self.release()
        if text_layer and _rendered:
            _reset_substitute_fonts()  # the text layer's glyph boxes as in a fresh process
        page = self._load(number)
        textpage = None
        try:
            width, height = page.get_size()
            view = PageView(number=number, width=width, height=height, unit="pt")
            if text_layer:
                found = read_objects(page)  # paths, image cover and image boxes, one walk
                textpage = page.get_textpage()
                self._text_lines(view, page, textpage, found)
                if self._forms and self._pdf.formenv is not None:
                    view.fields = self._fields(view, page)
                view.image_coverage, view.graphics = found.image_coverage, found.segments
                view.objects = found
                view.pictures = pdfimages.picture_boxes(found.images, width, height)
                if keep:
                    self._kept, page, textpage = (number, page, textpage), None, None
            return view
        finally:
            if textpage is not None:
                textpage.close()
            if page is not None:
                page.close()

    def kept_text(self, number: int) -> Any | None:
        """The open text page of page ``number``, if ``page`` kept it (else None)."""
        if self._kept is None or self._kept[0] != number:
            return None
        return self._kept[2]

    def release(self) -> None:
        """Close the page ``page`` kept open, if any."""
        kept, self._kept = self._kept, None
        if kept is not None:
            kept[2].close()
            kept[1].close()

    def _fields(self, view: PageView, page) -> list[Line]:
        """The page's filled form fields and free-text notes on the page (``pdffields``),
        less what its text layer already shows in their place."""
        assert self._pdf.formenv is not None
        found = field_lines(
            page.raw, self._pdf.formenv.raw, page.get_bbox(), page.get_rotation() % 360
        )
        w, h = view.width, view.height
        shown = [
            line
            for line in found
            if line.bbox[2] > 0 and line.bbox[0] < w and line.bbox[3] > 0 and line.bbox[1] < h
        ]
        return unprinted(shown, view.lines)

    def _text_lines(self, view: PageView, page, textpage, objects: PageObjects) -> None:
        """The text layer as line pieces (``pdflines``) in top-left page points, into ``view``.

        Text filled in white with nothing painted under it (``pdfobjects.backdrops``) is
        unseen on the page and left out: an invoice's white separators, hidden keywords.
        """
        n_chars = textpage.count_chars()
        if n_chars <= 0:
            return
        n_runs = textpage.count_rects()
        if n_chars > MAX_PAGE_CHARS or n_runs > MAX_PAGE_RUNS:
            raise errors.LimitExceeded(
                f"the page's text layer has {n_chars} characters in {n_runs} runs; the limits"
                f" are {MAX_PAGE_CHARS} and {MAX_PAGE_RUNS}"
            )
        rotation = page.get_rotation() % 360
        crop = page.get_bbox()  # media box ∩ crop box, inherited ones included
        read = read_chars(
            textpage,
            n_chars,
            crop,
            rotation,
            view.width,
            view.height,
            backdrops(objects),
            objects.form_clips,
        )
        view.invisible_ratio = read.invisible / max(1, read.total)
        view.unreadable = read.unreadable
        if rtl.has_rtl("".join(c.text for c in read.chars)):
            # Right-to-left script: rebuilt from glyph positions (see decode/rtl.py).
            glyphs = self._glyphs(textpage, n_chars, crop, rotation)
            view.lines = [
                Line(text=text, bbox=_clip(bbox, view.width, view.height))
                for text, bbox in rtl.page_lines(glyphs)
            ]
            return
        view.lines = pieces(read)
        if objects.marks:
            picture_bullets(view.lines, objects.marks)
        if objects.rects:
            mark_boxes(view.lines, objects)
        view.slanted = slanted_lines(read)
        if read.ligatures:
            ligatures.mend(view.lines)
        ligatures.mend_punctuation(view.lines)
        view.turn = turn(read)

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
            box = to_top_left(textpage.get_charbox(i, loose=True), crop, rotation)
            ink = to_top_left(textpage.get_charbox(i), crop, rotation)
            glyphs.append(rtl.Glyph(text=text, box=box, ink=ink))
        return glyphs

    def render(self, number: int, dpi: int, max_pixels: int) -> tuple[Image.Image, float]:
        global _rendered
        self.release()
        page = self._load(number)
        _rendered = True
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
        self.release()
        self._pdf.close()


def _clip(bbox: tuple[float, float, float, float], width: float, height: float):
    x0, y0, x1, y1 = bbox
    return (
        round(min(max(x0, 0.0), width), 2),
        round(min(max(y0, 0.0), height), 2),
        round(min(max(x1, 0.0), width), 2),
        round(min(max(y1, 0.0), height), 2),
    )
