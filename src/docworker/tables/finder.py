"""Table stage: tables of a digital PDF page, read from its text layer.

pdfplumber (pdfminer.six underneath) reads the page's characters and vector
graphics; two finders of our own turn them into cell grids.

**Ruled tables.** Stroked lines, hairline rectangles and the outlines of
filled areas are snapped and joined into horizontal and vertical rulings
(touching fills of one colour are one area, so a cell painted as a text box
plus padding strips, or a row painted cell by cell, is outlined once). Each
group of crossing rulings is a grid whose boundary exists in a row (column)
only where a ruling covers it, so spanning cells keep their span. Columns
that the rulings leave out come from the text: rows without inner rulings
(the undrawn white rows of a striped table, tables ruled between rows only)
get the table's column lines, plus those that the blank gutters of their text
show, wherever no word or phrase crosses them and text lies on both sides. A
ruled row holding several text lines that most of its cells share (one rule
per group of rows) is split into rows. Empty bands thinner than half a text
line (double rules) are dropped. Not tables: grids without two rulings across
their width (chart axes), sparse text over a drawing, boxes of running text.

**Stream tables** (no rulings). Text lines are cut into pieces at gaps of a
text height; a run of at least four lines of four or more pieces whose gaps
share at least three blank gutters is a table, one row per text line, with
the header lines just above that fit its columns (never above a rule across
the table, such as the top rule under a caption). A prose column at either
edge (a neighbouring text column) is left out. The body cells must be short,
mostly filled and readable text, so prose, multi-column pages, tables of
contents and typeset mathematics stay out: a missed table costs less than a
false one.

Characters go to the cell holding their centre; a ruled cell's text is laid
out with pdfplumber's text extraction. A table turned on the page (its text
running up or down) is analysed on coordinates turned until its text is
upright, and its box is turned back; so is a turned header cell.

pdfminer parses a page far more slowly than pdfium, so the caller first asks
``wanted``: enough vector graphics for a ruled table (``PageView.graphics``,
path segments), or pdfium text lines that look tabular (four lines mostly of
numbers, or four rows of four pieces set apart). Scanned tables are not found
here. Caps on filled rectangles and rulings keep hostile drawings cheap.

Input: the PDF's path/password and a page number. Output: ``contract.Table``
objects, boxes in the displayed page's points (origin top-left).
"""

from __future__ import annotations

import bisect
import itertools
import logging
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from docworker.contract import Table, TableCell
from docworker.decode import rtl
from docworker.tables import render

_log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]  # x0, top, x1, bottom

TOL = 3.0  # snap / join / intersection tolerance in points, as pdfplumber's defaults
THIN = 2.5  # a filled rectangle no thicker than this is a rule
TOUCH = 0.3  # background pieces this close are one painted area
MIN_RULE = 6.0  # shorter joined rulings are ticks, marks and glyph parts, not cell sides
MIN_DENSITY = 0.06  # share of a ruled table's box that its characters' boxes cover
MAX_PAINTED = 2000  # filled rectangles; more are a drawing (and would cost quadratic time)
MAX_PAIR_CHECKS = 500_000  # painted pieces compared; a table's cells each meet few others
MAX_RULINGS = 1000  # joined rulings on one page; more are a drawing
MAX_UNITS = 40_000  # grid units of one ruled table


@dataclass
class _Open:
    key: tuple[str, str | None]
    pdf: Any


class TableStage:
    """Finds ruled and stream tables; keeps the last opened PDF between pages."""

    name = "tables"

    def __init__(
        self,
        min_graphics: int = 12,
        min_filled_cells: int = 4,
        min_fill: float = 0.2,
        stream: bool = True,
    ):
        self.min_graphics = min_graphics
        self.min_filled_cells = min_filled_cells
        self.min_fill = min_fill
        self.stream = stream
        self._open: _Open | None = None

    def wanted(self, graphics: int, lines: Sequence[Any] = ()) -> bool:
        """Is a table possible on a page with ``graphics`` path segments and these text lines?

        12 segments are about three rectangles or six separate rules. Without
        them, only text lines (pdfium's, ``.text`` and top-left ``.bbox``) that
        look like a stream table's rows send the page to pdfminer.
        """
        if graphics >= self.min_graphics:
            return True
        return self.stream and looks_tabular(lines)

    def _pdf(self, path: str, password: str | None) -> Any:
        import pdfplumber

        key = (path, password)
        if self._open is not None and self._open.key == key:
            return self._open.pdf
        self.close()
        pdf = pdfplumber.open(path, password=password or "")
        self._open = _Open(key, pdf)
        return pdf

    def close(self) -> None:
        if self._open is not None:
            try:
                self._open.pdf.close()
            finally:
                self._open = None

    def __call__(self, path: str, password: str | None, number: int) -> list[Table]:
        try:
            page = self._pdf(path, password).pages[number - 1]
            chars, lines, rects, curves = page.chars, page.lines, page.rects, page.curves
            width, height = float(page.width), float(page.height)
        except Exception as e:  # pdfminer raises many unrelated types on odd files
            _log.warning("table finder failed on page %d (%s)", number, type(e).__name__)
            return []
        try:
            tables = self.find(chars, lines, rects, curves, width, height)
        except Exception as e:  # a bad page must not fail the page's text
            _log.warning("table analysis failed on page %d (%s)", number, type(e).__name__)
            tables = []
        try:
            page.close()
        except Exception:  # closing only frees caches
            _log.debug("page close failed", exc_info=True)
        return tables

    def find(
        self,
        chars: list[dict],
        lines: list[dict],
        rects: list[dict],
        curves: list[dict],
        width: float,
        height: float,
    ) -> list[Table]:
        """pdfplumber-style objects of one page (top-left points) → tables."""
        chars = [c for c in chars if c.get("text", "").strip() or c.get("text") == " "]
        chars = rtl.split_ligatures(chars)  # right-to-left text: all in visual order
        tables: list[Table] = []
        hs, vs = rulings(lines, rects, curves, width, height)
        cache: list[list[Word]] = []

        def upright_words() -> list[Word]:
            if not cache:
                cache.append(words_of([c for c in chars if direction(c) == 0]))
            return cache[0]

        slanted = slanted_strokes(lines, curves)
        for boxes in ruled_grids(hs, vs, chars, upright_words):
            frame = _bounds(boxes)
            if sum(1 for p in slanted if _in_box(p, frame)) >= 10:
                continue  # a chart or a drawing: plotted curves, hatching
            table = self._ruled_table(boxes, chars, width, height)
            if table is not None:
                tables.append(table)
        if not self.stream:
            return tables
        taken = [t.bbox for t in tables if t.bbox is not None]
        free = [c for c in chars if not _in_any(_centre(c), taken)]
        by_dir: dict[int, list[dict]] = {}
        for c in free:
            by_dir.setdefault(direction(c), []).append(c)
        for rot, group in sorted(by_dir.items(), key=lambda kv: -len(kv[1])):
            if sum(1 for c in group if c["text"].strip()) < 40:
                continue
            turned = [turn_char(c, rot, width, height) for c in group]
            rules = _turned_rules(hs, vs, rot, width, height)
            for box, cells in stream_tables(text_lines(words_of(turned)), rules):
                table = self._table(cells, unturn_box(box, rot, width, height))
                if table is not None:
                    tables.append(table)
        return tables

    def _ruled_table(
        self, boxes: list[Box], chars: list[dict], width: float, height: float
    ) -> Table | None:
        bbox = _bounds(boxes)
        inside = [c for c in chars if _in_box(_centre(c), bbox)]
        inked = sum(
            (c["x1"] - c["x0"]) * (c["bottom"] - c["top"]) for c in inside if c["text"] != " "
        )
        if inked < MIN_DENSITY * (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]):
            return None  # a drawing with a few labels (the sparsest real tables hold ~0.12)
        rot = _dominant_direction(inside)
        if rot:
            boxes = [turn_box(b, rot, width, height) for b in boxes]
            inside = [turn_char(c, rot, width, height) for c in inside]
        cells = build_cells(split_stacked_rows(boxes, inside), inside)
        if cells is None:
            return None
        sizes = [sum(1 for t in c.text.split() if _WORD.search(t)) for c in cells]
        if 2 * sum(n for n in sizes if n > 30) > sum(sizes):
            return None  # boxes of running text (a page layout), not a table
        return self._table(cells, bbox)

    def _table(self, cells: list[TableCell], bbox: Box) -> Table | None:
        n_rows = max(c.row + c.row_span for c in cells)
        n_cols = max(c.col + c.col_span for c in cells)
        if rtl.rtl_page(c.text for c in cells):
            for c in cells:  # a right-to-left table's first column is its rightmost
                c.col = n_cols - c.col - c.col_span
        filled = sum(1 for c in cells if c.text)
        if n_rows < 2 or n_cols < 2 or filled < self.min_filled_cells:
            return None
        if filled / len(cells) < self.min_fill:
            return None
        return Table(
            bbox=tuple(round(float(v), 2) for v in bbox),  # type: ignore[arg-type]
            n_rows=n_rows,
            n_cols=n_cols,
            cells=cells,
            markdown=render.markdown(render.grid(cells, n_rows, n_cols)),
            html=render.html(cells, n_rows),
        )


# ------------------------------------------------------------ the cheap gate

_NUMBER = re.compile(r"^[(\[+\-−–$€£¥]*\d[\d.,'’%]*[)\]%*]*$")


def looks_tabular(lines: Sequence[Any]) -> bool:
    """Do pdfium's text lines hint at a stream table (cheap, no pdfminer)?

    Four lines that are mostly numbers (three or more), or four rows (lines
    sharing a baseline) of four or more pieces a text height apart or more.
    """
    hits = 0
    for line in lines:
        tokens = line.text.split()
        numbers = sum(1 for t in tokens if _NUMBER.match(t))
        if numbers >= 3 and 2 * numbers >= len(tokens):
            hits += 1
            if hits >= 4:
                return True
    rows: list[list[Any]] = []
    for line in sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2):
        mid = (line.bbox[1] + line.bbox[3]) / 2
        if rows and rows[-1][0].bbox[1] <= mid <= rows[-1][0].bbox[3]:
            rows[-1].append(line)
        else:
            rows.append([line])
    pieced = 0
    for row in rows:
        if len(row) < 4:
            continue
        row.sort(key=lambda ln: ln.bbox[0])
        height = row[0].bbox[3] - row[0].bbox[1]
        apart = 1 + sum(1 for a, b in itertools.pairwise(row) if b.bbox[0] - a.bbox[2] >= height)
        pieced += apart >= 4
    return pieced >= 4


# --------------------------------------------------------------- geometry


def _centre(c: dict) -> tuple[float, float]:
    return ((c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2)


def _in_box(p: tuple[float, float], b: Box) -> bool:
    return b[0] <= p[0] <= b[2] and b[1] <= p[1] <= b[3]


def _bounds(boxes: Iterable[Box]) -> Box:
    x0s, y0s, x1s, y1s = zip(*boxes, strict=True)
    return (min(x0s), min(y0s), max(x1s), max(y1s))


def _in_any(p: tuple[float, float], boxes: Iterable[Box]) -> bool:
    return any(_in_box(p, b) for b in boxes)


def direction(c: dict) -> int:
    """Which way a character's text runs: 0 (left to right), 90 (down), 180, 270 (up)."""
    m = c.get("matrix") or (1, 0, 0, 1, 0, 0)
    a, b = m[0], m[1]
    if abs(a) >= abs(b):
        return 0 if a >= 0 else 180
    return 90 if b < 0 else 270


def _dominant_direction(chars: list[dict]) -> int:
    counts: dict[int, int] = {}
    for c in chars:
        if c["text"].strip():
            d = direction(c)
            counts[d] = counts.get(d, 0) + 1
    if not counts:
        return 0
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts.get(0, 0) else 0


def turn_box(b: Box, rot: int, width: float, height: float) -> Box:
    """A page box → the same box on coordinates where text running ``rot`` reads upright."""
    x0, y0, x1, y1 = b
    if rot == 90:  # text runs down the page: the line after it lies to its left
        return (y0, width - x1, y1, width - x0)
    if rot == 270:
        return (height - y1, x0, height - y0, x1)
    if rot == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    return b


def unturn_box(b: Box, rot: int, width: float, height: float) -> Box:
    """Inverse of ``turn_box`` (``width``/``height`` of the page, not the turned frame)."""
    u0, v0, u1, v1 = b
    if rot == 90:
        return (width - v1, u0, width - v0, u1)
    if rot == 270:
        return (v0, height - u1, v1, height - u0)
    if rot == 180:
        return (width - u1, height - v1, width - u0, height - v0)
    return b


def _turned_rules(hs: list[Seg], vs: list[Seg], rot: int, width: float, height: float) -> list[Seg]:
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
    if rot == 0:
        return c
    x0, top, x1, bottom = turn_box((c["x0"], c["top"], c["x1"], c["bottom"]), rot, width, height)
    out = dict(c)
    out.update(x0=x0, x1=x1, top=top, bottom=bottom, doctop=top, upright=True)
    out["matrix"] = (1.0, 0.0, 0.0, 1.0, x0, bottom)
    return out


class _Sets:
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


# ---------------------------------------------------------------- rulings


@dataclass
class Seg:
    """An axis-aligned ruling: ``pos`` is y for a horizontal one, x for a vertical one."""

    pos: float
    lo: float
    hi: float


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

    def add(p: Sequence[float], q: Sequence[float]) -> None:
        (ax, ay), (bx, by) = p, q
        if abs(ay - by) <= 1.0 and abs(ax - bx) > 0:
            hs.append(Seg((ay + by) / 2, min(ax, bx), max(ax, bx)))
        elif abs(ax - bx) <= 1.0 and abs(ay - by) > 0:
            vs.append(Seg((ax + bx) / 2, min(ay, by), max(ay, by)))

    for obj in [*lines, *curves]:
        pts = obj.get("pts") or [(obj["x0"], obj["top"]), (obj["x1"], obj["bottom"])]
        for p, q in itertools.pairwise(pts):
            add(p, q)
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


def _outline(b: Box, hs: list[Seg], vs: list[Seg]) -> None:
    x0, y0, x1, y1 = b
    hs += [Seg(y0, x0, x1), Seg(y1, x0, x1)]
    vs += [Seg(x0, y0, y1), Seg(x1, y0, y1)]


def merge_painted(rects: list[dict]) -> tuple[list[Seg], list[Seg]]:
    """Filled rectangles → outlines of painted areas (horizontal, vertical segments).

    Touching pieces of one colour are one area, so a cell painted as a text
    box plus padding strips, or a row painted cell by cell, is outlined once;
    areas that leave a hairline gap between them stay apart.
    """
    groups: dict[str, list[Box]] = {}
    for r in rects:
        key = repr(r.get("non_stroking_color"))
        groups.setdefault(key, []).append((r["x0"], r["top"], r["x1"], r["bottom"]))
    hs: list[Seg] = []
    vs: list[Seg] = []
    budget = MAX_PAIR_CHECKS
    for group in groups.values():
        boxes = sorted(set(group), key=lambda b: b[1])  # by top: striped rows part early
        sets = _Sets(len(boxes))
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
        members: dict[int, list[Box]] = {}
        for i, b in enumerate(boxes):
            members.setdefault(sets.root(i), []).append(b)
        for pieces in members.values():
            x0 = min(b[0] for b in pieces)
            y0 = min(b[1] for b in pieces)
            x1 = max(b[2] for b in pieces)
            y1 = max(b[3] for b in pieces)
            area = sum((b[2] - b[0]) * (b[3] - b[1]) for b in pieces)
            rectangle = abs(area - (x1 - x0) * (y1 - y0)) <= 0.01 * area
            if len(pieces) == 1 or rectangle or len(pieces) > 500:
                _outline((x0, y0, x1, y1), hs, vs)
            else:
                _boundary(pieces, hs, vs)
    return hs, vs


def _boundary(pieces: list[Box], hs: list[Seg], vs: list[Seg]) -> None:
    """The sides of ``pieces`` that no other piece continues past (the area's outline)."""

    def open_parts(lo: float, hi: float, covers: list[tuple[float, float]]) -> list[tuple]:
        parts = [(lo, hi)]
        for a, b in covers:
            parts = [
                piece
                for s, e in parts
                for piece in ((s, min(e, a)), (max(s, b), e))
                if piece[1] - piece[0] > TOUCH
            ]
        return parts

    for x0, y0, x1, y1 in pieces:
        for y, out in ((y0, -TOUCH * 2), (y1, TOUCH * 2)):
            covers = [(p[0], p[2]) for p in pieces if p[1] < y + out < p[3]]
            hs.extend(Seg(y, s, e) for s, e in open_parts(x0, x1, covers))
        for x, out in ((x0, -TOUCH * 2), (x1, TOUCH * 2)):
            covers = [(p[1], p[3]) for p in pieces if p[0] < x + out < p[2]]
            vs.extend(Seg(x, s, e) for s, e in open_parts(y0, y1, covers))


def _cluster(values: Iterable[float], tol: float = TOL) -> list[float]:
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


# ------------------------------------------------------------- ruled grids


def _crosses(h: Seg, v: Seg) -> bool:
    return h.lo - TOL <= v.pos <= h.hi + TOL and v.lo - TOL <= h.pos <= v.hi + TOL


def ruled_grids(
    hs: list[Seg], vs: list[Seg], chars: list[dict], words: Callable[[], list[Word]]
) -> list[list[Box]]:
    """Groups of crossing rulings → cell boxes (one list per table candidate)."""
    sets = _Sets(len(hs) + len(vs))
    vs_sorted = sorted(range(len(vs)), key=lambda k: vs[k].pos)
    v_pos = [vs[k].pos for k in vs_sorted]
    for i, h in enumerate(hs):
        lo = bisect.bisect_left(v_pos, h.lo - TOL)
        hi = bisect.bisect_right(v_pos, h.hi + TOL)
        for k in vs_sorted[lo:hi]:
            if _crosses(h, vs[k]):
                sets.join(i, len(hs) + k)
    comps: dict[int, tuple[list[Seg], list[Seg]]] = {}
    for i, h in enumerate(hs):
        comps.setdefault(sets.root(i), ([], []))[0].append(h)
    for k, v in enumerate(vs):
        comps.setdefault(sets.root(len(hs) + k), ([], []))[1].append(v)
    centres = [_centre(c) for c in chars if c["text"].strip()]
    heights = [c["bottom"] - c["top"] for c in chars if c["text"].strip()]
    line_h = statistics.median(heights) if heights else 10.0
    grids = []
    for comp_h, comp_v in comps.values():
        if len(comp_h) < 2 or len(comp_v) < 2:
            continue
        boxes = _grid_boxes(comp_h, comp_v, centres, words, line_h)
        if boxes:
            grids.append(boxes)
    return grids


def _extent(segs: list[Seg], positions: list[float], high: bool) -> float | None:
    """Where most of ``segs`` reach beyond the outermost crossing rule (open-sided tables)."""
    edge = max(positions) if high else min(positions)
    ends = [s.hi if high else s.lo for s in segs]
    beyond = [e for e in ends if (e - edge if high else edge - e) > TOL]
    if len(beyond) * 2 < len(segs) or len(beyond) < 2:
        return None
    return min(beyond) if high else max(beyond)


def _grid_boxes(
    hs: list[Seg],
    vs: list[Seg],
    centres: list[tuple[float, float]],
    words: Callable[[], list[Word]],
    line_h: float,
) -> list[Box]:
    xs = _cluster(v.pos for v in vs)
    ys = _cluster(h.pos for h in hs)
    for segs, pos in ((hs, xs), (vs, ys)):
        for high in (False, True):
            e = _extent(segs, pos, high)
            if e is not None:
                pos.append(e)
                pos.sort()
    # A table has two rules across most of its width (its top and bottom, or a header
    # rule); a chart's axes and bars have one.
    across = [
        y
        for y in ys
        if sum(min(h.hi, xs[-1]) - max(h.lo, xs[0]) for h in hs if abs(h.pos - y) <= TOL)
        >= 0.6 * (xs[-1] - xs[0])
    ]
    if len(across) < 2:
        return []
    inside = [
        p for p in centres if xs[0] - TOL <= p[0] <= xs[-1] + TOL and ys[0] - TOL <= p[1] <= ys[-1]
    ]
    xs = _drop_thin_empty(xs, [p[0] for p in inside], line_h)
    ys = _drop_thin_empty(ys, [p[1] for p in inside], line_h)
    if len(xs) < 2 or len(ys) < 2 or not 2 <= (len(xs) - 1) * (len(ys) - 1) <= MAX_UNITS:
        return []
    col_wall, row_wall = _walls(hs, vs, xs, ys)
    nx = len(xs) - 1
    if any(not any(row[1:nx]) for row in col_wall):
        xs, col_wall, row_wall = _text_walls(hs, vs, xs, ys, col_wall, row_wall, words)
    return _merge_units(col_wall, row_wall, xs, ys)


def _text_walls(
    hs: list[Seg],
    vs: list[Seg],
    xs: list[float],
    ys: list[float],
    col_wall: list[list[bool]],
    row_wall: list[list[bool]],
    words: Callable[[], list[Word]],
) -> tuple[list[float], list[list[bool]], list[list[bool]]]:
    """Column lines from the text where the rulings leave rows without inner ones.

    Rows without inner rulings take the columns most ruled rows have; the blank
    gutters of their text add more (in every row). A line stands in a row, and in
    the rows joined to it across the line, where text lies on both of its sides
    and no word or phrase crosses it.
    """
    nx = len(xs) - 1
    unruled = [r for r, row in enumerate(col_wall) if not any(row[1:nx])]
    ruled = [row for row in col_wall if any(row[1:nx])]
    common = [xs[c] for c in range(1, nx) if 2 * sum(row[c] for row in ruled) >= len(ruled) > 0]
    table_words = sorted(
        (w for w in words() if xs[0] <= (w.x0 + w.x1) / 2 <= xs[-1]),
        key=lambda w: (w.top + w.bottom) / 2,
    )
    mids = [(w.top + w.bottom) / 2 for w in table_words]
    band_lines = [
        text_lines(table_words[bisect.bisect_left(mids, top) : bisect.bisect_right(mids, bottom)])
        for top, bottom in itertools.pairwise(ys)
    ]
    # Columns that the gutters of the unruled rows' text show (ruled rows, stream columns).
    lines = [ln for r in unruled for ln in band_lines[r] if len(ln.pieces) >= 2]
    virtual: list[float] = []
    if len(lines) >= 3:
        size = statistics.median(ln.size for ln in lines)
        for a, b in blank_gutters(lines, xs[0], xs[-1], len(lines) // 10, 0.5 * size):
            if not any(a - TOL <= x <= b + TOL for x in xs):
                virtual.append((a + b) / 2)
    if virtual:
        xs = sorted(xs + virtual)
        col_wall, row_wall = _walls(hs, vs, xs, ys)
    drawn = [list(row) for row in col_wall]
    ny = len(ys) - 1
    for c in range(1, len(xs) - 1):
        x = xs[c]
        if x not in virtual and x not in common:
            continue
        r = 0
        while r < ny:  # bands joined across this column line decide together
            group = [r]
            while group[-1] + 1 < ny and not (
                row_wall[group[-1] + 1][c - 1] and row_wall[group[-1] + 1][c]
            ):
                group.append(group[-1] + 1)
            r = group[-1] + 1
            if x not in virtual and not any(g in unruled for g in group):
                continue
            verdicts = []
            for g in group:
                lo = max(k for k in range(c) if k == 0 or drawn[g][k])
                hi = min(k for k in range(c + 1, len(xs)) if k == len(xs) - 1 or drawn[g][k])
                verdicts.append(drawn[g][c] or _separates(band_lines[g], x, xs[lo], xs[hi]))
            if any(v is False for v in verdicts) or not any(verdicts):
                continue
            for g in group:
                col_wall[g][c] = True
    return xs, col_wall, row_wall


def _separates(lines: list[Line], x: float, lo: float, hi: float) -> bool | None:
    """May a wall at ``x`` stand between the text of a band (within ``lo``..``hi``)?

    ``False`` if a word crosses it or it falls in a gap narrower than half a
    text height (a space inside a phrase); ``True`` if text lies on both of its
    sides; ``None`` if the band gives no evidence either way.
    """
    left = right = False
    for line in lines:
        prev: Word | None = None
        for w in line.words:
            if w.x1 <= lo or w.x0 >= hi:
                prev = None
                continue
            if w.x0 < x - 1 and w.x1 > x + 1:
                return False
            if prev is not None and prev.x1 <= x + 1 and w.x0 >= x - 1:
                if w.x0 - prev.x1 < 0.5 * line.size:
                    return False
            left = left or w.x1 <= x + 1
            right = right or w.x0 >= x - 1
            prev = w
    return True if left and right else None


def _walls(
    hs: list[Seg], vs: list[Seg], xs: list[float], ys: list[float]
) -> tuple[list[list[bool]], list[list[bool]]]:
    """col_wall[r][c]: a rule between columns c-1 and c in row r; row_wall[r][c] likewise."""
    nx, ny = len(xs) - 1, len(ys) - 1
    on_x, on_y = _on_lines(vs, xs), _on_lines(hs, ys)
    col_wall = [[_covered(on_x[c], ys[r], ys[r + 1]) for c in range(nx + 1)] for r in range(ny)]
    row_wall = [[_covered(on_y[r], xs[c], xs[c + 1]) for c in range(nx)] for r in range(ny + 1)]
    return col_wall, row_wall


def _on_lines(segs: list[Seg], positions: list[float]) -> list[list[Seg]]:
    """The segments lying on each grid line (``positions`` sorted)."""
    out: list[list[Seg]] = [[] for _ in positions]
    for s in segs:
        k = bisect.bisect_left(positions, s.pos)
        near = [i for i in (k - 1, k) if 0 <= i < len(positions)]
        best = min(near, key=lambda i: abs(positions[i] - s.pos))
        if abs(positions[best] - s.pos) <= TOL:
            out[best].append(s)
    return out


def _drop_thin_empty(edges: list[float], centres: list[float], line_h: float) -> list[float]:
    """Remove grid lines that bound an empty band thinner than half a text line."""
    thin = max(TOL, 0.5 * line_h)
    centres = sorted(centres)
    out = list(edges)
    i = 0
    while i < len(out) - 1 and len(out) > 2:
        a, b = out[i], out[i + 1]
        k = bisect.bisect_left(centres, a)
        if b - a < thin and not (k < len(centres) and centres[k] <= b):
            # keep the outer line of a double border, the earlier one elsewhere
            del out[i + 1 if i + 1 < len(out) - 1 else i]
            continue
        i += 1
    return out


def _covered(segs: list[Seg], lo: float, hi: float) -> bool:
    """Do ``segs`` (on one grid line) cover at least half of ``lo``..``hi``?"""
    span = hi - lo
    if span <= 0:
        return False
    cover = sum(max(0.0, min(s.hi, hi) - max(s.lo, lo)) for s in segs)
    return cover >= 0.5 * span


def _merge_units(
    col_wall: list[list[bool]], row_wall: list[list[bool]], xs: list[float], ys: list[float]
) -> list[Box]:
    nx, ny = len(xs) - 1, len(ys) - 1
    sets = _Sets(nx * ny)
    for r in range(ny):
        for c in range(nx):
            if c + 1 < nx and not col_wall[r][c + 1]:
                sets.join(r * nx + c, r * nx + c + 1)
            if r + 1 < ny and not row_wall[r + 1][c]:
                sets.join(r * nx + c, (r + 1) * nx + c)
    members: dict[int, list[tuple[int, int]]] = {}
    for r in range(ny):
        for c in range(nx):
            members.setdefault(sets.root(r * nx + c), []).append((r, c))
    boxes: list[Box] = []
    for units in members.values():
        r0 = min(u[0] for u in units)
        r1 = max(u[0] for u in units) + 1
        c0 = min(u[1] for u in units)
        c1 = max(u[1] for u in units) + 1
        if len(units) == (r1 - r0) * (c1 - c0):
            boxes.append((xs[c0], ys[r0], xs[c1], ys[r1]))
        else:  # not a rectangle: one cell per row run
            runs: dict[int, list[int]] = {}
            for r, c in units:
                runs.setdefault(r, []).append(c)
            for r, cols in runs.items():
                cols.sort()
                start = cols[0]
                for a, b in zip(cols, [*cols[1:], None], strict=True):
                    if b != a + 1:
                        boxes.append((xs[start], ys[r], xs[a + 1], ys[r + 1]))
                        if b is not None:
                            start = b
    return boxes


def _line_centres(chars: list[dict]) -> list[float]:
    """Vertical centres of the text lines among ``chars``."""
    mids = sorted((c["top"] + c["bottom"]) / 2 for c in chars)
    if not mids:
        return []
    h = statistics.median(c["bottom"] - c["top"] for c in chars)
    runs: list[list[float]] = [[mids[0]]]
    for m in mids[1:]:
        if m - runs[-1][-1] > 0.5 * h:
            runs.append([m])
        else:
            runs[-1].append(m)
    return [statistics.median(r) for r in runs]


def split_stacked_rows(boxes: list[Box], chars: list[dict]) -> list[Box]:
    """Split ruled rows that hold several table rows (one rule per group of rows).

    In a row band, when most non-empty cells hold the same number k > 1 of text
    lines on shared baselines, each of those cells becomes k cells; cells with
    one line span the new rows.
    """
    text = sorted((c for c in chars if c["text"].strip()), key=lambda c: _centre(c)[1])
    mids = [_centre(c)[1] for c in text]
    h = statistics.median(c["bottom"] - c["top"] for c in text) if text else 10.0
    ys = sorted({b[1] for b in boxes} | {b[3] for b in boxes})
    by_band: dict[tuple[float, float], list[Box]] = {}
    for b in boxes:
        by_band.setdefault((b[1], b[3]), []).append(b)
    out: list[Box] = []
    for top, bottom in itertools.pairwise(ys):
        band = by_band.get((top, bottom), [])
        if len(band) < 2:
            out += band
            continue
        rows = text[bisect.bisect_left(mids, top) : bisect.bisect_right(mids, bottom)]
        inside = {b: [c for c in rows if b[0] <= _centre(c)[0] <= b[2]] for b in band}
        lines = {b: _line_centres(inside[b]) for b in band}
        counts = [len(v) for v in lines.values() if v]
        k = max(counts, default=0)
        stacked = [b for b in band if len(lines[b]) == k]
        if k < 2 or len(stacked) < 2 or 2 * len(stacked) < len(counts):
            out += band
            continue
        if statistics.median(len(inside[b]) for b in stacked) > 25 * k:
            out += band  # lines of running text side by side, not stacked table rows
            continue
        if any(len(lines[b]) not in (0, 1, k) for b in band):
            out += band
            continue
        centres = [statistics.median(lines[b][i] for b in stacked) for i in range(k)]
        if any(abs(lines[b][i] - centres[i]) > 0.5 * h for b in stacked for i in range(k)):
            out += band
            continue
        cuts = [top] + [(a + b) / 2 for a, b in itertools.pairwise(centres)] + [bottom]
        for b in band:
            if b in stacked:
                out += [(b[0], y0, b[2], y1) for y0, y1 in itertools.pairwise(cuts)]
            else:
                out.append(b)
    following = dict(itertools.pairwise(ys))
    return out + [b for b in boxes if following[b[1]] != b[3]]  # cells over several bands


# ------------------------------------------------------------ words, lines


@dataclass
class Word:
    x0: float
    top: float
    x1: float
    bottom: float
    text: str


_WORD = re.compile(r"\w\w")


def wordish(words: list[Word]) -> int:
    """Words that hold two letters or digits in a row (dot leaders and stray marks don't count)."""
    return sum(1 for w in words if _WORD.search(w.text))


@dataclass
class Line:
    words: list[Word]
    top: float
    bottom: float
    size: float  # median character height
    pieces: list[list[Word]] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1


def _rows_of_chars(chars: list[dict]) -> list[list[dict]]:
    """Characters grouped into text lines (by vertical centre), each sorted left to right."""
    rows: list[list[dict]] = []
    mids: list[float] = []
    heights: list[float] = []
    for c in sorted(chars, key=lambda c: (c["top"] + c["bottom"]) / 2):
        mid = (c["top"] + c["bottom"]) / 2
        h = max(c["bottom"] - c["top"], 0.1)
        if rows and abs(mid - mids[-1]) <= 0.35 * max(h, heights[-1]):
            rows[-1].append(c)
        else:
            rows.append([c])
            mids.append(mid)
            heights.append(h)
    for row in rows:
        row.sort(key=lambda c: c["x0"])
    return rows


def words_of(chars: list[dict]) -> list[Word]:
    """Characters → words: a space or a gap wider than a fifth of the text height ends one."""
    out: list[Word] = []
    for row in _rows_of_chars(chars):
        text: list[str] = []
        x0 = top = x1 = bottom = 0.0
        for c in row:
            t = c["text"]
            if not t.strip():
                if text:
                    out.append(Word(x0, top, x1, bottom, "".join(text)))
                    text = []
                continue
            h = c["bottom"] - c["top"]
            if text and c["x0"] - x1 > 0.2 * max(h, bottom - top):
                out.append(Word(x0, top, x1, bottom, "".join(text)))
                text = []
            if not text:
                x0, top, x1, bottom = c["x0"], c["top"], c["x1"], c["bottom"]
            else:
                top, bottom = min(top, c["top"]), max(bottom, c["bottom"])
                x1 = max(x1, c["x1"])
            text.append(t)
        if text:
            out.append(Word(x0, top, x1, bottom, "".join(text)))
    return out


def text_lines(words: list[Word]) -> list[Line]:
    """Words → text lines, top to bottom, each cut into pieces at gaps of a text height."""
    lines: list[Line] = []
    rows: list[list[Word]] = []
    mids: list[float] = []
    for w in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        mid = (w.top + w.bottom) / 2
        h = w.bottom - w.top
        if rows and abs(mid - mids[-1]) <= 0.35 * h:
            rows[-1].append(w)
        else:
            rows.append([w])
            mids.append(mid)
    for row in rows:
        row.sort(key=lambda w: w.x0)
        size = statistics.median(w.bottom - w.top for w in row)
        line = Line(row, min(w.top for w in row), max(w.bottom for w in row), size)
        piece = [row[0]]
        for w in row[1:]:
            if w.x0 - piece[-1].x1 >= STREAM_GAP * size:
                line.pieces.append(piece)
                piece = [w]
            else:
                piece.append(w)
        line.pieces.append(piece)
        lines.append(line)
    return lines


# ----------------------------------------------------------- stream tables

STREAM_GAP = 1.0  # a gap this many text heights wide separates two pieces of a line
MIN_ROWS = 4  # lines of MIN_PIECES+ pieces a stream table needs
MIN_PIECES = 4
MIN_GUTTERS = 3  # shared blank gutters (so 4+ columns)

Gutter = tuple[float, float]
Part = tuple[int, int, list[Word]]  # first column, last column, words


def blank_gutters(
    lines: list[Line], left: float, right: float, allowance: int, min_width: float
) -> list[Gutter]:
    """x-intervals inside (left, right) that at most ``allowance`` of the lines ink."""
    events: list[tuple[float, int]] = []
    for line in lines:
        for p in line.pieces:
            events += [(p[0].x0, 1), (p[-1].x1, -1)]
    events.sort()
    out = []
    depth = 0
    start: float | None = left
    for x, step in events:
        depth += step
        if step > 0 and depth == allowance + 1 and start is not None:
            out.append((start, x))
            start = None
        elif step < 0 and depth == allowance:
            start = x
    return [(a, b) for a, b in out if a > left and b < right and b - a >= min_width]


def parts_of(line: Line, gutters: list[Gutter]) -> list[Part]:
    """A line's words as cells: cut at gaps (half a text height or more) inside gutters.

    A run of words that still reaches over a gutter spans the columns it covers.
    """
    runs: list[list[Word]] = [[line.words[0]]]
    for w in line.words[1:]:
        prev = runs[-1][-1]
        wide = w.x0 - prev.x1 >= 0.5 * line.size
        if (wide and any(prev.x1 <= b and a <= w.x0 for a, b in gutters)) or (
            w.x0 - prev.x1 >= STREAM_GAP * line.size
        ):
            runs.append([w])
        else:
            runs[-1].append(w)
    out: list[Part] = []
    for run in runs:
        first = sum(1 for a, _ in gutters if a < run[0].x0)
        last = max(first, sum(1 for _, b in gutters if b < run[-1].x1))
        if out and first <= out[-1][1]:
            out[-1] = (out[-1][0], max(last, out[-1][1]), out[-1][2] + run)
        else:
            out.append((first, last, run))
    return out


def _spans(parts: list[Part]) -> bool:
    return any(last > first for first, last, _ in parts)


def stream_tables(lines: list[Line], rules: list[Seg] = ()) -> list[tuple[Box, list[TableCell]]]:  # type: ignore[assignment]
    """Tables without rulings among text lines of one frame (text upright, top to bottom).

    ``rules``: horizontal rulings in the same frame; a header never reaches
    above one that runs the table's width (a booktabs top rule under a caption).
    """
    found = []
    for run in _runs(lines):
        found += _run_tables(lines, run, list(rules))
    return found


def _rich(line: Line) -> bool:
    return len(line.pieces) >= MIN_PIECES


def _runs(lines: list[Line]) -> list[list[int]]:
    """Stretches of lines from one rich line to the last near it (few plain lines between)."""
    runs: list[list[int]] = []
    cur: list[int] = []
    plain = 0
    for i, line in enumerate(lines):
        if cur and line.top - lines[i - 1].bottom > 2.0 * max(line.size, lines[i - 1].size):
            runs.append(cur)
            cur, plain = [], 0
        if _rich(line):
            cur.append(i)
            plain = 0
        elif cur:
            plain += 1
            if plain > 3:
                runs.append(cur)
                cur, plain = [], 0
    if cur:
        runs.append(cur)
    out = []
    for run in runs:
        rich = [i for i in run if _rich(lines[i])]
        if len(rich) >= MIN_ROWS:
            out.append(list(range(rich[0], rich[-1] + 1)))
    return out


def _run_tables(lines: list[Line], run: list[int], rules: list[Seg]) -> list:
    rich = [lines[k] for k in run if _rich(lines[k])]
    if len(rich) < MIN_ROWS:
        return []
    size = statistics.median(ln.size for ln in rich)
    left = min(ln.x0 for ln in rich)
    right = max(ln.x1 for ln in rich)
    gutters = blank_gutters(rich, left, right, len(rich) // 8, 0.5 * size)
    if len(gutters) < MIN_GUTTERS:
        return []
    # A column of prose at either edge (a neighbouring text column, the facing page of a
    # spread) is not the table's: drop its side and look again.
    for edge, cut in ((0, gutters[0][1]), (len(gutters), gutters[-1][0])):
        counts = [
            wordish(ws) for ln in rich for first, _, ws in parts_of(ln, gutters) if first == edge
        ]
        if counts and statistics.median(counts) > 4:
            keep = [
                w
                for k in range(max(0, run[0] - 6), run[-1] + 1)
                for w in lines[k].words
                if (w.x0 >= cut if edge == 0 else w.x1 <= cut)
            ]
            return stream_tables(text_lines(keep), rules)
    # A plain line that reaches over the columns (a note between two tables) splits the run.
    for pos, k in enumerate(run):
        if not _rich(lines[k]) and _spans(parts_of(lines[k], gutters)):
            return _run_tables(lines, run[:pos], rules) + _run_tables(lines, run[pos + 1 :], rules)
    rows = list(run)
    width = right - left
    k = run[0] - 1
    while k >= 0 and run[0] - k <= 6:
        line, below = lines[k], lines[k + 1]
        if below.top - line.bottom > 2.0 * max(size, line.size):
            break
        if line.x0 < left - size or line.x1 > right + size:
            break
        if any(p[-1].x1 - p[0].x0 > 0.6 * width for p in line.pieces):
            break
        parts = parts_of(line, gutters)
        if len(parts) == 1 and parts[0][0] == 0 and parts[0][1] > 0:
            break  # a caption or an instruction over the table
        mid, mid_below = (line.top + line.bottom) / 2, (below.top + below.bottom) / 2
        if any(mid < r.pos < mid_below and r.hi - r.lo >= 0.8 * width for r in rules):
            break
        rows.insert(0, k)
        k -= 1
    result = _stream_cells([lines[k] for k in rows], gutters, len(rows) - len(run))
    return [result] if result is not None else []


def _stream_cells(
    rows: list[Line], gutters: list[Gutter], n_header: int
) -> tuple[Box, list[TableCell]] | None:
    n_cols = len(gutters) + 1
    cells: list[TableCell] = []
    body_fill: list[int] = []
    body_words: list[int] = []
    col_hits = [0] * n_cols
    for r, line in enumerate(rows):
        parts = parts_of(line, gutters)
        if r >= n_header and _rich(line) and not _spans(parts):
            body_fill.append(len(parts))
            body_words += [wordish(ws) for _, _, ws in parts]
            for first, _, _ in parts:
                col_hits[first] += 1
        for first, last, ws in parts:
            cells.append(
                TableCell(
                    row=r,
                    col=first,
                    text=rtl.visual_line(" ".join(w.text for w in ws)),
                    col_span=last - first + 1,
                    header=r < max(n_header, 1),
                )
            )
    # False-positive guards: enough body rows, filled, short cells, no empty column, text.
    n = len(body_fill)
    if n < MIN_ROWS or min(col_hits) < 0.25 * n:
        return None
    if sum(body_fill) < 0.6 * n * n_cols:
        return None
    if sum(1 for k in body_words if k <= 4) < 0.8 * len(body_words):
        return None
    if statistics.median(body_words) >= 3:
        return None  # narrow columns of running text side by side
    if 10 * sum(1 for c in cells if "(cid:" in c.text) > len(cells):
        return None  # glyphs without text: typeset mathematics (matrices, aligned formulas)
    box = (
        min(ln.x0 for ln in rows),
        min(ln.top for ln in rows),
        max(ln.x1 for ln in rows),
        max(ln.bottom for ln in rows),
    )
    return box, cells


# ------------------------------------------------------------- cell text


def _edges(values: list[float], tolerance: float = 1.5) -> list[float]:
    """Sorted positions with near-duplicates merged."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tolerance:
            out.append(v)
    return out


def _index(edges: list[float], v: float) -> int:
    i = bisect.bisect_left(edges, v - 1.5)
    return min(i, len(edges) - 1)


def build_cells(boxes: list[tuple], chars: list[dict]) -> list[TableCell] | None:
    """Cell boxes (x0, top, x1, bottom) + page chars → ``TableCell`` list with spans and text."""
    from pdfplumber.utils import extract_text

    boxes = [b for b in boxes if b is not None]
    if not boxes:
        return None
    xs = _edges([b[0] for b in boxes] + [b[2] for b in boxes])
    ys = _edges([b[1] for b in boxes] + [b[3] for b in boxes])
    slots: dict[tuple[int, int], int] = {}
    placed: list[tuple[int, int, int, int, tuple]] = []
    for box in sorted(boxes, key=lambda b: (b[1], b[0])):
        r0, r1 = _index(ys, box[1]), _index(ys, box[3])
        c0, c1 = _index(xs, box[0]), _index(xs, box[2])
        if r1 <= r0 or c1 <= c0 or (r0, c0) in slots:
            continue
        cell_id = len(placed)
        placed.append((r0, c0, r1 - r0, c1 - c0, box))
        for r in range(r0, r1):
            for c in range(c0, c1):
                slots.setdefault((r, c), cell_id)
    if not placed:
        return None
    members: list[list[dict]] = [[] for _ in placed]
    for ch in chars:
        cx = (ch["x0"] + ch["x1"]) / 2
        cy = (ch["top"] + ch["bottom"]) / 2
        if not (xs[0] <= cx <= xs[-1] and ys[0] <= cy <= ys[-1]):
            continue
        c = bisect.bisect_right(xs, cx) - 1
        r = bisect.bisect_right(ys, cy) - 1
        cell_id = slots.get((r, c))
        if cell_id is not None:
            members[cell_id].append(ch)
    top_row = min(p[0] for p in placed)
    left_col = min(p[1] for p in placed)
    cells = []
    for (r0, c0, rs, cs, _), group in zip(placed, members, strict=True):
        turn = _dominant_direction(group)
        if turn:  # a turned header in an upright table: read it upright
            group = [turn_char(c, turn, 0.0, 0.0) for c in group]
        lines = extract_text(group).split("\n") if group else []
        text = " ".join(" ".join(rtl.visual_line(line) for line in lines).split())
        cells.append(
            TableCell(
                row=r0 - top_row,
                col=c0 - left_col,
                text=text,
                row_span=rs,
                col_span=cs,
                header=r0 == top_row,
            )
        )
    return cells
