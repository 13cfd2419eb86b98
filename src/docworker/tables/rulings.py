"""Vector graphics of a page → horizontal and vertical rulings.

Stroked lines, hairline rectangles and the outlines of filled areas are
snapped and joined into axis-aligned rulings (``Seg``). Touching fills of one
colour are one area, so a cell painted as a text box plus padding strips, or
a row painted cell by cell, is outlined once. Stubs shorter than
``MIN_RULE`` (ticks, dots, glyph parts) are dropped. Caps on filled
rectangles, pair checks and rulings keep hostile drawings cheap: past them a
page has no rulings.

Input: the ``lines``, ``rects`` and ``curves`` dicts of one page (``objects``)
(top-left points) and the page size. Output: ``(horizontal, vertical)`` lists
of ``Seg``. Also here: ``Sets`` (union-find) and the snapping tolerance
``TOL`` that the ruled-grid finder shares.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from docworker.geometry import BBox, union

TOL = 3.0  # snap / join / intersection tolerance in points, as pdfplumber's defaults
THIN = 2.5  # a filled rectangle no thicker than this is a rule
TOUCH = 0.3  # background pieces this close are one painted area
MIN_RULE = 6.0  # shorter joined rulings are ticks, marks and glyph parts, not cell sides
MAX_PAINTED = 2000  # filled rectangles; more are a drawing (and would cost quadratic time)
MAX_PAIR_CHECKS = 500_000  # painted pieces compared; a table's cells each meet few others
MAX_RULINGS = 1000  # joined rulings on one page; more are a drawing


@dataclass
class Seg:
    """An axis-aligned ruling: ``pos`` is y for a horizontal one, x for a vertical one."""

    pos: float
    lo: float
    hi: float


class Sets:
    """Union-find over 0..n-1."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def root(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        self.parent[self.root(b)] = self.root(a)


def rulings(
    lines: Iterable[dict],
    rects: Iterable[dict],
    curves: Iterable[dict],
    width: float,
    height: float,
) -> tuple[list[Seg], list[Seg]]:
    """Horizontal and vertical rulings of a page, snapped and joined."""
    hs: list[Seg] = []
    vs: list[Seg] = []
    for obj in [*lines, *curves]:
        pts = obj.get("pts") or [(obj["x0"], obj["top"]), (obj["x1"], obj["bottom"])]
        ax, ay = pts[0]
        for bx, by in pts[1:]:  # each drawn segment: level or plumb ones are rulings
            if abs(ay - by) <= 1.0 and abs(ax - bx) > 0:
                hs.append(Seg((ay + by) / 2, min(ax, bx), max(ax, bx)))
            elif abs(ax - bx) <= 1.0 and abs(ay - by) > 0:
                vs.append(Seg((ax + bx) / 2, min(ay, by), max(ay, by)))
            ax, ay = bx, by
    painted: list[dict] = []
    page_area = width * height
    for r in rects:
        x0, y0, x1, y1 = r["x0"], r["top"], r["x1"], r["bottom"]
        w, h = x1 - x0, y1 - y0
        if not (r.get("stroke") or r.get("fill")):
            continue
        if h <= THIN:
            hs.append(Seg((y0 + y1) / 2, x0, x1))
        if w <= THIN:
            vs.append(Seg((x0 + x1) / 2, y0, y1))
        if h <= THIN or w <= THIN:
            continue
        if r.get("stroke"):
            _outline((x0, y0, x1, y1), hs, vs)
        elif w * h < 0.8 * page_area:  # a page-sized fill is the paper's colour
            painted.append(r)
    if len(painted) > MAX_PAINTED:  # a vector drawing, not table cells
        painted = []
    painted_h, painted_v = merge_painted(painted)
    hs, vs = tidy(hs + painted_h), tidy(vs + painted_v)
    if len(hs) + len(vs) > MAX_RULINGS:
        return [], []
    return hs, vs


def slanted_strokes(lines: Iterable[dict], curves: Iterable[dict]) -> list[tuple[float, float]]:
    """Midpoints of drawn segments 6 pt or longer that are neither horizontal nor vertical."""
    out = []
    for obj in [*lines, *curves]:
        pts = obj.get("pts") or [(obj["x0"], obj["top"]), (obj["x1"], obj["bottom"])]
        for (ax, ay), (bx, by) in itertools.pairwise(pts):
            dx, dy = abs(ax - bx), abs(ay - by)
            if dx > 1.0 and dy > 1.0 and dx * dx + dy * dy >= 36.0:
                out.append(((ax + bx) / 2, (ay + by) / 2))
    return out


def _outline(b: BBox, hs: list[Seg], vs: list[Seg]) -> None:
    x0, y0, x1, y1 = b
    hs += [Seg(y0, x0, x1), Seg(y1, x0, x1)]
    vs += [Seg(x0, y0, y1), Seg(x1, y0, y1)]


def merge_painted(rects: list[dict]) -> tuple[list[Seg], list[Seg]]:
    """Filled rectangles → outlines of painted areas (horizontal, vertical segments).

    Touching pieces of one colour are one area, so a cell painted as a text
    box plus padding strips, or a row painted cell by cell, is outlined once;
    areas that leave a hairline gap between them stay apart.
    """
    groups: dict[str, list[BBox]] = {}
    for r in rects:
        key = repr(r.get("non_stroking_color"))
        groups.setdefault(key, []).append((r["x0"], r["top"], r["x1"], r["bottom"]))
    hs: list[Seg] = []
    vs: list[Seg] = []
    budget = MAX_PAIR_CHECKS
    for group in groups.values():
        boxes = sorted(set(group), key=lambda b: b[1])  # by top: striped rows part early
        sets = Sets(len(boxes))
        for i, a in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                b = boxes[j]
                if b[1] > a[3] + TOUCH:
                    break
                budget -= 1
                if budget < 0:
                    return [], []  # heaps of overlapping fills: a drawing
                dx = min(a[2], b[2]) - max(a[0], b[0])
                dy = min(a[3], b[3]) - max(a[1], b[1])
                if (dx >= -TOUCH and dy > 1.0) or (dy >= -TOUCH and dx > 1.0):
                    sets.join(i, j)
        members: dict[int, list[BBox]] = {}
        for i, b in enumerate(boxes):
            members.setdefault(sets.root(i), []).append(b)
        for pieces in members.values():
            x0, y0, x1, y1 = union(pieces)
            area = sum((b[2] - b[0]) * (b[3] - b[1]) for b in pieces)
            rectangle = abs(area - (x1 - x0) * (y1 - y0)) <= 0.01 * area
            if len(pieces) == 1 or rectangle or len(pieces) > 500:
                _outline((x0, y0, x1, y1), hs, vs)
            else:
                _boundary(pieces, hs, vs)
    return hs, vs


def _boundary(pieces: list[BBox], hs: list[Seg], vs: list[Seg]) -> None:
    """The sides of ``pieces`` that no other piece continues past (the area's outline)."""

    def open_parts(lo: float, hi: float, covers: list[tuple[float, float]]) -> list[tuple]:
        parts = []
        at = lo  # [lo, at) is covered or already kept
        for a, b in sorted(covers):
            if a > at:
                parts.append((at, min(a, hi)))
            at = max(at, b)
            if at >= hi:
                break
        parts.append((at, hi))
        return [(s, e) for s, e in parts if e - s > TOUCH]

    import numpy as np  # here, not at import: the worker process reads no page

    # The pieces that a side's outer neighbourhood falls inside, found in C: a
    # painted area has up to 500 pieces, and this asks four times for each.
    box = np.array(pieces, dtype=float).reshape(-1, 4)
    left, top, right, bottom = box[:, 0], box[:, 1], box[:, 2], box[:, 3]
    across, down = box[:, 0::2].tolist(), box[:, 1::2].tolist()

    def covering(lo: np.ndarray, hi: np.ndarray, at: float, spans: list) -> list[tuple]:
        return [spans[i] for i in np.flatnonzero((lo < at) & (at < hi)).tolist()]

    for x0, y0, x1, y1 in pieces:
        for y, out in ((y0, -TOUCH * 2), (y1, TOUCH * 2)):
            covers = covering(top, bottom, y + out, across)
            hs.extend(Seg(y, s, e) for s, e in open_parts(x0, x1, covers))
        for x, out in ((x0, -TOUCH * 2), (x1, TOUCH * 2)):
            covers = covering(left, right, x + out, down)
            vs.extend(Seg(x, s, e) for s, e in open_parts(y0, y1, covers))


def cluster(values: Iterable[float], tol: float = TOL) -> list[float]:
    """Sorted values, runs closer than ``tol`` replaced by their mean."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(run) / len(run) for run in out]


def tidy(segs: list[Seg]) -> list[Seg]:
    """Snap near positions together, join collinear pieces, drop stubs (ticks, dots)."""
    groups: list[list[Seg]] = []
    for seg in sorted(segs, key=lambda s: s.pos):
        if groups and seg.pos - groups[-1][-1].pos <= TOL:
            groups[-1].append(seg)
        else:
            groups.append([seg])
    out: list[Seg] = []
    for group in groups:
        pos = sum(s.pos for s in group) / len(group)
        group.sort(key=lambda s: s.lo)
        cur = Seg(pos, group[0].lo, group[0].hi)
        for seg in group[1:]:
            if seg.lo <= cur.hi + TOL:
                cur.hi = max(cur.hi, seg.hi)
            else:
                out.append(cur)
                cur = Seg(pos, seg.lo, seg.hi)
        out.append(cur)
    return [s for s in out if s.hi - s.lo >= MIN_RULE]
