"""DOCX in body order with python-docx: paragraphs, lists, captions and whole tables, with spans.

docstrange 1.1.8's DOCX converter writes every paragraph first and every
table after them, cuts tables at 20 rows and repeats a merged cell's text.
This reader walks ``w:body`` itself (content controls and custom XML
included), so each piece stays where it stands:

- paragraphs by style: ``Title`` (a ``title`` block), ``Heading n`` or an
  outline level (``heading``, level n), ``Caption`` (``caption``), numbered or
  bulleted (``list_item``, numbered from the document's numbering definitions;
  ``numId 0`` switches a style's list off), otherwise ``paragraph``; pictures
  drawn in a paragraph become ``picture`` blocks with their alt text;
- text from runs, hyperlinks, fields' shown results and tracked insertions;
  deletions, field codes and ``mc:Fallback`` copies are left out;
- tables whole, cells placed on the grid: ``gridSpan`` and ``vMerge`` become
  column and row spans, ``gridBefore`` shifts a row right; header rows are
  those marked to repeat (``tblHeader``), else the first row when it has text;
  a nested table's text joins its cell's text.

Input: a DOCX path (already checked by ``office.check_zip``). Output:
``OfficeContent``; ``CorruptDocument`` when python-docx cannot open it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from docworker import errors, superscripts
from docworker.engines.office.build import (
    MAX_TABLE_COLUMNS,
    ContentBuilder,
    GridCell,
    span_table,
)
from docworker.engines.office.markdown import OfficeContent

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
WP_DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
V_IMAGEDATA = "{urn:schemas-microsoft-com:vml}imagedata"
#: Elements whose text is not the document's shown text.
_SKIP = frozenset(
    {MC_FALLBACK, f"{W}del", f"{W}moveFrom", f"{W}instrText", f"{W}delText", f"{W}rPr", f"{W}pPr"}
)
#: Wrappers whose children are body content (content controls, custom XML, moves).
_WRAPPERS = frozenset({f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins", f"{W}moveTo"})
#: Nested tables deeper than this add no text (a hostile file could nest thousands).
MAX_NESTING = 16
_HEADING = re.compile(r"heading\s*([1-9])", re.I)


def _val(element: Any, tag: str) -> str | None:
    child = element.find(f"{W}{tag}") if element is not None else None
    return None if child is None else child.get(f"{W}val")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _children(element: Any) -> list[Any]:
    """Body-level children, content controls and custom XML unwrapped."""
    out = []
    for child in element:
        if child.tag in _WRAPPERS:
            out.extend(_children(child))
        elif isinstance(child.tag, str):
            out.append(child)
    return out


def docx_content(path: Path) -> OfficeContent:
    """The DOCX at ``path`` as ``OfficeContent``, in body order, uncapped."""
    return read_docx(path).finish()


def read_docx(path: Path) -> ContentBuilder:
    """The DOCX at ``path``, its pieces in body order."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.LxmlError) as e:
        raise errors.CorruptDocument(f"DOCX could not be read ({type(e).__name__})") from e
    reader = _Reader(document)
    reader.body(document.element.body)
    return reader.out


class _Reader:
    def __init__(self, document: Any) -> None:
        self.out = ContentBuilder()
        self.styles: dict[str, Any] = {}
        for style in document.styles.element.findall(f"{W}style"):
            self.styles[style.get(f"{W}styleId", "")] = style
        self.numbering = _Numbering(document)

    # ---------------------------------------------------------------- styles

    def _style_chain(self, style_id: str | None) -> list[Any]:
        chain: list[Any] = []
        while style_id and style_id in self.styles and len(chain) < 20:
            style = self.styles[style_id]
            if any(s is style for s in chain):
                break  # a basedOn loop
            chain.append(style)
            style_id = _val(style, "basedOn")
        return chain

    def _style_name(self, chain: list[Any]) -> str:
        return (_val(chain[0], "name") or "") if chain else ""

    def _from_styles(self, p_pr: Any, chain: list[Any], tag: str) -> Any | None:
        """The first ``tag`` in the paragraph's own properties, then its styles'."""
        for props in [p_pr, *(s.find(f"{W}pPr") for s in chain)]:
            found = props.find(f"{W}{tag}") if props is not None else None
            if found is not None:
                return found
        return None

    # ------------------------------------------------------------------ body

    def body(self, element: Any) -> None:
        for child in _children(element):
            if child.tag == f"{W}p":
                self.paragraph(child)
            elif child.tag == f"{W}tbl":
                self.out.table(self.table(child, 0))

    def paragraph(self, p: Any) -> None:
        p_pr = p.find(f"{W}pPr")
        chain = self._style_chain(_val(p_pr, "pStyle") or "Normal")
        name = self._style_name(chain)
        text = paragraph_text(p)
        pictures = picture_alts(p)
        heading = _HEADING.fullmatch(name.strip())
        outline = self._from_styles(p_pr, chain, "outlineLvl")
        num_pr = self._from_styles(p_pr, chain, "numPr")
        if name.lower() == "title":
            self.out.heading(text, 1, kind="title")
        elif heading or (outline is not None and _int(outline.get(f"{W}val"), 9) < 9):
            level = int(heading.group(1)) if heading else _int(outline.get(f"{W}val"), 0) + 1
            self.out.heading(text, level)
        elif name.lower() == "caption":
            self.out.paragraph(text, kind="caption")
        elif num_pr is not None and text.strip() and self.numbering.is_list(num_pr):
            marker, depth = self.numbering.next(num_pr)
            self.out.list_item(text, marker, depth, key=_val(num_pr, "numId"))
        else:
            self.out.paragraph(text)
        for alt in pictures:
            self.out.picture(alt)

    # ----------------------------------------------------------------- tables

    def table(self, tbl: Any, depth: int) -> Any:
        cells, n_rows, n_cols, header_rows = self.grid(tbl, depth)
        return span_table(cells, n_rows, n_cols, header_rows)

    def grid(self, tbl: Any, depth: int) -> tuple[list[GridCell], int, int, int]:
        """Cells on the grid, row count, column count, and how many header rows lead."""
        rows = [row for row in _children(tbl) if row.tag == f"{W}tr"]
        cells: list[GridCell] = []
        above: dict[int, GridCell] = {}  # the last cell starting at each column
        n_cols = 0
        header_rows = 0
        counting_header = True
        for r, tr in enumerate(rows):
            tr_pr = tr.find(f"{W}trPr")
            if counting_header and tr_pr is not None and tr_pr.find(f"{W}tblHeader") is not None:
                header_rows = r + 1
            else:
                counting_header = False
            col = min(_int(_val(tr_pr, "gridBefore"), 0), MAX_TABLE_COLUMNS - 1)
            for tc in (c for c in _children(tr) if c.tag == f"{W}tc"):
                if col >= MAX_TABLE_COLUMNS:
                    break
                tc_pr = tc.find(f"{W}tcPr")
                span = max(1, min(_int(_val(tc_pr, "gridSpan"), 1), MAX_TABLE_COLUMNS - col))
                merge = tc_pr.find(f"{W}vMerge") if tc_pr is not None else None
                owner = above.get(col)
                continues = merge is not None and merge.get(f"{W}val", "continue") == "continue"
                if (
                    continues
                    and owner is not None
                    and owner.col_span == span
                    and owner.row + owner.row_span == r
                ):
                    owner.row_span += 1
                else:
                    cell = GridCell(r, col, self.cell_text(tc, depth), 1, span)
                    cells.append(cell)
                    above[col] = cell
                col += span
            n_cols = max(n_cols, col)
        if not header_rows and cells and any(c.text.strip() for c in cells if c.row == 0):
            header_rows = 1
        return cells, len(rows), n_cols, header_rows

    def cell_text(self, tc: Any, depth: int) -> str:
        """A cell's paragraphs and nested tables' texts, joined by spaces."""
        parts: list[str] = []
        for child in _children(tc):
            if child.tag == f"{W}p":
                parts.append(paragraph_text(child))
            elif child.tag == f"{W}tbl" and depth < MAX_NESTING:
                cells, _, _, _ = self.grid(child, depth + 1)
                parts.extend(c.text for c in sorted(cells, key=lambda c: (c.row, c.col)))
        return " ".join(" ".join(parts).split())


def paragraph_text(p: Any) -> str:
    """The text a reader sees in a paragraph (runs, hyperlinks, fields' results, insertions)."""
    out: list[str] = []
    _collect(p, out, 0)
    return "".join(out).strip()


def _collect(node: Any, out: list[str], depth: int) -> None:
    for child in node:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == f"{W}t":
            out.append(child.text or "")
        elif tag == f"{W}r" and _superscript(child) and depth < 64:
            # A run set in superscript: a footnote mark or an exponent ("reports²").
            run: list[str] = []
            _collect(child, run, depth + 1)
            text = "".join(run)
            out.append(superscripts.raised(text) or text)
        elif tag in (f"{W}tab", f"{W}ptab"):
            out.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            out.append("\n")
        elif tag == f"{W}noBreakHyphen":
            out.append("-")
        elif tag == f"{W}p" and depth < MAX_NESTING:  # a text box's paragraph
            out.append("\n")
            _collect(child, out, depth + 1)
        elif depth < 64:
            _collect(child, out, depth + 1)


def _superscript(run: Any) -> bool:
    """Is the run set in superscript (its own ``w:vertAlign``)?"""
    props = run.find(f"{W}rPr")
    align = props.find(f"{W}vertAlign") if props is not None else None
    return align is not None and align.get(f"{W}val") == "superscript"


def picture_alts(p: Any) -> list[str]:
    """Alt text of every picture drawn in the paragraph ("" where it has none)."""
    alts = []
    for element in p.iter(WP_DOCPR, V_IMAGEDATA):
        if any(a.tag == MC_FALLBACK for a in element.iterancestors()):
            continue
        if element.tag == WP_DOCPR:
            alts.append(element.get("descr") or element.get("title") or "")
        else:
            alts.append(element.get("{urn:schemas-microsoft-com:office:office}title") or "")
    return alts


# --------------------------------------------------------------- numbering

_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc")]
_ROMAN += [(50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


class _Numbering:
    """The document's list definitions and running counters: ``numPr`` → marker and depth."""

    def __init__(self, document: Any) -> None:
        self.formats: dict[tuple[str, int], tuple[str, int]] = {}  # (numId, ilvl) → fmt, start
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, ValueError):
            return
        abstract = {}
        for element in root.findall(f"{W}abstractNum"):
            levels = {}
            for lvl in element.findall(f"{W}lvl"):
                ilvl = _int(lvl.get(f"{W}ilvl"), 0)
                levels[ilvl] = (_val(lvl, "numFmt") or "decimal", _int(_val(lvl, "start"), 1))
            abstract[element.get(f"{W}abstractNumId")] = levels
        for num in root.findall(f"{W}num"):
            num_id = num.get(f"{W}numId") or ""
            for ilvl, (fmt, start) in abstract.get(_val(num, "abstractNumId"), {}).items():
                self.formats[(num_id, ilvl)] = (fmt, start)
            for override in num.findall(f"{W}lvlOverride"):
                ilvl = _int(override.get(f"{W}ilvl"), 0)
                start = _val(override, "startOverride")
                if start is not None and (num_id, ilvl) in self.formats:
                    self.formats[(num_id, ilvl)] = (self.formats[(num_id, ilvl)][0], _int(start, 1))

    @staticmethod
    def _ids(num_pr: Any) -> tuple[str, int]:
        return _val(num_pr, "numId") or "0", max(0, min(_int(_val(num_pr, "ilvl"), 0), 8))

    def is_list(self, num_pr: Any) -> bool:
        num_id, ilvl = self._ids(num_pr)
        fmt = self.formats.get((num_id, ilvl), ("bullet", 1))[0]
        return num_id != "0" and fmt != "none"

    def next(self, num_pr: Any) -> tuple[str | None, int]:
        """This item's marker (``None`` for a bullet) and nesting depth."""
        num_id, ilvl = self._ids(num_pr)
        fmt, start = self.formats.get((num_id, ilvl), ("bullet", 1))
        counts = self.counters.setdefault(num_id, [0] * 9)
        counts[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0
        n = start + counts[ilvl] - 1
        if fmt == "bullet":
            return None, ilvl
        if fmt in ("lowerLetter", "upperLetter"):
            shown = _letters(n)
            return f"{shown.upper() if fmt == 'upperLetter' else shown}.", ilvl
        if fmt in ("lowerRoman", "upperRoman"):
            return f"{_roman(n).upper() if fmt == 'upperRoman' else _roman(n)}.", ilvl
        return f"{n}.", ilvl
