"""A ``contract.Table``'s markdown and HTML, written one way for every stage.

The text-layer, scanned, VLM and Office table paths all build cells
(``contract.TableCell``, the one cells model) and then ask here for the two
renderings, so a table reads the same whichever path found it: a GitHub pipe
table whose first row is the header (spanned positions left empty; ``|`` and
``\\`` escaped), and an HTML ``<table>`` with ``rowspan``/``colspan`` and
``<th>`` for header cells (text escaped). ``table`` does both and returns the
``contract.Table``.

Input: ``TableCell`` lists and the grid size. Output: strings, or a ``Table``.
"""

from __future__ import annotations

import html as _html

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


def html(cells: list[TableCell], n_rows: int) -> str:
    """``<table>`` of ``n_rows`` rows (a row only spanned into stays an empty ``<tr>``)."""
    by_row: dict[int, list[TableCell]] = {}
    for cell in cells:
        by_row.setdefault(cell.row, []).append(cell)
    out = ["<table>"]
    for row in range(n_rows):
        out.append("<tr>")
        for cell in sorted(by_row.get(row, []), key=lambda c: c.col):
            tag = "th" if cell.header else "td"
            attrs = ""
            if cell.row_span > 1:
                attrs += f' rowspan="{cell.row_span}"'
            if cell.col_span > 1:
                attrs += f' colspan="{cell.col_span}"'
            out.append(f"<{tag}{attrs}>{_html.escape(cell.text, quote=False)}</{tag}>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def table(cells: list[TableCell], n_rows: int, n_cols: int, bbox: BBox | None = None) -> Table:
    """``cells`` on an ``n_rows`` x ``n_cols`` grid → ``contract.Table`` with both renderings."""
    return Table(
        bbox=bbox,
        n_rows=n_rows,
        n_cols=n_cols,
        cells=cells,
        markdown=markdown(grid(cells, n_rows, n_cols)),
        html=html(cells, n_rows),
    )
