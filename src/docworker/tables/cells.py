"""Cell boxes + characters → ``contract.TableCell`` objects with spans and text.

``split_stacked_rows`` first splits a ruled row that holds several table
rows (one rule per group of rows): when most of its cells hold the same
number of text lines on shared baselines, each of those cells becomes one
cell per line. ``build_cells`` then places the boxes on the grid of their
distinct edges (spans from the edges they cover) and gives each cell the
characters whose centre it holds, laid out with pdfplumber's text extraction
(right-to-left runs in visual order; a turned header cell is read upright),
its lines joined by spaces, and a word hyphenated at a cell's line end joined
as in a paragraph ("car-" + "nes" → "carnes"). Short labels set left of the
grid, one a row, become its first column (``_stub_labels``); a column or a row
thinner than a text line that holds no text of its own (two rules drawn a few
points apart) is dropped (``_without_slivers``).

Input: cell boxes ``(x0, top, x1, bottom)`` and character dicts (``objects``) in
one frame. Output: ``TableCell`` lists (the top row flagged ``header``), which
``render.table`` turns into a ``contract.Table``.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
import unicodedata

from docworker.contract import TableCell
from docworker.decode import rtl
from docworker.decode.pdflines import SCRIPT  # a glyph under this share of the size may be a script
from docworker.geometry import BBox
from docworker.stages.joining import join_lines
from docworker.tables.turned import dominant_direction, turn_char
from docworker.tables.words import centre, drop_leaders, same_line

OVERHANG_GAP = 1.0  # widest gap, in text heights, inside a line that runs into an edge cell


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


def split_stacked_rows(boxes: list[BBox], chars: list[dict]) -> list[BBox]:
    """Split ruled rows that hold several table rows (one rule per group of rows).

    In a row band, when most non-empty cells hold the same number k > 1 of text
    lines on shared baselines, each of those cells becomes k cells; cells with
    one line span the new rows. In a grid ruled row by row (fewer than half of its
    bands with text hold more than one line) a band of two lines is a row of cells
    that wrap (a header's "to air" over "kg/year") and is left as it is, unless
    most of its stacked cells hold figures only.
    """
    text = sorted((c for c in chars if c["text"].strip()), key=lambda c: centre(c)[1])
    mids = [centre(c)[1] for c in text]
    h = statistics.median(c["bottom"] - c["top"] for c in text) if text else 10.0
    ys = sorted({b[1] for b in boxes} | {b[3] for b in boxes})
    by_band: dict[tuple[float, float], list[BBox]] = {}
    for b in boxes:
        by_band.setdefault((b[1], b[3]), []).append(b)
    bands = []  # (top, bottom, cells, the cells' characters, their line centres)
    for top, bottom in itertools.pairwise(ys):
        band = by_band.get((top, bottom), [])
        rows = text[bisect.bisect_left(mids, top) : bisect.bisect_right(mids, bottom)]
        inside = {b: [c for c in rows if b[0] <= centre(c)[0] <= b[2]] for b in band}
        bands.append((top, bottom, band, inside, {b: _line_centres(inside[b]) for b in band}))
    lettered = [max(map(len, lines.values()), default=0) for *_, lines in bands]
    row_by_row = 2 * sum(1 for n in lettered if n > 1) < sum(1 for n in lettered if n)
    out: list[BBox] = []
    for top, bottom, band, inside, lines in bands:
        if len(band) < 2:
            out += band
            continue
        counts = [len(v) for v in lines.values() if v]
        k = max(counts, default=0)
        stacked = [b for b in band if len(lines[b]) == k]
        if k < 2 or len(stacked) < 2 or 2 * len(stacked) < len(counts):
            out += band
            continue
        if row_by_row and 2 * sum(1 for b in stacked if _figures(inside[b])) <= len(stacked):
            # In a grid ruled row by row a band of lines is a row whose cells wrap ("to
            # air" over "kg/year"), unless its cells are stacked figures (a sheet printed
            # from Excel, ruled under each quarter: "7,723,293" over "7,793,704").
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


#: The characters of a cell of figures: digits and what sets them.
_FIGURE_CHARS = frozenset("0123456789.,%()+-−–$€£")


def _figures(chars: list[dict]) -> bool:
    """Do ``chars`` (a cell's) hold figures only ("7,723,293", "(12.5)", "102.6%")?"""
    marks = [ch for c in chars for ch in c["text"] if not ch.isspace()]
    return bool(marks) and all(ch in _FIGURE_CHARS for ch in marks)


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


def _take_overhangs(
    beside: list[tuple[int, dict]],
    members: list[list[dict]],
    slots: dict[tuple[int, int], int],
    xs: list[float],
) -> None:
    """Give an edge cell the text that runs into it from beyond the grid.

    A text line that starts left of the first column rule (or ends right of the
    last) and runs on into the edge cell, with gaps no wider than
    ``OVERHANG_GAP`` text heights, belongs to that cell: a form's rule drawn
    through a word ("S|ubtract"), a label set over the table's edge. Without
    this its characters would land in no cell and be lost with the lines the
    table replaces.
    """
    if not beside:
        return
    last = len(xs) - 2
    reach = (OVERHANG_GAP + 1) * max(ch["bottom"] - ch["top"] for _, ch in beside)
    for side in (-1, 1):  # left of the grid, then right of it
        chain = sorted(
            ((r, ch) for r, ch in beside if (ch["x1"] + ch["x0"]) / 2 < xs[0])
            if side < 0
            else ((r, ch) for r, ch in beside if (ch["x1"] + ch["x0"]) / 2 > xs[-1]),
            key=lambda rc: -rc[1]["x1"] if side < 0 else rc[1]["x0"],
        )
        edge: dict[int, list[dict]] = {}  # per edge cell: its characters a chain can reach
        for r, ch in chain:
            cell_id = slots.get((r, 0 if side < 0 else last))
            if cell_id is None:
                continue
            if cell_id not in edge:
                edge[cell_id] = [
                    m
                    for m in members[cell_id]
                    if (m["x0"] - xs[0] if side < 0 else xs[-1] - m["x1"]) <= reach
                ]
            h = max(ch["bottom"] - ch["top"], 0.1)
            for m in edge[cell_id]:
                gap = m["x0"] - ch["x1"] if side < 0 else ch["x0"] - m["x1"]
                if -0.5 * h <= gap <= OVERHANG_GAP * h and same_line(m, ch):
                    members[cell_id].append(ch)
                    edge[cell_id].append(ch)
                    break


def build_cells(
    boxes: list[tuple], chars: list[dict], beside: list[dict] = (), grown: list | None = None
) -> list[TableCell] | None:
    """Cell boxes (x0, top, x1, bottom) + page chars → ``TableCell`` list with spans and text.

    ``beside``: characters of the rows' band beyond the grid's edges (any in the
    grid are ignored); those of lines that run into an edge cell join it, and short
    labels left of the grid, one a row, become its first column (``_stub_labels``),
    their box added to ``grown``.
    """
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
    outside: list[tuple[int, dict]] = []  # (row, char) left or right of the grid
    for ch in drop_leaders(chars):
        cx = (ch["x0"] + ch["x1"]) / 2
        cy = (ch["top"] + ch["bottom"]) / 2
        if not (xs[0] <= cx <= xs[-1] and ys[0] <= cy <= ys[-1]):
            continue
        r = bisect.bisect_right(ys, cy) - 1
        c = bisect.bisect_right(xs, cx) - 1
        cell_id = slots.get((r, c))
        if cell_id is not None:
            members[cell_id].append(ch)
    for ch in drop_leaders(list(beside)):
        cx = (ch["x0"] + ch["x1"]) / 2
        cy = (ch["top"] + ch["bottom"]) / 2
        if ys[0] <= cy <= ys[-1] and not xs[0] <= cx <= xs[-1]:
            outside.append((bisect.bisect_right(ys, cy) - 1, ch))
    _take_overhangs(outside, members, slots, xs)
    top_row = min(p[0] for p in placed)
    left_col = min(p[1] for p in placed)
    taken = {id(ch) for group in members for ch in group}
    left = [(r, ch) for r, ch in outside if id(ch) not in taken and ch["x1"] <= xs[0] + 1.0]
    stubs = _stub_labels(left)
    cells = []
    for (r0, c0, rs, cs, _), group in zip(placed, members, strict=True):
        turn = dominant_direction(group)
        if turn:  # a turned header in an upright table: read it upright
            group = [turn_char(c, turn, 0.0, 0.0) for c in group]
        lines = [rtl.visual_line(line) for line in _text(group).split("\n")] if group else []
        # A cell's lines join as a paragraph's do: "car-" + "nes" → "carnes", and no space
        # between two lines of Chinese or Japanese ("损" + "益的净利润").
        text = " ".join(join_lines(lines).split())
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
    if stubs and _labels_rows(stubs, cells, top_row):
        cells = [c.model_copy(update={"col": c.col + 1}) for c in cells]
        rows = {c.row for c in cells}
        cells += [
            TableCell(row=r, col=0, text=stubs.get(r + top_row, ""), header=r == 0)
            for r in sorted(rows)
        ]
        if grown is not None:
            grown += [(ch["x0"], ch["top"], ch["x1"], ch["bottom"]) for r, ch in left if r in stubs]
    heights = sorted(c["bottom"] - c["top"] for c in chars if c["text"].strip())
    if heights:
        least = SLIVER * heights[len(heights) // 2]
        widths = [xs[c + 1] - xs[c] for c in range(left_col, len(xs) - 1)]
        if stubs and any(c.col == 0 and c.text in stubs.values() for c in cells):
            widths = [least, *widths]  # the labels' column: never a sliver
        cells = _without_slivers(cells, widths, least)
        tall = [ys[r + 1] - ys[r] for r in range(top_row, len(ys) - 1)]
        if any(h < least for h in tall):  # a band thinner than a line: perhaps no row
            cells = _transposed(_without_slivers(_transposed(cells), tall, least))
    return cells


def _transposed(cells: list[TableCell]) -> list[TableCell]:
    """``cells`` with rows and columns swapped (for ``_without_slivers`` on rows)."""
    swap = ("row", "col"), ("col", "row"), ("row_span", "col_span"), ("col_span", "row_span")
    return [c.model_copy(update={a: getattr(c, b) for a, b in swap}) for c in cells]


#: Words a label set beside a ruled grid's row may hold (``_stub_labels``).
STUB_WORDS = 5


def _stub_labels(left: list[tuple[int, dict]]) -> dict[int, str]:
    """Row → the label set left of a ruled grid on that row's band, outside its rules (a
    tally sheet's precinct names, "Alcona", beside rows of boxed figures): one short line
    a row, or none at all where a row's band holds more (a column of prose beside the
    table)."""
    by_row: dict[int, list[dict]] = {}
    for r, ch in left:
        by_row.setdefault(r, []).append(ch)
    labels: dict[int, str] = {}
    for r, group in by_row.items():
        lines = [line for line in _text(group).split("\n") if line.strip()]
        if len(lines) != 1 or len(lines[0].split()) > STUB_WORDS:
            return {}
        labels[r] = " ".join(lines[0].split())
    return labels


def _labels_rows(stubs: dict[int, str], cells: list[TableCell], top_row: int) -> bool:
    """Do the labels beside the grid name its rows: three or more, on rows whose cells
    hold text, and most such rows below the first labelled?"""
    if len(stubs) < 3:
        return False
    filled = {c.row + top_row for c in cells if c.text.strip()}
    if not all(r in filled for r in stubs):
        return False
    below = [r for r in filled if r >= min(stubs)]
    return 2 * len(stubs) > len(below)


#: A column narrower than this share of the text's height that holds no text of its own
#: is a sliver between two rules drawn a little apart, not a column (``_without_slivers``).
SLIVER = 0.75


def _without_slivers(cells: list[TableCell], widths: list[float], least: float) -> list[TableCell]:
    """``cells`` without the columns narrower than ``least`` that hold no text in a cell of
    their own: two borders drawn a few points apart (a Word table's) leave a sliver
    column of empty cells, which would part every row's cells from their neighbours.
    The cells spanning it lose it from their span."""
    for col in sorted(range(len(widths)), reverse=True):
        if widths[col] >= least or any(c.text and c.col == col and c.col_span == 1 for c in cells):
            continue
        if not any(c.col <= col < c.col + c.col_span for c in cells):
            continue
        kept = []
        for c in cells:
            if c.col == col and c.col_span == 1:
                continue  # the sliver's own empty cell
            if c.col <= col < c.col + c.col_span:
                c = c.model_copy(update={"col_span": c.col_span - 1})
            elif c.col > col:
                c = c.model_copy(update={"col": c.col - 1})
            kept.append(c)
        if len({c.col for c in kept}) < 2:
            return cells  # a table of one column is no table: leave it as it was
        cells = kept
    return cells


#: A gap this share of a cell's text height or more, between two glyphs with no space
#: character between them, ends a word (``_text``).
CELL_WORD_GAP = 0.2


def _text(chars: list[dict]) -> str:
    """pdfplumber's text layout of a cell's characters, a gap of ``CELL_WORD_GAP`` of their
    height (3 points at most, pdfplumber's own tolerance) ending a word: a 5-point table's
    words are a point or so apart ("DISTRICTDIRECTOR" in the Senate's expenditure report),
    and Times sets its word space a quarter of an em wide, its glyphs' height ("Errorrate"
    in a pdfTeX paper's ruled table, which writes no space characters)."""
    sizes = sorted(c["bottom"] - c["top"] for c in chars if c["text"].strip())
    size = sizes[len(sizes) // 2] if sizes else 10.0
    from pdfplumber.utils import extract_text

    tolerance = min(3.0, CELL_WORD_GAP * size)
    return extract_text(_inline_scripts(_marks_on_letters(chars), size), x_tolerance=tolerance)


def _marks_on_letters(chars: list[dict]) -> list[dict]:
    """``chars`` with each combining mark put on the row of the letter it stands over or
    under (its top and bottom): Arabic's vowel signs and tanween are glyphs of their own,
    set higher or lower than the word, and the text layout had read "مرحباً" as a line
    "ً" over "مرحبا". The letter is the one its box overlaps most across, of those whose
    height it overlaps."""
    marks = [i for i, c in enumerate(chars) if c["text"] and unicodedata.combining(c["text"][0])]
    if not marks:
        return chars
    letters = [c for c in chars if c["text"].strip() and not unicodedata.combining(c["text"][0])]
    out = list(chars)
    for i in marks:
        c = chars[i]
        best: tuple[float, dict] | None = None
        for f in letters:
            across = min(f["x1"], c["x1"]) - max(f["x0"], c["x0"])
            if across > 0 and min(f["bottom"], c["bottom"]) > max(f["top"], c["top"]):
                if best is None or across > best[0]:
                    best = (across, f)
        if best is not None:
            out[i] = {**c, "top": best[1]["top"], "bottom": best[1]["bottom"]}
    return out


#: More small glyphs than this in one cell are a cell set in two sizes, not scripts.
MAX_SCRIPTS = 200


def _inline_scripts(chars: list[dict], size: float) -> list[dict]:
    """``chars`` with each super- or subscript put on the row of the full-size glyph beside
    it (its top and bottom), so that the text layout reads "H2O" and "x2", not "H O" and
    a "2" on a line of its own: a small glyph that overlaps a full-size glyph's height
    by a third of its own, with no more than half the text height between them."""
    small = [
        i
        for i, c in enumerate(chars)
        if c["text"].strip() and c["bottom"] - c["top"] < SCRIPT * size
    ]
    if not small or len(small) > MAX_SCRIPTS:
        return chars
    full = [c for c in chars if c["text"].strip() and c["bottom"] - c["top"] >= SCRIPT * size]
    out = list(chars)
    for i in small:
        c = chars[i]
        height = c["bottom"] - c["top"]
        best: tuple[float, dict] | None = None
        for f in full:
            if min(f["bottom"], c["bottom"]) - max(f["top"], c["top"]) <= height / 3:
                continue
            gap = max(f["x0"] - c["x1"], c["x0"] - f["x1"], 0.0)
            if gap <= 0.5 * size and (best is None or gap < best[0]):
                best = (gap, f)
        if best is not None:
            out[i] = {**c, "top": best[1]["top"], "bottom": best[1]["bottom"]}
    return out
