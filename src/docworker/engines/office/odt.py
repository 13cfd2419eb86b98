"""OpenDocument text (.odt) → markdown, from ``content.xml`` with the standard library.

docstrange's local processors cover DOCX/PPTX/XLSX/HTML but not ODT, so this
small reader handles headings (``text:h`` with its outline level),
paragraphs, lists and tables (``table:table`` → a markdown table). The zip is
size-checked by the caller before this runs; Python's expat refuses entity
expansion attacks.

Repeat counts are bounded: a run of spaces (``text:s text:c``) gives at most
``MAX_SPACES``, a repeated cell (``number-columns-repeated``) at most
``MAX_REPEAT`` copies, and a count that is no number counts as 1. Reading
stops once the output passes ``max_chars`` (the caller, which cuts it to that,
sees it is longer and reports the cut), so a 650-byte file can no longer ask for 350 million spaces.
Any failure of a file that parses as XML (nesting too deep, say) is
``corrupt_document``: it fails the same way every time, so it is not retryable.

Input: path to an .odt file, the character budget. Output: markdown text and
how many repeat counts were capped (the caller reports them as a cut).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from docworker import errors, superscripts

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"

#: Most spaces one ``text:s`` stands for (writers use it for runs of a few spaces).
MAX_SPACES = 1000
#: Most copies of one repeated table cell.
MAX_REPEAT = 64


class _Full(Exception):
    """The output passed its budget: stop reading."""


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _count(element: ET.Element, attribute: str, limit: int) -> int:
    """A count attribute, between 1 and ``limit``; anything else counts as 1."""
    value = element.get(attribute, "1").strip()
    return min(int(value), limit) if value.isdigit() and int(value) > 0 else 1


def _raised_styles(root: ET.Element) -> frozenset[str]:
    """The names of the document's automatic text styles set raised (``style:text-position``
    "super ..." or a positive shift: a footnote mark, an exponent)."""
    names = set()
    for style in root.iter(_q(STYLE, "style")):
        props = style.find(_q(STYLE, "text-properties"))
        position = "" if props is None else props.get(_q(STYLE, "text-position"), "")
        first = (position.split() or [""])[0]
        try:
            up = first == "super" or (first.endswith("%") and float(first[:-1]) > 0)
        except ValueError:
            up = False
        if up:
            names.add(style.get(_q(STYLE, "name"), ""))
    return frozenset(names)


class _Reader:
    def __init__(self, max_chars: int, raised: frozenset[str] = frozenset()) -> None:
        self.left = max_chars
        self.out: list[str] = []
        self.capped = 0  # repeat counts over their bound
        self.raised = raised  # text styles set raised (``_raised_styles``)

    def repeat(self, element: ET.Element, attribute: str, limit: int) -> int:
        count = _count(element, attribute, limit)
        if count == limit and element.get(attribute, "").strip() != str(limit):
            self.capped += 1
        return count

    def emit(self, block: str) -> None:
        self.out.append(block)
        self.left -= len(block) + 2
        if self.left < 0:
            raise _Full

    def inline(self, element: ET.Element) -> str:
        """The text of a paragraph-like element, honouring spaces, tabs and line breaks.

        Never longer than the budget left plus one, so emitting it ends the document.
        """
        parts: list[str] = [element.text or ""]
        size = len(parts[0])
        for child in element:
            if size > self.left:
                break
            if child.tag == _q(TEXT, "s"):
                parts.append(" " * self.repeat(child, _q(TEXT, "c"), MAX_SPACES))
            elif child.tag == _q(TEXT, "tab"):
                parts.append("\t")
            elif child.tag == _q(TEXT, "line-break"):
                parts.append("\n")
            elif child.tag == _q(TEXT, "span") and child.get(_q(TEXT, "style-name")) in self.raised:
                text = self.inline(child)  # a footnote mark, an exponent: "reports²"
                parts.append(superscripts.raised(text) or text)
            elif child.tag not in (_q(TEXT, "note"), _q(OFFICE, "annotation")):
                parts.append(self.inline(child))
            parts.append(child.tail or "")
            size += len(parts[-1]) + len(parts[-2])
        text = "".join(parts)
        return text if len(text) <= self.left else text[: max(0, self.left) + 1]

    def table(self, element: ET.Element) -> str:
        rows: list[list[str]] = []
        size = 0
        for row in element.iter(_q(TABLE, "table-row")):
            cells = []
            for cell in row:
                if cell.tag not in (_q(TABLE, "table-cell"), _q(TABLE, "covered-table-cell")):
                    continue
                text = " ".join(self.inline(p).strip() for p in cell.iter(_q(TEXT, "p")))
                repeat = self.repeat(cell, _q(TABLE, "number-columns-repeated"), MAX_REPEAT)
                cells.extend([text.replace("|", "\\|")] * repeat)
                size += (len(text) + 3) * repeat
            rows.append(cells)
            if size > self.left:
                break  # the table is cut here; emit() stops the document
        rows = [r for r in rows if any(c.strip() for c in r)]
        if not rows:
            return ""
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return "\n".join(lines)

    def blocks(self, parent: ET.Element, list_depth: int = 0) -> None:
        for child in parent:
            if child.tag == _q(TEXT, "h"):
                level = _count(child, _q(TEXT, "outline-level"), 6)
                text = self.inline(child).strip()
                if text:
                    self.emit("#" * level + " " + text)
            elif child.tag == _q(TEXT, "p"):
                text = self.inline(child).strip()
                if text:
                    self.emit(("  " * (list_depth - 1) + "- " + text) if list_depth else text)
            elif child.tag == _q(TEXT, "list"):
                for item in child:
                    self.blocks(item, list_depth + 1)
            elif child.tag == _q(TABLE, "table"):
                table = self.table(child)
                if table:
                    self.emit(table)
            else:
                self.blocks(child, list_depth)


def odt_to_markdown(path: Path, max_chars: int = 1_000_000) -> tuple[str, int]:
    """``(markdown, repeat counts capped)``; reading stops a block after ``max_chars``."""
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
    reader = _Reader(max_chars, _raised_styles(root))
    try:
        reader.blocks(body)
    except _Full:
        pass
    except (RecursionError, ValueError, TypeError) as e:
        raise errors.CorruptDocument(
            f"the OpenDocument content cannot be read ({type(e).__name__})"
        ) from e
    return "\n\n".join(reader.out), reader.capped
