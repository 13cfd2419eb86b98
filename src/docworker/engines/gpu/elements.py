"""The VLM's markdown → ordered elements (headings, lists, tables, pictures...).

``split_elements(markdown)`` cuts the model's page markdown into ``Element``
records in their order: headings, list items, HTML or pipe tables (parsed
into ``contract.Table`` by ``tables.parse``), pictures (``<img>``), formulas,
code, page numbers and watermarks (tagged spans), and paragraphs. The
elements are then placed on the page by ``engines.gpu.align`` and
``engines.gpu.assemble``.

Input: one page's markdown. Output: ``list[Element]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from docworker.contract import Table
from docworker.tables.parse import find_html_tables, parse_html_table, pipe_table


@dataclass
class Element:
    """A piece of the VLM's markdown, in its order."""

    #: heading, list_item, table, picture, formula, code, page_number, watermark, paragraph
    kind: str
    text: str
    markdown: str
    level: int = 0
    table: Table | None = None


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(.*)$")
_TAGGED = re.compile(r"<(page_number|watermark|img)>(.*?)</\1>", re.DOTALL | re.IGNORECASE)
_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_INLINE_MARKUP = re.compile(r"(\*\*|__|`)")
_PLACEHOLDER = "\x00T{}\x00"


def _plain(text: str) -> str:
    return " ".join(_INLINE_MARKUP.sub("", text).split())


def _table_element(table: Table) -> Element:
    text = "\n".join(
        " | ".join(c.text for c in sorted(table.cells, key=lambda c: c.col) if c.row == row)
        for row in range(table.n_rows)
    )
    return Element("table", text, table.markdown or table.html, table=table)


def split_elements(markdown: str) -> list[Element]:
    """The VLM's output as ordered elements; HTML tables parsed into ``Table``."""
    tables: list[Table] = []
    pieces: list[str] = []
    cursor = 0
    for start, end in find_html_tables(markdown):
        pieces.append(markdown[cursor:start])
        pieces.append("\n\n" + _PLACEHOLDER.format(len(tables)) + "\n\n")
        tables.append(parse_html_table(markdown[start:end]))
        cursor = end
    pieces.append(markdown[cursor:])
    text = "".join(pieces)

    # Tagged spans (page numbers, watermarks, images) become their own blocks.
    def _tag(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        return f"\n\n<{name}>{' '.join(match.group(2).split())}</{name}>\n\n"

    text = _TAGGED.sub(_tag, text)
    elements: list[Element] = []
    lines = text.split("\n")
    i = 0
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            body = "\n".join(paragraph).strip()
            if body:
                elements.append(Element("paragraph", _plain(body), body))
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            flush()
            i += 1
            continue
        placeholder = re.fullmatch(r"\x00T(\d+)\x00", stripped)
        tagged = re.fullmatch(r"<(page_number|watermark|img)>(.*)</\1>", stripped)
        if placeholder:
            flush()
            elements.append(_table_element(tables[int(placeholder.group(1))]))
        elif tagged:
            flush()
            kind = {"img": "picture"}.get(tagged.group(1), tagged.group(1))
            content = tagged.group(2).strip()
            md = f"![{content}]()" if kind == "picture" else content
            elements.append(Element(kind, content, md))
        elif stripped.startswith("```"):
            flush()
            block = [line]
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i])
                i += 1
            if i < len(lines):
                block.append(lines[i])
            body = "\n".join(block)
            elements.append(Element("code", "\n".join(block[1:-1]).strip(), body))
        elif stripped.startswith("$$"):
            flush()
            block = [stripped]
            closed = len(stripped) > 2 and stripped.endswith("$$")
            while not closed and i + 1 < len(lines):
                i += 1
                block.append(lines[i].strip())
                closed = lines[i].strip().endswith("$$")
            body = "\n".join(block)
            elements.append(Element("formula", body.strip("$").strip(), body))
        elif (m := _HEADING.match(stripped)) is not None:
            flush()
            elements.append(Element("heading", _plain(m.group(2)), stripped, level=len(m.group(1))))
        elif (
            stripped.startswith("|") and i + 1 < len(lines) and _PIPE_SEPARATOR.match(lines[i + 1])
        ):
            flush()
            block = [stripped]
            i += 1
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i].strip())
                i += 1
            elements.append(_table_element(pipe_table(block)))
            continue
        elif (m := _LIST.match(line)) is not None:
            flush()
            elements.append(Element("list_item", _plain(m.group(1)), stripped))
        else:
            paragraph.append(line.rstrip())
        i += 1
    flush()
    return elements
