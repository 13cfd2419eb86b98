"""Page orientation: is a page image upright, or turned by 90, 180 or 270 degrees?

No extra model and no extra page pass in the common case: the OCR stage's
first pass already detects line boxes (tall boxes mean vertical lines, so a
page turned by 90 or 270 degrees) and reads every line crop. Reading a few of
the longest crops a second time turned over by 180 degrees tells upright from
upside down: the recognizer is far more confident on text the right way up.
``vote`` turns those readings into the page's angle. When a page is not
upright, the OCR stage turns the image and reads it again, so lines are
detected and ordered on the upright page.

``angle`` is the clockwise rotation that makes the page upright (what
``PageResult.rotation`` reports). ``rotate_box`` / ``unrotate_box`` map boxes
between the original page and the upright one; results always go out in the
original page's coordinates.

Input: detection quads and recognition confidences. Output: an ``Orientation``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from PIL import Image

from docworker.geometry import BBox

_log = logging.getLogger(__name__)


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


def elongated(quads: Any, min_aspect: float = 1.5) -> list[tuple[int, float, bool]]:
    """``(index, long side, tall)`` of each detection box that is clearly a line of text.

    Boxes whose long side is under ``min_aspect`` times the short side (single
    characters, stamps, dots) are left out: their direction is anyone's guess.
    """
    found = []
    for i, quad in enumerate(quads if quads is not None else ()):
        (x0, y0), (x1, y1), (x2, y2) = quad[0], quad[1], quad[2]
        top = math.hypot(x1 - x0, y1 - y0)
        side = math.hypot(x2 - x1, y2 - y1)
        long_side, short_side = max(top, side), max(min(top, side), 1.0)
        if long_side >= min_aspect * short_side:
            found.append((i, long_side, side > top))
    return found


def vote(
    lines: list[tuple[int, float, bool]],
    as_is: dict[int, float],
    turned: dict[int, float],
) -> Orientation:
    """The page's orientation from how well its lines read as they are and turned over.

    ``lines`` come from ``elongated``; ``as_is`` and ``turned`` hold the
    recognizer's confidence for a sample of those lines, read as cropped and
    turned by 180 degrees. Text read the right way up scores about 0.99 and
    upside down about 0.6-0.7 with PP-OCR's recognizer, a far clearer signal
    than its line direction classifier, which calls a third of the lines on an
    upright page upside down. RapidOCR turns a tall crop counter-clockwise to
    make it horizontal, so a tall line that reads as cropped means the page
    needs 270 degrees clockwise, and one that reads turned over 90 degrees.
    Each sampled line votes with its length times its confidence margin.
    """
    weights = {0: 0.0, 90: 0.0, 180: 0.0, 270: 0.0}
    voters = 0
    for index, long_side, tall in lines:
        if index not in as_is or index not in turned:
            continue
        margin = as_is[index] - turned[index]
        flipped = margin < 0
        angle = (90 if flipped else 270) if tall else (180 if flipped else 0)
        weights[angle] += long_side * abs(margin)
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
