"""A PDF page's vector graphics and image cover, in one walk over pdfium's page objects.

One pass over the page's objects (forms included) gives what the text-layer
stage and the table finders both need, so neither walks the page again:

- ``image_coverage``: the share of the crop box under image objects, as the
  union of their bounds on a coarse grid (stacked strips of one scan count
  once); objects of the page and of its top-level forms, up to
  ``MAX_STAT_OBJECTS``;
- ``segments``: path segments of those same objects (a path with none counts
  one), the table stage's first gate;
- ``images``: the bounds of every image object at least ``MIN_PIXELS`` on a
  side (an unreadable size counts as large), forms opened ``_PICTURE_DEPTH``
  deep with each enclosing form's matrix applied, in the first
  ``MAX_PICTURE_OBJECTS`` objects (as pypdfium2's ``get_objects(max_depth=4)``
  counts them); ``decode.pdfimages`` makes the page's picture boxes of them;
- ``lines``, ``rects``, ``curves``: every painted path, forms included, cut
  into subpaths as pdfminer does: two points are a line, a closed
  axis-aligned four-corner subpath a rectangle (``stroke``, ``fill``,
  ``non_stroking_color``), anything else a curve with the end point of each
  segment (``pts``); the dicts the table finders take (they were written
  against pdfplumber);
- ``marks``: the boxes of images too few pixels to be pictures (a Word
  document's bullets drawn as 2×2-pixel images), for ``pdflines.picture_bullets``;
  an image shown as a thin line (``RULE_IMAGE``) is a rule, one of the ``rects``
  (and four ``segments``);
- ``form_clips``: for each text object inside a form drawn on the page, the
  page-space box the form's /BBox clips it to (the first path of pdfium's clip
  for the form's first object, in the form's space, through the form's
  matrix), so ``pdfchars.read_chars`` leaves out what the form cuts away (an
  embedded page shown in part).

Hostile pages stay cheap: past ``MAX_OBJECTS`` page objects or
``MAX_SEGMENTS`` path segments the page's graphics are dropped (a drawing,
no table), and forms nest at most ``MAX_DEPTH`` deep.

Cost: the calls made once per object or segment go through ctypes prototypes
that take and return plain integers (pypdfium2's helpers wrap every object);
a Bézier segment's control points are not read (pdfminer keeps end points).

Input: an open ``pypdfium2`` page. Output: ``PageObjects`` in the displayed
page's top-left points (``/Rotate`` and the crop box applied).
"""

from __future__ import annotations

import ctypes
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from docworker.decode.pdfchars import clip_box, to_top_left

_log = logging.getLogger(__name__)

MAX_OBJECTS = 20_000
MAX_SEGMENTS = 100_000
MAX_DEPTH = 4
MAX_STAT_OBJECTS = 20_000  # objects looked at for image cover and the segment count
_STAT_DEPTH = 1  # forms opened for those: the page's own (as ``get_objects(max_depth=2)``)
_GRID = 48  # cells a side of the image-cover grid
MAX_PICTURE_OBJECTS = 20_000  # objects looked at for image boxes
_PICTURE_DEPTH = 3  # forms opened for those (levels 0-3, as ``get_objects(max_depth=4)``)
MIN_PIXELS = 32  # an image under this many pixels on a side is no picture (rules, bullets)
MAX_MARKS = 500  # such images kept a page (``PageObjects.marks``)
#: An image shown at most this many points across, and four times as long, is a rule.
RULE_IMAGE = 1.5

_TEXT, _PATH, _IMAGE, _SHADING, _FORM = 1, 2, 3, 4, 5  # FPDF_PAGEOBJ_*
_LINETO, _BEZIERTO, _MOVETO = 0, 1, 2  # FPDF_SEGMENT_*
_SAME = 0.01  # points closer than this are one corner (pdfium stores floats)

Affine = tuple[float, float, float, float, float, float]
Frame = Callable[[float, float], tuple[float, float]]
_IDENTITY: Affine = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass
class PageObjects:
    """What one walk over a page's objects found (see module docstring)."""

    frame: Frame
    width: float
    height: float
    lines: list[dict] = field(default_factory=list)
    rects: list[dict] = field(default_factory=list)
    curves: list[dict] = field(default_factory=list)
    image_coverage: float = 0.0
    segments: int = 0
    images: list[tuple[float, float, float, float]] = field(default_factory=list)
    #: Boxes of images too few pixels to be pictures (``MIN_PIXELS``): rules, bullets.
    marks: list[tuple[float, float, float, float]] = field(default_factory=list)
    shadings: list[tuple[float, float, float, float]] = field(default_factory=list)
    complete: bool = True  # every path was read (not a drawing over the budget)
    #: Text objects inside a form drawn on the page → the box the form's /BBox clips
    #: them to (an embedded page cut down to part of itself; user space: left, bottom,
    #: right, top).
    form_clips: dict[int, tuple[float, float, float, float]] = field(default_factory=dict)
    #: The highest pixel density (pixels an inch as displayed) of an image covering at
    #: least ``SCAN_SHARE`` of the page: a scan's own resolution; 0.0 where none does.
    image_ppi: float = 0.0


#: An image covering this share of the page or more is a scan of it (``image_ppi``).
SCAN_SHARE = 0.25

#: A horizontal rule is at most this thick (points): a stroked line or a filled bar.
RULE_THICKNESS = 2.0


def horizontal_rules(
    objects: PageObjects, min_width: float
) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """``(drawn, joined)``: the page's horizontal rules at least ``min_width`` long, as
    ``(y, x0, x1)`` top to bottom, from its painted two-point lines and its rectangles
    no thicker than ``RULE_THICKNESS``. ``drawn``: each piece as drawn; ``joined``:
    pieces on one height (within a point) that touch (within two) are one rule (a
    form's rule is drawn cell by cell). The page's pieces are collected once for both."""
    pieces = sorted(
        ((d["top"] + d["bottom"]) / 2, d["x0"], d["x1"])
        for found in (objects.lines, objects.rects)
        for d in found
        if d["bottom"] - d["top"] <= RULE_THICKNESS and (d["stroke"] or d["fill"])
    )
    drawn = [piece for piece in pieces if piece[2] - piece[1] >= min_width]
    joined: list[tuple[float, float, float]] = []
    row: list[tuple[float, float, float]] = []
    for piece in pieces:
        if row and piece[0] - row[0][0] > 1.0:
            joined += _joined(row, min_width)
            row = []
        row.append(piece)
    return drawn, joined + _joined(row, min_width)


def _joined(
    row: list[tuple[float, float, float]], min_width: float
) -> list[tuple[float, float, float]]:
    """The runs of touching pieces of one height, ``min_width`` long or more."""
    out = []
    run = None
    for y, x0, x1 in sorted(row, key=lambda piece: piece[1]):
        if run is not None and x0 <= run[2] + 2.0:
            run = (run[0], run[1], max(run[2], x1))
            continue
        if run is not None and run[2] - run[1] >= min_width:
            out.append(run)
        run = (y, x0, x1)
    if run is not None and run[2] - run[1] >= min_width:
        out.append(run)
    return out


def frame_of(page: Any) -> tuple[Frame, float, float]:
    """``(user space → displayed top-left point, width, height)`` of a pdfium page."""
    left, bottom, right, top = page.get_bbox()  # media box ∩ crop box, inherited ones included
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


class _Pointer(ctypes.c_void_p):
    """A pointer result kept as a ctypes object (a plain ``c_void_p`` result becomes an int)."""


class _Calls:
    """The per-object and per-segment pdfium calls re-typed to pass plain integers."""

    def __init__(self) -> None:
        import pypdfium2.raw as raw

        def retype(fn: Any, restype: Any, *argtypes: Any) -> Any:
            return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(fn, ctypes.c_void_p).value)

        vp, i = ctypes.c_void_p, ctypes.c_int
        self.raw = raw
        self.page_count = retype(raw.FPDFPage_CountObjects, i, vp)
        self.page_object = retype(raw.FPDFPage_GetObject, vp, vp, i)
        self.form_count = retype(raw.FPDFFormObj_CountObjects, i, vp)
        self.form_object = retype(raw.FPDFFormObj_GetObject, vp, vp, ctypes.c_ulong)
        self.kind = retype(raw.FPDFPageObj_GetType, i, vp)
        self.matrix = retype(raw.FPDFPageObj_GetMatrix, i, vp, vp)
        self.bounds = retype(raw.FPDFPageObj_GetBounds, i, vp, vp, vp, vp, vp)
        self.count_segments = retype(raw.FPDFPath_CountSegments, i, vp)
        self.draw_mode = retype(raw.FPDFPath_GetDrawMode, i, vp, vp, vp)
        self.fill_color = retype(raw.FPDFPageObj_GetFillColor, i, vp, vp, vp, vp, vp)
        self.px_size = retype(raw.FPDFImageObj_GetImagePixelSize, i, vp, vp, vp)
        # Per segment: no declared argument types, and the segment handle comes back
        # as a pointer object that the next calls take as it is (no conversions).
        self.segment = retype(raw.FPDFPath_GetPathSegment, _Pointer)
        self.segment_type = retype(raw.FPDFPathSegment_GetType, i)
        self.point = retype(raw.FPDFPathSegment_GetPoint, i)
        self.closes = retype(raw.FPDFPathSegment_GetClose, i)


_calls: _Calls | None = None


def calls() -> _Calls:
    global _calls
    if _calls is None:
        _calls = _Calls()
    return _calls


def _mapped(
    box: tuple[float, float, float, float], matrices: Iterable[Affine]
) -> tuple[float, float, float, float]:
    """``(left, bottom, right, top)`` through each of ``matrices`` in turn (the innermost
    form's first): the box that bounds its mapped corners."""
    left, bottom, right, top = box
    corners = [(left, bottom), (left, top), (right, bottom), (right, top)]
    for a, b, c, d, e, f in matrices:
        corners = [(a * x + c * y + e, b * x + d * y + f) for x, y in corners]
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    return (min(xs), min(ys), max(xs), max(ys))


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


class _Walk:
    """State of one walk: the graphics budget, the statistics' object count, the outputs."""

    def __init__(self, page: Any) -> None:
        self.fast = calls()
        self.frame, width, height = frame_of(page)
        self.out = PageObjects(self.frame, width, height)
        self.objects = MAX_OBJECTS
        self.segments = MAX_SEGMENTS
        self.drawing = True  # graphics still within their budget
        self.stats = 0  # objects counted for the statistics
        self.seen = 0  # objects looked at for image boxes
        self.forms: list[Affine | None] = []  # the enclosing forms' matrices, outermost first
        self.form_clip: tuple[float, float, float, float] | None = None  # (``form_clips``)
        self.cropbox = page.get_bbox()
        left, bottom, right, top = self.cropbox
        self.crop = (left, bottom, right - left, top - bottom)
        self.cells = bytearray(_GRID * _GRID)
        rotation = page.get_rotation() % 360
        self.rotation = rotation
        self.upright = (left, top) if rotation == 0 else None
        self.m = self.fast.raw.FS_MATRIX()
        self.fill, self.stroke = ctypes.c_int(0), ctypes.c_int(0)
        self.rgba = [ctypes.c_uint(0) for _ in range(4)]
        self.rgba_at = [ctypes.addressof(v) for v in self.rgba]
        self.box = [ctypes.c_float(0) for _ in range(4)]
        self.box_at = [ctypes.addressof(v) for v in self.box]
        self.px = [ctypes.c_uint(0), ctypes.c_uint(0)]
        self.px_at = [ctypes.addressof(v) for v in self.px]
        self.x, self.y = ctypes.c_float(0), ctypes.c_float(0)
        self.x_ref, self.y_ref = ctypes.byref(self.x), ctypes.byref(self.y)

    def matrix(self, obj: int) -> Affine | None:
        m = self.m
        if not self.fast.matrix(obj, ctypes.addressof(m)):
            return None
        return (m.a, m.b, m.c, m.d, m.e, m.f)

    def run(self, parent: int, form: bool, outer: Affine, level: int) -> None:
        fast = self.fast
        n = fast.form_count(parent) if form else fast.page_count(parent)
        get = fast.form_object if form else fast.page_object
        for i in range(max(0, n)):
            counted = level <= _STAT_DEPTH and self.stats < MAX_STAT_OBJECTS
            pictured = level <= _PICTURE_DEPTH and self.seen < MAX_PICTURE_OBJECTS
            if not (counted or pictured or self.drawing):
                return
            obj = get(parent, i)
            if not obj:
                continue
            if counted:
                self.stats += 1
            if pictured:
                self.seen += 1
            if self.drawing:
                self.objects -= 1
                if self.objects < 0:
                    self._drop()
            kind = fast.kind(obj)
            if kind == _TEXT:
                if self.form_clip is not None:
                    self.out.form_clips[obj] = self.form_clip
                continue
            if kind == _FORM:
                if (
                    (self.drawing and level < MAX_DEPTH)
                    or (counted and level < _STAT_DEPTH)
                    or (pictured and level < _PICTURE_DEPTH)
                ):
                    own = self.matrix(obj)
                    inner = _compose(own or _IDENTITY, outer) if self.drawing else outer
                    self.forms.append(own)
                    held = self.form_clip
                    if level == 0:  # a form on the page: the box its /BBox clips it to
                        self.form_clip = self._form_box(obj, own) if own else None
                    self.run(obj, True, inner, level + 1)
                    self.form_clip = held
                    self.forms.pop()
            elif kind == _PATH:
                segments = fast.count_segments(obj)
                if counted:
                    self.out.segments += max(1, segments)
                if self.drawing:
                    self.segments -= max(0, segments)
                    if self.segments < 0:
                        self._drop()
                    elif segments > 0:
                        own = self.matrix(obj) or _IDENTITY
                        m = _compose(own, outer)
                        if math.isfinite(sum(m)):  # not a damaged file's NaN or infinite
                            self._path(obj, segments, m)
            elif kind == _SHADING and self.drawing:
                box = self.box
                if self.fast.bounds(obj, *self.box_at):
                    bounds = (box[0].value, box[1].value, box[2].value, box[3].value)
                    placed = self._placed(bounds)  # unplaced: taken to cover the page
                    if placed is not None and not math.isfinite(sum(placed)):
                        continue  # a damaged file's box: NaN or infinite
                    self.out.shadings.append(placed or (0.0, 0.0, self.out.width, self.out.height))
            elif kind == _IMAGE and (counted or pictured):
                box = self.box
                if not self.fast.bounds(obj, *self.box_at):
                    continue
                bounds = (box[0].value, box[1].value, box[2].value, box[3].value)
                if not math.isfinite(sum(bounds)):
                    continue  # a damaged file's box: NaN or infinite
                if counted:
                    self._cover(bounds)
                if pictured:
                    self._image(obj, bounds)

    def _form_box(self, form: int, matrix: Affine) -> tuple[float, float, float, float] | None:
        """The page-space box (user space) a form on the page is clipped to: its /BBox,
        which pdfium gives every object inside it as the first path of its clip (in the
        form's space). None where the form is empty or that path is no rectangle."""
        if self.fast.form_count(form) <= 0:
            return None
        first = self.fast.form_object(form, 0)
        box = clip_box(first, paths=1) if first else None
        if box is None:
            return None
        return _mapped(box, [matrix])  # a form on the page: its matrix maps it onto the page

    def _drop(self) -> None:
        """Over the budget: the page's graphics are a drawing, none are kept."""
        self.drawing = False
        self.out.lines, self.out.rects, self.out.curves = [], [], []
        self.out.shadings, self.out.complete = [], False

    def _cover(self, bounds: tuple[float, float, float, float]) -> None:
        l, b, r, t = bounds
        left, bottom, w, h = self.crop
        if w <= 0 or h <= 0:
            return
        x0 = max(0, int((l - left) / w * _GRID))
        x1 = min(_GRID, math.ceil((r - left) / w * _GRID))
        y0 = max(0, int((b - bottom) / h * _GRID))
        y1 = min(_GRID, math.ceil((t - bottom) / h * _GRID))
        for y in range(y0, y1):
            self.cells[y * _GRID + x0 : y * _GRID + x1] = b"\x01" * max(0, x1 - x0)

    def _image(self, obj: int, bounds: tuple[float, float, float, float]) -> None:
        """An image object's box on the displayed page, unless it is too few pixels."""
        box = self._placed(bounds)
        if box is None:  # pdfium cannot place the form: the image cannot be cropped
            return
        thin, long = sorted((box[2] - box[0], box[3] - box[1]))
        if thin <= RULE_IMAGE and long >= 4 * RULE_IMAGE:
            # An image stretched into a line: a table's rule drawn as a picture (an
            # IJCAI paper's tables), a filled rectangle to the table finders.
            if self.drawing:
                self.out.rects.append(_dict(box, False, True, None, None))
                self.out.segments += 4
            return
        w, h = self.px
        sized = self.fast.px_size(obj, *self.px_at)
        if sized and 0 < min(w.value, h.value) < MIN_PIXELS:
            if len(self.out.marks) < MAX_MARKS:
                self.out.marks.append(box)  # a bullet drawn as a picture, perhaps
            return
        self.out.images.append(box)
        shown_w, shown_h = box[2] - box[0], box[3] - box[1]
        page_area = self.out.width * self.out.height
        if sized and shown_w > 0 and shown_h > 0 and shown_w * shown_h >= SCAN_SHARE * page_area:
            # The longer sides matched, whichever way the image is turned on the page.
            ppi = 72.0 * max(w.value, h.value) / max(shown_w, shown_h)
            self.out.image_ppi = max(self.out.image_ppi, ppi)

    def _placed(
        self, bounds: tuple[float, float, float, float]
    ) -> tuple[float, float, float, float] | None:
        """An object's bounds (in its form's space) on the displayed page, or None where
        a form it sits in has no matrix pdfium can read."""
        forms = [matrix for matrix in reversed(self.forms) if matrix is not None]
        if len(forms) < len(self.forms):
            return None
        return to_top_left(_mapped(bounds, forms), self.cropbox, self.rotation)

    def _path(self, obj: int, n: int, m: Affine) -> None:
        fast = self.fast
        fill_mode, stroke_flag = self.fill, self.stroke
        if not fast.draw_mode(obj, ctypes.addressof(fill_mode), ctypes.addressof(stroke_flag)):
            return
        stroke, fill = bool(stroke_flag.value), fill_mode.value != 0
        if not (stroke or fill):
            return
        color: tuple[int, ...] | None = None
        if fill:
            rgba = self.rgba
            if fast.fill_color(obj, *self.rgba_at):
                color = (rgba[0].value, rgba[1].value, rgba[2].value, rgba[3].value)
        segment, segment_type, point_of, closes = (
            fast.segment,
            fast.segment_type,
            fast.point,
            fast.closes,
        )
        x, y = self.x, self.y
        x_at, y_at = self.x_ref, self.y_ref
        path = _Pointer(obj)
        a, b, c, d, e, f = m
        frame, upright = self.frame, self.upright
        subpaths: list[tuple[str, list[tuple[float, float]]]] = []
        shape, pts = "", []
        bezier = 0
        for i in range(n):
            seg = segment(path, i)
            kind = segment_type(seg)
            if kind == _BEZIERTO:
                bezier += 1
                if bezier % 3:  # pdfminer keeps each curve segment's end point only
                    continue  # (pdfium marks a close on a curve's end point, never before)
            elif kind != _MOVETO and not shape:
                continue  # a path must start with a move; pdfminer ignores it otherwise
            point_of(seg, x_at, y_at)
            px, py = x.value, y.value
            ux, uy = a * px + c * py + e, b * px + d * py + f
            point = (ux - upright[0], upright[1] - uy) if upright else frame(ux, uy)
            if kind == _MOVETO:
                if shape:
                    subpaths.append((shape, pts))
                shape, pts, bezier = "m", [point], 0
            elif kind == _BEZIERTO:
                shape += "c"
                pts.append(point)
            else:
                shape += "l"
                pts.append(point)
            if shape and closes(seg):
                shape += "h"
                pts.append(pts[0])
        if shape:
            subpaths.append((shape, pts))
        out = (self.out.lines, self.out.rects, self.out.curves)
        for shape, pts in subpaths:
            _add(shape, pts, stroke, fill, color, out)


def read_objects(page: Any) -> PageObjects:
    """Walk ``page``'s objects once (see module docstring)."""
    walk = _Walk(page)
    page_handle = ctypes.cast(page.raw, ctypes.c_void_p).value
    walk.run(page_handle, False, _IDENTITY, 0)
    if walk.seen >= MAX_PICTURE_OBJECTS:
        _log.info("page has %d objects or more; images looked for in the first ones", walk.seen)
    if walk.crop[2] > 0 and walk.crop[3] > 0:
        walk.out.image_coverage = sum(walk.cells) / (_GRID * _GRID)
    else:
        walk.out.segments = 0
    return walk.out


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
    box = (min(xs), min(ys), max(xs), max(ys))
    if not math.isfinite(sum(xs) + sum(ys)):
        return  # a point no number places (a damaged file's NaN or infinite)
    if shape in ("ml", "mlh"):
        lines.append(_dict(box, stroke, fill, color, pts[:2]))
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
            rects.append(_dict(box, stroke, fill, color, None))
            return
    if len(pts) >= 2:
        curves.append(_dict(box, stroke, fill, color, pts))


def _dict(box: tuple[float, float, float, float], stroke, fill, color, pts) -> dict:
    """A pdfplumber-style object dict (keys in pdfplumber's order; ``pts`` only with points)."""
    out = {
        "x0": box[0],
        "top": box[1],
        "x1": box[2],
        "bottom": box[3],
        "stroke": stroke,
        "fill": fill,
        "non_stroking_color": color,
    }
    if pts is not None:
        out["pts"] = pts
    return out


#: A fill with a channel under this (of 255) is darker than white paper (``backdrops``).
PAPER = 235


def backdrops(objects: PageObjects) -> list[tuple[float, float, float, float]] | None:
    """The boxes (top-left page points) of what white text would show on: fills darker
    than paper or in a colour pdfium cannot give (a pattern), shadings and images. None
    where the page's paths were not all read: then white text is taken to be seen."""
    if not objects.complete:
        return None
    dark = [
        (obj["x0"], obj["top"], obj["x1"], obj["bottom"])
        for obj in objects.rects + objects.curves
        if obj["fill"]
        and (obj["non_stroking_color"] is None or min(obj["non_stroking_color"][:3]) < PAPER)
    ]
    return dark + objects.images + objects.shadings
