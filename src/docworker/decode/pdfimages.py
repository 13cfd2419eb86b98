"""Where a PDF page draws its pictures: pdfium's image objects as page boxes.

Every image a PDF page shows is an image object (``FPDF_PAGEOBJ_IMAGE``),
drawn directly or inside a form XObject. ``picture_boxes`` collects their
bounds, maps them to the displayed page (crop box and ``/Rotate`` applied,
origin top-left, y down, points), merges objects that touch or overlap (a
scan cut into strips, a figure tiled from pieces) and drops what is no
figure:

- images whose own size is under ``MIN_PIXELS`` on a side (rules, bullets,
  stretched one-pixel bands);
- merged regions under ``MIN_AREA_SHARE`` of the page (icons, logos in a
  footer line).

Whether a page-sized image is a scan behind the text is judged later, with
the page's text (``docworker.images.figure_regions``). Hostile pages are
read up to ``MAX_OBJECTS`` objects and give at most ``MAX_PICTURES`` boxes.

Runs inside a page process, on a page ``PdfHandle`` opened.
Input: a pypdfium2 page. Output: boxes ``(x0, y0, x1, y1)`` in page points,
top to bottom.
"""

from __future__ import annotations

import logging

from docworker.decode.pdfchars import to_top_left
from docworker.geometry import BBox

_log = logging.getLogger(__name__)

_PAGEOBJ_IMAGE = 3
_PAGEOBJ_FORM = 5
MAX_OBJECTS = 20_000
MAX_PICTURES = 64
MIN_PIXELS = 32
MIN_AREA_SHARE = 0.01
_TOUCH_PT = 1.0


def _page_bounds(obj) -> tuple[float, float, float, float]:
    """An object's bounds in page space: a form's contents are mapped by each form's matrix."""
    left, bottom, right, top = obj.get_bounds()
    form = obj.container
    corners = [(left, bottom), (left, top), (right, bottom), (right, top)]
    while form is not None:
        matrix = form.get_matrix()
        corners = [matrix.on_point(x, y) for x, y in corners]
        form = form.container
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _too_few_pixels(obj) -> bool:
    try:
        width, height = obj.get_px_size()
    except RuntimeError:  # PdfiumError: an unreadable image still has a place on the page
        return False
    return 0 < min(width, height) < MIN_PIXELS


def _touch(a: BBox, b: BBox) -> bool:
    return (
        a[0] <= b[2] + _TOUCH_PT
        and b[0] <= a[2] + _TOUCH_PT
        and a[1] <= b[3] + _TOUCH_PT
        and b[1] <= a[3] + _TOUCH_PT
    )


def merge(boxes: list[BBox]) -> list[BBox]:
    """Union boxes that overlap or touch, until none do."""
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        out: list[BBox] = []
        for box in merged:
            for i, other in enumerate(out):
                if _touch(box, other):
                    out[i] = (
                        min(box[0], other[0]),
                        min(box[1], other[1]),
                        max(box[2], other[2]),
                        max(box[3], other[3]),
                    )
                    changed = True
                    break
            else:
                out.append(box)
        merged = out
    return merged


def picture_boxes(page, width: float, height: float) -> list[BBox]:
    """The page's picture regions (see the module docstring), top to bottom."""
    crop = page.get_cropbox()
    rotation = page.get_rotation() % 360
    raw: list[BBox] = []
    for n, obj in enumerate(page.get_objects(max_depth=4)):
        if n >= MAX_OBJECTS:
            _log.info("page has over %d objects; pictures looked for in the first ones", n)
            break
        if obj.type != _PAGEOBJ_IMAGE or _too_few_pixels(obj):
            continue
        try:
            x0, y0, x1, y1 = to_top_left(_page_bounds(obj), crop, rotation)
        except RuntimeError:  # PdfiumError: pdfium cannot place it, so it cannot be cropped
            continue
        x0, x1 = max(0.0, x0), min(width, x1)
        y0, y1 = max(0.0, y0), min(height, y1)
        if x1 - x0 > 0.5 and y1 - y0 > 0.5:
            raw.append((x0, y0, x1, y1))
    floor = MIN_AREA_SHARE * width * height
    kept = [b for b in merge(raw) if (b[2] - b[0]) * (b[3] - b[1]) >= floor]
    kept.sort(key=lambda b: (round(b[1]), b[0]))
    return [tuple(round(v, 2) for v in box) for box in kept[:MAX_PICTURES]]  # type: ignore[misc]
