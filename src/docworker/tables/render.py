"""A ``contract.Table``'s markdown and HTML, written one way for every stage.

The text-layer, scanned, VLM and Office table paths all build cells
(``contract.TableCell``, the one cells model) and then ask here for the two
renderings, so a table reads the same whichever path found it: a GitHub pipe
table whose first row is the header (spanned positions left empty; ``|`` and
``\\`` escaped), and an HTML ``<table>`` with ``rowspan``/``colspan`` and
``<th>`` for header cells (text escaped; every position of the grid is a cell
or lies under one's span, so columns never shift). ``table`` does both and
returns the ``contract.Table``.

A table read from a page's layout (``layout=True``: the text layer's and the
scans' finders), where no markup says which cells are headings, gets them the
way a reader sees them: the rows under a first row's spanning heading that
hold its sub-headings ("TOTAL | RURAL" under "DLHS-4 (2012-13)"), and the rows
a first-row cell spans down over, are header rows too (``header_rows``); and
its first column, the rows' labels, is ``<th>`` in the HTML, as a pipe table's
first column is read.

A page's markdown writes a table as its pipe table when that says all of it,
and as its HTML when the pipe table would lose its structure: a spanned cell
(a pipe table holds it in its first position only) or a header of several rows
(a pipe table's header is one row) (``page_markdown``).

Input: ``TableCell`` lists and the grid size. Output: strings, or a ``Table``.
"""

from __future__ import annotations

import html as _html
import re

from docworker.contract import Table, TableCell
from docworker.geometry import BBox


def escape_cell(text: str) -> str:
    """A cell's text made safe inside a pipe table."""
    return text.replace("\\", "\\\\").replace("|", "\\|")


def grid(cells: list[TableCell], n_rows: int, n_cols: int) -> list[list[str]]:
    """Cell texts by position; positions covered by a span stay empty."""
    out = [["" for _ in range(n_cols)] for _ in range(n_rows)]
    for cell in cells:
        out[cell.row][cell.col] = cell.text
    return out


def markdown(rows: list[list[str]]) -> str:
    """A pipe table of ``rows`` (the first is the header row); "" for no rows."""
    if not rows or not rows[0]:
        return ""

    def line(values: list[str]) -> str:
        return "| " + " | ".join(values) + " |"

    out = [line([escape_cell(c) for c in rows[0]]), line(["---"] * len(rows[0]))]
    out.extend(line([escape_cell(c) for c in row]) for row in rows[1:])
    return "\n".join(out)


def html(cells: list[TableCell], n_rows: int, n_cols: int = 0, stub: bool = False) -> str:
    """``<table>`` of ``n_rows`` rows of ``n_cols`` positions (more where a cell reaches
    further): a position no cell starts at or spans over is an empty cell, so each cell
    stays in its column; header cells, and with ``stub`` the first column's, are
    ``<th>`` (a row only spanned into stays an empty ``<tr>``)."""
    starts: dict[tuple[int, int], TableCell] = {}
    covered: set[tuple[int, int]] = set()
    for cell in cells:
        starts.setdefault((cell.row, cell.col), cell)
        n_cols = max(n_cols, cell.col + cell.col_span)
        for r in range(cell.row, cell.row + cell.row_span):
            for c in range(cell.col, cell.col + cell.col_span):
                covered.add((r, c))
    heads = {c.row for c in cells if c.header}
    out = ["<table>"]
    for row in range(n_rows):
        out.append("<tr>")
        for col in range(n_cols):
            cell = starts.get((row, col))
            if cell is None:
                if (row, col) not in covered:
                    tag = "th" if row in heads or (stub and col == 0) else "td"
                    out.append(f"<{tag}></{tag}>")
                continue
            tag = "th" if cell.header or (stub and col == 0) else "td"
            attrs = ""
            if cell.row_span > 1:
                attrs += f' rowspan="{cell.row_span}"'
            if cell.col_span > 1:
                attrs += f' colspan="{cell.col_span}"'
            out.append(f"<{tag}{attrs}>{_html.escape(cell.text, quote=False)}</{tag}>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


#: A year ("2007", "1999"): a sub-heading under a spanning heading, not a figure.
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
#: Rows under the first that ``header_rows`` may make header rows.
MAX_HEADER_ROWS = 4


def _figure(text: str) -> bool:
    """Does a cell read as a table's data: a digit once years are left out, with at most
    a unit's two letters ("12 kg", not the heads "1-4 std.", "Top-5", "Q1") or after a
    label's colon (a form's "House No : 15"), or a dash or "NA" standing for a missing
    figure?"""
    text = text.strip()
    if text.lower() in _MISSING:
        return True
    if not any(ch.isdigit() for ch in _YEAR.sub("", text)):
        return False
    return ":" in text or sum(1 for ch in text if ch.isalpha()) <= FIGURE_LETTERS


_MISSING = {"-", "–", "—", "na", "n/a", "n.a.", "nil", "x"}
#: Letters a figure's cell may hold beside its digits (a unit: "kg", "mg", "%" is none).
FIGURE_LETTERS = 2


def header_rows(cells: list[TableCell]) -> list[TableCell]:
    """``cells`` with the header rows a layout shows beyond the first: the rows that a
    first-row cell spans down over, and, under a spanning heading, the rows of two
    sub-headings or more ("TOTAL | RURAL", or a wrapped heading's lines), with any
    rows between that hold only a label in the first column ("Continent and country
    or area" over "Continent et pays ou zone | 2003 | 2004 ..."). Such rows hold no
    figure (``_figure``) and follow header rows only (at most ``MAX_HEADER_ROWS``)."""
    heads = {c.row for c in cells if c.header}
    first = len(heads)  # the finder's own header rows: 0 .. first - 1
    if not heads or heads != set(range(first)):
        return cells
    top = [c for c in cells if c.header]
    spans_down = max(c.row + c.row_span for c in top)
    spanning = [c for c in top if c.col_span > 1]
    by_row: dict[int, list[TableCell]] = {}
    for c in cells:
        by_row.setdefault(c.row, []).append(c)
    last = 0
    for row in range(first, MAX_HEADER_ROWS + 1):
        filled = [c for c in by_row.get(row, []) if c.text.strip()]
        if not filled or any(_figure(c.text) for c in filled):
            break
        if row < spans_down or (spanning and len(filled) >= 2):
            last = row
        elif any(c.col > 0 for c in filled):
            break  # a row of text under no heading: the table's first row of data
        spanning += [c for c in filled if c.col_span > 1]
    if not last:
        return cells
    return [c.model_copy(update={"header": True}) if c.row <= last else c for c in cells]


def structured(table: Table) -> bool:
    """Would a pipe table lose this table's structure: a spanned cell, or header rows
    beyond the first?"""
    return any(c.row_span > 1 or c.col_span > 1 or (c.header and c.row > 0) for c in table.cells)


def page_markdown(table: Table) -> str:
    """The table as a page's markdown writes it: its HTML where its pipe table would lose
    its structure (``structured``), else the pipe table. In the markdown the HTML has a
    line a row (one HTML block: no blank line), and its text keeps its ``&``, ``<`` and
    ``>`` as written wherever no parser could read them as markup ("R&D", "x < 5"):
    escaped only before a name and ``;``, or a tag's start."""
    if not (structured(table) and table.html):
        return table.markdown
    text = table.html.replace("&gt;", ">")
    text = _LT.sub("<", text)
    text = _AMP.sub("&", text)
    return text.replace("<tr>", "\n<tr>").replace("</table>", "\n</table>")


#: ``&lt;`` that a parser would not read as a tag's start once written as ``<``.
_LT = re.compile(r"&lt;(?![A-Za-z/!?])")
#: ``&amp;`` that a parser would not read as an entity's start once written as ``&``.
_AMP = re.compile(r"&amp;(?!#|[A-Za-z][A-Za-z0-9]*;)")


def table(
    cells: list[TableCell],
    n_rows: int,
    n_cols: int,
    bbox: BBox | None = None,
    *,
    layout: bool = False,
) -> Table:
    """``cells`` on an ``n_rows`` x ``n_cols`` grid → ``contract.Table`` with both renderings;
    with ``layout``, read from a page's layout: header rows (``header_rows``) and the
    first column's row headings inferred (module docstring)."""
    if layout:
        cells = header_rows(cells)
    return Table(
        bbox=bbox,
        n_rows=n_rows,
        n_cols=n_cols,
        cells=cells,
        markdown=markdown(grid(cells, n_rows, n_cols)),
        html=html(cells, n_rows, n_cols, stub=layout and n_cols > 1),
    )
