"""Tables found in an extraction's markdown, as grids of cells with spans and heading flags.

``tables_in(content)`` returns every markdown pipe table and every HTML
``<table>`` of a document's output as a ``Grid``: cells with their row,
column, spans and whether they are headings, plus a position map, so the
checks scorer (``bench.quality.checks``) can ask for a cell's neighbours
(``up``/``down``/``left``/``right``, spans respected) and for the heading cells
reached by walking up or left.

- Markdown: a run of consecutive lines that start with ``|``; delimiter rows
  (``|---|:--:|``) are dropped; the first row and the first column are headings.
- HTML: ``th`` cells and every cell inside ``<thead>`` are headings;
  ``rowspan``/``colspan`` occupy the positions they cover.

Cell texts are kept raw (the scorer normalises them). Inputs: markdown/HTML
text. Outputs: ``Grid`` objects.
"""

from __future__ import annotations

import html.parser
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_log = logging.getLogger(__name__)


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
    markdown: bool = False

    def add(self, cell: Cell) -> None:
        index = len(self.cells)
        self.cells.append(cell)
        for r in range(cell.row, cell.row + cell.row_span):
            for c in range(cell.col, cell.col + cell.col_span):
                self.at.setdefault((r, c), index)

    def _cells_at(self, positions: Iterator[tuple[int, int]]) -> list[Cell]:
        seen: list[int] = []
        for pos in positions:
            index = self.at.get(pos)
            if index is not None and index not in seen:
                seen.append(index)
        return [self.cells[i] for i in seen]

    def neighbours(self, cell: Cell, direction: str) -> list[Cell]:
        """The cells adjacent to ``cell`` on one side (several when spans differ)."""
        rows = range(cell.row, cell.row + cell.row_span)
        cols = range(cell.col, cell.col + cell.col_span)
        if direction == "up":
            return self._cells_at((cell.row - 1, c) for c in cols)
        if direction == "down":
            return self._cells_at((cell.row + cell.row_span, c) for c in cols)
        if direction == "left":
            return self._cells_at((r, cell.col - 1) for r in rows)
        if direction == "right":
            return self._cells_at((r, cell.col + cell.col_span) for r in rows)
        raise ValueError(f"unknown direction {direction!r}")

    def heading(self, cell: Cell, direction: str) -> list[Cell]:
        """The heading cells reached by walking up (``top``) or left (``left``) from ``cell``.

        Markdown: the first row's (or first column's) cell. HTML: the nearest
        heading cell with text on the walk; when none, the cell at the walk's end.
        """
        found: list[Cell] = []
        lanes = (
            range(cell.col, cell.col + cell.col_span)
            if direction == "top"
            else range(cell.row, cell.row + cell.row_span)
        )
        for lane in lanes:
            start = cell.row if direction == "top" else cell.col
            walk = self._cells_at(
                ((i, lane) if direction == "top" else (lane, i)) for i in range(start - 1, -1, -1)
            )
            walk = [c for c in walk if c is not cell]
            if not walk:
                continue
            if self.markdown:
                target = walk[-1]
            else:
                named = [c for c in walk if c.heading and c.text.strip()]
                target = named[0] if named else walk[-1]
            if target not in found:
                found.append(target)
        return found


# ----------------------------------------------------------------- markdown

_DELIMITER = re.compile(r"^\s*:?-+:?\s*$")


def _split_row(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells = re.split(r"(?<!\\)\|", body)
    return [c.replace("\\|", "|").strip() for c in cells]


def markdown_tables(content: str) -> list[Grid]:
    """Every pipe table in ``content`` (runs of lines starting with ``|``)."""
    grids: list[Grid] = []
    run: list[str] = []
    for line in [*content.split("\n"), ""]:
        if line.strip().startswith("|"):
            run.append(line)
            continue
        if run:
            rows = [_split_row(r) for r in run]
            rows = [r for r in rows if not all(_DELIMITER.match(c) for c in r)]
            if rows:
                grid = Grid(markdown=True)
                for r, row in enumerate(rows):
                    for c, text in enumerate(row):
                        grid.add(Cell(text, r, c, heading=r == 0 or c == 0))
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
        for t in self._stack:
            if t["cell"] is not None:
                t["cell"]["text"].append(data)

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
