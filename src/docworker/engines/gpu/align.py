"""Layout regions in reading order, and the VLM's elements matched to them.

``reading_order(regions)``: page headers (top down), the body by recursive
XY-cut (columns before rows), page footers (top down). ``align(elements,
regions, region_words)``: a monotone alignment (dynamic programming) that
gives each element the index of its region, scored by how well the element's
kind fits the region's DocLayNet label and, where the page has a text layer,
by the words they share; several elements may share a region. ``gap_box``
gives an element no region matched the band between its matched neighbours.

Inputs: ``Region`` lists (page units), ``Element`` lists, a ``RenderedPage``.
Outputs: ordered regions, element → region indices, boxes in page units.
"""

from __future__ import annotations

import itertools
import re

from docworker.engines.gpu.elements import Element
from docworker.geometry import BBox
from docworker.geometry import union as _union
from docworker.pages import RenderedPage
from docworker.stages.layout import Region

FURNITURE = {"Page-header", "Page-footer"}


def _gaps(intervals: list[tuple[float, float]], tolerance: float) -> list[float]:
    """Cut positions between runs of 1-D intervals that no interval crosses.

    Intervals may overlap their neighbours by ``tolerance`` (detector jitter)
    and still be cut apart.
    """
    cuts = []
    ordered = sorted(intervals)
    reach = ordered[0][1]
    for lo, hi in ordered[1:]:
        if lo + tolerance > reach:
            cuts.append((reach + lo) / 2)
        reach = max(reach, hi)
    return cuts


def xy_cut(regions: list[Region], _depth: int = 0) -> list[Region]:
    """Reading order by recursive XY-cut, columns before rows.

    A vertical cut (a gutter no region crosses) splits columns, read left to
    right; otherwise a horizontal cut splits rows, read top to bottom. Trying
    columns first keeps a two-column page column by column even where both
    columns happen to break at the same height; a full-width title or table
    blocks the vertical cut, so it is read in its row.
    """
    if len(regions) <= 1 or _depth > 32:
        return sorted(regions, key=lambda r: (r.bbox[1], r.bbox[0]))
    for axis in (0, 1):
        lo = min(r.bbox[axis] for r in regions)
        hi = max(r.bbox[axis + 2] for r in regions)
        cuts = _gaps([(r.bbox[axis], r.bbox[axis + 2]) for r in regions], 0.005 * (hi - lo))
        if cuts:
            bounds = [float("-inf"), *cuts, float("inf")]
            groups = [
                [r for r in regions if a <= (r.bbox[axis] + r.bbox[axis + 2]) / 2 < b]
                for a, b in itertools.pairwise(bounds)
            ]
            return [r for g in groups if g for r in xy_cut(g, _depth + 1)]
    return sorted(regions, key=lambda r: (r.bbox[1], r.bbox[0]))


def reading_order(regions: list[Region]) -> list[Region]:
    """Page headers (top down), body in XY-cut order, then page footers (top down)."""
    headers = sorted((r for r in regions if r.label == "Page-header"), key=lambda r: r.bbox[1])
    footers = sorted((r for r in regions if r.label == "Page-footer"), key=lambda r: r.bbox[1])
    body = [r for r in regions if r.label not in FURNITURE]
    return headers + xy_cut(body) + footers


# -------------------------------------------------------------------------- alignment

_COMPAT: dict[str, dict[str, float]] = {
    "heading": {"Section-header": 2.0, "Title": 2.0, "Page-header": 0.5, "Text": 0.5},
    "list_item": {"List-item": 2.0, "Text": 1.0},
    "table": {"Table": 3.0, "Document Index": 2.0, "Form": 1.0, "Key-Value Region": 1.0},
    "picture": {"Picture": 3.0},
    "formula": {"Formula": 3.0, "Text": 0.5},
    "code": {"Code": 3.0, "Text": 0.5},
    "page_number": {"Page-footer": 3.0, "Page-header": 3.0},
    "watermark": {},
    "paragraph": {
        "Text": 2.0,
        "Caption": 1.5,
        "Footnote": 1.5,
        "Page-header": 1.0,
        "Page-footer": 1.0,
        "Title": 1.0,
        "Section-header": 1.0,
        "List-item": 1.0,
        "Formula": 0.5,
        "Code": 0.5,
        "Checkbox-Selected": 1.0,
        "Checkbox-Unselected": 1.0,
        "Form": 1.0,
        "Key-Value Region": 1.0,
    },
}

_WORD = re.compile(r"\w+", re.UNICODE)


def word_set(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def region_text(region: Region, page: RenderedPage) -> str:
    """Text-layer lines whose centre lies inside the region (empty for scans)."""
    x0, y0, x1, y1 = region.bbox
    inside = []
    for line in page.lines:
        cx = (line.bbox[0] + line.bbox[2]) / 2
        cy = (line.bbox[1] + line.bbox[3]) / 2
        if x0 <= cx <= x1 and y0 <= cy <= y1:
            inside.append(line.text)
    return " ".join(inside)


def align(
    elements: list[Element], regions: list[Region], region_words: list[set[str]]
) -> list[int | None]:
    """For each element, the index of its region (monotone, several elements may share one)."""
    n, m = len(elements), len(regions)
    score = [[0.0] * m for _ in range(n)]
    for i, element in enumerate(elements):
        words = word_set(element.text)
        for j, region in enumerate(regions):
            compat = _COMPAT.get(element.kind, {}).get(region.label, 0.0)
            overlap = 0.0
            if words and region_words[j]:
                overlap = len(words & region_words[j]) / len(words | region_words[j])
            if compat > 0 or overlap > 0.5:
                score[i][j] = compat + 4.0 * overlap
    neg = float("-inf")
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            options = []
            if i > 0:
                options.append((best[i - 1][j], 1))  # element unmatched
            if j > 0:
                options.append((best[i][j - 1], 2))  # region unmatched
            if i > 0 and j > 0 and score[i - 1][j - 1] > 0:
                options.append((best[i - 1][j - 1] + score[i - 1][j - 1], 3))  # match
                options.append((best[i - 1][j] + 0.8 * score[i - 1][j - 1], 4))  # share region
            value, how = max(options, key=lambda o: o[0])
            best[i][j] = value
            move[i][j] = how
    assigned: list[int | None] = [None] * n
    i, j = n, m
    while i > 0 or j > 0:
        how = move[i][j]
        if how == 1:
            i -= 1
        elif how == 2:
            j -= 1
        elif how == 3:
            assigned[i - 1] = j - 1
            i, j = i - 1, j - 1
        else:
            assigned[i - 1] = j - 1
            i -= 1
    return assigned


def gap_box(boxes: list[BBox | None], index: int, page: RenderedPage) -> BBox:
    """A box for an unmatched element: the band between its matched neighbours."""
    before = next((boxes[k] for k in range(index - 1, -1, -1) if boxes[k] is not None), None)
    after = next((boxes[k] for k in range(index + 1, len(boxes)) if boxes[k] is not None), None)
    top = before[3] if before else 0.0
    bottom = after[1] if after else page.height
    known = [b for b in (before, after) if b is not None]
    x0, x1 = (min(b[0] for b in known), max(b[2] for b in known)) if known else (0.0, page.width)
    if bottom <= top:
        union = _union(known) if known else (0.0, 0.0, page.width, page.height)
        return union
    return (x0, top, x1, bottom)
