"""The characters of a PDF page's text layer, read through pdfium's character API.

For every character pdfium found on the page (its own generated spaces and
line breaks included, in content-stream order) this reads the text, the
loose box (pen position to pen position, font ascent to descent), the
baseline, the font size with the text matrix applied, the writing
direction, and the font's weight and pitch. Characters of one text object
share font, size, matrix and render mode, so those are read once per object.

Cost: two pdfium calls a character (text object, loose box), made in two
tight passes over the characters worth keeping, the boxes written side by
side into one float buffer and read back in one go; the calls go through
ctypes prototypes that take and return plain integers (pypdfium2's own
bindings wrap every pointer in an object, which triples the cost of a
call), the hottest ones with no declared argument types (arguments made
once a page as ``c_void_p``). The text itself comes from one
``get_text_range`` call. Per text object (TeX sets one a word or so): its
matrix, font size, render mode, font and origin, five calls. pdfium's generated
characters are all whitespace, so ``FPDFText_IsGenerated`` is not needed;
``FPDFText_HasUnicodeMapError`` is asked only of U+0002, which is either
pdfium's hyphen mark or an unmapped glyph. Unmapped glyphs that pdfium
reports as printable characters (math fonts) are kept, as the text layer
has them. Figures in docs/BENCHMARKS.md.

Cleaning: U+0002 and U+FFFE (pdfium's mark for a hyphen it saw at a line
end) and U+00AD become ``-`` with ``hyphen`` set (U+00AD inside a line, the PDF's
own character and not pdfium's mark, is a hyphen drawn: ``-`` alone), but a mark between two
letters of a word, 0.4 em wide or more, is a ligature glyph the font maps to no
text and becomes ``ligatures.TWO``/``THREE`` (mended from the word); U+21B5 between letters
is Computer Modern's "ff" ligature read without a Unicode map and becomes
"ff"; other C0 and C1 controls,
U+FFFF and U+FFFD are dropped and counted (``CharRead.unreadable``), and so is half a
UTF-16 pair with no other half (pdfium gives a Gothic letter's first half only);
characters outside the page box are dropped. A space the PDF sets inside a ligature
glyph's box, the next glyph where the ligature ends, is no space (``_after_ligature``:
"fi ve" is "five"). A glyph of TeX's symbol or
extension fonts that pdfium could not map (it gives the character code) is read
by the font's encoding (``texfonts``): "hx, yi" is ⟨x, y⟩; a control code there
is kept for that lookup (one ``FPDFText_HasUnicodeMapError`` call a control
character, and one a character of those fonts that their table holds).

Baseline: a text object set straight along the page (no rotation, no slant)
has one baseline, pdfium's origin for it, given to all its characters. Other
objects take it from each loose box at the offset the first one had from its
origin (a font whose descriptor says ``/Descent 0`` gets loose boxes whose
bottom follows each glyph's descender: a per-box baseline there cut p, y and
q out of their words).

Text set askew: a text object whose advance is ``SLANT`` degrees or more off the
page's axes (a diagonal watermark) keeps its characters apart (``CharRead.slanted``)
for ``pdflines.slanted_lines``.

Vertical writing (tategaki): a CJK font in a vertical CMap keeps an upright
text matrix, and pdfium stacks its glyphs down the page with no break between
them. On a page holding CJK text, such runs are set to run DOWN
(``_stack_down``), so ``pdflines.turn`` reads the page turned and its columns
right to left.

Input: an open ``PdfTextPage`` and the page's box (media box ∩ crop box) and ``/Rotate``.
Output: ``CharRead`` with ``Char`` records in displayed, top-left page points.
"""

from __future__ import annotations

import ctypes
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from docworker.decode.ligatures import THREE, TWO
from docworker.decode.pdfmath import is_math_font
from docworker.decode.texfonts import table_for
from docworker.geometry import CJK

_INVISIBLE = 3  # FPDF_TEXTRENDERMODE_INVISIBLE
_FILL = 0  # FPDF_TEXTRENDERMODE_FILL: the glyphs are filled, not stroked
#: A text object filled with every channel at this or above (of 255) is white: unseen on
#: white paper, unless something darker is painted under it (``on_paper``).
WHITE = 250
#: Boxes (top-left page points) of what white text shows on, or None where that is not
#: known and white text is taken to be seen (``pdfobjects.backdrops``).
Backdrops = list[tuple[float, float, float, float]] | None
_FIXED_PITCH = 1  # font descriptor flag bit 1
_FORCE_BOLD = 1 << 18  # font descriptor flag bit 19
_BOLD_NAME = re.compile(
    r"bold|black|heavy|semibold|demibold|extrabold|ultrabold|,b$|-b$|bx\d"
    # URW's Times Bold ("NimbusRomNo9L-Medi"), a "Demi" cut, Adobe's short forms ("MyriadBd",
    # "HelveticaNeueLTStd-BdCn", "-Blk")
    r"|medi(?:$|ital)|demi|(?<=[a-z-])bd(?:$|it|cn|ou|ex|-)|blk",
    re.IGNORECASE,
)
#: A font's weight counts for bold where the PDF declares it (``/FontWeight``, in hundreds);
#: pdfium otherwise guesses one from the stems (``/StemV``), which reads regular Georgia as
#: 665, Arial Italic as 645, Helvetica Oblique as 1104 and dvips's bitmap fonts as 625-828.
DECLARED_WEIGHT = 100
_MONO_NAME = re.compile(
    r"mono|courier|consol|menlo|monaco|typewriter|code|sfmono|inconsolata|lucidaconsole|tt\d"
    r"|nimbusmon|pcr[rbo]\d",  # URW's Courier (NimbusMonL) and its TeX name (pcrr8r)
    re.IGNORECASE,
)

#: Writing directions of a character's advance on the displayed page.
RIGHT, UP, LEFT, DOWN = 0, 1, 2, 3
#: A text object whose advance is this many degrees or more off the page's axes is set
#: askew (a diagonal "COPY" or "DRAFT" watermark): its characters are kept out of the
#: level text (``CharRead.slanted``; ``pdflines.slanted_lines``).
SLANT = 20.0


@dataclass(slots=True)
class Char:
    """One character: ``text`` (one or two code points), boxes in displayed page points."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    ox: float  # origin: the pen position on the baseline
    oy: float
    size: float  # font size times the text matrix's scale
    style: int  # index into ``CharRead.styles``
    space: bool  # a space (the PDF's or pdfium's) came just before it
    direction: int = RIGHT
    hyphen: bool = False  # pdfium's line-end hyphen marker
    invisible: bool = False


@dataclass(frozen=True)
class Style:
    bold: bool
    mono: bool
    math: bool = False  # a math font (``pdfmath.is_math_font``)


@dataclass
class CharRead:
    chars: list[Char] = field(default_factory=list)
    styles: list[Style] = field(default_factory=list)
    unreadable: int = 0  # characters dropped as controls or unmapped glyphs
    ligatures: int = 0  # unmapped ligature glyphs set as ``ligatures.TWO``/``THREE``
    invisible: int = 0  # characters in text objects drawn invisibly (render mode 3)
    total: int = 0  # characters looked at (spaces and line breaks pdfium made excluded)
    #: Characters of text objects set askew (``SLANT``), with their text object.
    slanted: list[tuple[int, Char]] = field(default_factory=list)


class _Api:
    """pdfium functions re-typed to take and return plain integers (see module docstring).

    The calls made per character or per text object (``text_object``,
    ``loose_box``, ``matrix``, ``font_size``, ``render_mode``, ``font``) are declared with a
    return type only: their arguments go in as ``c_void_p`` objects made once a
    page and plain ints, which skips ctypes' per-argument conversion (about a
    third of a call's cost here).
    """

    def __init__(self) -> None:
        import pypdfium2.raw as raw

        def fast(fn: Any, restype: Any, *argtypes: Any) -> Any:
            address = ctypes.cast(fn, ctypes.c_void_p).value
            return ctypes.CFUNCTYPE(restype, *argtypes)(address)

        vp, i, d = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
        self.raw = raw
        self.text_object = fast(raw.FPDFText_GetTextObject, vp)
        self.map_error = fast(raw.FPDFText_HasUnicodeMapError, i, vp, i)
        self.loose_box = fast(raw.FPDFText_GetLooseCharBox, i)
        self.font_size = fast(raw.FPDFText_GetFontSize, d)
        self.matrix = fast(raw.FPDFText_GetMatrix, i)
        self.origin = fast(raw.FPDFText_GetCharOrigin, i, vp, i, vp, vp)
        self.char_box = fast(raw.FPDFText_GetCharBox, i, vp, i, vp, vp, vp, vp)
        self.clip_path = fast(raw.FPDFPageObj_GetClipPath, vp, vp)
        self.clip_paths = fast(raw.FPDFClipPath_CountPaths, i, vp)
        self.clip_segments = fast(raw.FPDFClipPath_CountPathSegments, i, vp, i)
        self.clip_segment = fast(raw.FPDFClipPath_GetPathSegment, vp, vp, i, i)
        self.point = fast(raw.FPDFPathSegment_GetPoint, i, vp, vp, vp)
        self.render_mode = fast(raw.FPDFTextObj_GetTextRenderMode, i)
        self.fill_color = fast(raw.FPDFPageObj_GetFillColor, i, vp, vp, vp, vp, vp)
        self.font = fast(raw.FPDFTextObj_GetFont, vp)
        size_t = ctypes.c_size_t
        self.font_name = fast(raw.FPDFFont_GetBaseFontName, size_t, vp, vp, size_t)
        self.font_weight = fast(raw.FPDFFont_GetWeight, i, vp)
        self.font_flags = fast(raw.FPDFFont_GetFlags, i, vp)


_api: _Api | None = None


def api() -> _Api:
    global _api
    if _api is None:
        _api = _Api()
    return _api


def to_top_left(
    box: tuple[float, float, float, float],
    crop: tuple[float, float, float, float],
    rotation: int,
) -> tuple[float, float, float, float]:
    """PDF user space (origin bottom-left) → displayed page, origin top-left, y down."""
    l, b, r, t = box
    cl, cb, cr, ct = crop
    w0, h0 = cr - cl, ct - cb
    x0, x1, y0, y1 = l - cl, r - cl, ct - t, ct - b
    if rotation == 90:
        x0, y0, x1, y1 = h0 - y1, x0, h0 - y0, x1
    elif rotation == 180:
        x0, y0, x1, y1 = w0 - x1, h0 - y1, w0 - x0, h0 - y0
    elif rotation == 270:
        x0, y0, x1, y1 = y0, w0 - x1, y1, w0 - x0
    return (x0, y0, x1, y1)


def _direction(a: float, b: float, rotation: int) -> int:
    """The displayed direction of a text matrix's advance ``(a, b)`` on a page turned by
    ``rotation``."""
    angle = math.degrees(math.atan2(b, a))  # user space, counter-clockwise
    quarter = round(angle / 90.0) % 4  # 0 right, 1 up, 2 left, 3 down
    return (quarter - rotation // 90) % 4  # /Rotate turns the page (and its text) clockwise


#: A text object whose advance turns at least this many degrees off level, and under
#: ``SLANT``, is read straightened (``_tilt``).
TILT = 0.5


def _tilt(a: float, b: float) -> float:
    """The angle (radians, counter-clockwise) of an advance ``(a, b)`` that runs right and
    turns ``TILT`` degrees or more, under ``SLANT``, off level; else 0. A card of text
    set askew on a poster: its lines run uphill, and a baseline taken from each glyph's
    box climbs away from the line's first glyph word by word."""
    if not b or a <= 0:
        return 0.0
    angle = math.atan2(b, a)
    return angle if TILT <= abs(math.degrees(angle)) < SLANT else 0.0


def _straighten(
    box: tuple[float, float, float, float],
    origin: tuple[float, float],
    pivot: tuple[float, float],
    angle: float,
) -> tuple[float, float, float, float, float, float]:
    """A glyph of a text object turned ``angle`` (radians, counter-clockwise) turned back
    about ``pivot`` (displayed points, y down): ``(x0, y0, x1, y1, ox, oy)``, its box of
    the glyph's own width and height (the loose box bounds the turned glyph) and its
    origin."""
    c, s = math.cos(angle), math.sin(angle)
    px, py = pivot

    def back(x: float, y: float) -> tuple[float, float]:
        return px + (x - px) * c - (y - py) * s, py + (x - px) * s + (y - py) * c

    x0, y0, x1, y1 = box
    wide, tall = x1 - x0, y1 - y0
    turn = c * c - s * s
    a = abs(s)
    width = max((wide * c - tall * a) / turn, 0.1)
    height = max((tall * c - wide * a) / turn, 0.1)
    mx, my = back((x0 + x1) / 2, (y0 + y1) / 2)
    ox, oy = back(*origin)
    return mx - width / 2, my - height / 2, mx + width / 2, my + height / 2, ox, oy


def _slanted(a: float, b: float) -> bool:
    """Is the advance ``(a, b)`` ``SLANT`` degrees or more off the page's axes?"""
    if not b:
        return False  # most text runs level
    off = abs(math.degrees(math.atan2(b, a))) % 90.0
    return min(off, 90.0 - off) >= SLANT


_HYPHEN_MARKS = frozenset("\x02\ufffe\u00ad")
#: Computer Modern's "ff" ligature (OT1 slot 11) comes out of fonts with no Unicode
#: map as U+21B5, the carriage-return arrow: "e\u21b5ect", "o\u21b5-the-shelf".
RETURN_ARROW = "\u21b5"


def ff_ligature(text: Sequence[str], index: int) -> bool:
    """Is the arrow at ``index`` an "ff" inside a word (a letter before it, a letter
    or a hyphen after it)? The arrow itself never stands between letters."""
    after = text[index + 1] if index + 1 < len(text) else ""
    return index > 0 and text[index - 1].isalpha() and (after.isalpha() or after == "-")


_DROP = frozenset("\uffff\ufffd")  # noncharacter, replacement character
#: What the characters of one text object share (``_Objects._read``).
_Info = tuple[int, float, int, bool, float | None, dict[str, str] | None, bool, bool, bool, float]
#: A clip path of more paths, or a path of more segments, is a shape, not a cell's box.
_CLIP_PATHS = 4
_CLIP_SEGMENTS = 8
_CLIP_SLACK = 1.0  # points a glyph's centre may lie outside its clip box
#: Characters a text object must have before its clip path is read (a few calls each).
_CLIP_MIN_CHARS = 8


class _Objects:
    """What the characters of one text object share: style, size, direction, render mode."""

    def __init__(self, page: int, read: CharRead, rotation: int, top: float):
        self.page = page
        self.top = top  # the page box's top, for baselines on an unturned page
        self.origin = ctypes.c_double(), ctypes.c_double()
        self.origin_at = tuple(ctypes.addressof(v) for v in self.origin)
        self.handle = ctypes.c_void_p(page)
        self.read = read
        self.rotation = rotation
        self.by_object: dict[int, _Info] = {}
        self.by_font: dict[int, tuple[int, dict[str, str] | None, bool]] = {}
        #: A matrix's advance → its displayed direction, whether it is set askew, and the
        #: angle it is turned a little by (else 0).
        self.directions: dict[tuple[float, float], tuple[int, bool, float]] = {}
        self.matrix = api().raw.FS_MATRIX()
        self.matrix_ref = ctypes.byref(self.matrix)
        self.name = ctypes.create_string_buffer(256)

    def info(self, obj: int, index: int) -> _Info:
        found = self.by_object.get(obj)
        if found is None:
            found = self.by_object[obj] = self._read(obj, index)
        return found

    def _read(self, obj: int, index: int) -> _Info:
        """(style, size, direction, invisible, baseline, codes, always, white, slanted,
        tilt): ``baseline`` (displayed y) when the object's characters run straight along
        one on an unturned page, else None; ``codes``: the font's table (``texfonts``) or
        None, read for every character (``always``) or for those pdfium could not map;
        ``white``: filled in white (``WHITE``); ``slanted``: set askew (``SLANT``);
        ``tilt``: the angle of an object turned a little (``_tilt``), else 0."""
        fast = api()
        m = self.matrix
        fast.matrix(self.handle, index, self.matrix_ref)
        a, b, c, d = m.a, m.b, m.c, m.d
        if not math.isfinite(a + b + c + d):  # a damaged file's matrix: NaN or infinite
            a, b, c, d = 1.0, 0.0, 0.0, 1.0
        scale = math.sqrt(abs(a * d - b * c))
        size = fast.font_size(self.handle, index) * scale
        if not math.isfinite(size):
            size = 0.0
        advance = self.directions.get((a, b))
        if advance is None:
            advance = self.directions[(a, b)] = (
                _direction(a, b, self.rotation),
                _slanted(a, b),
                _tilt(a, b) if self.rotation == 0 else 0.0,
            )
        direction, slanted, tilt = advance
        white = False
        if obj:
            handle = ctypes.c_void_p(obj)
            mode = fast.render_mode(handle)
            invisible = mode == _INVISIBLE
            font = fast.font(handle) or 0
            white = mode == _FILL and filled_white(obj)
        else:
            invisible, font = False, 0
        styled = self.by_font.get(font)
        if styled is None:
            styled = self.by_font[font] = self._style(font)
        style, codes, always = styled
        baseline = None
        if obj and b == 0 and a > 0 and self.rotation == 0:
            fast.origin(self.page, index, *self.origin_at)
            baseline = self.top - self.origin[1].value
        return style, size, direction, invisible, baseline, codes, always, white, slanted, tilt

    def _style(self, font: int) -> tuple[int, dict[str, str] | None, bool]:
        fast = api()
        name, weight, flags = "", 0, 0
        if font:
            length = fast.font_name(font, ctypes.addressof(self.name), 256)
            name = self.name.raw[: max(0, min(length, 256) - 1)].decode("latin-1")
            weight = fast.font_weight(font)
            flags = max(0, fast.font_flags(font))
        bold = font_bold(name, weight, flags)
        mono = bool(_MONO_NAME.search(name)) or bool(flags & _FIXED_PITCH)
        self.read.styles.append(Style(bold=bold, mono=mono, math=is_math_font(name)))
        codes, always = table_for(name) or (None, False)
        return len(self.read.styles) - 1, codes, always


def font_bold(name: str, weight: int, flags: int) -> bool:
    """Is the font ``name`` (pdfium's ``weight`` and descriptor ``flags`` for it) bold: by its
    name, a weight of 600 or more that the PDF declares (``DECLARED_WEIGHT``), or the
    force-bold flag?"""
    declared = weight >= 600 and weight % DECLARED_WEIGHT == 0
    return bool(_BOLD_NAME.search(name)) or declared or bool(flags & _FORCE_BOLD)


_XY = ctypes.c_float(), ctypes.c_float()  # one page is read at a time in a process


_RGBA = [ctypes.c_uint(0) for _ in range(4)]  # one page is read at a time in a process
_RGBA_AT = tuple(ctypes.addressof(v) for v in _RGBA)


def filled_white(obj: int) -> bool:
    """Is text object ``obj`` filled in white (``WHITE``), to be seen only on a backdrop?
    (Its render mode is the caller's: only a filled, unstroked object counts.)"""
    if obj and api().fill_color(obj, *_RGBA_AT):
        r, g, b, a = _RGBA
        return r.value >= WHITE and g.value >= WHITE and b.value >= WHITE and a.value > 0
    return False


def on_paper(backdrops: Backdrops, x: float, y: float) -> bool:
    """Does white text at the point (top-left page points) lie on bare paper, unseen:
    nothing of ``backdrops`` under it?"""
    return backdrops is not None and not any(
        x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in backdrops
    )


def shows_white(obj: int) -> bool:
    """Is text object ``obj`` drawn filled (not stroked, not invisible) and in white?"""
    return bool(obj) and api().render_mode(ctypes.c_void_p(obj)) == _FILL and filled_white(obj)


def clip_box(obj: int, paths: int = _CLIP_PATHS) -> tuple[float, float, float, float] | None:
    """The box (user space: left, bottom, right, top) that a page object's clip path
    leaves it, when that is a few straight-sided paths (a spreadsheet's cell clipping
    its overflow): their bounds intersected (the first ``paths`` of them). None for no
    clip or a shaped one."""
    fast = api()
    clip = fast.clip_path(obj)
    if not clip:
        return None
    n = fast.clip_paths(clip)
    if not 0 < n <= _CLIP_PATHS:
        return None
    n = min(n, paths)
    box = [-math.inf, -math.inf, math.inf, math.inf]
    x, y = _XY
    at = ctypes.addressof(x), ctypes.addressof(y)
    for k in range(n):
        m = fast.clip_segments(clip, k)
        if not 0 < m <= _CLIP_SEGMENTS:
            return None
        xs, ys = [], []
        for j in range(m):
            if not fast.point(fast.clip_segment(clip, k, j), *at):
                return None
            xs.append(x.value)
            ys.append(y.value)
        box = [
            max(box[0], min(xs)),
            max(box[1], min(ys)),
            min(box[2], max(xs)),
            min(box[3], max(ys)),
        ]
    return (box[0], box[1], box[2], box[3])


def object_clip(
    obj: int, n_chars: int, left: float, bottom: float, right: float, top: float
) -> tuple[float, float, float, float] | None:
    """The clip box (``clip_box``) a text object's glyphs are tested against, given its
    character count and its first glyph's box (user space), or None: a short run (a TeX
    word) never overflows a cell, and an object whose first glyph lies outside its clip
    has a clip this reading cannot place (a form's own space), not an overflow."""
    if not obj or n_chars < _CLIP_MIN_CHARS:
        return None
    clip = clip_box(obj)
    if clip is None or clipped(clip, left, bottom, right, top):
        return None
    return clip


def _tighter(
    a: tuple[float, float, float, float] | None, b: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """Clip boxes ``a`` (or none) and ``b`` intersected."""
    if a is None:
        return b
    return (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))


def starts_number(ch: str) -> bool:
    """A digit or a decimal point: what an unmapped flat bar before it makes a minus of."""
    return ch.isdigit() or ch == "."


def clipped(
    clip: tuple[float, float, float, float], left: float, bottom: float, right: float, top: float
) -> bool:
    """Does a glyph's box (user space) have its centre outside ``clip`` (``clip_box``)?"""
    cx, cy = (left + right) / 2, (top + bottom) / 2
    return not (
        clip[0] - _CLIP_SLACK <= cx <= clip[2] + _CLIP_SLACK
        and clip[1] - _CLIP_SLACK <= cy <= clip[3] + _CLIP_SLACK
    )


def _transform(crop: tuple[float, float, float, float], rotation: int):
    """``to_top_left`` for one page, as a function of (left, bottom, right, top)."""
    cl, ct = crop[0], crop[3]
    if rotation == 0:
        return lambda l, b, r, t: (l - cl, ct - t, r - cl, ct - b)
    return lambda l, b, r, t: to_top_left((l, b, r, t), crop, rotation)


def _slots(text: str, n_chars: int, page: int, read: CharRead) -> list[tuple[int, str, bool, bool]]:
    """``(index, text, space before, hyphen)`` of every character worth a box, in order.

    Counts ``read.total`` and ``read.unreadable`` on the way.
    """
    map_error = api().map_error
    slots: list[tuple[int, str, bool, bool]] = []
    append = slots.append
    space = False
    skip = False
    total = unreadable = 0
    for index, ch in enumerate(text):
        if skip:
            skip = False
            continue
        if "\ud800" <= ch <= "\udfff":
            if ch <= "\udbff" and index + 1 < n_chars and "\udc00" <= text[index + 1] <= "\udfff":
                pair = ch + text[index + 1]
                ch = pair.encode("utf-16", "surrogatepass").decode("utf-16")
                skip = True
            else:  # half a pair (pdfium gives 16 bits of a Gothic letter): no character
                total += 1
                unreadable += 1
                continue
        if ch.isspace():  # pdfium's generated characters are all spaces and line breaks
            space = True
            continue
        total += 1
        unmapped = (ch < " " or ch in _HYPHEN_MARKS) and map_error(page, index) == 1
        hyphen = ch in _HYPHEN_MARKS and not unmapped
        if hyphen:
            # The PDF's own soft hyphen inside a line is a hyphen it draws ("2012-51",
            # "e-file" in the IRS's forms), not a line-end mark.
            hyphen = ch != "\u00ad" or index + 1 >= n_chars or text[index + 1].isspace()
            ch = "-"
        elif ch == RETURN_ARROW and ff_ligature(text, index):
            ch = "ff"
        elif unmapped and ch < " ":
            pass  # a glyph's code: its font may read it (``texfonts``), else it goes
        elif ch < " " or ch in _DROP or "\x7f" <= ch <= "\x9f":
            unreadable += 1
            continue
        append((index, ch, space, hyphen))
        space = False
    read.total += total
    read.unreadable += unreadable
    return slots


def read_chars(
    textpage: Any,
    n_chars: int,
    crop: tuple[float, float, float, float],
    rotation: int,
    width: float,
    height: float,
    backdrops: Backdrops = None,
    form_clips: dict[int, tuple[float, float, float, float]] | None = None,
) -> CharRead:
    """Every character of ``textpage`` worth keeping, in pdfium's order (see module docstring).

    ``backdrops`` (``pdfobjects.backdrops``): text filled in white on bare paper is unseen
    and left out (``on_paper``); without them white text is kept. ``form_clips``
    (``pdfobjects.PageObjects.form_clips``): text of a form drawn under a clip that
    leaves it out (an embedded page cut down to its top) is not read.
    """
    fast = api()
    raw = fast.raw
    map_error = fast.map_error
    page = ctypes.cast(textpage.raw, ctypes.c_void_p).value
    text = textpage.get_text_range()
    if len(text) != n_chars:  # code points beyond the BMP take two character slots
        text = "".join(chr(raw.FPDFText_GetUnicode(textpage.raw, i)) for i in range(n_chars))
    read = CharRead()
    slots = _slots(text, n_chars, page, read)
    if not slots:
        return read
    # The two calls each character needs, made in two tight passes: the boxes land
    # side by side in one float buffer (FS_RECTF: left, top, right, bottom).
    text_object, loose_box = fast.text_object, fast.loose_box
    handle = ctypes.c_void_p(page)
    owners = [text_object(handle, slot[0]) or 0 for slot in slots]
    buffer = (ctypes.c_float * (4 * len(slots)))()
    byref = ctypes.byref
    for k, slot in enumerate(slots):
        loose_box(handle, slot[0], byref(buffer, 16 * k))
    boxes = memoryview(buffer).cast("B").cast("f").tolist()
    runs = Counter(owners)  # characters a text object (``object_clip``)
    objects = _Objects(page, read, rotation, crop[3])
    by_object, info = objects.by_object, objects.info
    transform = _transform(crop, rotation)
    upright = rotation == 0
    cl, ct = crop[0], crop[3]
    ox_d, oy_d = ctypes.c_double(), ctypes.c_double()
    baselines: dict[int, float] = {}  # text object -> baseline offset from its loose box
    pivots: dict[float, tuple[float, float]] = {}  # angle set askew -> its first origin
    clips: dict[int, tuple[float, float, float, float] | None] = {}  # text object -> clip
    chars = read.chars
    append = chars.append
    lo_x, lo_y, hi_x, hi_y = -2.0, -2.0, width + 2.0, height + 2.0
    carried = False  # a space before a character dropped outside the crop box
    invisible_count = 0
    last: int | None = None  # the text object of the character before (most share one)
    quads = iter(boxes)
    for k, ((index, ch, space, hyphen), obj, left, top, right, bottom) in enumerate(
        zip(slots, owners, quads, quads, quads, quads, strict=True)
    ):
        if obj != last:
            found = by_object.get(obj)
            if found is None:  # the object's first glyph
                found = info(obj, index)
                clips[obj] = object_clip(obj, runs[obj], left, bottom, right, top)
                if form_clips and obj in form_clips:
                    clips[obj] = _tighter(clips[obj], form_clips[obj])
            style, size, direction, invisible, baseline, codes, always, white, slanted, tilt = found
            clip = clips.get(obj)
            last = obj
        if clip is not None and clipped(clip, left, bottom, right, top):
            carried = space or carried  # clipped away: a spreadsheet cell's overflow
            continue
        if codes is not None and (
            ch < " " or (ch in codes and (always or map_error(page, index) == 1))
        ):
            ch = codes.get(ch, ch)  # TeX's symbol fonts: the glyph's code in their encoding
        if ch < " " and not (
            ch and _before_number(slots, k) and flat_bar(page, index, top - bottom)
        ):
            # An unmapped control code no table reads (one drawn as a flat bar right
            # before a number is its minus sign, below), or a glyph that goes.
            read.unreadable += ch != ""
            carried = space or carried
            continue
        if ch < " ":
            ch = "−"
        if upright:
            x0, y0, x1, y1 = left - cl, ct - top, right - cl, ct - bottom
        else:
            x0, y0, x1, y1 = transform(left, bottom, right, top)
        space = space or carried
        if not (x1 >= lo_x and y1 >= lo_y and x0 <= hi_x and y0 <= hi_y):  # NaN: out too
            carried = space
            continue
        carried = False
        if tilt:  # set askew: straightened about the first origin at its angle
            fast.origin(page, index, ctypes.addressof(ox_d), ctypes.addressof(oy_d))
            at = (ox_d.value - cl, ct - oy_d.value)
            pivot = pivots.setdefault(round(tilt, 3), at)  # the objects of one card, one pivot
            x0, y0, x1, y1, ox, oy = _straighten((x0, y0, x1, y1), at, pivot, tilt)
        elif baseline is not None:  # one baseline for the whole object: pdfium's origin
            ox, oy = x0, baseline
        else:
            offset = baselines.get(obj)
            if offset is None:
                fast.origin(page, index, ctypes.addressof(ox_d), ctypes.addressof(oy_d))
                ox, oy, _, _ = transform(ox_d.value, oy_d.value, ox_d.value, oy_d.value)
                offset = baselines[obj] = _offset(direction, (x0, y0, x1, y1), ox, oy)
            if direction == RIGHT:
                ox, oy = x0, y1 - offset
            else:
                ox, oy = _origin(direction, (x0, y0, x1, y1), offset)
        if hyphen and _ligature(slots, boxes, k, size):
            ch, hyphen = (TWO if x1 - x0 < 0.7 * size else THREE), False
            read.ligatures += 1
        if space and len(chars) > 1 and chars[-1].x0 == chars[-2].x0:
            space = not _after_ligature(chars, x0, size)
        if invisible:
            invisible_count += 1
        if white and on_paper(backdrops, (x0 + x1) / 2, (y0 + y1) / 2):
            carried = space  # white on bare paper: unseen
            continue
        if slanted:  # a diagonal watermark's letters: kept apart from the level text
            read.slanted.append((obj, Char(ch, x0, y0, x1, y1, ox, oy, size, style, space)))
            continue
        append(Char(ch, x0, y0, x1, y1, ox, oy, size, style, space, direction, hyphen, invisible))
    read.invisible += invisible_count
    if CJK.search(text):  # only these scripts are set in vertical columns (tategaki)
        _stack_down(chars)
    if "6" in text or "7" in text:
        negations(chars, read.styles)
    if not _HEADS.isdisjoint(text):
        long_arrows(chars, read.styles)
    if not ACCENTS.keys().isdisjoint(text):
        accents(chars)
    return read


#: Accents that TeX's fonts with no accented letters (OT1) set as glyphs of their own,
#: over (a cedilla or an ogonek: under) a letter: the accent → its combining mark.
ACCENTS = {
    "\u02dd": "\u030b",  # ˝ double acute (Erdős)
    "\u00a8": "\u0308",  # ¨ dieresis (Färber)
    "\u00b4": "\u0301",  # ´ acute
    "`": "\u0300",  # grave
    "\u02c6": "\u0302",  # ˆ circumflex
    "\u02dc": "\u0303",  # ˜ tilde
    "\u00af": "\u0304",  # ¯ macron
    "\u02d8": "\u0306",  # ˘ breve
    "\u02d9": "\u0307",  # ˙ dot above
    "\u02da": "\u030a",  # ˚ ring above
    "\u02c7": "\u030c",  # ˇ caron
    "\u00b8": "\u0327",  # ¸ cedilla
    "\u02db": "\u0328",  # ˛ ogonek
}
#: A letter an accent is set over lies at most this many characters away in the content
#: stream (pdfTeX may draw a line's accents after the line's last word).
ACCENT_REACH = 60


#: A glyph for ``accent_pairs``: text, left and right edges, baseline (y down), font
#: size, and whether it is set level, left to right.
Glyph = tuple[str, float, float, float, float, bool]


def accent_pairs(count: int, glyph: Callable[[int], Glyph], texts: Sequence[str]) -> list:
    """``(accent, letter)`` indices of each accent glyph (``ACCENTS``) set over a letter:
    its middle inside the letter's box (the middle three fifths), on the letter's
    baseline or raised over a capital by up to half a font size; the nearest such
    letter in the content stream. Raw extraction reads "Erdos ˝", "Fa¨rber": the
    accent where the PDF draws it, at the line's end or after the letter, and breaks
    the word or the line. An accent over no letter (a grave quote in code, a spacing
    accent in running text, whose middle is in its own box) has no pair. ``count``
    glyphs, ``glyph(k)`` the k-th (made only near accents), ``texts`` their texts."""
    pairs = []
    for k in [k for k, text in enumerate(texts) if text in ACCENTS]:
        _, x0, x1, baseline, _, level = glyph(k)
        if not level:
            continue
        middle = (x0 + x1) / 2
        for step in range(1, ACCENT_REACH + 1):  # nearest first: the first found is it
            found = False
            for j in (k - step, k + step):
                if not (0 <= j < count and texts[j].isalpha()):
                    continue
                _, lx0, lx1, base, size, flat = glyph(j)
                fifth = (lx1 - lx0) / 5
                if (
                    flat
                    and lx0 + fifth <= middle <= lx1 - fifth
                    and -0.1 * size <= base - baseline <= 0.5 * size
                ):
                    pairs.append((k, j))
                    found = True
                    break
            if found:
                break
    return pairs


def accented(letter: str, accent: str) -> str:
    """``letter`` with ``accent``'s combining mark, composed where Unicode has the letter."""
    return unicodedata.normalize("NFC", letter + ACCENTS[accent])


def accents(chars: list[Char]) -> None:
    """Each accent glyph set over a letter (``accent_pairs``) → the accented letter; the
    accent's character dropped, the space before it passed on."""

    def glyph(k: int) -> Glyph:
        c = chars[k]
        return c.text, c.x0, c.x1, c.oy, c.size, c.direction == RIGHT

    pairs = accent_pairs(len(chars), glyph, [c.text for c in chars])
    for k, j in pairs:
        chars[j].text = accented(chars[j].text, chars[k].text)
    for k in sorted((k for k, _ in pairs), reverse=True):
        gone = chars.pop(k)
        if gone.space and k < len(chars):
            chars[k].space = True


#: TeX draws ≠ as CMSY's negation slash (slot 0x36, which pdfium reads as "6" where the font
#: has no Unicode map) over "=", ∉ as that slash over "∈" (``\not`` over any relation:
#: ≢ ⊄ ≰ ...), and ↦ as CMSY's mapsto bar (slot 0x37, "7") set before "→": two glyphs that
#: start at one place, read "6=", "6∈" and "7→" by raw extraction. The pair → its one
#: sign: the relation with U+0338 (the long solidus overlay), where Unicode composes the
#: two into one character, and "↦".
SLASH, MAPSTO_BAR = "6", "7"
NEGATED = {("6", "="): "≠", ("6", "∈"): "∉", ("7", "→"): "↦"}


def _negated(mark: str, sign: str) -> str | None:
    """The one sign the slash or bar ``mark`` drawn with ``sign`` makes, or None."""
    if mark == SLASH and len(sign) == 1:
        composed = unicodedata.normalize("NFC", sign + "\u0338")
        return composed if len(composed) == 1 else None
    return NEGATED.get((mark, sign))


#: The two glyphs of a pair start less than this many font sizes apart.
NEGATION_REACH = 0.15


def negations(chars: list[Char], styles: list[Style]) -> None:
    """Each pair of ``NEGATED`` kind in ``chars`` (the slash or bar in a math font, the
    sign after it starting at the same place on the same line) → one character: the
    sign's, with the pair's box, the slash's style and the space before the slash."""
    math = {i for i, style in enumerate(styles) if style.math}
    if not math:
        return
    k = 0
    while k + 1 < len(chars):
        mark, sign = chars[k], chars[k + 1]
        merged = _negated(mark.text, sign.text) if mark.text in (SLASH, MAPSTO_BAR) else None
        if merged is None or mark.style not in math or mark.direction != sign.direction:
            k += 1
            continue
        size = mark.size if mark.size > 0.5 else max(mark.y1 - mark.y0, 1.0)
        if (
            abs(sign.x0 - mark.x0) >= NEGATION_REACH * size
            or min(mark.y1, sign.y1) <= max(mark.y0, sign.y0)  # not on one line
        ):
            k += 1
            continue
        chars[k : k + 2] = [_one_sign(merged, [mark, sign], head=sign, origin=sign, style=mark)]
        k += 1


#: TeX sets a long arrow as pieces drawn overlapping (``\joinrel``): bars ("−" or "=")
#: and a head at either end (\longrightarrow "−→", \Longrightarrow "=⇒",
#: \Longleftrightarrow "⇐⇒", an extensible arrow under a label "=====⇒", \longmapsto
#: CMSY's mapsto bar and "−→"); raw extraction reads the pieces. A run of them, each
#: drawn into the one before on one line, one in a math font → the arrow's one sign,
#: by (left head, right head, double).
LONG_ARROWS = {
    (False, True, False): "⟶",
    (False, True, True): "⟹",
    (True, False, False): "⟵",
    (True, False, True): "⟸",
    (True, True, False): "⟷",
    (True, True, True): "⟺",
}
_BARS = frozenset("−=")
_RIGHT_HEADS = frozenset("→⇒")
_LEFT_HEADS = frozenset("←⇐")
_HEADS = _RIGHT_HEADS | _LEFT_HEADS
_DOUBLE = frozenset("=⇒⇐")
#: Each piece starts at least this many points inside the one before.
_DRAWN_INTO = 0.1


def long_arrows(chars: list[Char], styles: list[Style]) -> None:
    """Each long arrow of pieces in ``chars`` (``LONG_ARROWS``) → one character, with the
    pieces' box, the head's style and the space before the first piece."""
    k = 0
    while k < len(chars):
        first = chars[k]
        mapsto = first.text == "7" and styles[first.style].math
        if first.text not in _BARS and first.text not in _HEADS and not mapsto:
            k += 1
            continue
        end = k + 1
        while end < len(chars) and _drawn_into(chars[end - 1], chars[end], mapsto and end == k + 1):
            end += 1
        if end - k < 2:
            k += 1
            continue
        run = chars[k:end]
        texts = [c.text for c in run[1:]] if mapsto else [c.text for c in run]
        left, right = texts[0] in _LEFT_HEADS, texts[-1] in _RIGHT_HEADS
        heads = sum(t in _HEADS for t in texts)
        sign = LONG_ARROWS.get((left, right, not _DOUBLE.isdisjoint(texts)))
        if mapsto:  # the bar, then "−" pieces and a right head: \longmapsto
            sign = "⟼" if right and len(texts) > 1 and set(texts[:-1]) == {"−"} else None
        if sign is None or heads != left + right or not any(styles[c.style].math for c in run):
            k += 1
            continue
        head = run[-1] if right else run[0]
        chars[k:end] = [_one_sign(sign, run, head=head, origin=first, style=head)]
        k += 1


def _one_sign(text: str, run: list[Char], head: Char, origin: Char, style: Char) -> Char:
    """The glyphs of ``run`` as one character ``text``: their box, ``origin``'s pen
    position, ``head``'s size, direction and flags, ``style``'s style and the space
    before the run's first glyph."""
    return Char(
        text,
        min(c.x0 for c in run),
        min(c.y0 for c in run),
        max(c.x1 for c in run),
        max(c.y1 for c in run),
        origin.ox,
        origin.oy,
        head.size,
        style.style,
        run[0].space,
        head.direction,
        head.hyphen,
        head.invisible,
    )


def _drawn_into(before: Char, piece: Char, zero_width: bool) -> bool:
    """Is ``piece`` (a bar or a head) drawn into ``before`` on its line: starting inside it
    (or where it starts, after a mapsto bar of no width)?"""
    if piece.text not in _BARS and piece.text not in _HEADS:
        return False
    if piece.direction != before.direction or min(before.y1, piece.y1) <= max(before.y0, piece.y0):
        return False
    if zero_width:
        size = before.size if before.size > 0.5 else max(before.y1 - before.y0, 1.0)
        return abs(piece.x0 - before.x0) < NEGATION_REACH * size
    return piece.x0 < before.x1 - _DRAWN_INTO and piece.x0 > before.x0


#: A space the PDF sets right after a ligature glyph, its next glyph starting less than
#: this many font sizes past the ligature's end, is none (``_after_ligature``).
LIGATURE_SPACE = 0.08


def _after_ligature(chars: list[Char], x0: float, size: float) -> bool:
    """pdfium reads a ligature glyph ("fi") as its letters, each with the glyph's box. A
    space some PDFs put after it, inside its box, with the next glyph set where the
    ligature ends, parts no words: "fi ve", "Offi ce" in a Word-made constitution."""
    a, b = chars[-2], chars[-1]
    return (
        a.x0 == b.x0
        and a.x1 == b.x1
        and a.y0 == b.y0
        and a.y1 == b.y1
        and a.direction == b.direction == RIGHT
        and x0 - b.x1 < LIGATURE_SPACE * size
    )


def _before_number(slots: list[tuple[int, str, bool, bool]], k: int) -> bool:
    """Does a digit (or a decimal point) follow ``slots[k]`` with no space between?"""
    if k + 1 >= len(slots) or slots[k + 1][2]:
        return False
    return starts_number(slots[k + 1][1])


def flat_bar(page: int, index: int, height: float) -> bool:
    """Is the glyph at ``index`` a flat bar (its ink at least four times as wide as it is
    high, under a tenth of its loose box's ``height``)? Before a number, that is a minus
    sign its font maps to no text (Elsevier's AdvMacMthSyN sets the minus of "−0.9393"
    as code 3; the number read "0.9393"); elsewhere a rule or an ornament."""
    box = [ctypes.c_double() for _ in range(4)]
    if not api().char_box(page, index, *(ctypes.addressof(v) for v in box)):
        return False
    left, right, bottom, top = (v.value for v in box)
    ink_w, ink_h = right - left, top - bottom
    return height > 0 and 0 <= ink_h <= 0.1 * height and ink_w >= 4 * max(ink_h, 0.05)


def _ligature(
    slots: list[tuple[int, str, bool, bool]], boxes: list[float], k: int, size: float
) -> bool:
    """Is pdfium's hyphen mark at ``slots[k]`` an unmapped ligature glyph instead: between
    two letters of one word (no space on either side), at least 0.4 em wide, and the
    letter after it set right after it on the same line? A hyphen pdfium saw at a line's
    end has the next line's first letter after it (pdfium drops the line break there).
    ``boxes``: the slots' loose boxes, four floats each (left, top, right, bottom, user
    space)."""
    if size <= 0 or k == 0 or k + 1 >= len(slots) or slots[k][2]:
        return False
    before, after = slots[k - 1][1], slots[k + 1]
    if after[2] or not after[1].isalpha() or not before.isalpha():
        return False
    left, top, right, bottom = boxes[4 * k : 4 * k + 4]
    n_left, n_top, _, n_bottom = boxes[4 * k + 4 : 4 * k + 8]
    width = right - left  # text set along the page (a turned page's marks stay hyphens)
    same_row = min(top, n_top) - max(bottom, n_bottom) > 0.5 * (top - bottom)
    return width >= 0.4 * size and same_row and abs(n_left - right) <= 0.3 * size


def _stacked(a: Char, b: Char) -> bool:
    """Does ``b`` follow ``a`` one advance down the same column, with no break between?"""
    h = a.y1 - a.y0
    overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    return (
        not b.space
        and a.direction == b.direction == RIGHT
        and h > 0
        and overlap >= 0.5 * min(a.x1 - a.x0, b.x1 - b.x0)
        and -0.2 * h <= b.y0 - a.y1 <= 0.6 * h
    )


def _stack_down(chars: list[Char]) -> None:
    """Characters that pdfium reports upright but that follow each other *down* the page
    (vertical writing: a font in a vertical CMap keeps an upright matrix) run DOWN.

    A run is two or more characters with no space or line break between them, each
    one advance under the last, overlapping it sideways. pdfium's loose boxes for such
    glyphs are up to two advances wide and not centred on the glyph, so every box of a
    run is set one advance wide on the run's median centre line, which is also its
    baseline. ``pdflines.turn`` then reads the page turned, columns right to left.
    """
    start = 0
    for k in range(1, len(chars) + 1):
        if k < len(chars) and _stacked(chars[k - 1], chars[k]):
            continue
        if k - start >= 2:
            _turn_down(chars[start:k])
        start = k


def _turn_down(run: list[Char]) -> None:
    centre = median((char.x0 + char.x1) / 2 for char in run)
    for char in run:
        half = max(char.y1 - char.y0, char.size) / 2
        char.x0, char.x1 = centre - half, centre + half
        char.ox, char.oy, char.direction = centre, char.y0, DOWN


def _offset(direction: int, box: tuple[float, float, float, float], ox: float, oy: float) -> float:
    """The baseline's distance from the box edge that lies under the glyphs."""
    x0, y0, x1, y1 = box
    if direction == RIGHT:
        return y1 - oy
    if direction == LEFT:
        return oy - y0
    if direction == UP:
        return x1 - ox
    return ox - x0


def _origin(direction: int, box: tuple[float, float, float, float], offset: float):
    """A point on the character's baseline (only its cross-advance coordinate matters)."""
    x0, y0, x1, y1 = box
    if direction == RIGHT:
        return x0, y1 - offset
    if direction == LEFT:
        return x1, y0 + offset
    if direction == UP:
        return x1 - offset, y1
    return x0 + offset, y0
