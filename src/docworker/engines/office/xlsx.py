"""XLSX with openpyxl: each sheet's tables in order, merged cells as spans, text once.

docstrange 1.1.8's Excel converter goes through pandas: a merged cell's text
lands in one position and the others come out empty or repeated, a sheet is
one grid, pandas names empty header cells ``Unnamed: n``, prints whole numbers
of a column with gaps as ``1.0`` and drops blank rows (which joins tables
that a blank row kept apart). This reader streams each worksheet's XML with
openpyxl's read-only parser instead:

- a ``## Sheet: name`` heading (``heading``, level 2) before each sheet that
  holds anything; empty sheets are left out;
- the sheet's separate regions of non-empty cells (cells sharing a side; a
  merged range counts as filled over its whole area; overlapping boxes
  merged, as docling does) become one table each, top to bottom, then left to
  right; a sheet with more than ``tables.MAX_REGIONS`` regions is one table;
- a merged range (``<mergeCell>``) is one cell at its top-left position with
  its row and column spans, so its text comes back once; the first row of a
  table is its header;
- values as a reader sees them: cached results of formulas, whole numbers
  without ``.0``, dates as ``YYYY-MM-DD`` (with the time when it is not
  midnight).

Only cells that exist in the XML are visited (a stray cell at ``XFD1048576``
costs one cell, not a grid), cells past column ``MAX_TABLE_COLUMNS`` are left
out with a note, and reading stops once a sheet holds more non-empty cells
than the page's table-cell cap has room for: the builder cuts the last table
at a row and says so. ``office.check_sheet_cells`` has already refused
workbooks of more than ``MAX_SHEET_CELLS`` cells.

Input: an XLSX path (already checked by ``office.check_zip``), the page's caps.
Output: a ``ContentBuilder``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from docworker import errors
from docworker.engines.office.build import (
    MAX_TABLE_COLUMNS,
    MAX_TABLE_POSITIONS,
    ContentBuilder,
    GridCell,
    span_table,
)
from docworker.engines.office.tables import MAX_REGIONS, merge_boxes

Box = tuple[int, int, int, int]  # top, left, bottom, right; 1-based, inclusive


def read_xlsx(
    path: Path, max_chars: int | None = None, max_cells: int | None = None
) -> ContentBuilder:
    """The workbook at ``path``, sheet by sheet, within the caps."""
    import openpyxl

    out = ContentBuilder(max_chars, max_cells)
    book = openpyxl.load_workbook(str(path), read_only=True, data_only=True, keep_links=False)
    try:
        for sheet in book.worksheets:
            if out.full:
                break
            _sheet(book, sheet, out)
    finally:
        book.close()
    return out


def cell_text(value: Any) -> str:
    """A cell value as the sheet shows it, near enough (no number formats applied)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _rows(book: Any, sheet: Any) -> tuple[Any, Any]:
    """The sheet's parser (rows of cell dicts, merged ranges once read) and its source.

    openpyxl's read-only worksheet iterates rows padded to the sheet's width and
    drops the merged ranges; its parser (what ``ReadOnlyWorksheet`` itself uses,
    openpyxl 3.1) gives the cells that exist and the ranges.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    source = sheet._get_source()
    parser = WorkSheetParser(
        source,
        sheet._shared_strings,
        data_only=True,
        epoch=book.epoch,
        date_formats=book._date_formats,
        timedelta_formats=book._timedelta_formats,
    )
    return parser, source


def _sheet(book: Any, sheet: Any, out: ContentBuilder) -> None:
    room = None if out.max_cells is None else out.max_cells - out.cells
    texts: dict[tuple[int, int], str] = {}
    wide = 0
    stopped = False
    parser, source = _rows(book, sheet)
    with source:
        for _, row in parser.parse():
            for cell in row:
                text = cell_text(cell["value"])
                if not text:
                    continue
                if cell["column"] > MAX_TABLE_COLUMNS:
                    wide += 1
                    continue
                texts[(cell["row"], cell["column"])] = text
            if room is not None and len(texts) > room:
                stopped = True  # more than can come back: the merged ranges come after the rows
                break
    if wide:
        out.notes.append(
            f"sheet {sheet.title!r}: {wide} cell(s) past column {MAX_TABLE_COLUMNS} were left out"
        )
    if not texts:
        return
    refs = [] if stopped or parser.merged_cells is None else parser.merged_cells.mergeCell
    spans, covered = _merges([m.ref for m in refs], texts)
    for position in covered:
        texts.pop(position, None)  # only the top-left cell of a merged range shows
    out.heading(f"Sheet: {sheet.title}", 2)
    if stopped and out.cut is None:  # said first: the rows past it were never read
        out.cut = (
            f"sheet {sheet.title!r} was read to row {max(r for r, _ in texts)}, where it"
            f" passed the page's {out.max_cells} table cells; the rest was left out"
        )
    for box in _regions(set(texts) | covered):
        if out.full:
            break
        out.table(_table(box, texts, spans, covered, out), box[2] - box[0] + 1)
    if stopped:
        out.stop("the workbook was cut")


def _merges(
    refs: list[str], texts: dict[tuple[int, int], str]
) -> tuple[dict[tuple[int, int], tuple[int, int]], set[tuple[int, int]]]:
    """Merged ranges that show text: top-left → (rows, cols), and the positions they cover.

    Ranges are clamped to the sheet's content, and stop counting past
    ``MAX_TABLE_POSITIONS`` covered positions (a hostile range list).
    """
    from openpyxl.utils.cell import range_boundaries

    last_row = max(r for r, _ in texts)
    last_col = max(c for _, c in texts)
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for ref in refs:
        try:
            left, top, right, bottom = range_boundaries(str(ref))
        except (TypeError, ValueError):
            continue
        if top is None or left is None or (top, left) not in texts or (top, left) in covered:
            continue
        bottom, right = min(bottom or top, last_row), min(right or left, last_col)
        size = (bottom - top + 1) * (right - left + 1)
        if bottom < top or right < left or size == 1 or len(covered) + size > MAX_TABLE_POSITIONS:
            continue
        area = {(r, c) for r in range(top, bottom + 1) for c in range(left, right + 1)}
        if area & covered:
            continue
        area.discard((top, left))
        covered |= area
        spans[(top, left)] = (bottom - top + 1, right - left + 1)
    return spans, covered


def _regions(filled: set[tuple[int, int]]) -> list[Box]:
    """Boxes of the groups of filled positions sharing a side, overlapping boxes merged;
    one box around everything when there are more than ``MAX_REGIONS`` groups."""
    seen: set[tuple[int, int]] = set()
    boxes: list[list[int]] = []
    for start in sorted(filled):
        if start in seen:
            continue
        seen.add(start)
        stack = [start]
        top, left = start
        bottom, right = start
        while stack:
            r, c = stack.pop()
            top, bottom = min(top, r), max(bottom, r)
            left, right = min(left, c), max(right, c)
            for near in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                if near in filled and near not in seen:
                    seen.add(near)
                    stack.append(near)
        boxes.append([top, left, bottom, right])
    if len(boxes) > MAX_REGIONS:
        return [
            (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
        ]
    return merge_boxes(boxes)


def _table(
    box: Box,
    texts: dict[tuple[int, int], str],
    spans: dict[tuple[int, int], tuple[int, int]],
    covered: set[tuple[int, int]],
    out: ContentBuilder,
) -> Any:
    """The region ``box`` as a span table. Past the builder's room, about one row more
    than fits is built (the builder cuts it to the rows that fit)."""
    top, left, bottom, right = box
    n_cols = right - left + 1
    n_rows = bottom - top + 1
    if out.max_cells is None and n_rows * n_cols > MAX_TABLE_POSITIONS:
        raise errors.LimitExceeded(
            f"a sheet's table spans {n_rows} x {n_cols} cells; the limit is"
            f" {MAX_TABLE_POSITIONS} grid positions"
        )
    if out.max_cells is not None:
        n_rows = min(n_rows, max(0, out.max_cells - out.cells) // n_cols + 1)
    if out.max_chars is not None:
        room, rows = out.max_chars - out.chars, 0
        while rows < n_rows and room >= 0:  # rough: the row that overflows is built too
            row = top + rows
            room -= 4 * n_cols + sum(len(texts.get((row, c), "")) for c in range(left, right + 1))
            rows += 1
        n_rows = rows
    cells = []
    for r in range(top, top + n_rows):
        for c in range(left, right + 1):
            if (r, c) in covered:
                continue
            rows, cols = spans.get((r, c), (1, 1))
            cells.append(GridCell(r - top, c - left, texts.get((r, c), ""), rows, cols))
    return span_table(cells, n_rows, n_cols, 1)
