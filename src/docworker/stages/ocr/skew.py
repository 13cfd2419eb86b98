"""A scan's small tilt (skew): found from the OCR line boxes, taken out of their coordinates.

A page scanned a degree or two askew keeps its lines whole in the detector's
boxes (each is a turned rectangle, and the recognizer reads the turned crop),
but their upright bounding boxes climb or fall across the page: a column's line
then shares a row with the next column's line above or below it, a list item's
last line lands after the next item, and a heading set across the page falls
inside a column. ``page_skew`` measures the tilt from the long lines' top and
bottom edges; ``straighten`` turns each box's corners back by it about the
page's centre, so lines are ordered on the page as if it had been scanned
straight (no pixel is turned and nothing is read again). ``tilt_box`` maps an
upright box on the straightened page back onto the scan, where results go out.
``straighten_image`` turns the scan itself for the ruled-table finder.

Angles are in radians, positive where lines fall to the right (the page's y
grows downwards).

Input: detection quads (top-left, top-right, bottom-right, bottom-left, pixels).
Output: the angle, straightened quads, boxes on the scan.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median

from PIL import Image

from docworker.geometry import BBox

#: A line box this many times as long as it is high measures the tilt.
LONG_LINE = 5.0
#: Long lines a page needs before its tilt is measured.
MIN_LINES = 5
#: Tilts smaller than this (degrees) are left alone: rows stay rows over a page's width.
MIN_SKEW = 0.25
#: Tilts larger than this (degrees) are no scan's skew (a rotated stamp, a chart).
MAX_SKEW = 8.0
#: Share of the long lines whose tilt lies within ``AGREE`` degrees of the median.
AGREEING = 0.6
AGREE = 0.5

Quad = Sequence[Sequence[float]]


def page_skew(quads: Sequence[Quad]) -> float:
    """The page's tilt (radians), or 0.0 when the long lines do not agree on one or it
    is under ``MIN_SKEW`` or over ``MAX_SKEW`` degrees."""
    angles = []
    for quad in quads:
        if len(quad) != 4:
            continue
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = ((float(p[0]), float(p[1])) for p in quad)
        length = math.hypot(x1 - x0, y1 - y0)
        height = math.hypot(x3 - x0, y3 - y0)
        if height <= 0 or length < LONG_LINE * height:
            continue
        top = math.atan2(y1 - y0, x1 - x0)
        bottom = math.atan2(y2 - y3, x2 - x3)
        angles.append((top + bottom) / 2)
    if len(angles) < MIN_LINES:
        return 0.0
    skew = median(angles)
    agree = sum(abs(a - skew) <= math.radians(AGREE) for a in angles)
    if agree < AGREEING * len(angles):
        return 0.0
    if not math.radians(MIN_SKEW) <= abs(skew) <= math.radians(MAX_SKEW):
        return 0.0
    return skew


def straighten(quad: Quad, skew: float, cx: float, cy: float) -> list[tuple[float, float]]:
    """``quad``'s corners turned back by ``skew`` about ``(cx, cy)``."""
    c, s = math.cos(skew), math.sin(skew)
    return [
        (cx + (x - cx) * c + (y - cy) * s, cy - (x - cx) * s + (y - cy) * c)
        for x, y in ((float(p[0]), float(p[1])) for p in quad)
    ]


def tilt_box(box: BBox, skew: float, cx: float, cy: float) -> BBox:
    """The upright bounding box, on the scan, of ``box`` on the straightened page."""
    c, s = math.cos(skew), math.sin(skew)
    x0, y0, x1, y1 = box
    corners = [
        (cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c)
        for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    ]
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    return (min(xs), min(ys), max(xs), max(ys))


def straighten_image(image: Image.Image, skew: float) -> Image.Image:
    """``image`` turned back by ``skew`` about its centre, the corners filled white."""
    fill = 255 if image.mode in ("L", "1") else (255,) * len(image.getbands())
    return image.rotate(
        math.degrees(skew),
        resample=Image.Resampling.BILINEAR,
        fillcolor=fill,  # type: ignore[arg-type]
    )
