"""Where a PDF page draws its pictures: its image objects' boxes merged into regions.

Every image a PDF page shows is an image object (``FPDF_PAGEOBJ_IMAGE``),
drawn directly or inside a form XObject. The page's one walk over its objects
(``decode.pdfobjects.read_objects``, ``PageObjects.images``) gives their
bounds on the displayed page (forms' matrices, crop box and ``/Rotate``
applied, origin top-left, y down, points) and leaves out images under
``pdfobjects.MIN_PIXELS`` on a side (rules, bullets, stretched one-pixel
bands). ``picture_boxes`` clips them to the page, merges boxes that touch or
overlap (a scan cut into strips, a figure tiled from pieces) and drops merged
regions under ``MIN_AREA_SHARE`` of the page (icons, logos in a footer line).

Whether a page-sized image is a scan behind the text is judged later, with
the page's text (``docworker.images.figure_regions``). Hostile pages are
read up to ``pdfobjects.MAX_PICTURE_OBJECTS`` objects and give at most
``MAX_PICTURES`` boxes.

Input: ``PageObjects.images`` and the page's size. Output: boxes
``(x0, y0, x1, y1)`` in page points, top to bottom.
"""

from __future__ import annotations

from collections.abc import Iterable

from docworker.geometry import BBox, union

MAX_PICTURES = 64
MIN_AREA_SHARE = 0.01
_TOUCH_PT = 1.0


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
                    out[i] = union([box, other])
                    changed = True
                    break
            else:
                out.append(box)
        merged = out
    return merged


def picture_boxes(images: Iterable[BBox], width: float, height: float) -> list[BBox]:
    """The page's picture regions from its image boxes (see the module docstring), top to bottom."""
    raw: list[BBox] = []
    for x0, y0, x1, y1 in images:
        x0, x1 = max(0.0, x0), min(width, x1)
        y0, y1 = max(0.0, y0), min(height, y1)
        if x1 - x0 > 0.5 and y1 - y0 > 0.5:
            raw.append((x0, y0, x1, y1))
    floor = MIN_AREA_SHARE * width * height
    kept = [b for b in merge(raw) if (b[2] - b[0]) * (b[3] - b[1]) >= floor]
    kept.sort(key=lambda b: (round(b[1]), b[0]))
    return [tuple(round(v, 2) for v in box) for box in kept[:MAX_PICTURES]]  # type: ignore[misc]
