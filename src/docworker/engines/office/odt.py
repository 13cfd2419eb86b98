"""OpenDocument text (.odt) → markdown, from ``content.xml`` with the standard library.

docstrange's local processors cover DOCX/PPTX/XLSX/HTML but not ODT, so this
small reader handles headings (``text:h`` with its outline level),
paragraphs, lists and tables (``table:table`` → a markdown table). The zip is
size-checked by the caller before this runs; Python's expat refuses entity
expansion attacks.

Input: path to an .odt file. Output: markdown text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from docworker import errors

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _inline(element: ET.Element) -> str:
    """The text of a paragraph-like element, honouring spaces, tabs and line breaks."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag == _q(TEXT, "s"):
            parts.append(" " * int(child.get(_q(TEXT, "c"), "1")))
        elif child.tag == _q(TEXT, "tab"):
            parts.append("\t")
        elif child.tag == _q(TEXT, "line-break"):
            parts.append("\n")
        elif child.tag not in (_q(TEXT, "note"), _q(OFFICE, "annotation")):
            parts.append(_inline(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _table(element: ET.Element) -> str:
    rows: list[list[str]] = []
    for row in element.iter(_q(TABLE, "table-row")):
        cells = []
        for cell in row:
            if cell.tag not in (_q(TABLE, "table-cell"), _q(TABLE, "covered-table-cell")):
                continue
            text = " ".join(_inline(p).strip() for p in cell.iter(_q(TEXT, "p")))
            repeat = min(int(cell.get(_q(TABLE, "number-columns-repeated"), "1")), 64)
            cells.extend([text.replace("|", "\\|")] * repeat)
        rows.append(cells)
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def _blocks(parent: ET.Element, out: list[str], list_depth: int = 0) -> None:
    for child in parent:
        if child.tag == _q(TEXT, "h"):
            level = min(max(int(child.get(_q(TEXT, "outline-level"), "1")), 1), 6)
            text = _inline(child).strip()
            if text:
                out.append("#" * level + " " + text)
        elif child.tag == _q(TEXT, "p"):
            text = _inline(child).strip()
            if text:
                out.append(("  " * (list_depth - 1) + "- " + text) if list_depth else text)
        elif child.tag == _q(TEXT, "list"):
            for item in child:
                _blocks(item, out, list_depth + 1)
        elif child.tag == _q(TABLE, "table"):
            table = _table(child)
            if table:
                out.append(table)
        else:
            _blocks(child, out, list_depth)


def odt_to_markdown(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            content = zf.read("content.xml")
        root = ET.fromstring(content)
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise errors.CorruptDocument("the OpenDocument file has no readable content.xml") from e
    except ET.ParseError as e:
        raise errors.CorruptDocument("the OpenDocument content.xml is not well-formed XML") from e
    body = root.find(f"{_q(OFFICE, 'body')}/{_q(OFFICE, 'text')}")
    if body is None:
        raise errors.UnsupportedType("only OpenDocument *text* files are supported")
    out: list[str] = []
    _blocks(body, out)
    return "\n\n".join(out)
