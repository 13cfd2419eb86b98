"""Office converter markdown → plain text, typed blocks and structured tables.

The Office route (``engines.office.convert``) gets one markdown string for an
ODT document from docworker's ODT reader; ``bench/office_order.py`` also feeds
it docstrange's DOCX/PPTX/XLSX/HTML markdown, the path before docworker's own
readers, to measure them against it. This stage parses it with markdown-it-py
(CommonMark plus GFM tables and strikethrough) and returns the same content
four ways, all consistent:

- ``markdown``: the converter's markdown with its known defects repaired and
  one blank line between blocks (so a renderer shows each Word paragraph as
  a paragraph); tables are re-rendered from their parsed cells;
- ``text``: no markdown syntax; headings as plain lines, list items with a
  bullet (``•``) or their number, table rows as tab-separated cell texts;
- ``blocks``: ``contract.Block`` objects (heading, paragraph, list_item,
  table, code, picture, other). Office pages have no geometry (the page is
  0 x 0), so every block's ``bbox`` is ``[0, 0, 0, 0]``;
- ``tables``: ``contract.Table`` objects, one cell per grid position, the
  first row flagged ``header``, with markdown and HTML.

What each converter gets wrong and what is repaired here (by ``kind``):

- docx: docstrange writes one paragraph per line with no blank lines (CommonMark
  would merge them), turns every ``### title`` into ``#`` + ``## title``, and
  adds a ``Table n`` heading and notes ("Warning: Table contains merged
  cells..."; "Table truncated to first 20 rows...") before tables. The
  heading level is restored, the label and notes are dropped, and a truncation
  note is returned in ``notes`` for ``metadata.warnings``.
- pptx: one paragraph per line, as for docx; ``Slide n`` headings are kept.
- xlsx: cells are written unescaped (read line by line instead of as
  CommonMark, see ``_sheet_items``); pandas names empty header cells
  ``Unnamed: n`` and prints whole numbers of a column with gaps as ``1.0``; a
  sheet is one grid even when it holds several tables. Header names are
  blanked, ``n.0`` becomes ``n``, and each sheet grid is split into its
  separate regions of non-empty cells (as docling does), one table each.
- html (markdownify): a table without a header row gets an empty one, which
  is dropped; a ``|`` inside a cell is not escaped, which makes the table
  invalid GFM, so pipe lines CommonMark left as a paragraph are split by hand.

Only what a converter is known to write is matched; the notes and labels are
docstrange 1.1.8's exact strings. Tables parsed from markdown carry no spans
(pipe tables have none); the readers in ``office.build`` give them.

Input: markdown and the document's MIME type. Output: ``OfficeContent``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from docworker import decode
from docworker.contract import Block, Table
from docworker.engines.office.inline import (
    block,
    drop_comments,
    inline_of,
    inline_text,
    only_images,
    parser,
)
from docworker.engines.office.tables import (
    _Cell,
    _loose_table,
    _split_regions,
    _table_rows,
    _xlsx_clean,
    build_table,
    table_text,
)
from docworker.tables import render

BULLET = "•"


KINDS = {
    decode.DOCX: "docx",
    decode.PPTX: "pptx",
    decode.XLSX: "xlsx",
    decode.HTML: "html",
    decode.ODT: "odt",
}

# docstrange 1.1.8's own notes and labels (docx_processor.py), matched exactly.
_MERGED_NOTE = "Warning: Table contains merged cells which may not render correctly in markdown."
_TRUNCATED_NOTE = re.compile(r"Table truncated to first (\d+) rows out of (\d+) total\.")
_TABLE_LABEL = re.compile(r"Table \d+")


@dataclass
class OfficeContent:
    """One Office document as the page fields of a ``PageResult``."""

    markdown: str
    text: str
    blocks: list[Block]
    tables: list[Table]
    #: Converter notes worth a ``metadata.warnings`` line (e.g. truncated tables).
    notes: list[str] = field(default_factory=list)


@dataclass
class _Item:
    """One top-level piece: its blocks, its plain text, its markdown."""

    kind: str  # heading | paragraph | list | table | code | picture | other | rule
    blocks: list[Block]
    text: str
    markdown: str
    tables: list[Table] = field(default_factory=list)


def kind_of(mime: str) -> str:
    return KINDS.get(mime, "generic")


# ---------------------------------------------------------------- preparation


def prepare(markdown: str, kind: str) -> str:
    """Repair what a converter is known to break, before parsing."""
    markdown = markdown.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "docx":
        # docstrange's _clean_content turns "### x" into "#\n## x" (and "#### x"
        # into "##\n## x"): glue the heading back together.
        markdown = re.sub(r"(?m)^(#+)\n## ", r"\1## ", markdown)
    if kind in ("docx", "pptx"):
        # One source paragraph per line; only table rows belong together.
        lines = markdown.split("\n")
        out: list[str] = []
        for i, line in enumerate(lines):
            out.append(line)
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            in_table = line.lstrip().startswith("|") and nxt.lstrip().startswith("|")
            if line.strip() and nxt.strip() and not in_table:
                out.append("")
        markdown = "\n".join(out)
    return markdown


# -------------------------------------------------------------------- walk


class _Walker:
    def __init__(self, source: str, kind: str) -> None:
        self.lines = source.split("\n")
        self.kind = kind

    def source_of(self, node: Any) -> str:
        if not node.map:
            return ""
        start, end = node.map
        return "\n".join(self.lines[start:end]).strip("\n")

    def items(self, root: Any) -> list[_Item]:
        out: list[_Item] = []
        for node in root.children:
            out.extend(self.item(node))
        return out

    def item(self, node: Any) -> list[_Item]:
        t = node.type
        md = self.source_of(node)
        if t == "heading":
            inline = inline_of(node)
            text = inline_text(inline).strip() if inline is not None else ""
            return [_Item("heading", [block("heading", text)], text, md)] if text else []
        if t == "paragraph":
            inline = inline_of(node)
            if inline is None:
                return []
            alts = only_images(inline)
            if alts is not None:
                return [
                    _Item("picture", [block("picture", " ".join(a for a in alts if a))], "", md)
                ]
            rows = _loose_table(md)
            if rows is not None:
                return self.tables(rows)
            text = inline_text(inline).strip()
            return [_Item("paragraph", [block("paragraph", text)], text, md)] if text else []
        if t in ("bullet_list", "ordered_list"):
            blocks: list[Block] = []
            lines: list[str] = []
            tables: list[Table] = []
            self.list_items(node, 0, blocks, lines, tables)
            return [_Item("list", blocks, "\n".join(lines), md, tables)] if blocks else []
        if t == "table":
            return self.tables(_table_rows(node))
        if t in ("fence", "code_block"):
            text = node.content.rstrip("\n")
            return [_Item("code", [block("code", text)], text, md)] if text.strip() else []
        if t == "html_block":
            text = html.unescape(re.sub(r"<[^<>]*>", " ", drop_comments(node.content)))
            text = "\n".join(" ".join(x.split()) for x in text.split("\n") if x.strip())
            if not text:
                return [_Item("rule", [], "", md)]  # comments such as <!-- image -->
            return [_Item("other", [block("other", text)], text, md)]
        if t == "hr":
            return [_Item("rule", [], "", md)]
        # blockquote and anything else: its inner pieces, one markdown chunk.
        inner: list[_Item] = []
        for child in node.children:
            inner.extend(self.item(child))
        if not inner:
            return []
        blocks = [b for i in inner for b in i.blocks]
        tables = [tb for i in inner for tb in i.tables]
        text = "\n\n".join(i.text for i in inner if i.text)
        return [_Item("other", blocks, text, md, tables)]

    def tables(self, rows: list[list[_Cell]]) -> list[_Item]:
        groups = [rows]
        if self.kind == "xlsx":
            groups = _split_regions(_xlsx_clean(rows))
        out = []
        for group in groups:
            table = build_table(group)
            if table is not None:
                text = table_text(table)
                out.append(_Item("table", [block("table", text)], text, table.markdown, [table]))
        return out

    def list_items(
        self, node: Any, depth: int, blocks: list[Block], lines: list[str], tables: list[Table]
    ) -> None:
        ordered = node.type == "ordered_list"
        number = int(node.attrs.get("start", 1)) if ordered else 0
        for item in node.children:
            if ordered:
                marker = f"{item.info or number}{item.markup or '.'}"
                number += 1
            else:
                marker = BULLET
            own: list[str] = []
            extra: list[Block] = []
            nested = []
            for child in item.children:
                if child.type in ("bullet_list", "ordered_list"):
                    nested.append(child)
                    continue
                for sub in self.item(child):
                    if sub.text:
                        own.append(sub.text)
                    extra.extend(b for b in sub.blocks if b.type != "paragraph")
                    tables.extend(sub.tables)
            text = f"{marker} " + "\n".join(own) if own else marker
            blocks.append(block("list_item", text))
            blocks.extend(extra)
            indent = "  " * depth
            lines.append(indent + text.replace("\n", "\n" + indent + "  "))
            for sub_list in nested:
                self.list_items(sub_list, depth + 1, blocks, lines, tables)


# ------------------------------------------------------------------ cleanup


def _docx_cleanup(items: list[_Item], notes: list[str]) -> list[_Item]:
    """Drop docstrange's table labels and notes; keep truncation notes as warnings."""
    kept: list[_Item] = []
    table_no = 0
    for i, item in enumerate(items):
        if item.kind == "table":
            table_no += 1
        if item.kind == "paragraph" and item.text == _MERGED_NOTE:
            continue
        m = _TRUNCATED_NOTE.fullmatch(item.text) if item.kind == "paragraph" else None
        if m:
            notes.append(
                f"DOCX table {table_no + 1}: the converter kept its first {m.group(1)}"
                f" of {m.group(2)} rows"
            )
            continue
        if item.kind == "heading" and _TABLE_LABEL.fullmatch(item.text):
            following = [
                x
                for x in items[i + 1 : i + 4]
                if not (
                    x.kind == "paragraph"
                    and (x.text == _MERGED_NOTE or _TRUNCATED_NOTE.fullmatch(x.text))
                )
            ]
            if following and following[0].kind == "table":
                continue
        kept.append(item)
    return kept


# -------------------------------------------------------------------- sheets

_SHEET_RULE = re.compile(r"\|( -+ \|)+")


def _sheet_cells(row: str) -> list[_Cell]:
    """docstrange writes a sheet row as ``"| " + " | ".join(str(v) for v in row) + " |"``."""
    body = row[2:-2] if len(row) >= 4 else ""
    cells = []
    for value in body.split(" | "):
        text = value.strip()
        cells.append(_Cell(text, render.escape_cell(text).replace("\n", "<br>")))
    return cells


def _sheet_items(source: str, walker: _Walker) -> list[_Item]:
    """XLSX markdown, read line by line: ``## Sheet: name`` headings and pipe tables.

    docstrange's Excel output is regular and unescaped, so it is split the way it
    was joined instead of being read as CommonMark: a ``|`` or ``*`` in a cell
    stays text, a cell holding a line break (which breaks the row over two lines)
    is put back together, and a large sheet costs string operations, not tokens.
    """
    lines = source.split("\n")
    items: list[_Item] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            rows: list[str] = []
            while i < len(lines) and lines[i].startswith("|"):
                row = lines[i]
                # a cell holding a line break continues the row on the next line(s)
                while (
                    not row.rstrip().endswith("|")
                    and i + 1 < len(lines)
                    and not lines[i + 1].startswith("## Sheet: ")
                ):
                    i += 1
                    row += "\n" + lines[i]
                rows.append(row.rstrip())
                i += 1
            if len(rows) > 1 and _SHEET_RULE.fullmatch(rows[1]):
                del rows[1]
            items.extend(walker.tables([_sheet_cells(row) for row in rows]))
            continue
        text = line.strip()
        if text.startswith("#"):
            text = text.lstrip("#").strip()
            if text:
                items.append(_Item("heading", [block("heading", text)], text, line.strip()))
        elif text:
            items.append(_Item("paragraph", [block("paragraph", text)], text, text))
        i += 1
    return items


# -------------------------------------------------------------------- entry


def parse(markdown: str, mime: str = "") -> OfficeContent:
    """Converter markdown of an Office/HTML document → ``OfficeContent``."""
    from markdown_it.tree import SyntaxTreeNode

    kind = kind_of(mime)
    source = prepare(markdown, kind)
    walker = _Walker(source, kind)
    if kind == "xlsx":
        items = _sheet_items(source, walker)
    else:
        items = walker.items(SyntaxTreeNode(parser().parse(source)))
    notes: list[str] = []
    if kind == "docx":
        items = _docx_cleanup(items, notes)
    blocks = [b for item in items for b in item.blocks]
    tables = [t for item in items for t in item.tables]
    text = "\n\n".join(item.text for item in items if item.text)
    md = "\n\n".join(item.markdown for item in items if item.markdown)
    return OfficeContent(markdown=md, text=text, blocks=blocks, tables=tables, notes=notes)
