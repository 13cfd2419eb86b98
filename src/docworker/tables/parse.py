"""Table parsers: tables written as text (HTML or markdown pipes) → ``contract.Table``.

- **HTML** (the VLM's ``<table>`` output): ``find_html_tables`` finds the
  top-level ``<table>...</table>`` spans of a text (nesting aware; an unclosed
  table runs to the end, a generation cut short), and ``parse_html_table``
  reads one with ``html.parser``: ``<th>`` and ``<thead>`` cells are headers,
  ``rowspan``/``colspan`` are honoured (capped), cells fill the first free grid
  position of their row as browsers do, and a nested table becomes text of
  its cell.
- **Pipe tables** (GitHub markdown): ``pipe_cells`` splits one row on its
  unescaped pipes (one outer pipe each side dropped, as GFM does);
  ``pipe_rows`` reads the rows of a pipe table whose cell counts differ (which
  CommonMark refuses: markdownify leaves ``|`` inside cells unescaped);
  ``pipe_table`` turns the VLM's pipe-table lines into a ``Table`` (first row
  the header, second the delimiter row, short rows padded).

Input: markup text. Output: ``contract.Table`` objects (no boxes: text has no
geometry), rendered by ``render`` like every other table path; or raw rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from docworker.contract import Table, TableCell
from docworker.tables import render

# ------------------------------------------------------------------------ HTML tables

_TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>", re.IGNORECASE)
_MAX_COLSPAN = 1000
_MAX_ROWSPAN = 65534
_MAX_CELLS = 100_000


def find_html_tables(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of top-level ``<table>...</table>`` in ``text``; nesting aware.

    An unclosed table runs to the end of the text (a generation cut short).
    """
    spans: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for match in _TABLE_TAG.finditer(text):
        if match.group(1) == "":
            if depth == 0:
                start = match.start()
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                spans.append((start, match.end()))
    if depth > 0:
        spans.append((start, len(text)))
    return spans


@dataclass
class _RawCell:
    header: bool
    row_span: int
    col_span: int
    parts: list[str] = field(default_factory=list)


def _span(value: str | None, cap: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), cap)


class _TableParser(HTMLParser):
    """Rows of raw cells from one table; nested tables become text of their cell."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[_RawCell]] = []
        self._depth = 0
        self._in_head = False
        self._cell: _RawCell | None = None

    def _close_cell(self) -> None:
        self._cell = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._depth += 1
            if self._depth > 1 and self._cell is not None:
                self._cell.parts.append(" ")
            return
        if self._depth != 1:
            if tag in ("br", "tr", "td", "th", "p", "div", "li") and self._cell is not None:
                self._cell.parts.append(" ")
            return
        if tag == "thead":
            self._in_head = True
        elif tag in ("tbody", "tfoot"):
            self._in_head = False
        elif tag == "tr":
            self._close_cell()
            self.rows.append([])
        elif tag in ("td", "th"):
            self._close_cell()
            if not self.rows:
                self.rows.append([])
            spans = dict(attrs)
            self._cell = _RawCell(
                header=tag == "th" or self._in_head,
                row_span=_span(spans.get("rowspan"), _MAX_ROWSPAN),
                col_span=_span(spans.get("colspan"), _MAX_COLSPAN),
            )
            self.rows[-1].append(self._cell)
        elif tag in ("br", "p", "div", "li") and self._cell is not None:
            self._cell.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._depth -= 1
            return
        if self._depth != 1:
            return
        if tag in ("td", "th", "tr"):
            self._close_cell()
        elif tag == "thead":
            self._in_head = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.parts.append(data)


def parse_html_table(markup: str) -> Table:
    """One ``<table>`` → ``contract.Table`` with cells placed on the grid (spans honoured).

    Cells are placed left to right into the first free grid position of their
    row, skipping positions covered by rowspans from above, as browsers do.
    Rowspans are clipped to the table's last row; the grid is capped at
    ``_MAX_CELLS`` positions.
    """
    parser = _TableParser()
    parser.feed(markup)
    parser.close()
    raw_rows = [row for row in parser.rows if row] or []
    n_rows = len(raw_rows)
    occupied: set[tuple[int, int]] = set()
    cells: list[TableCell] = []
    n_cols = 0
    for r, row in enumerate(raw_rows):
        c = 0
        for raw in row:
            while (r, c) in occupied:
                c += 1
            row_span = min(raw.row_span, n_rows - r)
            col_span = raw.col_span
            if len(occupied) + row_span * col_span > _MAX_CELLS:
                row_span, col_span = 1, 1
            text = " ".join("".join(raw.parts).split())
            cells.append(
                TableCell(
                    row=r, col=c, text=text, row_span=row_span, col_span=col_span, header=raw.header
                )
            )
            for rr in range(r, r + row_span):
                for cc in range(c, c + col_span):
                    occupied.add((rr, cc))
            c += col_span
            n_cols = max(n_cols, c)
    return render.table(cells, n_rows, n_cols)


# ------------------------------------------------------------------------ pipe tables

#: A GFM delimiter row (``|---|:--:|``), matched against a stripped line.
PIPE_DELIMITER_ROW = re.compile(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def pipe_cells(line: str) -> list[str]:
    """One pipe-table row → its cells' raw markdown, stripped (escaped pipes kept)."""
    s = line.strip()
    s = s[1:] if s.startswith("|") else s
    s = s[:-1] if s.endswith("|") and not s.endswith("\\|") else s
    return [c.strip() for c in _UNESCAPED_PIPE.split(s)]


def pipe_rows(source: str) -> list[list[str]] | None:
    """Rows of cells (raw markdown) of a pipe table read line by line; None if it is not one.

    Every non-blank line must start with ``|`` and the second must be a
    delimiter row, which is left out. Rows keep their own cell counts.
    """
    lines = [line for line in source.split("\n") if line.strip()]
    if len(lines) < 2 or not all(line.lstrip().startswith("|") for line in lines):
        return None
    if not PIPE_DELIMITER_ROW.fullmatch(lines[1].strip()):
        return None
    return [pipe_cells(line) for line in lines[:1] + lines[2:]]


def pipe_table(lines: list[str]) -> Table:
    """The VLM's pipe-table lines (header, delimiter row, body) → ``Table``, short rows padded.

    Unlike ``pipe_cells``, every outer pipe of a row is dropped (``strip("|")``).
    """
    rows = [
        [cell.strip() for cell in _UNESCAPED_PIPE.split(line.strip().strip("|"))]
        for i, line in enumerate(lines)
        if i != 1
    ]
    width = max(len(r) for r in rows)
    grid = [r + [""] * (width - len(r)) for r in rows]
    cells = [
        TableCell(row=i, col=j, text=c, header=i == 0)
        for i, r in enumerate(grid)
        for j, c in enumerate(r)
    ]
    return render.table(cells, len(grid), width)
