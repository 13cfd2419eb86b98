"""A PDF page's characters and vector graphics, read with pdfium, for the table finders.

The finders take pdfplumber-style dicts (they were written against
pdfplumber); this module builds those dicts from pdfium's own objects, so a
page the text layer already read with pdfium is never parsed a second time by
another PDF library (pdfminer took about 85 ms a page, pdfium a few).

- ``graphics(page, frame)``: every painted path object, forms included, cut
  into subpaths as pdfminer does: two points are a line, a closed axis-aligned
  four-corner subpath a rectangle (``stroke``, ``fill``, ``non_stroking_color``),
  anything else a curve with the end point of each segment (``pts``).
- ``characters(textpage, frame)``: one dict per character the PDF draws
  (pdfium's generated spaces and line breaks left out) with ``text``, ``x0``,
  ``x1``, ``top``, ``bottom``, ``matrix`` (its direction) and ``upright`` (as
  pdfminer sets it; ``doctop`` is ``top``, one page at a time). Along its advance
  the box is pdfium's loose box; across it, one font size up from the loose
  box's descent edge, as pdfminer boxes characters.

Hostile pages stay cheap: past ``MAX_OBJECTS`` page objects or
``MAX_SEGMENTS`` path segments the page's graphics are dropped (a drawing,
no table), and forms nest at most ``MAX_DEPTH`` deep.

Input: an open ``pypdfium2`` page (and its text page). Output: lists of dicts
in the displayed page's top-left points (``/Rotate`` and the crop box applied).
"""

from __future__ import annotations

import ctypes
import logging
import math
import unicodedata
from collections.abc import Callable
from typing import Any

_log = logging.getLogger(__name__)

MAX_OBJECTS = 20_000
MAX_SEGMENTS = 100_000
MAX_DEPTH = 4

_PATH, _FORM = 2, 5  # FPDF_PAGEOBJ_*
_LINETO, _BEZIERTO, _MOVETO = 0, 1, 2  # FPDF_SEGMENT_*
_SAME = 0.01  # points closer than this are one corner (pdfium stores floats)

Affine = tuple[float, float, float, float, float, float]
Frame = Callable[[float, float], tuple[float, float]]


def frame_of(page: Any) -> tuple[Frame, float, float]:
    """``(user space → displayed top-left point, width, height)`` of a pdfium page."""
    left, bottom, right, top = page.get_cropbox()
    w0, h0 = right - left, top - bottom
    rotation = page.get_rotation() % 360

    def upright(x: float, y: float) -> tuple[float, float]:
        return x - left, top - y

    if rotation == 90:
        return (lambda x, y: (h0 - (top - y), x - left)), h0, w0
    if rotation == 180:
        return (lambda x, y: (w0 - (x - left), h0 - (top - y))), w0, h0
    if rotation == 270:
        return (lambda x, y: (top - y, w0 - (x - left))), h0, w0
    return upright, w0, h0


def _matrix(raw: Any, obj: Any) -> Affine:
    m = raw.FS_MATRIX()
    if not raw.FPDFPageObj_GetMatrix(obj, m):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: Affine, outer: Affine) -> Affine:
    """``inner`` then ``outer`` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (
        a * A + b * C,
        a * B + b * D,
        c * A + d * C,
        c * B + d * D,
        e * A + f * C + E,
        e * B + f * D + F,
    )


class _Budget:
    def __init__(self) -> None:
        self.objects = MAX_OBJECTS
        self.segments = MAX_SEGMENTS


def graphics(page: Any, frame: Frame) -> tuple[list[dict], list[dict], list[dict]]:
    """``(lines, rects, curves)`` of the page's painted paths (see module docstring)."""
    import pypdfium2.raw as raw

    out: tuple[list[dict], list[dict], list[dict]] = ([], [], [])
    budget = _Budget()
    count = raw.FPDFPage_CountObjects(page.raw)
    objects = (raw.FPDFPage_GetObject(page.raw, i) for i in range(count))
    identity: Affine = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    if not _walk(raw, objects, identity, frame, out, budget, 0):
        _log.debug("page graphics over the budget: read as a drawing")
        return [], [], []
    return out


def _walk(raw, objects, outer: Affine, frame: Frame, out, budget: _Budget, depth: int) -> bool:
    for obj in objects:
        budget.objects -= 1
        if budget.objects < 0:
            return False
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == _FORM and depth < MAX_DEPTH:
            inner = _compose(_matrix(raw, obj), outer)
            n = raw.FPDFFormObj_CountObjects(obj)
            children = (raw.FPDFFormObj_GetObject(obj, i) for i in range(max(0, n)))
            if not _walk(raw, children, inner, frame, out, budget, depth + 1):
                return False
        elif kind == _PATH:
            n = raw.FPDFPath_CountSegments(obj)
            budget.segments -= max(0, n)
            if budget.segments < 0:
                return False
            if n > 0:
                _path(raw, obj, n, _compose(_matrix(raw, obj), outer), frame, out)
    return True


def _path(raw, obj, n: int, m: Affine, frame: Frame, out) -> None:
    fill_mode, stroke_flag = ctypes.c_int(0), ctypes.c_int(0)
    if not raw.FPDFPath_GetDrawMode(obj, fill_mode, stroke_flag):
        return
    stroke, fill = bool(stroke_flag.value), fill_mode.value != 0
    if not (stroke or fill):
        return
    color: tuple[int, ...] | None = None
    if fill:
        r, g, b, a = (ctypes.c_uint(0) for _ in range(4))
        if raw.FPDFPageObj_GetFillColor(obj, r, g, b, a):
            color = (r.value, g.value, b.value, a.value)
    fast = _calls(raw)
    segment, segment_type, point_of, closes = (
        fast.segment,
        fast.segment_type,
        fast.point,
        fast.closes,
    )
    path = ctypes.cast(obj, ctypes.c_void_p).value
    x, y = ctypes.c_float(0), ctypes.c_float(0)
    x_at, y_at = ctypes.addressof(x), ctypes.addressof(y)
    a, b, c, d, e, f = m
    subpaths: list[tuple[str, list[tuple[float, float]]]] = []
    shape, pts = "", []
    bezier = 0
    for i in range(n):
        seg = segment(path, i)
        kind = segment_type(seg)
        point_of(seg, x_at, y_at)
        px, py = x.value, y.value
        point = frame(a * px + c * py + e, b * px + d * py + f)
        if kind == _MOVETO:
            if shape:
                subpaths.append((shape, pts))
            shape, pts, bezier = "m", [point], 0
        elif kind == _BEZIERTO:
            bezier += 1
            if bezier % 3 == 0:  # pdfminer keeps each curve segment's end point only
                shape += "c"
                pts.append(point)
        else:
            if not shape:  # a path must start with a move; pdfminer ignores it otherwise
                continue
            shape += "l"
            pts.append(point)
        if shape and closes(seg):
            shape += "h"
            pts.append(pts[0])
    if shape:
        subpaths.append((shape, pts))
    for shape, pts in subpaths:
        _add(shape, pts, stroke, fill, color, out)


def _near(p: tuple[float, float], q: tuple[float, float]) -> bool:
    return abs(p[0] - q[0]) <= _SAME and abs(p[1] - q[1]) <= _SAME


def _add(shape: str, pts: list, stroke: bool, fill: bool, color, out) -> None:
    """One subpath → a line, rectangle or curve dict, as pdfminer classifies it."""
    lines, rects, curves = out
    if len(shape) > 3 and shape.endswith("lh") and _near(pts[-2], pts[0]):
        shape = shape[:-2] + "h"  # a redundant line back to the start before the close
        del pts[-2]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    box = {"x0": min(xs), "top": min(ys), "x1": max(xs), "bottom": max(ys)}
    common = {"stroke": stroke, "fill": fill, "non_stroking_color": color}
    if shape in ("ml", "mlh"):
        lines.append({**box, **common, "pts": pts[:2]})
        return
    if shape in ("mlllh", "mllll") and len(pts) == 5 and _near(pts[0], pts[4]):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = pts[:4]
        same = math.isclose
        square = (
            same(x0, x1, abs_tol=_SAME)
            and same(y1, y2, abs_tol=_SAME)
            and same(x2, x3, abs_tol=_SAME)
            and same(y3, y0, abs_tol=_SAME)
        ) or (
            same(y0, y1, abs_tol=_SAME)
            and same(x1, x2, abs_tol=_SAME)
            and same(y2, y3, abs_tol=_SAME)
            and same(x3, x0, abs_tol=_SAME)
        )
        if square:
            rects.append({**box, **common})
            return
    if len(pts) >= 2:
        curves.append({**box, **common, "pts": pts})


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
    """The per-character and per-segment pdfium calls re-typed to pass plain integers.

    pypdfium2's bindings wrap every returned pointer in an object (turning one
    into a dict key costs more than the call); these prototypes return the
    address itself and take addresses.
    """

    def __init__(self, raw: Any) -> None:
        def retype(fn: Any, restype: Any, *argtypes: Any) -> Any:
            return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(fn, ctypes.c_void_p).value)

        vp, i = ctypes.c_void_p, ctypes.c_int
        self.text_object = retype(raw.FPDFText_GetTextObject, vp, vp, i)
        self.loose_box = retype(raw.FPDFText_GetLooseCharBox, i, vp, i, vp)
        self.is_generated = retype(raw.FPDFText_IsGenerated, i, vp, i)
        self.segment = retype(raw.FPDFPath_GetPathSegment, vp, vp, i)
        self.segment_type = retype(raw.FPDFPathSegment_GetType, i, vp)
        self.point = retype(raw.FPDFPathSegment_GetPoint, i, vp, vp, vp)
        self.closes = retype(raw.FPDFPathSegment_GetClose, i, vp)


_fast: _Fast | None = None


def _calls(raw: Any) -> _Fast:
    global _fast
    if _fast is None:
        _fast = _Fast(raw)
    return _fast


def characters(textpage: Any, frame: Frame) -> list[dict]:
    """The page's characters as dicts (see module docstring), in pdfium's order.

    Unmapped glyphs and control characters are left out (pdfminer wrote them
    as ``(cid:N)``); pdfium's line-end hyphen mark is ``-``. Characters that
    share one box in one text object are one glyph (a ligature, a glyph that
    maps to several characters) and become one dict, as pdfminer has them.
    """
    import pypdfium2.raw as raw

    n = textpage.count_chars()
    if n <= 0:
        return []
    codes = _codes(raw, textpage, n)
    handle = textpage.raw
    fast = _calls(raw)
    address = ctypes.cast(handle, ctypes.c_void_p).value
    text_object, loose_box, is_generated = fast.text_object, fast.loose_box, fast.is_generated
    rect = raw.FS_RECTF()
    rect_at = ctypes.addressof(rect)
    ox, oy = frame(0.0, 0.0)

    def shown(vx: float, vy: float) -> tuple[float, float]:
        """A direction in user space → on the displayed page, y up (as pdfminer's matrix)."""
        x, y = frame(vx, vy)
        return x - ox, oy - y

    objects: dict[int | None, _Object] = {}
    chars: list[dict] = []
    last_key: int | None = -1
    last_box = (0.0, 0.0, 0.0, 0.0)
    for i, ch in enumerate(codes):
        if not ch or ch in "\r\n":
            continue
        if ch == " ":
            if is_generated(address, i) == 1:
                continue
        elif ch in _HYPHEN:
            if raw.FPDFText_HasUnicodeMapError(handle, i) == 1:
                continue
            ch = "-"
        elif ch < " " or "\x7f" <= ch <= "\x9f" or ch in _DROP:
            continue
        key = text_object(address, i)
        if not loose_box(address, i, rect_at):
            continue
        left, bottom, right, top = rect.left, rect.bottom, rect.right, rect.top
        if (
            key == last_key
            and abs(left - last_box[0]) <= _SAME
            and abs(right - last_box[2]) <= _SAME
            and abs(bottom - last_box[1]) <= _SAME
            and abs(top - last_box[3]) <= _SAME
        ):
            # One glyph, several characters. pdfium turns a right-to-left run into
            # logical order, and with it the glyph's characters: put them back.
            rtl = unicodedata.bidirectional(ch) in ("R", "AL")
            chars[-1]["text"] = ch + chars[-1]["text"] if rtl else chars[-1]["text"] + ch
            continue
        last_key, last_box = key, (left, bottom, right, top)
        info = objects.get(key)
        if info is None:
            info = objects[key] = _Object(*_object_info(raw, handle, i), shown)
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
        if not key and chars:  # a space pdfium keeps without its object: on the last one's line
            _align(char, chars[-1])
        chars.append(char)
    return chars


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


def _object_info(raw, handle, index: int) -> tuple[float, float, float, float, float]:
    """(matrix a, b, c, d, font size) of a character's text object."""
    m = raw.FS_MATRIX()
    if not raw.FPDFText_GetMatrix(handle, index, m):
        m.a, m.b, m.c, m.d = 1.0, 0.0, 0.0, 1.0
    return (m.a, m.b, m.c, m.d, raw.FPDFText_GetFontSize(handle, index))
