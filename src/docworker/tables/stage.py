"""Table stage: tables of a digital PDF page, read from its text layer.

The page's characters and vector graphics come from pdfium (``objects``),
the library that already read the page's text: no second PDF parser.
``TableStage.find`` wires the finders of this package together:

1. ``rulings``: lines, rectangles and fills → rulings;
2. ``ruled``: groups of crossing rulings → cell boxes, one list per grid;
   grids crossed by many slanted strokes (charts, hatching) are skipped, and a
   grid whose characters cover less than ``MIN_DENSITY`` of its box (a drawing
   with labels), or whose cells hold running text (but for one column of notes
   beside several filled ones, ``_running_text``), is no table;
3. ``cells``: cell boxes + characters → ``TableCell`` (a ruled table turned
   on the page is read on coordinates turned upright, ``turned``);
4. ``stream``: the characters no ruled table took, per text direction, →
   ``words`` → stream tables, whose boxes are turned back to the page.

Every table is kept only with two rows, two columns and enough filled cells;
a right-to-left table's columns are numbered from the right.

Most pages hold no table, so the work is gated in two steps, cheapest first:

- ``wanted(graphics, lines)``, from what the text layer already read: enough
  path segments for a ruled table (``PageView.graphics``), or pdfium text
  lines that look tabular (four lines mostly of numbers, or four rows of four
  pieces set apart). A page failing it never opens here.
- ``__call__(..., lines)``: the page's paths (``PageView.objects``, read by
  the page decoder) become rulings; without a group of crossing rulings that
  could frame a table (``ruled.frames``) and that the text lines letter
  (their boxes cover ``MIN_LETTERED`` of the group's box: a figure's grid
  with a few labels does not), and without tabular-looking lines, the
  characters are never read and no finder runs. The stream finder runs only
  where the lines look tabular. ``counts`` records how far each page got
  (tests count it).

Scanned tables are not found here (``scanned``).

Input: the PDF's path/password and a page number (and its text lines).
Output: ``contract.Table`` objects, boxes in the displayed page's points
(origin top-left).
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from docworker.contract import Table, TableCell
from docworker.decode import rtl
from docworker.decode.pdfobjects import PAPER, PageObjects, backdrops, read_objects
from docworker.geometry import BBox, Word, area, union
from docworker.tables import render
from docworker.tables.cells import build_cells, split_stacked_rows
from docworker.tables.objects import characters
from docworker.tables.pairs import MAX_FIGURES, MIN_GAP, MIN_PAIRS, counted, value_text
from docworker.tables.ruled import frames, ruled_grids
from docworker.tables.rulings import THIN, TOL, Seg, rulings, slanted_strokes
from docworker.tables.stream import stream_tables
from docworker.tables.turned import (
    direction,
    dominant_direction,
    turn_box,
    turn_char,
    turned_rules,
    unturn_box,
)
from docworker.tables.words import (
    NUMBER,
    WORDISH,
    centre,
    word_rows,
    words_and_leaders,
    words_of,
)

_log = logging.getLogger(__name__)

MIN_DENSITY = 0.06  # share of a ruled table's box that its characters' boxes cover
#: Cells a ruled grid sparser than ``MIN_DENSITY`` needs to be looked at as a form of
#: mostly empty cells (``_sparse_table``).
SPARSE_BOXES = 24
#: Share of a ruling group's box that the text layer's line pieces must cover before
#: the page's characters are read for it: half of ``MIN_DENSITY`` (a piece's box is
#: at least its characters' boxes; on the corpus real tables cover 0.07 and more).
MIN_LETTERED = 0.5 * MIN_DENSITY


@dataclass
class _Open:
    key: tuple[str, str | None]
    pdf: Any


class TableStage:
    """Finds ruled and stream tables; keeps the last opened PDF between pages.

    ``counts``: pages asked for (``asked``), turned away by their rulings and
    lines before any character was read (``no_grid``), and run through the
    finders (``found``).
    """

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
        self.counts = {"asked": 0, "no_grid": 0, "found": 0}

    def wanted(self, graphics: int, lines: Sequence[Any] = ()) -> bool:
        """Is a table possible on a page with ``graphics`` path segments and these text lines?

        12 segments are about three rectangles or six separate rules. Without
        them, only text lines (pdfium's, ``.text`` and top-left ``.bbox``) that
        look like a stream table's rows send the page on.
        """
        if graphics >= self.min_graphics:
            return True
        return self.stream and looks_tabular(lines)

    def _pdf(self, path: str, password: str | None) -> Any:
        import pypdfium2 as pdfium

        key = (path, password)
        if self._open is not None and self._open.key == key:
            return self._open.pdf
        self.close()
        pdf = pdfium.PdfDocument(path, password=password or None)
        self._open = _Open(key, pdf)
        return pdf

    def close(self) -> None:
        if self._open is not None:
            try:
                self._open.pdf.close()
            except Exception:  # closing only frees memory
                _log.debug("closing the table stage's PDF failed", exc_info=True)
            finally:
                self._open = None

    def __call__(
        self,
        path: str,
        password: str | None,
        number: int,
        lines: Sequence[Any] | None = None,
        objects: PageObjects | None = None,
        textpage: Any = None,
    ) -> list[Table]:
        """The tables of page ``number``; with ``lines`` (the page's text lines), gated first.

        ``objects``: the page's graphics as the page decoder read them
        (``PageView.objects``); without them the page's objects are read here.
        ``textpage``: the page's open pdfium text page, which the decoder kept
        (``PdfHandle.kept_text``); the characters are read from it, once past the
        gate. Without it the page is opened here to read them. Without ``lines``
        every finder runs (tests, tools).
        """
        self.counts["asked"] += 1
        page = None
        try:
            if objects is None:
                page = self._page(path, password, number)
                if page is None:
                    return []
                objects = read_objects(page)
            found = objects
            rects = framed_fills(found.lines, found.rects, found.curves, found.width, found.height)
            hs, vs = rulings(found.lines, rects, found.curves, found.width, found.height)
            stream = self.stream
            if lines is not None:
                stream = self.stream and looks_tabular(lines)
                if not stream and not any(_lettered(f, lines) for f in frames(hs, vs)):
                    self.counts["no_grid"] += 1
                    return []
            own = None  # a text page opened here, closed here
            if textpage is None:
                if page is None:
                    page = self._page(path, password, number)
                    if page is None:
                        return []
                textpage = own = page.get_textpage()
            try:
                chars = characters(textpage, found.frame, backdrops(found))
            finally:
                if own is not None:
                    own.close()
            self.counts["found"] += 1
            return self._find(
                chars, found.lines, found.curves, hs, vs, found.width, found.height, stream
            )
        except Exception as e:  # a bad page must not fail the page's text
            _log.warning("table analysis failed on page %d (%s)", number, type(e).__name__)
            return []
        finally:
            if page is not None:
                page.close()

    def _page(self, path: str, password: str | None, number: int) -> Any:
        try:
            return self._pdf(path, password)[number - 1]
        except Exception as e:  # pdfium raises its own error on odd files
            _log.warning("table finder failed on page %d (%s)", number, type(e).__name__)
            return None

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
        hs, vs = rulings(lines, rects, curves, width, height)
        return self._find(chars, lines, curves, hs, vs, width, height)

    def _find(
        self,
        chars: list[dict],
        lines: list[dict],
        curves: list[dict],
        hs: list[Seg],
        vs: list[Seg],
        width: float,
        height: float,
        stream: bool | None = None,
    ) -> list[Table]:
        chars = [c for c in chars if c.get("text", "").strip() or c.get("text") == " "]
        chars = rtl.split_ligatures(chars)  # right-to-left text: all in visual order
        tables: list[Table] = []
        cache: list[list[Word]] = []

        def upright_words() -> list[Word]:
            if not cache:
                cache.append(words_of([c for c in chars if direction(c) == 0]))
            return cache[0]

        slanted = slanted_strokes(lines, curves)
        grids = [(boxes, union(boxes)) for boxes in ruled_grids(hs, vs, chars, upright_words)]
        found: dict[int, Table] = {}
        # The smallest grids first: a table drawn inside another's cell is its own table,
        # and its text is not the outer cell's too (it had come twice: "tableception").
        for k in sorted(range(len(grids)), key=lambda k: area(grids[k][1])):
            boxes, frame = grids[k]
            if sum(1 for p in slanted if _in_box(p, frame)) >= 10:
                continue  # a chart or a drawing: plotted curves, hatching
            nested = [
                found[j].bbox
                for j in found
                if found[j].bbox is not None and _nested(grids[j][1], frame)
            ]
            table = self._ruled_table(boxes, chars, width, height, nested)
            if table is not None:
                found[k] = table
        tables.extend(found[k] for k in sorted(found))
        if not (self.stream if stream is None else stream):
            return tables
        taken = [t.bbox for t in tables if t.bbox is not None]
        free = [c for c in chars if not _in_any(centre(c), taken)]
        by_dir: dict[int, list[dict]] = {}
        for c in free:
            by_dir.setdefault(direction(c), []).append(c)
        for rot, group in sorted(by_dir.items(), key=lambda kv: -len(kv[1])):
            if sum(1 for c in group if c["text"].strip()) < 40:
                continue
            turned = [turn_char(c, rot, width, height) for c in group]
            rules = turned_rules(hs, vs, rot, width, height)
            words, leaders = words_and_leaders(turned)
            for box, cells in stream_tables(word_rows(words), rules, leaders):
                table = self._table(cells, unturn_box(box, rot, width, height))
                if table is not None:
                    tables.append(table)
        return tables

    def _ruled_table(
        self,
        boxes: list[BBox],
        chars: list[dict],
        width: float,
        height: float,
        nested: Sequence[BBox] = (),
    ) -> Table | None:
        """The table of one ruled grid, or None. ``nested``: the boxes of tables found
        inside its cells, whose characters count towards its ink but are not its cells'."""
        bbox = union(boxes)
        inside = [c for c in chars if _in_box(centre(c), bbox)]
        inked = sum(
            (c["x1"] - c["x0"]) * (c["bottom"] - c["top"]) for c in inside if c["text"] != " "
        )
        sparse = inked < MIN_DENSITY * (bbox[2] - bbox[0]) * (bbox[3] - bbox[1])
        if sparse and len(boxes) < SPARSE_BOXES:
            return None  # a drawing with a few labels (the sparsest real tables hold ~0.12)
        if nested:
            inside = [c for c in inside if not _in_any(centre(c), nested)]
        rot = dominant_direction(inside)
        if rot:
            boxes = [turn_box(b, rot, width, height) for b in boxes]
            inside = [turn_char(c, rot, width, height) for c in inside]
        beside = [] if rot else [c for c in chars if bbox[1] <= centre(c)[1] <= bbox[3]]
        grown: list[BBox] = []  # the labels beside the grid that became its first column
        cells = build_cells(split_stacked_rows(boxes, inside), inside, beside, grown)
        if cells is None or (sparse and not _sparse_table(cells)):
            return None
        if grown:
            bbox = union([bbox, *grown])
        if not rot:
            cells, bbox = lift_title(cells, boxes, bbox)
        if _running_text(cells):
            return None  # boxes of running text (a page layout), not a table
        if _undivided(cells):
            return None  # rules around rows only: the stream finder reads the columns
        return self._table(cells, bbox, sparse)

    def _table(self, cells: list[TableCell], bbox: BBox, sparse: bool = False) -> Table | None:
        """``cells`` as a table, or None with too few rows, columns or filled cells (a sparse
        grid, ``_sparse_table``, has passed its own test of filled cells)."""
        n_rows = max(c.row + c.row_span for c in cells)
        n_cols = max(c.col + c.col_span for c in cells)
        if rtl.rtl_page(c.text for c in cells):
            for c in cells:  # a right-to-left table's first column is its rightmost
                c.col = n_cols - c.col - c.col_span
        filled = sum(1 for c in cells if c.text)
        if n_rows < 2 or n_cols < 2 or filled < self.min_filled_cells:
            return None
        if len({c.col for c in cells if c.text.strip()}) < 2:
            return None  # text in one column only: lines boxed one by one (white fills)
        if not any(ch.isalnum() for c in cells for ch in c.text):
            return None  # marks in a drawn grid, no word or figure: a figure's lattice
        if filled / len(cells) < self.min_fill and not sparse:
            return None
        box = tuple(round(float(v), 2) for v in bbox)
        return render.table(cells, n_rows, n_cols, box, layout=True)  # type: ignore[arg-type]


def _white(r: dict) -> bool:
    color = r.get("non_stroking_color")
    return (
        bool(r.get("fill"))
        and not r.get("stroke")
        and color is not None
        and min(color[:3]) >= PAPER
    )


def framed_fills(
    lines: list[dict], rects: list[dict], curves: list[dict], width: float, height: float
) -> list[dict]:
    """``rects`` without the white fills outside every frame of the page's other rulings.

    Word paints a paragraph's background white as it paints a table's cells, and on
    bare paper the edges of such a fill are no rule anyone sees: round a table's title
    (camelot's twotables_2.pdf) they had made the title a row of the grid and the
    fill's wider sides two columns of nothing. White fills inside a frame that seen
    rules and fills draw stay, as the cells they paint, and so do those painted on a
    fill of colour (white rules or cells over a band of colour: they are seen)."""
    white = [
        r for r in rects if _white(r) and r["x1"] - r["x0"] > THIN and r["bottom"] - r["top"] > THIN
    ]
    if not white:
        return rects
    seen = [r for r in rects if not _white(r)]
    boxes = frames(*rulings(lines, seen, curves, width, height))
    boxes += [
        (r["x0"], r["top"], r["x1"], r["bottom"])
        for r in seen
        if r.get("fill") and min(r["x1"] - r["x0"], r["bottom"] - r["top"]) > THIN
    ]
    outside = {
        id(r)
        for r in white
        if not any(
            x0 - TOL <= (r["x0"] + r["x1"]) / 2 <= x1 + TOL
            and y0 - TOL <= (r["top"] + r["bottom"]) / 2 <= y1 + TOL
            for x0, y0, x1, y1 in boxes
        )
    }
    return [r for r in rects if id(r) not in outside] if outside else rects


def lift_title(
    cells: list[TableCell], boxes: list[BBox], bbox: BBox
) -> tuple[list[TableCell], BBox]:
    """A ruled table without its title row: ``(cells, bbox)``.

    A first row that is one cell across the whole table, over a row of two
    cells or more ("Table 5: Public Health Outlay 2012-13" over "States |
    Revenue | Capital | Total"), is the table's title, not its header: the
    cells move up a row, the row under it becomes the header, and the box
    shrinks to the cells under the title's, so that the title's line is read
    as the paragraph (or caption) over the table. A spanning row further down
    (a section of the table) stays.
    """
    n_rows = max(c.row + c.row_span for c in cells)
    n_cols = max(c.col + c.col_span for c in cells)
    first = [c for c in cells if c.row == 0]
    if n_rows < 3 or n_cols < 2 or len(first) != 1 or first[0].col_span != n_cols:
        return cells, bbox
    if first[0].row_span != 1 or sum(1 for c in cells if c.row == 1 and c.text) < 2:
        return cells, bbox
    top = min(b[1] for b in boxes)
    bottom = max(b[3] for b in boxes if b[1] - top < 1.0)
    rest = [b for b in boxes if b[1] >= bottom - 1.0]
    if not rest:
        return cells, bbox
    lifted = [c.model_copy(update={"row": c.row - 1, "header": c.row == 1}) for c in cells if c.row]
    return lifted, union(rest)


def _sparse_table(cells: list[TableCell]) -> bool:
    """Is a grid of mostly empty cells a table all the same: a tally sheet's rows of
    "0" under its candidates' columns, a quarter of its cells or fewer filled? Its filled
    cells, ``SPARSE_FILLED`` or more, hold a few words each and fill three rows or more
    in two columns or more; a drawing's grid keeps its labels outside it."""
    filled = [c for c in cells if c.text.strip()]
    short = sum(1 for c in filled if len(c.text.split()) <= 4)
    return (
        len(filled) >= SPARSE_FILLED
        and 5 * short >= 4 * len(filled)
        and len({c.row for c in filled}) >= 3
        and len({c.col for c in filled}) >= 2
    )


#: Filled cells a grid sparser than ``MIN_DENSITY`` needs to be a table.
SPARSE_FILLED = 12


#: A cell of more words than this holds running text (``_running_text``).
LONG_CELL = 30
#: Columns a grid needs for one column of running text in it to be a table's notes.
NOTES_COLUMNS = 4


def _running_text(cells: list[TableCell]) -> bool:
    """Are ``cells`` boxes of running text (a page laid out in frames), not a table: do
    cells of over ``LONG_CELL`` words hold most of its words? Not where they all lie in
    one column of a grid of ``NOTES_COLUMNS`` or more whose other columns are filled
    too: a table with a column of comments (an outbreak report's "Action taken")."""
    sizes = [sum(1 for t in c.text.split() if WORDISH.search(t)) for c in cells]
    long = [c for c, n in zip(cells, sizes, strict=True) if n > LONG_CELL]
    if 2 * sum(n for n in sizes if n > LONG_CELL) <= sum(sizes):
        return False
    columns = {c.col for c in long}
    if len(columns) > 1 or any(c.col_span > 1 for c in long):
        return True
    others = {c.col for c, n in zip(cells, sizes, strict=True) if n and c.col not in columns}
    return len(others) + 1 < NOTES_COLUMNS or max(c.col + c.col_span for c in cells) < NOTES_COLUMNS


def _undivided(cells: list[TableCell]) -> bool:
    """Do the rules miss columns? In some column most body cells hold two numbers
    or more side by side ("7,389,208 3,027,153"): a table ruled between rows
    (and around a few columns) whose other columns only whitespace parts. Numbers
    with a word between them are one cell's range ("2.12.2009 to 19.12.2009")."""
    columns: dict[int, list[int]] = {}
    for cell in cells:
        if not cell.header and cell.text:
            tokens = _grouped(cell.text.split())
            numeric = [bool(NUMBER.match(t)) for t in tokens]
            side_by_side = any(a and b for a, b in itertools.pairwise(numeric))
            columns.setdefault(cell.col, []).append(
                side_by_side and 2 * sum(numeric) >= len(tokens)
            )
    return any(
        (len(v) >= UNDIVIDED_ROWS and 2 * sum(v) > len(v)) or (len(v) >= MIN_ROWS_ALL and all(v))
        for v in columns.values()
    )


#: Body cells a column needs for ``_undivided``'s majority; with fewer (a paper's table
#: of three rows, "98.4 712" in each cell under "CS"), every one of at least
#: ``MIN_ROWS_ALL`` must hold numbers side by side.
UNDIVIDED_ROWS = 6
MIN_ROWS_ALL = 3


_GROUP = re.compile(r"\d{3}")
_LEADING_GROUPS = re.compile(r"\d{1,3}(?: \d{3})*")


def _grouped(tokens: list[str]) -> list[str]:
    """Tokens with a number whose thousands are parted by spaces made one ("10 000",
    "1 250 000"; two numbers side by side, "7,389,208 3,027,153", stay two)."""
    out: list[str] = []
    for token in tokens:
        if out and _GROUP.fullmatch(token) and _LEADING_GROUPS.fullmatch(out[-1]):
            out[-1] += " " + token
        else:
            out.append(token)
    return out


# ------------------------------------------------------------ the cheap gate


#: A dot leader, then two figures or more to the line's end ("Any Injury ..... 1.9 2.1").
_FIGURE = NUMBER.pattern.strip("^$")
LED_FIGURES = re.compile(rf"(?:\.\s?){{4,}}\s*(?:{_FIGURE}\s+)+{_FIGURE}\s*$")


def looks_tabular(lines: Sequence[Any]) -> bool:
    """Do pdfium's text lines hint at a stream table (cheap, no pdfminer)?

    Four lines that are mostly numbers (three or more), four lines whose label a dot
    leader leads to two figures or more, four rows (lines sharing a baseline) of
    four or more pieces a text height apart or more, or four rows of a label and one
    or two figures far right of it (``pairs``).
    """
    hits = 0
    for line in lines:
        tokens = line.text.split()
        numbers = sum(1 for t in tokens if NUMBER.match(t))
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
    pieced = led = 0
    pairs: list[list[str]] = []
    for row in rows:
        dotted = any("...." in ln.text or ". . ." in ln.text for ln in row)
        if dotted:
            row.sort(key=lambda ln: ln.bbox[0])
            if LED_FIGURES.search(" ".join(ln.text for ln in row)):
                led += 1
                if led >= 4:
                    return True
        if 2 <= len(row) <= MAX_FIGURES + 1 and not dotted:  # (led rows: the leaders' test)
            label, *figures = sorted(row, key=lambda ln: ln.bbox[0])
            height = label.bbox[3] - label.bbox[1]
            tokens = [ln.text.split() for ln in figures]
            if figures[0].bbox[0] - label.bbox[2] >= MIN_GAP * height and all(
                value_text(ts) for ts in tokens
            ):
                pairs.append(tokens[0])  # a label and its figures (``pairs``)
        if len(row) < 4:
            continue
        row.sort(key=lambda ln: ln.bbox[0])
        height = row[0].bbox[3] - row[0].bbox[1]
        apart = 1 + sum(1 for a, b in itertools.pairwise(row) if b.bbox[0] - a.bbox[2] >= height)
        pieced += apart >= 4
    return pieced >= 4 or (len(pairs) >= MIN_PAIRS and not counted(pairs))


def _lettered(frame: BBox, lines: Sequence[Any]) -> bool:
    """Do the text lines centred in ``frame`` cover ``MIN_LETTERED`` of it (not a figure)?"""
    x0, y0, x1, y1 = frame
    covered = 0.0
    for line in lines:
        a, b, c, d = line.bbox
        if x0 <= (a + c) / 2 <= x1 and y0 <= (b + d) / 2 <= y1:
            covered += (c - a) * (d - b)
    return covered >= MIN_LETTERED * area(frame)


def _in_box(p: tuple[float, float], b: BBox) -> bool:
    return b[0] <= p[0] <= b[2] and b[1] <= p[1] <= b[3]


def _nested(inner: BBox, outer: BBox, slack: float = 1.0) -> bool:
    """Does the frame ``inner`` lie inside ``outer``, and is it smaller?"""
    return (
        outer[0] - slack <= inner[0]
        and outer[1] - slack <= inner[1]
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
        and area(inner) < area(outer)
    )


def _in_any(p: tuple[float, float], boxes: Iterable[BBox]) -> bool:
    return any(_in_box(p, b) for b in boxes)
