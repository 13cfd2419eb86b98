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


# --------------------------------------------------------------- builder


class ContentBuilder:
    """Collects a document's pieces in order; ``finish()`` gives its ``OfficeContent``."""

    def __init__(self) -> None:
        self.pieces: list[_Piece] = []
        self.notes: list[str] = []
        self._list: _Piece | None = None
        self._list_key: object = None
        #: Why ``finish`` left pieces out (a cap was reached), or ``None``.
        self.cut: str | None = None

    def _add(self, piece: _Piece) -> None:
        self._list = None
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
        if self._list is None or key != self._list_key:
            self._list = _Piece("list", [], "", "")
            self._list_key = key
            self.pieces.append(self._list)
        piece = self._list
        piece.blocks.append(block("list_item", shown))
        piece.text += ("\n" if piece.text else "") + "  " * depth + shown
        piece.markdown += ("\n" if piece.markdown else "") + md_line

    def picture(self, alt: str) -> None:
        self._add(_Piece("picture", [block("picture", one_line(alt))], "", "<!-- image -->"))

    def table(self, table: Table | None) -> None:
        if table is not None:
            text = table_text(table)
            self._add(_Piece("table", [block("table", text)], text, table.markdown, [table]))

    def marker(self, markdown: str) -> None:
        """Markdown only (an HTML comment): no block, no text."""
        self._add(_Piece("marker", [], "", markdown))

    def finish(self, max_chars: int | None = None, max_cells: int | None = None) -> OfficeContent:
        """The document so far; with caps, only the pieces that fit (``self.cut`` says why)."""
        pieces = self._fitting(max_chars, max_cells)
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
    """A DOCX or PPTX read in its own order, within the caps, and why it was cut (or ``None``)."""
    from docworker import decode

    if mime == decode.DOCX:
        from docworker.engines.office.docx import read_docx as read
    elif mime == decode.PPTX:
        from docworker.engines.office.pptx import read_pptx as read
    else:
        raise errors.UnsupportedType(f"no ordered reader for {mime}")
    builder = read(path)
    content = builder.finish(max_chars, max_cells)
    return content, builder.cut
