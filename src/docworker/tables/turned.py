"""Turned text: which way characters run, and frames where they read upright.

A table turned on the page (its text running up or down) is analysed on
coordinates turned until its text is upright, and its box is turned back; a
turned header cell inside an upright table is read upright the same way.
``rot`` is the direction the text runs: 0 (left to right), 90 (down the page),
180 (upside down) or 270 (up the page).

Input: character dicts (``objects``), boxes ``(x0, top, x1, bottom)`` and
rulings, all in the page's top-left points, plus the page size. Output: the
same objects in the turned frame (or back). Pure functions.
"""

from __future__ import annotations

from docworker.geometry import BBox
from docworker.tables.rulings import Seg


def direction(c: dict) -> int:
    """Which way a character's text runs: 0 (left to right), 90 (down), 180, 270 (up)."""
    m = c.get("matrix") or (1, 0, 0, 1, 0, 0)
    a, b = m[0], m[1]
    if abs(a) >= abs(b):
        return 0 if a >= 0 else 180
    return 90 if b < 0 else 270


def dominant_direction(chars: list[dict]) -> int:
    """The direction most visible characters run, when more run so than left to right; else 0."""
    counts: dict[int, int] = {}
    for c in chars:
        if c["text"].strip():
            d = direction(c)
            counts[d] = counts.get(d, 0) + 1
    if not counts:
        return 0
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts.get(0, 0) else 0


def turn_box(b: BBox, rot: int, width: float, height: float) -> BBox:
    """A page box → the same box on coordinates where text running ``rot`` reads upright."""
    x0, y0, x1, y1 = b
    if rot == 90:  # text runs down the page: the line after it lies to its left
        return (y0, width - x1, y1, width - x0)
    if rot == 270:
        return (height - y1, x0, height - y0, x1)
    if rot == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    return b


def unturn_box(b: BBox, rot: int, width: float, height: float) -> BBox:
    """Inverse of ``turn_box`` (``width``/``height`` of the page, not the turned frame)."""
    u0, v0, u1, v1 = b
    if rot == 90:
        return (width - v1, u0, width - v0, u1)
    if rot == 270:
        return (v0, height - u1, v1, height - u0)
    if rot == 180:
        return (width - u1, height - v1, width - u0, height - v0)
    return b


def turned_rules(hs: list[Seg], vs: list[Seg], rot: int, width: float, height: float) -> list[Seg]:
    """The rulings that run along the text lines of frame ``rot``, in that frame."""
    if rot in (0, 180):
        boxes = [(s.lo, s.pos, s.hi, s.pos) for s in hs]
    else:
        boxes = [(s.pos, s.lo, s.pos, s.hi) for s in vs]
    out = []
    for b in boxes:
        u0, v0, u1, _ = turn_box(b, rot, width, height)
        out.append(Seg(v0, u0, u1))
    return out


def turn_char(c: dict, rot: int, width: float, height: float) -> dict:
    """A character dict moved into frame ``rot`` (upright there); itself when ``rot`` is 0."""
    if rot == 0:
        return c
    x0, top, x1, bottom = turn_box((c["x0"], c["top"], c["x1"], c["bottom"]), rot, width, height)
    out = dict(c)
    out.update(x0=x0, x1=x1, top=top, bottom=bottom, doctop=top, upright=True)
    out["matrix"] = (1.0, 0.0, 0.0, 1.0, x0, bottom)
    return out
