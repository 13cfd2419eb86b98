"""HTML with lxml: headings, paragraphs, lists, code and tables in document order, with spans.

docstrange 1.1.8 converts HTML with markdownify, which repeats nothing but
also keeps nothing of ``rowspan``/``colspan``: a spanning cell becomes one
cell and the row's other cells move left under the wrong headers. This
reader parses the page with lxml's HTML parser (as browsers do: implied end
tags, stray markup recovered) and walks ``<body>`` in order:

- ``h1``–``h6``: ``heading`` blocks at their level;
- text in block elements (``p``, ``div``, ``section``, ``blockquote``, ``li``
  outside a list, ...): ``paragraph`` blocks, whitespace collapsed as a
  browser does, ``<br>`` as a line break; ``figcaption`` and a table's
  ``caption``: ``caption`` blocks;
- ``ul``/``ol``: ``list_item`` blocks with bullets or numbers (``start`` and
  ``value`` honoured), nested lists one level deeper;
- ``pre``: a ``code`` block, whitespace kept;
- ``img``: a ``picture`` block with its ``alt`` text, after its paragraph;
- ``table``: one table with cells placed on the grid by ``rowspan`` and
  ``colspan`` (a spanning cell is one cell with its spans and its text once);
  rows in ``thead``, else leading rows of ``th`` only, are header rows; a
  nested table's text joins its cell's text.

``head``, ``script``, ``style``, ``template``, ``noscript``, ``svg`` and
comments are left out; inline markup (links, emphasis) becomes plain text.
The bytes are read as UTF-8 (after a BOM check), else in the ``charset`` a
``<meta>`` declares, else as Windows-1252. Reading stops at the page's caps.

Input: an HTML path, the page's caps. Output: a ``ContentBuilder``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docworker import errors, superscripts
from docworker.engines.office.build import (
    MAX_TABLE_COLUMNS,
    MAX_TABLE_POSITIONS,
    ContentBuilder,
    GridCell,
    span_table,
)

_SKIP = frozenset({"head", "script", "style", "template", "noscript", "svg", "title", "iframe"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details",
        "dialog", "div", "dl", "dt", "fieldset", "figure", "footer", "form", "header",
        "hgroup", "html", "legend", "li", "main", "nav", "p", "section", "summary",
        "tbody", "thead", "tfoot", "tr", "td", "th",
    }
)  # fmt: skip
_CAPTIONS = frozenset({"figcaption", "caption"})
#: Elements nested deeper than this are read as flat text (no recursion past it).
MAX_DEPTH = 200
_SPACE = re.compile(r"[ \t\n\r\f]+")
_BREAK = "\x00"  # a <br> while inline text is collected
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


class _Full(Exception):
    """The builder reached a cap: stop walking."""


def read_html(
    path: Path, max_chars: int | None = None, max_cells: int | None = None
) -> ContentBuilder:
    """The HTML page at ``path``, in document order, within the caps."""
    import lxml.html
    from lxml import etree

    text = decode_html(Path(path).read_bytes())
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except etree.ParserError as e:  # "Document is empty"
        if text.strip():
            raise errors.CorruptDocument(f"HTML could not be read ({type(e).__name__})") from e
        return ContentBuilder(max_chars, max_cells)
    walker = _Walker(ContentBuilder(max_chars, max_cells))
    body = root.find("body")
    try:
        walker.block(body if body is not None else root, 0)
        walker.flush()
    except _Full:
        pass
    return walker.out


def decode_html(data: bytes) -> str:
    """The page's characters: BOM, else UTF-8, else the ``<meta>`` charset, else cp1252."""
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return data.decode("cp1252", errors="replace")


def _tag(element: Any) -> str:
    return element.tag.lower() if isinstance(element.tag, str) else ""


def _collapse(raw: str) -> str:
    """Inline text as a browser shows it: whitespace runs as one space, ``<br>`` as ``\\n``."""
    lines = [_SPACE.sub(" ", part).strip() for part in raw.split(_BREAK)]
    return "\n".join(line for line in lines if line)


def inline_text(element: Any, depth: int = 0, leave_out: frozenset[str] = _SKIP) -> str:
    """All text under ``element`` (tails of its children included, its own tail not)."""
    parts: list[str] = []
    _gather(element, parts, depth, leave_out)
    return _collapse("".join(parts))


def _gather(element: Any, parts: list[str], depth: int, leave_out: frozenset[str]) -> None:
    if depth > MAX_DEPTH:
        parts.append(element.text_content())
        return
    parts.append(element.text or "")
    for child in element:
        tag = _tag(child)
        if tag == "br":
            parts.append(_BREAK)
        elif tag == "sup" and tag not in leave_out:
            parts.append(_raised(child, depth, leave_out))
        elif tag and tag not in leave_out:
            _gather(child, parts, depth + 1, leave_out)
            if tag in _BLOCKS or tag in _HEADINGS or tag in _CAPTIONS:
                parts.append(" ")
        parts.append(child.tail or "")


def _raised(element: Any, depth: int, leave_out: frozenset[str]) -> str:
    """A ``<sup>``'s text: figures as superscript characters ("reports²"), else as is."""
    run: list[str] = []
    _gather(element, run, depth + 1, leave_out)
    text = "".join(run)
    return superscripts.raised(text) or text


def _int(value: str | None, default: int) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


class _Walker:
    def __init__(self, out: ContentBuilder) -> None:
        self.out = out
        self.inline: list[str] = []
        self.pictures: list[str] = []

    def check(self) -> None:
        if self.out.full:
            raise _Full

    def flush(self, kind: str = "paragraph") -> None:
        text = _collapse("".join(self.inline))
        self.inline = []
        if text:
            self.out.paragraph(text, kind=kind)
        for alt in self.pictures:
            self.out.picture(alt)
        self.pictures = []
        self.check()

    def block(self, element: Any, depth: int) -> None:
        """The children of a block element, in order; inline text gathers into paragraphs."""
        if depth > MAX_DEPTH:
            self.inline.append(element.text_content())
            return
        self.inline.append(element.text or "")
        for child in element:
            self.child(child, depth + 1)
            self.inline.append(child.tail or "")

    def child(self, element: Any, depth: int) -> None:
        tag = _tag(element)
        if not tag or tag in _SKIP:
            return
        if tag == "br":
            self.inline.append(_BREAK)
        elif tag == "img":
            self.pictures.append(" ".join((element.get("alt") or "").split()))
        elif tag in _HEADINGS:
            self.flush()
            self.out.heading(inline_text(element, depth), _HEADINGS[tag])
        elif tag == "table":
            self.flush()
            caption = element.find("caption")
            if caption is not None:
                self.out.paragraph(inline_text(caption, depth), kind="caption")
            self.out.table(html_table(element))
        elif tag in ("ul", "ol"):
            self.flush()
            self.list(element, depth, 0, element)
        elif tag == "pre":
            self.flush()
            self.out.code(element.text_content())
        elif tag == "hr":
            self.flush()  # a break between paragraphs, nothing of its own
        elif tag in _BLOCKS or tag in _CAPTIONS:
            self.flush()
            self.block(element, depth)
            self.flush("caption" if tag in _CAPTIONS else "paragraph")
        elif tag == "sup":  # a footnote mark or an exponent, raised
            self.inline.append(_raised(element, depth, _SKIP))
        else:  # inline: its text joins the paragraph being gathered
            self.block(element, depth)
        self.check()

    def list(self, element: Any, depth: int, level: int, key: Any) -> None:
        number = _int(element.get("start"), 1)
        ordered = _tag(element) == "ol"
        leave_out = _SKIP | {"ul", "ol", "table"}
        for item in element:
            if _tag(item) != "li":
                continue
            if ordered:
                number = _int(item.get("value"), number)
            marker = f"{number}." if ordered else None
            number += 1
            self.out.list_item(inline_text(item, depth, leave_out), marker, level, key=key)
            for inner in item.iter("ul", "ol", "table"):
                if depth > MAX_DEPTH or _nearest(inner, ("li", "table")) is not item:
                    continue
                if _tag(inner) == "table":
                    self.out.table(html_table(inner))
                elif level < 8:
                    self.list(inner, depth + 1, level + 1, key)
            self.check()


def _nearest(element: Any, tags: tuple[str, ...]) -> Any:
    """The closest ancestor of ``element`` with one of ``tags``."""
    for ancestor in element.iterancestors(*tags):
        return ancestor
    return None


def _rows(table: Any) -> tuple[list[Any], int]:
    """The table's own rows (not a nested table's), and how many lead in ``thead``."""
    rows: list[Any] = []
    head = 0
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            section = [r for r in child if _tag(r) == "tr"]
            if tag == "thead" and len(rows) == head:
                head += len(section)
            rows.extend(section)
    return rows, head


def html_table(table: Any) -> Any:
    """A ``<table>`` as a span table: cells placed by ``rowspan``/``colspan``."""
    rows, header_rows = _rows(table)
    n_rows = len(rows)
    row_cells = [[c for c in tr if _tag(c) in ("td", "th")] for tr in rows]
    if not header_rows:
        for found in row_cells:
            if not found or any(_tag(c) != "th" for c in found):
                break
            header_rows += 1
    busy: dict[int, int] = {}  # column → last row a rowspan above covers
    cells: list[GridCell] = []
    n_cols = area = 0
    for r, found in enumerate(row_cells):
        col = 0
        for td in found:
            while busy.get(col, -1) >= r:
                col += 1
            if col >= MAX_TABLE_COLUMNS:
                break
            col_span = max(1, min(_int(td.get("colspan"), 1), MAX_TABLE_COLUMNS - col))
            row_span = _int(td.get("rowspan"), 1)  # 0: to the end of the table
            row_span = n_rows - r if row_span == 0 else max(1, min(row_span, n_rows - r))
            area += row_span * col_span
            if area > MAX_TABLE_POSITIONS:
                raise errors.LimitExceeded(
                    f"an HTML table claims more than {MAX_TABLE_POSITIONS} grid positions"
                )
            cells.append(GridCell(r, col, inline_text(td), row_span, col_span))
            for c in range(col, col + col_span):
                busy[c] = max(busy.get(c, -1), r + row_span - 1)
            col += col_span
            n_cols = max(n_cols, col)
    _fill(cells, n_rows, n_cols)
    return span_table(cells, n_rows, n_cols, header_rows)


def _fill(cells: list[GridCell], n_rows: int, n_cols: int) -> None:
    """Empty cells where a row ends short, so that every grid position has a cell."""
    if n_rows * n_cols > MAX_TABLE_POSITIONS:
        return  # span_table refuses the table
    taken: set[tuple[int, int]] = set()
    for cell in cells:  # their areas add up to at most MAX_TABLE_POSITIONS
        for r in range(cell.row, min(cell.row + cell.row_span, n_rows)):
            taken.update((r, c) for c in range(cell.col, min(cell.col + cell.col_span, n_cols)))
    cells.extend(
        GridCell(r, c, "") for r in range(n_rows) for c in range(n_cols) if (r, c) not in taken
    )
