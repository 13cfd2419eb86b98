"""Scanned tables: framed or ruled tables on an OCR'd page, cells from OCR boxes.

A scan has no text layer for pdfplumber, so the table stage cannot see it.
This module looks at the page image instead:

1. **Regions.** Long horizontal and vertical strokes are pulled out of the
   binarised image with OpenCV morphology (an opening with a long thin
   kernel keeps only lines longer than the kernel); the boxes they enclose
   are the candidate regions: a table's outer frame, or its ruled cells.
2. **Grid.** The OCR lines inside a region are grouped into rows (vertical
   centres within half a line height) and columns (the gaps in the union of
   their horizontal extents, counted on rows that hold two or more boxes,
   so that a title spanning the table does not join its columns). Inner
   rulings, when the region has them, split columns and rows too.
3. **Verdict.** A region is a table when it has at least three columns and
   three rows, most of its grid is filled, and most rows hold three or more
   cells; a framed paragraph or a form box with two fields per row is not.

RapidOCR already splits a line where a table's columns leave a wide gap, so
its boxes are close to cells. Tables without any frame or rules are found
among the lines left over by the text layer's stream finder, run on the
recognizer's word boxes (``borderless``).

Input: the upright page image (RGB), its OCR lines in page units and the
scale from pixels to page units. Output: ``contract.Table`` objects with
boxes in the same page units; the lines they cover go into their cells.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, replace
from statistics import median

from PIL import Image

from docworker.contract import Table, TableCell
from docworker.geometry import BBox, Line, Word
from docworker.tables import render
from docworker.tables.stream import MIN_PIECES, MIN_ROWS, stream_tables
from docworker.tables.words import word_rows

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Region:
    bbox: BBox  # page units
    columns: tuple[float, ...]  # inner vertical rules, page units (x)
    rows: tuple[float, ...]  # inner horizontal rules, page units (y)


def regions(image: Image.Image, scale: float, min_share: float = 0.01) -> list[Region]:
    """Boxes enclosed by long strokes (outer contours only: a ruled table's cells are
    not regions of their own)."""
    import cv2
    import numpy as np

    gray = np.asarray(image.convert("L"))
    height, width = gray.shape
    binary = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15
    )
    span = max(20, min(width, height) // 25)
    horizontal = cv2.morphologyEx(
        binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (span, 1))
    )
    vertical = cv2.morphologyEx(
        binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, span))
    )
    grid = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(grid, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found: list[Region] = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if w * h < min_share * width * height or w < 3 * span or h < span:
            continue
        # A frame needs strokes along its box: check both axes' coverage.
        inner_v = vertical[y + 4 : y + h - 4, x : x + w]
        inner_h = horizontal[y : y + h, x + 4 : x + w - 4]
        if inner_v.size == 0 or inner_h.size == 0:
            continue
        cols = _rules(inner_v.max(axis=0) > 0, min_gap=span // 2)
        rows = _rules(inner_h.max(axis=1) > 0, min_gap=span // 4)
        if len(cols) < 2 or len(rows) < 2:
            continue  # not closed on both axes: a rule under a heading, a chart axis
        found.append(
            Region(
                bbox=(x * scale, y * scale, (x + w) * scale, (y + h) * scale),
                columns=tuple((x + c) * scale for c in cols[1:-1]),
                rows=tuple((y + r) * scale for r in rows[1:-1]),
            )
        )
    return found


def _rules(mask: object, min_gap: int) -> list[float]:
    """Centres of the runs of True in a 1-D mask, runs closer than ``min_gap`` merged."""
    centres: list[float] = []
    start = None
    values = list(mask)  # type: ignore[call-overload]
    for i, on in enumerate([*values, False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            centre = (start + i - 1) / 2
            if centres and centre - centres[-1] < min_gap:
                centres[-1] = (centres[-1] + centre) / 2
            else:
                centres.append(centre)
            start = None
    return centres


def _inside(box: BBox, region: BBox) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return region[0] <= cx <= region[2] and region[1] <= cy <= region[3]


def _rows(lines: list[Line], region: Region) -> list[list[Line]]:
    """Lines grouped into rows by vertical centre; a horizontal rule always splits. In a
    grid ruled row by row (at least half of its ruled bands hold one row of text), a
    band is one row: its cells' text wraps onto two lines or more ("Low" over "Vision").
    A band whose every row of text has text in every column holds rows of its own
    (a paper's table ruled under its header and above its last row only)."""
    rules = region.rows
    rows = _text_rows(lines, rules)
    if len(rules) < 2:
        return rows
    edges = sorted(rules)
    bands: dict[int, list[list[Line]]] = {}
    for row in rows:
        centre = sum((ln.bbox[1] + ln.bbox[3]) / 2 for ln in row) / len(row)
        bands.setdefault(bisect.bisect(edges, centre), []).append(row)
    if 2 * sum(1 for band in bands.values() if len(band) == 1) < len(bands):
        return rows
    columns = _columns(rows, region.columns)

    def full(row: list[Line]) -> bool:
        covered: set[int] = set()
        for line in row:
            first, last = _column_of(line.bbox, columns)
            covered.update(range(first, last + 1))
        return len(covered) == len(columns)

    merged: list[list[Line]] = []
    for k in sorted(bands):
        band = bands[k]
        if len(band) > 1 and len(columns) > 1 and all(full(row) for row in band):
            merged += band
        else:
            merged.append([ln for row in band for ln in row])
    return merged


def _text_rows(lines: list[Line], rules: tuple[float, ...]) -> list[list[Line]]:
    """Lines grouped into rows by vertical centre; a horizontal rule always splits."""
    heights = [ln.bbox[3] - ln.bbox[1] for ln in lines]
    tolerance = 0.5 * median(heights)
    rows: list[list[Line]] = []
    centre = 0.0
    for line in sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        c = (line.bbox[1] + line.bbox[3]) / 2
        crossed = any(centre < r < c for r in rules)
        if rows and abs(c - centre) <= tolerance and not crossed:
            rows[-1].append(line)
            centre = sum((ln.bbox[1] + ln.bbox[3]) / 2 for ln in rows[-1]) / len(rows[-1])
        else:
            rows.append([line])
            centre = c
    return rows


def _columns(rows: list[list[Line]], rules: tuple[float, ...]) -> list[tuple[float, float]]:
    """Column extents: gaps in the union of box extents, plus the inner vertical rules.
    Where the grid has inner vertical rules, two extents no rule parts and no wider
    apart than half a line are one column: the recognizer's two boxes of one cell
    ("mean" and "chunks per document"); a box across a rule joins none."""
    boxes = [ln.bbox for row in rows if len(row) >= 2 for ln in row]
    # A box that still reaches over an inner rule once lines are cut at the rules
    # (``_cut``) is a heading spanning columns ("Results" over "Accuracy | Time to
    # complete"): it joins no columns.
    margin = 0.25 * median(b[3] - b[1] for b in boxes) if boxes else 0.0
    within = [b for b in boxes if not any(b[0] + margin < r < b[2] - margin for r in rules)]
    boxes = within or boxes
    reach = 0.5 * median(b[3] - b[1] for b in boxes) if rules and boxes else 0.0
    merged: list[list[float]] = []
    for x0, x1 in sorted((b[0], b[2]) for b in boxes):
        if merged and x0 <= merged[-1][1] + reach:
            lo, hi = sorted((x0, merged[-1][1]))  # their overlap, or the gap between them
            if not any(lo <= r <= hi for r in rules):
                merged[-1][1] = max(merged[-1][1], x1)
                continue
        merged.append([x0, x1])
    return [(a, b) for a, b in merged]


def _cut(line: Line, rules: tuple[float, ...]) -> list[Line]:
    """``line`` cut where an inner vertical rule runs between two of its words (the
    recognizer read "Processing total chunks" across the rule after "Processing");
    the line itself where no rule does or its words are unknown."""
    inner = [r for r in rules if line.bbox[0] < r < line.bbox[2]]
    if not inner or len(line.words) < 2:
        return [line]
    parts: dict[int, list[Word]] = {}
    for word in line.words:
        parts.setdefault(bisect.bisect(inner, (word.x0 + word.x1) / 2), []).append(word)
    if len(parts) < 2:
        return [line]
    top, bottom = line.bbox[1], line.bbox[3]
    return [
        replace(
            line,
            text=" ".join(w.text for w in words),
            bbox=(words[0].x0, top, max(w.x1 for w in words), bottom),
            words=words,
        )
        for _, words in sorted(parts.items())
    ]


def _column_of(box: BBox, columns: list[tuple[float, float]]) -> tuple[int, int]:
    """First and last column a box overlaps (the nearest one when it overlaps none)."""
    hit = [i for i, (a, b) in enumerate(columns) if box[0] < b and box[2] > a]
    if hit:
        return hit[0], hit[-1]
    centre = (box[0] + box[2]) / 2
    nearest = min(range(len(columns)), key=lambda i: abs(sum(columns[i]) / 2 - centre))
    return nearest, nearest


def table_in(
    region: Region,
    lines: list[Line],
    min_rows: int = 3,
    min_cols: int = 3,
    min_fill: float = 0.5,
) -> tuple[Table, list[Line]] | None:
    """The table a region holds, and the lines that went into it; None if it is not one."""
    inside = [ln for ln in lines if _inside(ln.bbox, region.bbox)]
    if len(inside) < min_rows * min_cols * min_fill:
        return None
    rules = tuple(sorted(region.columns))
    rows = _rows([piece for ln in inside for piece in _cut(ln, rules)], region)
    columns = _columns(rows, region.columns)
    if len(rows) < min_rows or len(columns) < min_cols:
        return None
    wide_rows = sum(1 for row in rows if len(row) >= min_cols)
    if wide_rows < 0.5 * len(rows):
        return None
    grid: dict[tuple[int, int], list[Line]] = {}
    spans: dict[tuple[int, int], int] = {}
    for r, row in enumerate(rows):
        for line in sorted(row, key=lambda ln: (_column_of(ln.bbox, columns)[0], ln.bbox[1])):
            first, last = _column_of(line.bbox, columns)
            grid.setdefault((r, first), []).append(line)
            spans[(r, first)] = max(spans.get((r, first), 1), last - first + 1)
    if len(grid) < min_fill * len(rows) * len(columns):
        return None
    cells = [
        TableCell(
            row=r,
            col=c,
            text=" ".join(ln.text for ln in grid[(r, c)]),
            col_span=spans[(r, c)],
            header=r == 0,
        )
        for r, c in sorted(grid)
    ]
    box = tuple(round(v, 2) for v in region.bbox)
    table = render.table(  # type: ignore[arg-type]
        cells, len(rows), len(columns), box, layout=True
    )
    return table, inside


def _area(region: Region) -> float:
    x0, y0, x1, y1 = region.bbox
    return (x1 - x0) * (y1 - y0)


def find(image: Image.Image, lines: list[Line], scale: float) -> list[Table]:
    """Tables on an OCR'd page (upright image, lines in page units)."""
    if len(lines) < 9:
        return []
    try:
        candidates = regions(image, scale)
    except Exception as e:  # a table is a bonus: never fail the page's text for it
        _log.warning("scanned-table regions failed (%s)", type(e).__name__)
        return []
    tables: list[Table] = []
    taken: set[int] = set()
    for region in sorted(
        candidates, key=lambda r: (r.bbox[2] - r.bbox[0]) * (r.bbox[3] - r.bbox[1])
    ):
        free = [ln for ln in lines if id(ln) not in taken]
        found = table_in(region, free)
        if found is None:
            continue
        table, used = found
        tables.append(table)
        taken.update(id(ln) for ln in used)
    tables += borderless([ln for ln in lines if id(ln) not in taken])
    tables.sort(key=lambda t: (t.bbox or (0, 0, 0, 0))[1])
    return tables


def borderless(lines: list[Line]) -> list[Table]:
    """Tables with no frame and no rules among OCR lines: the stream finder of the text
    layer (``stream.stream_tables``: four rows or more of four pieces or more sharing
    three gutters, short filled cells) run on the recognizer's word boxes. A paper's
    table set between two rules only, a scanned statement's columns of figures."""
    words = [
        word
        for line in lines
        # no text set up the page (a short cell's box, "8.9", "FPS", is taller than wide)
        if 3 * (line.bbox[2] - line.bbox[0]) >= line.bbox[3] - line.bbox[1]
        for word in (line.words or [Word(*line.bbox, line.text)])
    ]
    if len(words) < MIN_ROWS * MIN_PIECES:
        return []
    out = []
    for box, cells in stream_tables(word_rows(words)):
        n_rows = max(c.row for c in cells) + 1
        n_cols = max(c.col + c.col_span for c in cells)
        at = tuple(round(v, 2) for v in box)
        out.append(render.table(cells, n_rows, n_cols, at, layout=True))  # type: ignore[arg-type]
    return out
