"""Ruled tables: rulings → the cell boxes of each grid they draw.

Each group of crossing rulings is a grid whose boundary exists in a row
(column) only where a ruling covers it, so spanning cells keep their span.
Columns that the rulings leave out come from the text: rows without inner
rulings (the undrawn white rows of a striped table, tables ruled between rows
only) get the table's column lines, plus those that the blank gutters of
their text show, wherever no word or phrase crosses them and text lies on
both sides. Empty bands thinner than half a text line (double rules) are
dropped. Not tables: grids without two rulings across their width (chart
axes), and grids of more than ``MAX_UNITS`` grid units.

Input: rulings (``rulings.Seg``), the page's character dicts and a callable
that gives the page's upright words (asked only when a grid needs text
columns). Output: one list of cell boxes ``(x0, top, x1, bottom)`` per table
candidate; ``cells.build_cells`` turns them into ``TableCell`` objects.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections.abc import Callable

from docworker.geometry import BBox, Word
from docworker.tables.rulings import TOL, Seg, Sets, cluster
from docworker.tables.stream import blank_gutters
from docworker.tables.words import WordRow, centre, word_rows

MAX_UNITS = 40_000  # grid units of one ruled table


def _crosses(h: Seg, v: Seg) -> bool:
    return h.lo - TOL <= v.pos <= h.hi + TOL and v.lo - TOL <= h.pos <= v.hi + TOL


def ruling_groups(hs: list[Seg], vs: list[Seg]) -> list[tuple[list[Seg], list[Seg]]]:
    """Groups of crossing rulings that hold two or more rulings of each direction."""
    sets = Sets(len(hs) + len(vs))
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
    return [(h, v) for h, v in comps.values() if len(h) >= 2 and len(v) >= 2]


def grid_lines(hs: list[Seg], vs: list[Seg]) -> tuple[list[float], list[float]] | None:
    """A group's column and row lines, or ``None`` without two rules across most of its width.

    Needs no text, so it is also the cheap test of whether a page can hold a
    ruled table at all (``possible``).
    """
    xs = cluster(v.pos for v in vs)
    ys = cluster(h.pos for h in hs)
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
        return None
    return xs, ys


def possible(hs: list[Seg], vs: list[Seg]) -> bool:
    """Can these rulings hold a ruled table (a group with its lines, text aside)?"""
    return bool(frames(hs, vs))


def frames(hs: list[Seg], vs: list[Seg]) -> list[BBox]:
    """The box of every group of rulings that could frame a table (``grid_lines``).

    A group whose lines make one grid unit (a box drawn round a paragraph, a
    theorem's frame) is none: ``_grid_boxes`` needs two units or more, and the
    text never adds rows to it.
    """
    out: list[BBox] = []
    for h, v in ruling_groups(hs, vs):
        lines = grid_lines(h, v)
        if lines is not None:
            xs, ys = lines
            if (len(xs) - 1) * (len(ys) - 1) >= 2:
                out.append((xs[0], ys[0], xs[-1], ys[-1]))
    return out


def ruled_grids(
    hs: list[Seg], vs: list[Seg], chars: list[dict], words: Callable[[], list[Word]]
) -> list[list[BBox]]:
    """Groups of crossing rulings → cell boxes (one list per table candidate)."""
    centres = [centre(c) for c in chars if c["text"].strip()]
    heights = [c["bottom"] - c["top"] for c in chars if c["text"].strip()]
    line_h = statistics.median(heights) if heights else 10.0
    grids = []
    for comp_h, comp_v in ruling_groups(hs, vs):
        lines = grid_lines(comp_h, comp_v)
        if lines is None:
            continue
        boxes = _grid_boxes(comp_h, comp_v, *lines, centres, words, line_h)
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
    xs: list[float],
    ys: list[float],
    centres: list[tuple[float, float]],
    words: Callable[[], list[Word]],
    line_h: float,
) -> list[BBox]:
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
        word_rows(table_words[bisect.bisect_left(mids, top) : bisect.bisect_right(mids, bottom)])
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


def _separates(lines: list[WordRow], x: float, lo: float, hi: float) -> bool | None:
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
) -> list[BBox]:
    nx, ny = len(xs) - 1, len(ys) - 1
    sets = Sets(nx * ny)
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
    boxes: list[BBox] = []
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
