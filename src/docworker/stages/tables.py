"""Table stage: ruled tables of a digital PDF page, read from its text layer.

pdfplumber's table finder (pdfminer.six underneath) turns the page's ruling
lines and rectangles into a cell grid; each character of the page is then
assigned to the cell holding its centre, and a cell's text is laid out with
pdfplumber's own text extraction. Spanning cells keep their span.

pdfminer parses a page far more slowly than pdfium, so the caller runs this
stage only on pages with enough vector graphics to hold a ruled table
(``PageView.graphics``, path segments). Tables without rulings (whitespace-separated
"stream" tables) and scanned tables are not found here.

Input: the PDF's path/password and a page number. Output: ``contract.Table``
objects, boxes in the displayed page's points (origin top-left).
"""

from __future__ import annotations

import bisect
import html
import logging
from dataclasses import dataclass
from typing import Any

from docworker.contract import Table, TableCell

_log = logging.getLogger(__name__)


@dataclass
class _Open:
    key: tuple[str, str | None]
    pdf: Any


class TableStage:
    """Finds ruled tables with pdfplumber; keeps the last opened PDF between pages."""

    name = "tables"

    def __init__(self, min_graphics: int = 12, min_filled_cells: int = 4, min_fill: float = 0.2):
        self.min_graphics = min_graphics
        self.min_filled_cells = min_filled_cells
        self.min_fill = min_fill
        self._open: _Open | None = None

    def wanted(self, graphics: int) -> bool:
        """Is a ruled table possible on a page with ``graphics`` path segments?

        12 segments are about three rectangles or six separate rules.
        """
        return graphics >= self.min_graphics

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
            found = page.find_tables()
            chars = page.chars
        except Exception as e:  # pdfminer raises many unrelated types on odd files
            _log.warning("table finder failed on page %d (%s)", number, type(e).__name__)
            return []
        tables = []
        for candidate in found:
            table = self._build(candidate.cells, chars, candidate.bbox)
            if table is not None:
                tables.append(table)
        try:
            page.close()
        except Exception:  # closing only frees caches
            _log.debug("page close failed", exc_info=True)
        return tables

    def _build(self, boxes: list[tuple], chars: list[dict], bbox: tuple) -> Table | None:
        cells = build_cells(boxes, chars)
        if cells is None:
            return None
        n_rows = max(c.row + c.row_span for c in cells)
        n_cols = max(c.col + c.col_span for c in cells)
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
            markdown=to_markdown(cells, n_rows, n_cols),
            html=to_html(cells),
        )


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
        text = " ".join(extract_text(group).split()) if group else ""
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


def _grid(cells: list[TableCell], n_rows: int, n_cols: int) -> list[list[str]]:
    grid = [["" for _ in range(n_cols)] for _ in range(n_rows)]
    for cell in cells:
        grid[cell.row][cell.col] = cell.text
    return grid


def to_markdown(cells: list[TableCell], n_rows: int, n_cols: int) -> str:
    """A GitHub-style pipe table; the first row is the header, spans leave empty cells."""
    grid = _grid(cells, n_rows, n_cols)

    def row(values: list[str]) -> str:
        return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"

    lines = [row(grid[0]), "|" + "---|" * n_cols]
    lines += [row(r) for r in grid[1:]]
    return "\n".join(lines)


def to_html(cells: list[TableCell]) -> str:
    """``<table>`` with ``rowspan``/``colspan``; header-row cells are ``<th>``."""
    rows: dict[int, list[TableCell]] = {}
    for cell in cells:
        rows.setdefault(cell.row, []).append(cell)
    out = ["<table>"]
    for r in sorted(rows):
        parts = []
        for cell in sorted(rows[r], key=lambda c: c.col):
            tag = "th" if cell.header else "td"
            attrs = ""
            if cell.row_span > 1:
                attrs += f' rowspan="{cell.row_span}"'
            if cell.col_span > 1:
                attrs += f' colspan="{cell.col_span}"'
            parts.append(f"<{tag}{attrs}>{html.escape(cell.text)}</{tag}>")
        out.append("<tr>" + "".join(parts) + "</tr>")
    out.append("</table>")
    return "".join(out)
