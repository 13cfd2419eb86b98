"""Text a viewer shows outside a PDF page's content: form fields and free-text notes.

A filled form (an AcroForm) keeps what was typed into its fields in the fields'
widget annotations, not in the page's content, and a free-text annotation (a
typewriter note, a callout) keeps its text in the annotation: pdfium's text page,
which reads the content, has none of it, while a viewer draws it. This reads the
value of every visible text field, combo box and list box on a page, and the
text (``/Contents``) of every visible free-text annotation, and places each as
lines in its box, so the page's markdown has what a reader of the page sees.

- Password fields are never read.
- Hidden widgets (the annotation flags hidden, no-view, invisible) are skipped.
- A multi-line field's value is split at its line breaks, one line each from
  the box's top; a one-line field's text sits centred on the box's height.
- The size is the field's own font size where it sets one (its default
  appearance), else 0.7 of a one-line box's height, at most 12 points (a
  free-text note: 10 points at most); the line runs from the box's left edge,
  about half an em a character. A free-text note is placed as a multi-line
  field is.
- Check boxes and radio buttons are not text and are left out.
- A value the page's text layer already shows in the field's place (a form
  filled and printed into its content, its widgets kept) is not read twice
  (``unprinted``).
- XFA forms are not read: the pdfium in pypdfium2's wheels is built without
  XFA (pypdfium2 logs a warning when such a document is opened); their
  AcroForm fallback, where there is one, is.

Input: an open ``pypdfium2`` page of a document whose form environment is
initialised (``PdfDocument.init_forms`` before any page is loaded), and the
page's box and ``/Rotate``. Output: ``geometry.Line`` objects in displayed,
top-left page points.
"""

from __future__ import annotations

import ctypes
from typing import Any

from docworker.decode.pdfchars import to_top_left
from docworker.geometry import Line, spread_words

#: Fields read on one page at most (a hostile page may hold any number of widgets).
MAX_FIELDS = 2_000
#: Characters of one field's value kept at most.
MAX_VALUE = 10_000
_HIDDEN = 1 | 2 | 32  # annotation flags: invisible, hidden, no-view
_LINE_HEIGHT = 1.15  # a line's box is this many times its font size


def field_lines(
    page: Any,
    form: Any,
    crop: tuple[float, float, float, float],
    rotation: int,
) -> list[Line]:
    """The filled values of the page's visible text, combo and list fields, and the text of
    its visible free-text notes, as lines (see module)."""
    import pypdfium2.raw as raw

    out: list[Line] = []
    count = min(raw.FPDFPage_GetAnnotCount(page), MAX_FIELDS)
    for index in range(count):
        annot = raw.FPDFPage_GetAnnot(page, index)
        if not annot:
            continue
        try:
            found = _field(raw, form, annot)
            if found is None:
                continue
            text, size, multiline, rect = found
            out += _place(text, size, multiline, to_top_left(rect, crop, rotation))
        finally:
            raw.FPDFPage_CloseAnnot(annot)
    return out


def unprinted(fields: list[Line], printed: list[Line]) -> list[Line]:
    """The field lines whose text the page's own text layer does not already show in
    their place (a form filled and printed into its content, its widgets kept): a
    text-layer line overlapping the field line's box that contains its text."""
    out = []
    for line in fields:
        x0, y0, x1, y1 = line.bbox
        wanted = " ".join(line.text.split())
        if not any(
            wanted in " ".join(other.text.split())
            and other.bbox[0] < x1 + 2
            and other.bbox[2] > x0 - 2
            and other.bbox[1] < y1 + 2
            and other.bbox[3] > y0 - 2
            for other in printed
        ):
            out.append(line)
    return out


def _field(raw: Any, form: Any, annot: Any):
    """``(value, font size or 0, multi-line, (left, bottom, right, top))`` of a filled,
    visible text, combo or list field, or of a visible free-text note; ``None`` for
    anything else."""
    subtype = raw.FPDFAnnot_GetSubtype(annot)
    if subtype not in (raw.FPDF_ANNOT_WIDGET, raw.FPDF_ANNOT_FREETEXT):
        return None
    if raw.FPDFAnnot_GetFlags(annot) & _HIDDEN:
        return None
    if subtype == raw.FPDF_ANNOT_FREETEXT:
        text = _utf16(
            lambda buffer, size: raw.FPDFAnnot_GetStringValue(annot, b"Contents", buffer, size)
        )
        box = _rect(raw, annot)
        return (text, 0.0, True, box) if text.strip() and box is not None else None
    kind = raw.FPDFAnnot_GetFormFieldType(form, annot)
    if kind not in (
        raw.FPDF_FORMFIELD_TEXTFIELD,
        raw.FPDF_FORMFIELD_COMBOBOX,
        raw.FPDF_FORMFIELD_LISTBOX,
    ):
        return None
    flags = raw.FPDFAnnot_GetFormFieldFlags(form, annot)
    if kind == raw.FPDF_FORMFIELD_TEXTFIELD and flags & raw.FPDF_FORMFLAG_TEXT_PASSWORD:
        return None
    text = _utf16(lambda buffer, size: raw.FPDFAnnot_GetFormFieldValue(form, annot, buffer, size))
    if not text.strip():
        return None
    box = _rect(raw, annot)
    if box is None:
        return None
    size = ctypes.c_float(0)
    if not raw.FPDFAnnot_GetFontSize(form, annot, ctypes.byref(size)):
        size.value = 0.0
    multiline = kind == raw.FPDF_FORMFIELD_TEXTFIELD and bool(
        flags & raw.FPDF_FORMFLAG_TEXT_MULTILINE
    )
    return text, max(0.0, size.value), multiline, box


def _rect(raw: Any, annot: Any) -> tuple[float, float, float, float] | None:
    """The annotation's box ``(left, bottom, right, top)`` in user space, if it has one."""
    rect = raw.FS_RECTF()
    if not raw.FPDFAnnot_GetRect(annot, ctypes.byref(rect)):
        return None
    left, right = sorted((rect.left, rect.right))
    bottom, top = sorted((rect.bottom, rect.top))
    if right - left <= 0 or top - bottom <= 0:
        return None
    return left, bottom, right, top


def _utf16(call: Any) -> str:
    """The string a pdfium getter writes as UTF-16LE with a NUL (``call(buffer, bytes)``
    returns the bytes needed), at most ``MAX_VALUE`` characters."""
    length = call(None, 0)
    if length <= 2:
        return ""
    length = min(length, 2 * MAX_VALUE + 2)
    buffer = ctypes.create_string_buffer(length)
    call(ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)), length)
    return buffer.raw[: length - 2].decode("utf-16-le", errors="replace").split("\x00")[0]


def _place(
    text: str, size: float, multiline: bool, box: tuple[float, float, float, float]
) -> list[Line]:
    """The value's lines in the field's box (``box``: displayed, top-left points)."""
    x0, y0, x1, y1 = box
    rows = [row.strip() for row in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    if not multiline:
        rows = [" ".join(row for row in rows if row)]
    if size <= 0:
        size = min(0.7 * (y1 - y0), 12.0) if not multiline else min(10.0, y1 - y0)
    size = max(size, 1.0)
    step = _LINE_HEIGHT * size
    top = y0 if multiline else y0 + max(0.0, (y1 - y0 - step) / 2)
    out = []
    for row in rows:
        if row and top + step <= y1 + 0.5 * step:
            # Set from the box's left edge, about half an em a character.
            bbox = (x0, top, min(x1, x0 + 0.5 * size * len(row) + 2.0), top + step)
            out.append(Line(text=row, bbox=bbox, size=size, words=spread_words(row, bbox)))
        top += step
    return out
