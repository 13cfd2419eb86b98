"""Page geometry shared by every stage: one box type, one word and one line.

Boxes are ``(x0, y0, x1, y1)`` tuples in the page's own space, origin top-left,
in the page's unit (PDF points or image pixels). Inputs and outputs are plain
values; nothing here touches a document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

BBox = tuple[float, float, float, float]

#: Han, kana, CJK punctuation and fullwidth forms: scripts written without spaces
#: between words, and set in vertical columns too.
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def word_count(text: str) -> int:
    """Words in ``text``: its spaced words, or for CJK text one per two characters
    (Japanese and Chinese words average about two)."""
    spaced = len(text.split())
    if text.isascii() or (12 * spaced >= len(text) and text[0] < "\u3000"):
        return spaced  # spaced words of usual length, not starting in a CJK script
    return max(spaced, len(CJK.findall(text)) // 2)


def area(box: BBox) -> float:
    """A box's area (0 for an empty or inverted one's negative side)."""
    return (box[2] - box[0]) * (box[3] - box[1])


def union(boxes: list[BBox]) -> BBox:
    """The smallest box holding every box in ``boxes`` (not empty)."""
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


class Twins:
    """Glyphs seen so far by their text, size and where they stand, on a grid of ``cell``
    points: ``find`` gives the first one added of the same text within ``tol`` (at most
    ``cell``) each way and within ``size_tol`` of its size. For telling a glyph drawn
    again over an earlier one (``decode.pdflines._twins``,
    ``tables.objects._without_overprints``)."""

    def __init__(self, cell: float) -> None:
        self.cell = cell
        self.seen: dict[tuple[str, int, int], list[tuple[float, float, float, Any]]] = {}

    def find(self, text: str, x: float, y: float, size: float, tol: float, size_tol: float) -> Any:
        """The first glyph added that is ``text`` near ``(x, y)`` at about ``size``, or None."""
        gx, gy = int(x // self.cell), int(y // self.cell)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for ox, oy, osize, item in self.seen.get((text, gx + dx, gy + dy), ()):
                    if abs(ox - x) <= tol and abs(oy - y) <= tol and abs(osize - size) <= size_tol:
                        return item
        return None

    def add(self, text: str, x: float, y: float, size: float, item: Any) -> None:
        key = (text, int(x // self.cell), int(y // self.cell))
        self.seen.setdefault(key, []).append((x, y, size, item))


@dataclass
class Word:
    """One word with its box; ``top``/``bottom`` are the box's vertical extent."""

    x0: float
    top: float
    x1: float
    bottom: float
    text: str

    @property
    def bbox(self) -> BBox:
        return (self.x0, self.top, self.x1, self.bottom)


def spread_words(text: str, bbox: BBox) -> list[Word]:
    """The words of ``text`` laid over ``bbox``'s width in proportion to their characters
    (a line whose text came from elsewhere than its glyphs: a form field's value, an OCR
    re-read)."""
    x0, y0, x1, y1 = bbox
    unit = (x1 - x0) / max(1, len(text))
    words, x = [], x0
    for part in text.split(" "):
        if part:
            words.append(Word(x, y0, x + unit * len(part), y1, part))
        x += unit * (len(part) + 1)
    return words


@dataclass
class Line:
    """One line of text on a page, from the text layer or from OCR.

    ``confidence`` is the OCR score (``None`` for the text layer). ``size`` is the
    font size or line height in page units where the source knows it (0 otherwise);
    ``bold`` and ``mono`` are what the text layer says about the line's font.
    ``latex`` is the line's LaTeX reading where the text layer shows mathematics
    (``decode.pdfmath``; ``None`` otherwise) and ``math`` the number of its
    characters that are evidence of it (math fonts, math symbols). ``run_in``:
    the line opens with a bold run-in title, two or more bold words ending in a
    full stop or a colon, and goes on in another weight ("**Due date of return.**
    File Form 1040 by ..."). ``ends``: the weights of its first and last
    characters, bold or not (``(False, False)`` where the source does not say).
    ``pieces``: how many pieces of one row, far apart, were joined into it.
    """

    text: str
    bbox: BBox
    confidence: float | None = None
    size: float = 0.0
    bold: bool = False
    mono: bool = False
    words: list[Word] = field(default_factory=list)
    latex: str | None = None
    math: int = 0
    run_in: bool = False
    ends: tuple[bool, bool] = (False, False)
    pieces: int = 1  # far-apart pieces of one row joined into it (``reading_order.join_rows``)
