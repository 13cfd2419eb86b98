"""Tables found in an extraction's markdown, as grids of cells with spans and heading flags.

``tables_in(content)`` returns every markdown pipe table and every HTML
``<table>`` of a document's output as a ``Grid``: cells with their row,
column, spans and whether they are headings, plus a position map, so the
checks scorer (``bench.quality.checks``) can ask for a cell's neighbours
(``up``/``down``/``left``/``right``, spans respected, positions no cell
occupies passed over) and for the heading cells reached by walking up or left.

- Markdown: a run of two or more consecutive lines that hold a ``|``;
  delimiter rows (``|---|:--:|``) are dropped; ``\\|`` is a pipe inside a cell;
  the first row and the first column are headings.
- HTML: ``th`` cells and every cell inside ``<thead>`` are headings;
  ``rowspan``/``colspan`` occupy the positions they cover.

Cell texts are kept raw (the scorer normalises them). Inputs: markdown/HTML
text. Outputs: ``Grid`` objects.
"""

from __future__ import annotations

import html.parser
import logging
import re
from dataclasses import dataclass, field

_log = logging.getLogger(__name__)


_DIRECTIONS = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}


@dataclass
class Cell:
    """One table cell; ``row``/``col`` are its top-left position in the grid."""

    text: str
    row: int
    col: int
    row_span: int = 1
    col_span: int = 1
    heading: bool = False


@dataclass
class Grid:
    """A table: its cells and the cell index occupying each (row, col) position."""

    cells: list[Cell] = field(default_factory=list)
    at: dict[tuple[int, int], int] = field(default_factory=dict)
    height: int = 0
    width: int = 0

    def add(self, cell: Cell) -> None:
        index = len(self.cells)
        self.cells.append(cell)
        for r in range(cell.row, cell.row + cell.row_span):
            for c in range(cell.col, cell.col + cell.col_span):
                self.at.setdefault((r, c), index)
        self.height = max(self.height, cell.row + cell.row_span)
        self.width = max(self.width, cell.col + cell.col_span)

    def _step(self, index: int, direction: str) -> list[int]:
        """The nearest other cell in ``direction`` from each row/column the cell spans.

        Positions no cell occupies (short rows) are passed over.
        """
        cell = self.cells[index]
        dr, dc = _DIRECTIONS[direction]
        if dr:
            row = cell.row - 1 if dr < 0 else cell.row + cell.row_span
            starts = [(row, c) for c in range(cell.col, cell.col + cell.col_span)]
        else:
            col = cell.col - 1 if dc < 0 else cell.col + cell.col_span
            starts = [(r, col) for r in range(cell.row, cell.row + cell.row_span)]
        found: list[int] = []
        for r, c in starts:
            while 0 <= r < self.height and 0 <= c < self.width:
                other = self.at.get((r, c))
                if other is not None and other != index:
                    if other not in found:
                        found.append(other)
                    break
                r, c = r + dr, c + dc
        return found

    def neighbours(self, cell: Cell, direction: str) -> list[Cell]:
        """The cells adjacent to ``cell`` on one side (several when spans differ)."""
        if direction not in _DIRECTIONS:
            raise ValueError(f"unknown direction {direction!r}")
        return [self.cells[i] for i in self._step(self.cells.index(cell), direction)]

    def heading(self, cell: Cell, direction: str) -> list[Cell]:
        """The heading cells reached by walking up (``top``) or left (``left``) from ``cell``.

        Every heading cell met on the walk (through spans) counts; when there is
        none, the cells where the walk ends do.
        """
        step = "up" if direction == "top" else "left"
        start = self.cells.index(cell)
        seen, todo, heads, ends = {start}, [start], [], []
        while todo:
            current = todo.pop()
            if current != start and self.cells[current].heading:
                heads.append(current)
            following = self._step(current, step)
            if not following and current != start:
                ends.append(current)
            for n in following:
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return [self.cells[i] for i in (heads or ends)]


# ----------------------------------------------------------------- markdown


def _is_delimiter(line: str) -> bool:
    body = line.replace("|", "").strip()
    return bool(body) and all(ch in "-: " for ch in body)


def _split_row(line: str) -> list[str]:
    cells = [c.replace("\\|", "|").strip() for c in re.split(r"(?<!\\)\|", line)]
    if cells and cells[0] == "":
        cells = cells[1:]
    if cells and cells[-1] == "":
        cells = cells[:-1]
    return cells


def markdown_tables(content: str) -> list[Grid]:
    """Every pipe table in ``content``: runs of two or more lines that hold a ``|``."""
    grids: list[Grid] = []
    run: list[str] = []
    for line in [*content.strip().split("\n"), ""]:
        if "|" in line:
            run.append(line)
            continue
        if len(run) >= 2:
            rows = [_split_row(r) for r in run if not _is_delimiter(r)]
            grid = Grid()
            for r, row in enumerate(r for r in rows if r):
                for c, text in enumerate(row):
                    grid.add(Cell(text, r, c, heading=r == 0 or c == 0))
            if grid.cells:
                grids.append(grid)
        run = []
    return grids


# --------------------------------------------------------------------- HTML


class _HtmlTables(html.parser.HTMLParser):
    """Collects ``<table>`` elements (nested ones separately) as raw cell lists."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.done: list[list[list[tuple[str, int, int, bool]]]] = []
        self._stack: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag == "table":
            self._stack.append({"rows": [], "cell": None, "thead": False})
            return
        if not self._stack:
            return
        t = self._stack[-1]
        if tag == "thead":
            t["thead"] = True
        elif tag == "tr":
            self._close_cell(t)
            t["rows"].append([])
        elif tag in ("td", "th"):
            self._close_cell(t)
            if not t["rows"]:
                t["rows"].append([])
            a = dict(attrs)
            t["cell"] = {
                "text": [],
                "rs": _span(a.get("rowspan")),
                "cs": _span(a.get("colspan")),
                "head": tag == "th" or t["thead"],
            }
        elif tag == "br" and t["cell"] is not None:
            t["cell"]["text"].append(" ")

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if not self._stack:
            return
        t = self._stack[-1]
        if tag == "thead":
            t["thead"] = False
        elif tag in ("td", "th"):
            self._close_cell(t)
        elif tag == "table":
            self._close_cell(t)
            self.done.append(self._stack.pop()["rows"])

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1]["cell"] is not None:
            self._stack[-1]["cell"]["text"].append(data)

    @staticmethod
    def _close_cell(t: dict) -> None:
        cell = t["cell"]
        if cell is not None:
            t["rows"][-1].append(("".join(cell["text"]), cell["rs"], cell["cs"], cell["head"]))
            t["cell"] = None


def _span(value: str | None) -> int:
    try:
        return max(1, min(1000, int(value or 1)))
    except ValueError:
        return 1


def html_tables(content: str) -> list[Grid]:
    """Every HTML ``<table>`` in ``content``, spans placed on the grid."""
    if "<table" not in content.lower():
        return []
    parser = _HtmlTables()
    parser.feed(content)
    parser.close()
    grids = []
    for rows in parser.done:
        grid = Grid()
        for r, row in enumerate(rows):
            c = 0
            for text, rs, cs, head in row:
                while (r, c) in grid.at:
                    c += 1
                grid.add(Cell(text, r, c, rs, cs, heading=head))
                c += cs
        if grid.cells:
            grids.append(grid)
    return grids


def tables_in(content: str) -> list[Grid]:
    """Markdown pipe tables, then HTML tables, of one output."""
    return markdown_tables(content) + html_tables(content)
