"""Office tables: markdown-it table nodes → ``contract.Table`` objects.

Used by ``office.markdown``. Cells keep their plain text and their markdown
source; spreadsheets are cleaned of pandas' artefacts and split into their
separate regions of non-empty cells, one table each.

Input: markdown-it ``table`` nodes or pipe lines. Output: ``contract.Table``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from docworker.contract import Table, TableCell
from docworker.engines.office.inline import inline_of, inline_text, parser
from docworker.tables import render
from docworker.tables.parse import pipe_rows

#: A sheet with more separate regions than this is kept whole (a scatter of
#: cells is not a set of tables, and merging many boxes costs quadratic time).
MAX_REGIONS = 50
# pandas' name for a header cell that is empty in the sheet.
_UNNAMED = re.compile(r"Unnamed: \d+")
# A whole number that pandas printed as a float because its column has gaps.
_WHOLE_FLOAT = re.compile(r"(-?\d+)\.0")


@dataclass
class _Cell:
    text: str  # plain
    raw: str  # markdown source of the cell


def _table_rows(node: Any) -> list[list[_Cell]]:
    rows: list[list[_Cell]] = []
    for section in node.children:  # thead, tbody
        for tr in section.children:
            row = []
            for cell in tr.children:
                inline = inline_of(cell)
                if inline is None:
                    row.append(_Cell("", ""))
                    continue
                text = " ".join(inline_text(inline).split())
                row.append(_Cell(text, inline.content.strip()))
            rows.append(row)
    return rows


def _xlsx_clean(rows: list[list[_Cell]]) -> list[list[_Cell]]:
    out = []
    for r, row in enumerate(rows):
        new = []
        for cell in row:
            if r == 0 and _UNNAMED.fullmatch(cell.text):
                cell = _Cell("", "")
            m = _WHOLE_FLOAT.fullmatch(cell.text)
            if m:
                cell = _Cell(m.group(1), m.group(1))
            new.append(cell)
        out.append(new)
    return out


def regions(grid: list[list[bool]]) -> list[tuple[int, int, int, int]]:
    """Boxes ``(top, left, bottom, right)`` (inclusive) of the groups of filled cells.

    Filled cells sharing a side form a group (cells touching only at a corner
    do not: a table placed diagonally below another stays apart); groups whose
    boxes overlap are merged. Sorted top to bottom, then left to right.
    """
    n_rows = len(grid)
    seen = [[False] * len(row) for row in grid]
    boxes: list[list[int]] = []
    for r0 in range(n_rows):
        for c0, filled in enumerate(grid[r0]):
            if not filled or seen[r0][c0]:
                continue
            seen[r0][c0] = True
            stack = [(r0, c0)]
            top = bottom = r0
            left = right = c0
            while stack:
                r, c = stack.pop()
                top, bottom = min(top, r), max(bottom, r)
                left, right = min(left, c), max(right, c)
                for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                    if 0 <= rr < n_rows and 0 <= cc < len(grid[rr]):
                        if grid[rr][cc] and not seen[rr][cc]:
                            seen[rr][cc] = True
                            stack.append((rr, cc))
            boxes.append([top, left, bottom, right])
    return merge_boxes(boxes)


def merge_boxes(boxes: list[list[int]]) -> list[tuple[int, int, int, int]]:
    """Boxes ``[top, left, bottom, right]`` with overlapping ones merged, sorted top to
    bottom, then left to right (quadratic: callers keep the count small)."""
    merged = True
    while merged:
        merged = False
        out: list[list[int]] = []
        for box in boxes:
            for other in out:
                if box[0] <= other[2] and other[0] <= box[2] and box[1] <= other[3]:
                    if other[1] <= box[3]:
                        other[:] = [
                            min(box[0], other[0]),
                            min(box[1], other[1]),
                            max(box[2], other[2]),
                            max(box[3], other[3]),
                        ]
                        merged = True
                        break
            else:
                out.append(box)
        boxes = out
    return sorted((tuple(b) for b in boxes), key=lambda b: (b[0], b[1]))  # type: ignore[misc]


def _split_regions(rows: list[list[_Cell]]) -> list[list[list[_Cell]]]:
    """A sheet grid → one grid per region; the whole grid when it is scattered."""
    filled = [[bool(c.text) for c in row] for row in rows]
    boxes = regions(filled)
    if len(boxes) > MAX_REGIONS:
        return [rows]
    return [
        [row[left : right + 1] for row in rows[top : bottom + 1]]
        for top, left, bottom, right in boxes
    ]


def _plain_inline(raw: str) -> str:
    """Plain text of one line of inline markdown (cells of a loosely parsed table)."""
    parts = []
    for token in parser().parseInline(raw)[0].children or []:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def _loose_table(source: str) -> list[list[_Cell]] | None:
    """Rows of a pipe table that CommonMark refused because a row has the wrong cell count.

    markdownify does not escape ``|`` inside cells, so a header such as
    ``| A | B|C |`` over a two-column delimiter row is no GFM table and would
    come out as a paragraph full of pipes. Lines that all start with ``|``,
    the second one a delimiter row, are split on unescaped pipes instead.
    """
    rows = pipe_rows(source)
    if rows is None:
        return None
    return [[_Cell(_plain_inline(c), c) for c in row] for row in rows]


def build_table(rows: list[list[_Cell]]) -> Table | None:
    """A ``contract.Table`` from parsed rows; an all-empty first row is not a header."""
    n_cols = max((len(r) for r in rows), default=0)
    rows = [r + [_Cell("", "")] * (n_cols - len(r)) for r in rows]
    has_header = bool(rows) and any(c.text for c in rows[0])
    if rows and not has_header:
        rows = rows[1:]
    if not rows or n_cols == 0:
        return None
    cells = [
        TableCell(row=r, col=c, text=cell.text, header=has_header and r == 0)
        for r, row in enumerate(rows)
        for c, cell in enumerate(row)
    ]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(values) + " |"

    raw = [
        [cell.raw if cell.raw or not cell.text else render.escape_cell(cell.text) for cell in row]
        for row in rows
    ]
    head, body = (raw[0], raw[1:]) if has_header else ([""] * n_cols, raw)
    lines = [line(head), line(["---"] * n_cols)] + [line(r) for r in body]
    return Table(
        bbox=None,
        n_rows=len(rows),
        n_cols=n_cols,
        cells=cells,
        markdown="\n".join(lines),
        html=render.html(cells, len(rows), n_cols),
    )


def table_text(table: Table) -> str:
    """Rows of tab-separated cell texts; empty rows and trailing empty cells left out."""
    grid = [["" for _ in range(table.n_cols)] for _ in range(table.n_rows)]
    for cell in table.cells:
        grid[cell.row][cell.col] = " ".join(cell.text.split())
    lines = ["\t".join(row).rstrip("\t") for row in grid]
    return "\n".join(line for line in lines if line)
