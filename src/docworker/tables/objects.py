"""A PDF page's characters and vector graphics, read with pdfium, for the table finders.

The finders take pdfplumber-style dicts (they were written against
pdfplumber); this module builds those dicts from pdfium's own objects, so a
page the text layer already read with pdfium is never parsed a second time by
another PDF library (pdfminer took about 85 ms a page, pdfium a few); in the
pipeline the characters come from the text page the decoder read and kept open
(``PdfHandle.kept_text``), so the page is not loaded again either.

- ``graphics(page)``: every painted path object as line, rectangle and curve
  dicts; the walk itself is ``decode.pdfobjects.read_objects``, which the page
  decoder already ran (``PageView.objects``), so the pipeline passes its result
  in and this is for tests and tools.
- ``characters(textpage, frame, backdrops)``: one dict per character the PDF draws
  (pdfium's generated spaces and line breaks left out) with ``text``, ``x0``,
  ``x1``, ``top``, ``bottom``, ``matrix`` (its direction) and ``upright`` (as
  pdfminer sets it; ``doctop`` is ``top``, one page at a time). Along its advance
  the box is pdfium's loose box; across it, one font size up from the loose
  box's descent edge, as pdfminer boxes characters.

Input: an open ``pypdfium2`` page (and its text page). Output: lists of dicts
in the displayed page's top-left points (``/Rotate`` and the crop box applied).
"""

from __future__ import annotations

import ctypes
import logging
import math
from collections import Counter
from typing import Any

from docworker.decode.bidi import glyph_letters, has_rtl
from docworker.decode.pdfchars import (
    ACCENTS,
    RETURN_ARROW,
    Backdrops,
    accent_pairs,
    accented,
    api,
    clipped,
    ff_ligature,
    flat_bar,
    object_clip,
    on_paper,
    shows_white,
    starts_number,
)
from docworker.decode.pdfobjects import Frame, frame_of, read_objects
from docworker.geometry import Twins

_log = logging.getLogger(__name__)

__all__ = ["characters", "frame_of", "graphics"]

_SAME = 0.01  # boxes closer than this are one glyph's (pdfium stores floats)


def graphics(page: Any, frame: Frame | None = None) -> tuple[list[dict], list[dict], list[dict]]:
    """``(lines, rects, curves)`` of the page's painted paths (``decode.pdfobjects``)."""
    found = read_objects(page)
    return found.lines, found.rects, found.curves


def _codes(raw: Any, textpage: Any, n: int) -> list[str]:
    """The text of each character slot; a surrogate pair's second slot is left empty."""
    text = textpage.get_text_range()
    if len(text) == n:
        return list(text)
    # pdfium leaves unmapped glyphs out of its text and spends two slots on a character
    # beyond the BMP: read slot by slot then.
    out = []
    for i in range(n):
        code = raw.FPDFText_GetUnicode(textpage.raw, i)
        out.append(chr(code) if 0 < code < 0x110000 else "\ufffd")
    for i in range(n - 1):
        if "\ud800" <= out[i] <= "\udbff" and "\udc00" <= out[i + 1] <= "\udfff":
            pair = (out[i] + out[i + 1]).encode("utf-16", "surrogatepass")
            out[i], out[i + 1] = pair.decode("utf-16", "replace"), ""
    return out


_HYPHEN = frozenset("\x02\ufffe")  # pdfium's mark for a hyphen at a line's end
_DROP = frozenset("\ufffd\uffff")


class _Fast:
    """The per-character pdfium calls re-typed to pass plain integers.

    pypdfium2's bindings wrap every returned pointer in an object (turning one
    into a dict key costs more than the call); these prototypes return the
    address itself and take addresses.
    """

    def __init__(self, raw: Any) -> None:
        def retype(fn: Any, restype: Any, *argtypes: Any) -> Any:
            return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(fn, ctypes.c_void_p).value)

        vp, i = ctypes.c_void_p, ctypes.c_int
        self.is_generated = retype(raw.FPDFText_IsGenerated, i, vp, i)


_fast: _Fast | None = None


def _calls(raw: Any) -> _Fast:
    global _fast
    if _fast is None:
        _fast = _Fast(raw)
    return _fast


def _slots(raw: Any, textpage: Any, n: int, bars: set[int]) -> list[tuple[int, str]]:
    """``(index, text)`` of each character slot the finders take (see ``characters``);
    the indices of minus signs read from a bar go into ``bars``."""
    codes = _codes(raw, textpage, n)
    handle = textpage.raw
    address = ctypes.cast(handle, ctypes.c_void_p).value
    is_generated = _calls(raw).is_generated
    slots: list[tuple[int, str]] = []
    for i, ch in enumerate(codes):
        if not ch or ch in "\r\n":
            continue
        if ch != " " and ch.isspace():
            ch = " "  # a no-break space ("2\u00a0Year") parts words as a space does
        if ch == " ":
            if is_generated(address, i) == 1 and not _beside_hangul(codes, i):
                continue
        elif ch in _HYPHEN:
            if raw.FPDFText_HasUnicodeMapError(handle, i) == 1:
                continue
            ch = "-"
        elif ch == RETURN_ARROW and ff_ligature(codes, i):
            ch = "ff"
        elif (
            ch < " "
            and i + 1 < len(codes)
            and starts_number(codes[i + 1])
            and _minus(raw, textpage, address, i)
        ):
            ch = "−"  # an unmapped glyph drawn as a flat bar (``pdfchars.flat_bar``)
            bars.add(i)
        elif ch < " " or "\x7f" <= ch <= "\x9f" or ch in _DROP:
            continue
        slots.append((i, ch))
    return slots


def _hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def _beside_hangul(codes: list[str], i: int) -> bool:
    """Is the space pdfium made at ``i`` next to a Hangul syllable? Korean spaces its
    words, but its gaps are narrow beside its wide glyphs, so the finders' own gap test
    runs the words together ("이마트,이마트트레이더스"); elsewhere pdfium's spaces fall
    inside numbers ("98 452") and are left out."""
    return 0 < i < len(codes) - 1 and (_hangul(codes[i - 1]) or _hangul(codes[i + 1]))


def _minus(raw: Any, textpage: Any, address: int, i: int) -> bool:
    """An unmapped control code whose glyph is a flat bar (before a number: a minus sign)."""
    if raw.FPDFText_HasUnicodeMapError(textpage.raw, i) != 1:
        return False
    _, bottom, _, top = textpage.get_charbox(i, loose=True)
    return flat_bar(address, i, top - bottom)


def characters(textpage: Any, frame: Frame, backdrops: Backdrops = None) -> list[dict]:
    """The page's characters as dicts (see module docstring), in pdfium's order.

    With ``backdrops`` (``pdfobjects.backdrops``), text filled in white on bare paper is
    left out, as the text layer leaves it out (``pdfchars.on_paper``).

    Unmapped glyphs and control characters are left out (pdfminer wrote them
    as ``(cid:N)``); pdfium's line-end hyphen mark is ``-``. Characters that
    share one box in one text object are one glyph (a ligature, a glyph that
    maps to several characters) and become one dict, as pdfminer has them; a
    character drawn again over an earlier one is left out (``_without_overprints``).
    The two calls a character needs are made in two tight passes, as
    ``decode.pdfchars`` makes them (boxes into one float buffer).
    """
    import pypdfium2.raw as raw

    n = textpage.count_chars()
    if n <= 0:
        return []
    bars: set[int] = set()
    slots = _slots(raw, textpage, n, bars)
    if not slots:
        return []
    fast = api()
    handle = ctypes.c_void_p(ctypes.cast(textpage.raw, ctypes.c_void_p).value)
    text_object, loose_box, byref = fast.text_object, fast.loose_box, ctypes.byref
    keys = [text_object(handle, i) for i, _ in slots]
    buffer = (ctypes.c_float * (4 * len(slots)))()
    found = [loose_box(handle, i, byref(buffer, 16 * k)) for k, (i, _) in enumerate(slots)]
    boxes = memoryview(buffer).cast("B").cast("f").tolist()  # FS_RECTF: left, top, right, bottom
    ox, oy = frame(0.0, 0.0)

    def shown(vx: float, vy: float) -> tuple[float, float]:
        """A direction in user space → on the displayed page, y up (as pdfminer's matrix)."""
        x, y = frame(vx, vy)
        return x - ox, oy - y

    objects: dict[int | None, _Object] = {}
    clips: dict[int | None, tuple[float, float, float, float] | None] = {}
    runs = Counter(keys)  # characters a text object (``pdfchars.object_clip``)
    whites: set[int] = set()  # text objects filled in white
    matrix = raw.FS_MATRIX()
    chars: list[dict] = []
    last_key: int | None = -1
    last_box = (0.0, 0.0, 0.0, 0.0)
    glyphs: set[int] = set()  # characters of one glyph that maps to several
    for k, (i, ch) in enumerate(slots):
        if not found[k]:
            continue
        key = keys[k]
        j = 4 * k
        left, top, right, bottom = boxes[j], boxes[j + 1], boxes[j + 2], boxes[j + 3]
        if key not in clips:  # the object's first glyph
            clips[key] = object_clip(key, runs[key], left, bottom, right, top)
            if backdrops is not None and shows_white(key):
                whites.add(key)
        clip = clips[key]
        if clip is not None and clipped(clip, left, bottom, right, top):
            continue  # hidden by its object's clip path (``pdfchars.object_clip``)
        if (
            key == last_key
            and abs(left - last_box[0]) <= _SAME
            and abs(right - last_box[2]) <= _SAME
            and abs(bottom - last_box[1]) <= _SAME
            and abs(top - last_box[3]) <= _SAME
        ):
            # One glyph, several characters: their order for right-to-left script is
            # pdfium's (``bidi.glyph_letters`` puts them in logical order, when the
            # glyph is complete: its characters come one after the other).
            chars[-1]["text"] += ch
            glyphs.add(len(chars) - 1)
            continue
        last_key, last_box = key, (left, bottom, right, top)
        info = objects.get(key)
        if info is None:
            if not fast.matrix(handle, i, byref(matrix)):
                matrix.a, matrix.b, matrix.c, matrix.d = 1.0, 0.0, 0.0, 1.0
            size = fast.font_size(handle, i)
            m = matrix
            info = objects[key] = _Object(m.a, m.b, m.c, m.d, size, shown)
        # Across the advance: from the descent, one font size (pdfminer's box).
        if info.across == 0:
            top = bottom + info.extent
        elif info.across == 1:
            bottom = top - info.extent
        elif info.across == 2:
            right = left + info.extent
        else:
            left = right - info.extent
        x0, y0 = frame(left, top)
        x1, y1 = frame(right, bottom)
        if not math.isfinite(x0 + y0 + x1 + y1):
            continue  # a damaged file's box (NaN or infinite): no place on the page
        if y0 > y1:
            y0, y1 = y1, y0
        if x0 > x1:
            x0, x1 = x1, x0
        char = {
            "text": ch,
            "x0": x0,
            "x1": x1,
            "top": y0,
            "bottom": y1,
            "doctop": y0,
            "upright": info.upright,
            "matrix": info.matrix,
            "size": info.size,
        }
        if key in whites and on_paper(backdrops, (x0 + x1) / 2, (y0 + y1) / 2):
            continue  # white on bare paper: unseen
        if not key and chars:  # a space pdfium keeps without its object: on the last one's line
            _align(char, chars[-1])
        if bars and k and slots[k - 1][0] in bars and chars and chars[-1]["text"] == "−":
            # A minus read from a bar (``_minus``): its font's box is not the number's;
            # it stands on the line of the character after it.
            _align(chars[-1], char)
        chars.append(char)
    for k in glyphs:
        if has_rtl(chars[k]["text"]):
            chars[k]["text"] = glyph_letters(chars[k]["text"])
    if not ACCENTS.keys().isdisjoint(ch for _, ch in slots):
        chars = _accented(chars)
    return _without_overprints(chars)


#: A character this close (points, each way) to an earlier one of the same text and size
#: is that one drawn again (``_without_overprints``).
OVERPRINT = 1.0


def _without_overprints(chars: list[dict]) -> list[dict]:
    """``chars`` less each one drawn again over an earlier one of the same text and size,
    within ``OVERPRINT`` points: a second copy of the page's text (a seed trial's report
    whose cells came out "WWeennssmmaann" once their letters were sorted into words),
    fake bold. The text layer drops such copies piece by piece (``pdflines``)."""
    marks = [(c["text"], int(c["x0"]), int(c["top"])) for c in chars if c["text"] != " "]
    if len(set(marks)) == len(marks):
        return chars  # no two of one text in one square point: most pages, looked at cheaply
    seen = Twins(OVERPRINT)
    kept: list[dict] = []
    for c in chars:
        text, x0, top = c["text"], c["x0"], c["top"]
        if text != " ":
            if seen.find(text, x0, top, c["size"], OVERPRINT, 0.0) is not None:
                continue
            seen.add(text, x0, top, c["size"], c)
        kept.append(c)
    return kept


def _accented(chars: list[dict]) -> list[dict]:
    """``chars`` with each accent glyph set over a letter folded into it
    (``pdfchars.accent_pairs``), as the text layer has them."""

    def glyph(k: int) -> tuple[str, float, float, float, float, bool]:
        c = chars[k]
        return c["text"], c["x0"], c["x1"], c["bottom"], c["size"], c["upright"]

    pairs = accent_pairs(len(chars), glyph, [c["text"] for c in chars])
    for k, j in pairs:
        chars[j]["text"] = accented(chars[j]["text"], chars[k]["text"])
    gone = {k for k, _ in pairs}
    return [c for i, c in enumerate(chars) if i not in gone]


class _Object:
    """What the characters of one text object share, worked out once."""

    __slots__ = ("across", "extent", "matrix", "size", "upright")

    def __init__(self, a: float, b: float, c: float, d: float, size: float, shown) -> None:
        if abs(a) >= abs(b):  # advancing along x: the font size spans y
            self.across = 0 if d >= 0 else 1
            self.extent = size * abs(d)
        else:
            self.across = 2 if c >= 0 else 3
            self.extent = size * abs(c)
        (a, b), (c, d) = shown(a, b), shown(c, d)
        self.matrix = (a, b, c, d, 0.0, 0.0)
        self.upright = a * d > 0 and b * c <= 0
        self.size = size


def _align(char: dict, prev: dict) -> None:
    """Give ``char`` the place across the line, and the direction, of ``prev``."""
    a, b = prev["matrix"][:2]
    if abs(a) >= abs(b):
        char["top"] = char["doctop"] = prev["top"]
        char["bottom"] = prev["bottom"]
    else:
        char["x0"], char["x1"] = prev["x0"], prev["x1"]
    char["matrix"], char["upright"], char["size"] = prev["matrix"], prev["upright"], prev["size"]
