"""Page orientation: is a page image upright, or turned by 90, 180 or 270 degrees?

No extra model and no extra pass in the common case: the OCR stage's first
pass already detects line boxes (tall boxes mean vertical lines, so a page
turned by 90 or 270 degrees) and runs RapidOCR's direction classifier on
every line crop (upright or upside down). ``vote`` turns those into the
page's angle. When a page is not upright, the OCR stage turns the image and
reads it again, so lines are detected and ordered on the upright page.

``angle`` is the clockwise rotation that makes the page upright (what
``PageResult.rotation`` reports). ``rotate_box`` / ``unrotate_box`` map boxes
between the original page and the upright one; results always go out in the
original page's coordinates.

Input: detection quads and classifier labels. Output: an ``Orientation``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from PIL import Image

_log = logging.getLogger(__name__)

BBox = tuple[float, float, float, float]

_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,  # PIL's ROTATE_* turn counter-clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class Orientation:
    angle: int  # clockwise degrees that make the page upright: 0, 90, 180, 270
    confidence: float  # the winner's share of the weighted votes (0..1)
    reason: str


def rotate_image(image: Image.Image, angle: int) -> Image.Image:
    """``image`` turned clockwise by ``angle`` (a multiple of 90)."""
    angle %= 360
    if angle == 0:
        return image
    return image.transpose(_TRANSPOSE[angle])


def unrotate_box(box: BBox, angle: int, width: float, height: float) -> BBox:
    """A box on the upright (turned) page → the original page.

    ``width`` and ``height`` are the *original* page's size, in the box's units.
    """
    u0, v0, u1, v1 = box
    angle %= 360
    if angle == 90:  # original (x, y) -> upright (height - y, x)
        return (v0, height - u1, v1, height - u0)
    if angle == 180:
        return (width - u1, height - v1, width - u0, height - v0)
    if angle == 270:  # original (x, y) -> upright (y, width - x)
        return (width - v1, u0, width - v0, u1)
    return box


def rotate_box(box: BBox, angle: int, width: float, height: float) -> BBox:
    """The inverse of ``unrotate_box``: original page → upright page."""
    x0, y0, x1, y1 = box
    angle %= 360
    if angle == 90:
        return (height - y1, x0, height - y0, x1)
    if angle == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    if angle == 270:
        return (y0, width - x1, y1, width - x0)
    return box


def vote(quads: Any, labels: Any, min_aspect: float = 1.5) -> Orientation:
    """The page's orientation from OCR text boxes and the line classifier's labels.

    ``quads`` are detection boxes (4 points each, image order: clockwise from
    the top-left), ``labels`` the direction classifier's ``(label, score)``
    per box, where ``"180"`` means the crop was upside down. RapidOCR turns a
    tall crop counter-clockwise before classifying it, so on a vertical line
    ``"0"`` means the text runs top to bottom (the page needs 270 degrees
    clockwise) and ``"180"`` bottom to top (90 degrees clockwise). Votes are
    weighted by line length and classifier score; boxes that are not clearly
    elongated (single characters) do not vote.
    """
    weights = {0: 0.0, 90: 0.0, 180: 0.0, 270: 0.0}
    voters = 0
    for quad, label in zip(quads if quads is not None else (), labels or (), strict=False):
        (x0, y0), (x1, y1), (x2, y2) = quad[0], quad[1], quad[2]
        top = math.hypot(x1 - x0, y1 - y0)
        side = math.hypot(x2 - x1, y2 - y1)
        long_side, short_side = max(top, side), max(min(top, side), 1.0)
        if long_side < min_aspect * short_side:
            continue
        name, score = (str(label[0]), float(label[1])) if label else ("0", 0.0)
        flipped = "180" in name
        tall = side > top
        angle = (90 if flipped else 270) if tall else (180 if flipped else 0)
        weights[angle] += long_side * max(score, 0.0)
        voters += 1
    total = sum(weights.values())
    if voters == 0 or total <= 0:
        return Orientation(0, 0.0, "no elongated text lines")
    best = max(weights, key=lambda a: weights[a])
    share = weights[best] / total
    reason = (
        ", ".join(f"{a}: {w / total:.0%}" for a, w in weights.items() if w) + f" ({voters} lines)"
    )
    return Orientation(best, round(share, 4), reason)
