"""Right-to-left text (Arabic, Hebrew, Persian…) in the PDF text layer.

pdfium's character order cannot be trusted for right-to-left script: it
reverses the right-to-left segments of each line as it found them, so the
result depends on the order the producer drew the glyphs in (left to right
for cairo, right to left glyph by glyph for Word); a glyph that maps to
several characters (the lam-alef ligature "لا", a whole word in some fonts)
comes out reversed for Word and cairo but not for Skia (``bidi.glyph_letters``),
and brackets come out as drawn (mirrored).
Its run rectangles also overlap for joined script, so reading text back by
rectangle duplicates letters. Pages that hold right-to-left letters are
therefore rebuilt here from the glyphs' positions alone (``page_lines``):

1. glyphs → lines: characters that share one box are one glyph (a
   ligature); a glyph drawn again exactly over an earlier one is dropped;
   glyphs on one baseline that touch horizontally form a line, whatever the
   order they were drawn in (runs drawn apart join only a word gap apart,
   so two columns stay apart);
2. each line in visual order (left to right on the page): a space where
   the gap between neighbours is a word gap or where Latin and Arabic/Hebrew
   letters meet; a space pdfium put inside a letter (where the pen moved
   for a vowel mark) is dropped; combining marks go with the letter under
   them;
3. visual → logical order with the Unicode bidirectional algorithm (UAX #9)
   resolved on the visual sequence and its runs reversed: Latin words and
   numbers inside a right-to-left line keep their left-to-right order.
   Brackets at right-to-left levels are mirrored back. A line's base
   direction comes from its letters, and from the page's dominant script
   when the line alone is ambiguous;
4. Arabic and Hebrew presentation forms (U+FB1D–U+FDFF, U+FE70–U+FEFE)
   are folded to base letters, then NFC.

Visual order is ambiguous where the algorithm's rules look back in logical
order; the choices made are documented at ``resolve_levels`` and
``_logical``. Explicit embeddings and isolates (LRE, RLI…) are treated as
neutrals: producers do not put them in PDF text.

Also used by the reading-order stage (``rtl_page``: columns, and lines that
share a row, are read right to left) and the table stage (``split_ligatures``
and ``visual_line`` for pdfminer's characters, which come in visual order).

Inputs: ``Glyph`` records (one per text-layer character, top-left page
points). Outputs: ``(text, bbox)`` lines in logical order.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass, field

from docworker.decode.bidi import (
    _RTL_CLASSES,
    _STRONG,
    _word_counts,
    bidi_class,
    glyph_letters,
    has_rtl,
    line_is_rtl,
    reorder,
    resolve_levels,
)

# Re-exported: callers read right-to-left helpers from this module.
from docworker.decode.bidi import rtl_page as rtl_page
from docworker.decode.bidi import split_ligatures as split_ligatures
from docworker.geometry import BBox
from docworker.geometry import union as _union

#: A gap wider than this share of the line height between two glyphs is a word gap.
WORD_GAP = 0.15
#: Glyphs drawn one after the other further apart than this many line heights
#: are not on the same line (as the left-to-right path's run merging).
LINE_REACH = 2.5
#: Runs of one row drawn at different times join only when nearer than this
#: many line heights: a word gap, not a column gutter.
ROW_REACH = 0.5
#: Two boxes are on one row when they overlap vertically by this share of the lower one.
ROW_OVERLAP = 0.5


# ------------------------------------------------------------ glyphs → lines


@dataclass
class Glyph:
    """One text-layer character as the PDF library reports it.

    ``text`` is empty when the font maps the glyph to no text; ``box`` is the
    glyph's advance box (pen position to pen position, font ascent to
    descent), ``ink`` the tight box of the drawn shape (zero-sized for a
    space); both in top-left page points.
    """

    text: str
    box: BBox
    ink: BBox


@dataclass
class _Unit:
    """What the algorithm reorders: a glyph (with its marks) or a word gap."""

    text: str  # logical order
    cls: str
    box: BBox = (0.0, 0.0, 0.0, 0.0)
    ink: BBox | None = None
    first: int = 0  # index of its first glyph, to keep a stable order
    marks: list[_Unit] = field(default_factory=list)

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def solid(self) -> bool:
        return self.box[3] - self.box[1] > 0.5 and self.box[2] - self.box[0] > 0.01


def _unit_class(text: str) -> str:
    """A multi-character glyph's class: its first strong letter's, else its first character's."""
    if len(text) == 1:
        return bidi_class(text)
    for ch in text:
        cls = bidi_class(ch)
        if cls in _STRONG:
            return cls
    return bidi_class(text[0]) if text else "ON"


def _clusters(glyphs: list[Glyph]) -> list[_Unit]:
    """Glyphs → units: consecutive characters of one box are one glyph; overprints are dropped.

    A glyph that maps to several characters gets them in the order the
    library reports them, which for right-to-left text may be reversed:
    those are put in logical order here (``bidi.glyph_letters``).
    """
    units: list[_Unit] = []
    groups: list[tuple[int, list[Glyph]]] = []
    last: BBox | None = None
    for i, g in enumerate(glyphs):
        # pdfium gives the characters of one glyph the very same box
        if g.box == last and g.box[2] - g.box[0] > 0.01:
            groups[-1][1].append(g)
        else:
            groups.append((i, [g]))
        last = g.box
    seen: set[BBox] = set()
    for first, group in groups:
        box = group[0].box
        if box[2] - box[0] > 0.01 and box[3] - box[1] > 0.5:
            if box in seen:
                continue  # drawn again over an earlier glyph (fake bold, duplicated text)
            seen.add(box)
        text = "".join(g.text for g in group)
        if len(group) > 1 and has_rtl(text):
            text = glyph_letters(text)
        if len(group) == 1:
            ink = group[0].ink
            inked = ink[2] - ink[0] > 0.01 or ink[3] - ink[1] > 0.01
            units.append(_Unit(text, _unit_class(text), box, ink if inked else None, first))
            continue
        inks = [g.ink for g in group if g.ink[2] - g.ink[0] > 0.01 or g.ink[3] - g.ink[1] > 0.01]
        units.append(_Unit(text, _unit_class(text), box, _union(inks) if inks else None, first))
    return units


def _v_overlap(a: BBox, b: BBox) -> float:
    return min(a[3], b[3]) - max(a[1], b[1])


def _centre_y(box: BBox) -> float:
    return (box[1] + box[3]) / 2


def _h_distance(a: BBox, b: BBox) -> float:
    return max(0.0, b[0] - a[2], a[0] - b[2])


def _same_row(a: BBox, b: BBox) -> bool:
    low = min(a[3] - a[1], b[3] - b[1])
    return low > 0 and _v_overlap(a, b) >= ROW_OVERLAP * low


@dataclass
class _Piece:
    units: list[_Unit]
    box: BBox
    height: float  # the tallest solid unit's


def _pieces(units: list[_Unit]) -> list[_Piece]:
    """Units in stream order → runs on one row that touch (any direction).

    A unit with no height (a space at a point) joins the run it falls in.
    """
    pieces: list[_Piece] = []
    for unit in units:
        if pieces:
            piece = pieces[-1]
            reach = LINE_REACH * max(piece.height, unit.height)
            if unit.solid:
                if _same_row(piece.box, unit.box) and _h_distance(piece.box, unit.box) <= reach:
                    piece.units.append(unit)
                    a, b = piece.box, unit.box
                    piece.box = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    piece.height = max(piece.height, unit.height)
                    continue
            else:
                x, y = unit.box[0], (unit.box[1] + unit.box[3]) / 2
                x0, y0, x1, y1 = piece.box
                if y0 <= y <= y1 and x0 - reach <= x <= x1 + reach:
                    piece.units.append(unit)
                    continue
        if unit.solid:
            pieces.append(_Piece([unit], unit.box, unit.height))
        # a lone point-sized unit that starts nothing (a stray space) is dropped
    return pieces


def _rows(pieces: list[_Piece]) -> list[_Piece]:
    """Merge runs that share a row and touch.

    Runs drawn one after the other join as glyphs do (``LINE_REACH``: pdfium
    moves the Latin part of a right-to-left line around); runs drawn at
    different times only when a word gap apart (``ROW_REACH``): a producer that
    writes a page column by column draws the lines of two columns apart. For
    the latter, runs are grouped in bands of nearly the same height on the
    page and compared with their neighbour along the band only (n log n, so a
    hostile page of scattered glyphs stays fast).
    """
    parent = list(range(len(pieces)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def join(a: int, b: int, reach: float) -> None:
        pa, pb = pieces[a], pieces[b]
        limit = reach * max(pa.height, pb.height)
        if _h_distance(pa.box, pb.box) <= limit and _same_row(pa.box, pb.box):
            parent[find(b)] = find(a)

    for k in range(1, len(pieces)):
        join(k - 1, k, LINE_REACH)
    by_height = sorted(range(len(pieces)), key=lambda k: _centre_y(pieces[k].box))
    band: list[int] = []
    for k in [*by_height, -1]:
        if k >= 0 and band:
            first = pieces[band[0]]
            if _centre_y(pieces[k].box) - _centre_y(first.box) <= 0.3 * first.height:
                band.append(k)
                continue
        band.sort(key=lambda m: pieces[m].box[0])
        for a, b in itertools.pairwise(band):
            join(a, b, ROW_REACH)
        band = [k]
    groups: dict[int, list[int]] = {}
    for k in range(len(pieces)):
        groups.setdefault(find(k), []).append(k)
    rows = []
    for members in groups.values():
        members.sort()
        units = [u for k in members for u in pieces[k].units]
        rows.append(
            _Piece(
                units,
                _union([pieces[k].box for k in members]),
                max(pieces[k].height for k in members),
            )
        )
    rows.sort(key=lambda r: min(u.first for u in r.units))
    return rows


_MARK_CATEGORIES = frozenset({"Mn", "Me"})


def _is_mark(unit: _Unit) -> bool:
    return bool(unit.text) and all(unicodedata.category(ch) in _MARK_CATEGORIES for ch in unit.text)


def _distance(box: BBox, x: float) -> float:
    """How far ``x`` lies outside the horizontal span of ``box`` (0 inside)."""
    return max(0.0, box[0] - x, x - box[2])


def _is_letter(unit: _Unit) -> bool:
    return bool(unit.text) and unicodedata.category(unit.text[0]).startswith("L")


def _script_change(left: _Unit, right: _Unit) -> bool:
    """A Latin letter beside an Arabic/Hebrew one: a word boundary even without a gap."""
    if not (_is_letter(left) and _is_letter(right)):
        return False
    return {left.cls in _RTL_CLASSES, right.cls in _RTL_CLASSES} == {True, False}


def _inside_letters(points: list[_Unit], solids: list[_Unit], margin: float = 0.3) -> set[int]:
    """ids of point-sized units that fall inside a glyph's advance box.

    pdfium inserts a space wherever the pen moves, which includes a vowel
    mark positioned over its letter; a word gap lies between glyphs.
    """
    starts = [u.box[0] for u in solids]
    reach: list[float] = []  # the furthest right edge among solids[:k + 1]
    for unit in solids:
        reach.append(max(reach[-1], unit.box[2]) if reach else unit.box[2])
    inside = set()
    for point in points:
        x = point.box[0]
        k = bisect.bisect_left(starts, x - margin)
        if k > 0 and reach[k - 1] > x + margin:
            inside.add(id(point))
    return inside


def _nearest(letters: list[_Unit], starts: list[float], x: float) -> _Unit:
    """The letter whose advance box holds ``x``, else the closest one (``letters`` by left edge)."""
    k = bisect.bisect_right(starts, x)
    candidates = letters[max(0, k - 3) : k + 2]
    return min(candidates, key=lambda u: _distance(u.box, x))


def _visual(row: _Piece) -> list[_Unit]:
    """A row's units left to right, word gaps as space units, marks inside their letter's unit."""
    marks = [u for u in row.units if _is_mark(u)]
    bases = sorted((u for u in row.units if not _is_mark(u)), key=lambda u: (u.box[0], u.first))
    solids = [u for u in bases if u.solid]
    dropped = _inside_letters([u for u in bases if not u.solid and u.text == " "], solids)
    out: list[_Unit] = []
    gap = WORD_GAP * row.height
    right = -math.inf  # the furthest right edge so far
    for unit in bases:
        if id(unit) in dropped:
            continue
        if out and unit.solid and out[-1].text.strip() and unit.text.strip():
            prev = out[-1]
            if unit.box[0] - right > gap or _script_change(prev, unit):
                out.append(_Unit(text=" ", cls="WS", box=(right, prev.box[1], right, prev.box[1])))
        out.append(unit)
        if unit.solid:
            right = max(right, unit.box[2])
    letters = [u for u in out if u.solid and u.text.strip()]
    starts = [u.box[0] for u in letters]
    for mark in marks:
        if not letters:
            break
        ink = mark.ink or mark.box
        _nearest(letters, starts, (ink[0] + ink[2]) / 2).marks.append(mark)
    for unit in out:
        if unit.marks:
            unit.text += "".join(m.text for m in sorted(unit.marks, key=lambda m: m.first))
            unit.ink = _union([b for b in [unit.ink, *(m.ink for m in unit.marks)] if b])
    return [u for u in out if u.text]


#: Signs written after the number in Arabic and Persian: "50%" reads "٪50" on the page.
_PERCENT = frozenset("%٪‰‱؉؊")


#: Bidi-mirrored characters and their mirror images (the common part of BidiMirroring.txt).
_MIRROR = dict(zip("()[]{}<>«»‹›≤≥⟨⟩⁅⁆⁽⁾₍₎", ")(][}{><»«›‹≥≤⟩⟨⁆⁅⁾⁽₎₍", strict=True))


def _logical(units: list[_Unit], rtl: bool, *, unmirror: bool = False) -> list[_Unit]:
    """Visual → logical order of a line's units.

    In a right-to-left line a percent sign left of a number was typed after
    it (the number then sits apart from it), so there it does not join the
    number. ``unmirror``: brackets at right-to-left levels are swapped for
    their mirror image (UAX #9 rule L4 run backwards), for text that pdfium
    already mirrored while reversing its right-to-left segments.
    """
    classes = [u.cls for u in units]
    if rtl:
        for i in range(len(units) - 1):
            if units[i].text in _PERCENT and classes[i + 1] in ("EN", "AN"):
                classes[i] = "ON"
    levels = resolve_levels(classes, rtl, visual=True)
    if unmirror:
        for unit, level in zip(units, levels, strict=True):
            if level % 2 and unit.text in _MIRROR:
                unit.text = _MIRROR[unit.text]
    return [units[k] for k in reorder(levels)]


#: Presentation forms folded to base letters (compatibility decomposition).
_PRESENTATION = re.compile("[\ufb1d-\ufdff\ufe70-\ufefe]")


def fold_presentation_forms(text: str) -> str:
    """Arabic/Hebrew presentation forms → base letters ("ﻻ" → "لا"), then NFC.

    The isolated forms of Arabic vowel marks decompose to a space and the
    mark; the space is dropped so the mark stays on its letter.
    """

    def fold(m: re.Match[str]) -> str:
        folded = unicodedata.normalize("NFKC", m.group(0))
        return folded.lstrip(" ") if len(folded) > 1 else folded

    return unicodedata.normalize("NFC", _PRESENTATION.sub(fold, text))


def page_lines(glyphs: list[Glyph]) -> list[tuple[str, BBox]]:
    """A page's glyphs (in the library's order) → lines of logical text with their ink boxes.

    Lines come in the order their first glyph was drawn, like the runs of the
    left-to-right path; the reading-order stage sorts them.
    """
    rows = _rows(_pieces(_clusters(glyphs)))
    visuals = [(row, _visual(row)) for row in rows]
    words = [_word_counts(["".join(u.text for u in visual)]) for _, visual in visuals]
    rtl_words, ltr_words = sum(w[0] for w in words), sum(w[1] for w in words)
    page_is_rtl = rtl_words > 0 and rtl_words >= ltr_words  # as ``rtl_page``
    lines: list[tuple[str, BBox]] = []
    for (row, visual), counts in zip(visuals, words, strict=True):
        rtl = line_is_rtl([u.cls for u in visual], page_is_rtl, counts)
        text = "".join(u.text for u in _logical(visual, rtl, unmirror=True))
        text = re.sub(r"\s+", " ", fold_presentation_forms(text)).strip()
        if not text:
            continue
        inks = [u.ink or u.box for u in visual if u.text.strip()]
        lines.append((text, _union(inks) if inks else row.box))
    return lines


def visual_to_logical(visual: str, rtl: bool | None = None) -> str:
    """A line written left to right as it appears on the page → reading order.

    ``rtl`` is the line's base direction; ``None`` decides it from the line's
    letters (``line_is_rtl``), left-to-right when that is ambiguous. A
    combining mark goes with the character before it in ``visual``.
    """
    units: list[_Unit] = []
    for ch in visual:
        if units and unicodedata.category(ch) in _MARK_CATEGORIES:
            units[-1].text += ch
        else:
            units.append(_Unit(text=ch, cls=bidi_class(ch)))
    if rtl is None:
        classes = [u.cls for u in units]
        rtl = line_is_rtl(classes, page_rtl=False, words=_word_counts([visual]))
    return "".join(u.text for u in _logical(units, rtl))


def visual_line(text: str) -> str:
    """One line of text laid out left to right as on the page → logical order.

    Text without right-to-left letters comes back unchanged. For text read by
    other libraries (pdfminer through pdfplumber for tables), which keep the
    page's left-to-right order; run ``split_ligatures`` on their characters
    first.
    """
    if not has_rtl(text):
        return text
    return fold_presentation_forms(visual_to_logical(text))
