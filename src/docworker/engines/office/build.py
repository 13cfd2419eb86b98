"""The Office readers' shared output: pieces in body order → ``OfficeContent``; span tables.

The DOCX and PPTX readers (``office.docx``, ``office.pptx``) walk a document in
its own order and hand each piece to a ``ContentBuilder``: headings, titles,
paragraphs, captions, list items (consecutive items make one list), pictures,
tables and markdown-only markers (``<!-- slide 2 -->``). ``finish()`` returns
the four views ``office.markdown.parse`` gives for converter markdown, so the
office engine treats both alike:

- ``markdown``: one blank line between pieces; text escaped so that it reads
  back as the same text; tables as pipe tables;
- ``text``: no markup; list items with ``•`` or their number; table rows as
  tab-separated cells;
- ``blocks``: ``contract.Block`` objects with ``bbox`` ``[0, 0, 0, 0]`` (Office
  pages have no geometry);
- ``tables``: ``contract.Table`` objects.

``span_table`` turns cells placed on a grid (row, column, row span, column
span) into a ``contract.Table``: a merged cell is one cell with its spans, and
the positions it covers stay empty in the markdown and the plain text instead
of repeating its text. ``LimitExceeded`` when a table claims more grid
positions than ``MAX_TABLE_POSITIONS``.

A builder made with caps (``ContentBuilder(max_chars, max_cells)``, as the
XLSX and HTML readers make it) keeps to them while pieces come in: a table
that does not fit is cut to the rows that do, later pieces are refused,
``full`` turns true (the reader stops reading) and ``cut`` says why.

Inputs: texts and cells from a reader. Output: ``OfficeContent``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from docworker import errors
from docworker.contract import Block, Table, TableCell
from docworker.engines.office.inline import block
from docworker.engines.office.markdown import BULLET, OfficeContent
from docworker.engines.office.tables import table_text
from docworker.tables import render

#: Largest rows x columns grid one Office table may claim (a hostile span or row
#: count must not make the reader allocate gigabytes).
MAX_TABLE_POSITIONS = 2_000_000
#: Widest grid: a ``gridSpan`` or column count beyond this is clamped.
MAX_TABLE_COLUMNS = 1000


@dataclass
class GridCell:
    """A cell placed on its table's grid while a reader builds the table."""

    row: int
    col: int
    text: str
    row_span: int = 1
    col_span: int = 1


@dataclass
class _Piece:
    kind: str  # heading | paragraph | list | table | picture | marker
    blocks: list[Block]
    text: str
    markdown: str
    tables: list[Table] = field(default_factory=list)


# -------------------------------------------------------------- escaping

_INLINE = re.compile(r"([\\`*\[\]|])")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_LONE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_BLOCK_START = re.compile(
    r"^(\s*)(#{1,6}(?=\s|$)|[-+>](?=\s|$)|=+\s*$|~~~|(\d{1,9})([.)])(?=\s|$))"
)


def escape(text: str) -> str:
    """``text`` as markdown that renders (and parses back) as the same text."""
    text = _INLINE.sub(r"\\\1", text)
    text = _TAG_START.sub(r"\\<", text)
    text = _LONE_UNDERSCORE.sub(r"\\_", text)
    lines = []
    for line in text.split("\n"):
        m = _BLOCK_START.match(line)
        if m and m.group(3):  # "1. x" would start an ordered list
            line = f"{m.group(1)}{m.group(3)}\\{m.group(4)}{line[m.end() :]}"
        elif m:
            line = f"{m.group(1)}\\{line[len(m.group(1)) :]}"
        lines.append(line)
    return "\n".join(lines)


def one_line(text: str) -> str:
    """Whitespace runs (line breaks included) as single spaces, ends trimmed."""
    return " ".join(text.split())


# ---------------------------------------------------------------- tables


def span_table(cells: list[GridCell], n_rows: int, n_cols: int, header_rows: int) -> Table | None:
    """A ``contract.Table`` from grid cells; the first ``header_rows`` rows are the header."""
    if not cells or n_rows == 0 or n_cols == 0:
        return None
    if n_rows * n_cols > MAX_TABLE_POSITIONS:
        raise errors.LimitExceeded(
            f"an Office table claims {n_rows} x {n_cols} cells; the limit is"
            f" {MAX_TABLE_POSITIONS} grid positions"
        )
    out = [
        TableCell(
            row=c.row,
            col=c.col,
            text=one_line(c.text),
            row_span=max(1, min(c.row_span, n_rows - c.row)),
            col_span=max(1, min(c.col_span, n_cols - c.col)),
            header=c.row < header_rows,
        )
        for c in sorted(cells, key=lambda c: (c.row, c.col))
    ]
    return render.table(out, n_rows, n_cols)


def cut_rows(table: Table, max_chars: int | None, max_cells: int | None) -> Table | None:
    """``table``'s leading rows within ``max_chars`` of markdown and ``max_cells`` cells
    (spans clamped to them), or ``None`` when not even its first row fits."""
    lines = table.markdown.split("\n")
    if len(lines) != table.n_rows + 1:  # a cell holding a line break: no row-wise cut
        return None
    per_row = [0] * table.n_rows
    for cell in table.cells:
        per_row[cell.row] += 1
    chars = cells = kept = 0
    for row in range(table.n_rows):
        # the first row brings the delimiter row with it; each line ends in "\n" but the last
        chars += len(lines[0]) + len(lines[1]) + 1 if row == 0 else len(lines[row + 1]) + 1
        cells += per_row[row]
        if (max_chars is not None and chars > max_chars) or (
            max_cells is not None and cells > max_cells
        ):
            break
        kept = row + 1
    if kept == 0:
        return None
    out = [
        c.model_copy(update={"row_span": min(c.row_span, kept - c.row)})
        for c in table.cells
        if c.row < kept
    ]
    return render.table(out, kept, table.n_cols, table.bbox)


# --------------------------------------------------------------- builder


class ContentBuilder:
    """Collects a document's pieces in order; ``finish()`` gives its ``OfficeContent``."""

    def __init__(self, max_chars: int | None = None, max_cells: int | None = None) -> None:
        self.pieces: list[_Piece] = []
        self.notes: list[str] = []
        self._list: _Piece | None = None
        self._list_key: object = None
        #: Why pieces were cut or left out (a cap was reached), or ``None``.
        self.cut: str | None = None
        self.max_chars = max_chars
        self.max_cells = max_cells
        #: Markdown characters (with separators) and table cells taken so far.
        self.chars = 0
        self.cells = 0
        #: True once a cap is reached: nothing more is taken.
        self.full = False

    def limits(self) -> str:
        """The caps, as a cut message ends."""
        return (
            f"one page returns at most {self.max_chars} characters and {self.max_cells} table cells"
        )

    def stop(self, reason: str) -> None:
        """Take nothing more; ``reason`` is kept unless a cut was already recorded."""
        if self.cut is None:
            self.cut = reason
        self.full = True

    def _refuse(self) -> None:
        """A piece does not fit: take nothing more."""
        self.stop(f"the document's content was cut after {len(self.pieces)} parts: {self.limits()}")

    def _fits(self, chars: int, cells: int = 0) -> bool:
        return (self.max_chars is None or self.chars + chars <= self.max_chars) and (
            self.max_cells is None or self.cells + cells <= self.max_cells
        )

    def _add(self, piece: _Piece) -> None:
        self._list = None
        if self.full:
            return
        chars = len(piece.markdown) + 2
        cells = sum(len(t.cells) for t in piece.tables)
        if not self._fits(chars, cells):
            self._refuse()
            return
        self.chars += chars
        self.cells += cells
        self.pieces.append(piece)

    def heading(self, text: str, level: int, kind: str = "heading") -> None:
        """A heading (``kind`` ``title`` for a document or slide title) at ``level`` 1-6."""
        text = one_line(text)
        if text:
            level = max(1, min(level, 6))
            heading = block(kind, text).model_copy(update={"level": level})
            self._add(_Piece("heading", [heading], text, f"{'#' * level} {escape(text)}"))

    def paragraph(self, text: str, kind: str = "paragraph") -> None:
        """A paragraph (``kind`` ``caption`` for a figure or table caption)."""
        text = "\n".join(line.rstrip() for line in text.strip().split("\n"))
        if text.strip():
            self._add(_Piece("paragraph", [block(kind, text)], text, escape(text)))

    def list_item(self, text: str, marker: str | None, depth: int, key: object = None) -> None:
        """One item: ``marker`` is its number (``"3."``, ``"b)"``) or ``None`` for a bullet.

        Consecutive items make one list while their ``key`` (a numbering id, a
        text frame) stays the same.
        """
        text = one_line(text)
        if not text:
            return
        shown = f"{marker or BULLET} {text}"
        depth = max(0, min(depth, 8))
        if marker is not None and re.fullmatch(r"\d{1,9}[.)]", marker):
            md_marker = marker
        elif marker is not None:
            md_marker = f"- {escape(marker)}"  # letters and roman numerals: a bullet that says so
        else:
            md_marker = "-"
        md_line = "   " * depth + f"{md_marker} {escape(text)}"
        if self.full:
            return
        piece = self._list
        size = len(md_line) + (2 if piece is None or key != self._list_key else 1)
        if not self._fits(size):
            self._refuse()
            return
        self.chars += size
        if piece is None or key != self._list_key:
            piece = self._list = _Piece("list", [], "", "")
            self._list_key = key
            self.pieces.append(piece)
        piece.blocks.append(block("list_item", shown))
        piece.text += ("\n" if piece.text else "") + "  " * depth + shown
        piece.markdown += ("\n" if piece.markdown else "") + md_line

    def code(self, text: str) -> None:
        """Preformatted text: a ``code`` block, fenced in the markdown."""
        text = text.strip("\n")
        if text.strip():
            fence = "```"
            while fence in text:
                fence += "`"
            self._add(_Piece("paragraph", [block("code", text)], text, f"{fence}\n{text}\n{fence}"))

    def picture(self, alt: str) -> None:
        self._add(_Piece("picture", [block("picture", one_line(alt))], "", "<!-- image -->"))

    def table(self, table: Table | None, rows: int | None = None) -> None:
        """A table; with caps, cut to the rows that fit (and then ``full``). ``rows``: how
        many rows the document's table has, when ``table`` holds only its first ones (a
        table short of them is cut too)."""
        if table is None or self.full:
            return
        n_rows = rows or table.n_rows
        if not self._fits(len(table.markdown) + 2, len(table.cells)):
            table = cut_rows(
                table,
                None if self.max_chars is None else self.max_chars - self.chars - 2,
                None if self.max_cells is None else self.max_cells - self.cells,
            )
        kept = 0 if table is None else table.n_rows
        if table is not None:
            text = table_text(table)
            self._add(_Piece("table", [block("table", text)], text, table.markdown, [table]))
        if kept < n_rows:
            self.stop(f"a table was cut to its first {kept} of {n_rows} rows: {self.limits()}")

    def marker(self, markdown: str) -> None:
        """Markdown only (an HTML comment): no block, no text."""
        self._add(_Piece("marker", [], "", markdown))

    def finish(self, max_chars: int | None = None, max_cells: int | None = None) -> OfficeContent:
        """The document so far; with caps, only the pieces that fit (``self.cut`` says why)."""
        pieces = self._fitting(
            self.max_chars if max_chars is None else max_chars,
            self.max_cells if max_cells is None else max_cells,
        )
        while pieces and pieces[-1].kind == "marker":
            pieces = pieces[:-1]
        return OfficeContent(
            markdown="\n\n".join(p.markdown for p in pieces if p.markdown),
            text="\n\n".join(p.text for p in pieces if p.text),
            blocks=[b for p in pieces for b in p.blocks],
            tables=[t for p in pieces for t in p.tables],
            notes=list(self.notes),
        )

    def _fitting(self, max_chars: int | None, max_cells: int | None) -> list[_Piece]:
        """The leading pieces within ``max_chars`` of markdown and ``max_cells`` table cells."""
        chars = cells = 0
        for i, piece in enumerate(self.pieces):
            chars += len(piece.markdown) + 2
            cells += sum(len(t.cells) for t in piece.tables)
            if (max_chars is not None and chars > max_chars) or (
                max_cells is not None and cells > max_cells
            ):
                self.cut = (
                    f"the document's content was cut after {i} of its {len(self.pieces)} parts:"
                    f" one page returns at most {max_chars} characters and {max_cells} table cells"
                )
                return self.pieces[:i]
        return self.pieces


def read_in_order(
    path: Path, mime: str, max_chars: int | None = None, max_cells: int | None = None
) -> tuple[OfficeContent, str | None]:
    """A DOCX, PPTX, XLSX or HTML document read in its own order, within the caps, and
    why it was cut (or ``None``). The XLSX and HTML readers stop reading at the caps."""
    from docworker import decode

    builder: ContentBuilder
    if mime == decode.DOCX:
        from docworker.engines.office.docx import read_docx

        builder = read_docx(path)
    elif mime == decode.PPTX:
        from docworker.engines.office.pptx import read_pptx

        builder = read_pptx(path)
    elif mime == decode.XLSX:
        from docworker.engines.office.xlsx import read_xlsx

        builder = read_xlsx(path, max_chars, max_cells)
    elif mime == decode.HTML:
        from docworker.engines.office.htmldoc import read_html

        builder = read_html(path, max_chars, max_cells)
    else:
        raise errors.UnsupportedType(f"no ordered reader for {mime}")
    content = builder.finish(max_chars, max_cells)
    return content, builder.cut
