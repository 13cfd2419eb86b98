"""Paragraphs and tables → typed blocks, markdown and text for one page.

Block types (``classify``), judged on the page's own text:

- ``heading``: a short paragraph (at most three lines, no trailing comma)
  set larger than the page's body text, or bold where the body is not, or
  numbered ("5.1 Hyper Parameter Optimization") and set apart by size or
  weight. Level 1 (``#``) from 1.5 times the body size, level 2 (``##``)
  from 1.15 times or a one-part number ("5 Results"), level 3 (``###``)
  otherwise; deeper numbers go one level down per part ("5.1.2" → ``####``).
  The body size is the size most characters are set in; a size that holds a
  quarter of them over eight lines or more is running text as well
  (``text_sizes``: a page whose footnotes outweigh its body), never a
  heading's by size alone. A CJK sentence is long by its characters.
  OCR lines carry no font size: there a short paragraph whose line boxes are
  ``OCR_HEADING`` times as tall as most of the page's text or more is a
  heading when at least half its characters are letters, level 1 from
  ``OCR_TITLE`` times (a box's height varies more with its letters than a
  font size does, so the bars are higher).
- ``list_item``: a paragraph that starts with a bullet or an enumerator
  (``•``, ``-``, ``1.``, ``a)``, ``(iv)``); bullets are written ``- ``.
- ``caption``: "Figure 3:", "Fig. 2.", "Table 1.", "TABLE IV" and their
  Spanish, French and German forms, a number and a delimiter.
- ``formula``: a paragraph that is no heading, list item, caption or code
  and is a display equation from the text layer (``equations``), written
  ``$$ LaTeX $$``; its block's text is the LaTeX.
- ``code``: two or more lines, all monospaced, with some code punctuation or
  indentation; written as a fenced block with the indentation measured from
  the lines' left edges.
- ``paragraph``: everything else; ``page_header``/``page_footer`` come from
  ``reading_order.furniture`` and stay out of the markdown.

Escapes (``escape_markdown``): only where the start of a paragraph would
otherwise change its meaning (``#`` heading, ``>`` quote, ``-``/``*``/``+``
bullet, ``2020.`` ordered list, ``---`` rule, a code fence). Nothing is
escaped mid-line: "150." or "#" inside a sentence are what they are.

Inputs: ``reading_order.Paragraph`` lists with their types, ``contract.Table``
lists. Outputs: ``PageItem`` lists, markdown, text and ``contract.Block`` lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import median

from docworker.contract import Block, Table
from docworker.decode.pdflines import is_vertical
from docworker.geometry import BBox, area, word_count
from docworker.stages import equations, table_text
from docworker.stages.furniture import FOOTNOTE_MARK
from docworker.stages.joining import join_broken, runs_on
from docworker.stages.paragraph_breaks import SENTENCE_END, list_marker, row_end
from docworker.stages.reading_order import Line, Paragraph, weighted_median
from docworker.tables import render

#: Block types that are written to the page's markdown, one part each.
MARKDOWN_TYPES = frozenset(
    {"paragraph", "heading", "list_item", "caption", "code", "table", "formula"}
)

_CAPTION = re.compile(
    r"^(?:fig(?:ure|\.)?|table|tab\.|chart|exhibit|plate|scheme|listing|algorithm|graph"
    r"|abbildung|abb\.|tabelle|tabla|figura|cuadro|gr[aá]fico|tableau|graphique|image)"
    r"\s*(?:\d+|[ivxlc]+\b|[a-z]\b)(?:[.\-–]\d+)*[a-z]?(?:\s*[.:|—–-]|\s*$)",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+\S")
#: An e-mail address (or a paper's authors' list of them, "{vladk, barlaso}@fb.com") or a
#: web address.
_ADDRESS = re.compile(r"\{?[\w.+-]+(?:,\s*[\w.+-]+)*\}?@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)\S+")
#: A section's number (Roman or Arabic) and its title in capitals.
_CAPS_SECTION = re.compile(r"^(?:[IVX]{1,6}|\d{1,2})\.\s+[A-Z][A-Z ,:&'-]{2,100}$")
_CODE_HINT = re.compile(r"[{}();=<>\[\]]|^\s|//|#")
_BULLET_GLYPH = re.compile(r"^\S\s+")


@dataclass
class PageItem:
    """A paragraph (with its block type) or a table, in reading order."""

    kind: str
    paragraph: Paragraph | None = None
    table: Table | None = None
    level: int | None = None  # heading level (1-4)


def _size_key(size: float) -> float:
    return round(size * 2) / 2


def _sizes(paras: list[Paragraph]) -> dict[float, tuple[int, int]]:
    """Font size (to half a point) → (characters, lines) set in it."""
    weights: dict[float, tuple[int, int]] = {}
    for para in paras:
        for line in para.lines:
            if line.size > 0:
                key = _size_key(line.size)
                chars, lines = weights.get(key, (0, 0))
                weights[key] = (chars + len(line.text), lines + 1)
    return weights


def body_size(weights: dict[float, tuple[int, int]]) -> float:
    """The font size most of the page's characters are set in (0 when unknown, as on OCR
    pages); ``weights`` from ``_sizes``."""
    return max(weights, key=lambda k: weights[k][0]) if weights else 0.0


#: A size holding this share of the page's characters, over at least ``TEXT_LINES``
#: lines, is a size of running text, not of headings: a page whose footnotes outweigh
#: its body (the body then reads 1.3 times the "body" size).
TEXT_SHARE = 0.25
TEXT_LINES = 8


def text_sizes(weights: dict[float, tuple[int, int]]) -> frozenset[float]:
    """The sizes (to half a point) the page's running text is set in (see ``TEXT_SHARE``);
    ``weights`` from ``_sizes``."""
    total = sum(chars for chars, _ in weights.values())
    return frozenset(
        key
        for key, (chars, lines) in weights.items()
        if chars >= TEXT_SHARE * total and lines >= TEXT_LINES
    )


#: On OCR pages: line boxes this many times the body's height make a heading,
#: and this many a level-1 heading.
OCR_HEADING = 1.3
OCR_TITLE = 1.8


def body_height(paras: list[Paragraph]) -> float:
    """The line height most of the page's characters are set in (OCR pages)."""
    sized = [(_thickness(line), len(line.text)) for p in paras for line in p.lines]
    return weighted_median(sized) if sized else 0.0


def _thickness(line: Line) -> float:
    """A line's height across its text: its box's width for text set up or down the
    page (a chart's axis label), whose box is as tall as the text is long."""
    x0, y0, x1, y1 = line.bbox
    return x1 - x0 if is_vertical(line) else y1 - y0


#: A sentence's last character: Latin, CJK and fullwidth full stops.
_FULL_STOPS = (".", "\u3002", "\uff0e")


def heading_level(
    para: Paragraph,
    body: float,
    body_bold: bool,
    height: float = 0.0,
    text_sized: frozenset[float] = frozenset(),
) -> int | None:
    """The heading level of ``para`` (see the module docstring), or ``None``.

    ``body``: the page's body font size (0 on OCR pages, where ``height``,
    the body's line height, is used instead). ``text_sized``: the sizes running text
    is set in (``text_sizes``); a paragraph in one of them is no larger than
    the body, whatever ``body`` says.
    """
    text = para.text
    if len(para.lines) > 3 or len(text) > 200 or text.endswith((",", ";")):
        return None
    if row_end(text):
        return None  # a table's row that no finder took: a label and its figures
    if _ADDRESS.fullmatch(text.strip()):
        return None  # an author's e-mail or a web address, set large on a title page
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 2:
        return None
    if body <= 0:
        if height <= 0:
            return None
        tall = median(_thickness(line) for line in para.lines) / height
        sentence = text.endswith(_FULL_STOPS) and word_count(text) > 8
        wordy = len(letters) >= 0.5 * (len(text) - text.count(" "))  # not a chart's "BD 1.0-"
        if sentence or not wordy or tall < OCR_HEADING:
            return None
        return 1 if tall >= OCR_TITLE else 2
    size = median(line.size for line in para.lines)
    ratio = size / body if size > 0 else 1.0
    if (
        len(para.lines) <= 2
        and _CAPS_SECTION.match(text)
        and word_count(text) <= 12
        and ratio >= 0.75
    ):
        return 2  # "I. INTRODUCTION": a numbered section in capitals (small capitals in IEEE's)
    if _size_key(size) in text_sized:
        ratio = min(ratio, 1.0)
    bold = all(line.bold for line in para.lines) and not body_bold
    numbered = _NUMBERED.match(text)
    depth = numbered.group(1).count(".") + 1 if numbered else 0
    words = word_count(text)
    sentence = text.endswith(_FULL_STOPS) and words > 8
    if ratio >= 1.5 and not sentence:
        return 1
    if ratio >= 1.15 and not sentence:
        return 2 if depth <= 1 else min(depth + 1, 4)
    if ratio < 0.97 or sentence or letters[0].islower() or words > 16:
        return None
    if bold or (numbered and ratio >= 1.05):
        if depth:
            return min(depth + 1, 4)
        return 3
    return None


def _is_code(para: Paragraph) -> bool:
    lines = para.lines
    return (
        len(lines) >= 2
        and all(line.mono for line in lines)
        and any(_CODE_HINT.search(line.text) for line in lines)
        and not all(_ADDRESS.fullmatch(line.text.strip()) for line in lines)
    )


#: A line that only program text reads like: a statement's or block's end, a
#: preprocessor line, a comment's start or end, an operator prose does not use.
_CODE_LINE = re.compile(
    r"[;{}]\s*$|^\s*(?:#\s*(?:include|define|if|endif)\b|/\*|\*/|//)|==|!=|->|\+\+|&&|\|\|"
)

_COMMENT_LINE = re.compile(r"\s*\*(?:\s|$)")


def _code_dense(para: Paragraph) -> bool:
    """Are two in five of ``para``'s lines (three at least) lines only program text
    reads like (``_CODE_LINE``, or a block comment's " * " lines)? A listing on a page
    set mostly in a monospaced font (a paper's appendix of code) is code; a
    transcript's or a typed form's lines are not."""
    hits = sum(1 for line in para.lines if _CODE_LINE.search(line.text))
    if any(line.text.lstrip().startswith("/*") for line in para.lines):  # a block comment's
        hits += sum(1 for line in para.lines if _COMMENT_LINE.match(line.text))  # lines
    return hits >= 3 and hits >= 0.4 * len(para.lines)


def _share(paras: list[Paragraph], flag: str) -> float:
    chars = [(len(line.text), getattr(line, flag)) for p in paras for line in p.lines]
    total = sum(n for n, _ in chars)
    return sum(n for n, on in chars if on) / total if total else 0.0


def classify(paras: list[Paragraph], kinds: list[str]) -> list[tuple[str, int | None]]:
    """``(block type, heading level)`` per paragraph; furniture types are kept.

    A page set mostly in a monospaced font (a transcript, a typed form) has no
    code blocks but listings dense with program text (``_code_dense``); a page set
    mostly in bold has no headings by weight alone.
    """
    sizes = _sizes(paras)
    body = body_size(sizes)
    height = body_height(paras) if body <= 0 else 0.0
    text_sized = text_sizes(sizes)
    body_bold = _share(paras, "bold") > 0.5
    mono_page = _share(paras, "mono") > 0.5
    out: list[tuple[str, int | None]] = []
    for para, kind in zip(paras, kinds, strict=True):
        if kind != "paragraph":
            out.append((kind, None))
            continue
        text = para.text
        marker = list_marker(text)
        if _is_code(para) and (not mono_page or _code_dense(para)):
            out.append(("code", None))
        elif _CAPTION.match(text):
            out.append(("caption", None))
        elif marker == "bullet":
            out.append(("list_item", None))
        elif (
            level := heading_level(para, body, body_bold, height, text_sized)
        ) is not None and not equations.is_equation(para):
            out.append(("heading", level))  # (a display equation set large is no heading)
        elif marker:
            out.append(("list_item", None))
        elif equations.is_equation(para):
            out.append(("formula", None))
        else:
            out.append(("paragraph", None))
    return out


# ---------------------------------------------------------------- page items


def _inside(box: BBox, region: BBox, slack: float = 2.0) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return (
        region[0] - slack <= cx <= region[2] + slack
        and region[1] - slack <= cy <= region[3] + slack
    )


def _owner(para: Paragraph, tables: list[Table]) -> int | None:
    """The table whose box holds every line of ``para``: of a table set inside another's
    cell and the outer table, the inner one. None if no table does."""
    found, size = None, 0.0
    for i, t in enumerate(tables):
        if t.bbox is not None and all(_inside(line.bbox, t.bbox) for line in para.lines):
            if found is None or area(t.bbox) < size:
                found, size = i, area(t.bbox)
    return found


def layout_items(paras: list[Paragraph], kinds: list[str], tables: list[Table]) -> list[PageItem]:
    """Typed paragraphs in order; each table replaces the paragraphs whose lines sit inside it.

    A table whose box holds no paragraph goes where its top edge falls. What
    of the replaced paragraphs is missing from the table's cells stays, as a
    paragraph after the table (``table_text.uncelled``): no text is lost to a table.
    """
    items: list[PageItem] = []
    placed: set[int] = set()
    owners = [_owner(para, tables) for para in paras]
    cell_words = {
        i: table_text.cell_words(
            tables[i], [ln for p, o in zip(paras, owners, strict=True) if o == i for ln in p.lines]
        )
        for i in set(owners)
        if i is not None
    }
    for para, (kind, level), owner in zip(paras, classify(paras, kinds), owners, strict=True):
        if owner is None:
            items.append(PageItem(kind, paragraph=para, level=level))
            continue
        if owner not in placed:
            placed.add(owner)
            items.append(PageItem("table", table=tables[owner]))
        left = table_text.uncelled(para, cell_words[owner])
        if left:  # furniture stays furniture, out of the markdown
            rest = kind if kind in ("page_header", "page_footer") else "paragraph"
            items.append(PageItem(rest, paragraph=Paragraph(left, para.words)))
    for i, table in enumerate(tables):
        if i in placed:
            continue
        top = table.bbox[1] if table.bbox else 0.0
        at = next(
            (
                k
                for k, item in enumerate(items)
                if item.paragraph is not None and item.paragraph.bbox[1] > top
            ),
            len(items),
        )
        items.insert(at, PageItem("table", table=table))
    return items


# ------------------------------------------------------------------ rendering

_ORDERED = re.compile(r"^(\d{1,9})([.)])(\s|$)")
_RULE = re.compile(r"^(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")


def escape_markdown(text: str) -> str:
    """A paragraph's text, escaped only where its start would change its meaning."""
    if _RULE.match(text) or re.match(r"^(?:#{1,6}(?:\s|$)|>|[-*+](?:\s|$)|```|~~~)", text):
        return "\\" + text
    return _ORDERED.sub(r"\1\\\2\3", text, count=1)


def code_block(para: Paragraph) -> str:
    """Monospaced lines as a fenced block, indentation measured from their left edges."""
    lines = para.lines
    left = min(line.bbox[0] for line in lines)
    widths = [
        (line.bbox[2] - line.bbox[0]) / len(line.text) for line in lines if len(line.text) >= 4
    ]
    char = median(widths) if widths else 0.0
    body = []
    for line in lines:
        indent = round((line.bbox[0] - left) / char) if char > 0 else 0
        body.append(" " * max(0, min(indent, 40)) + line.text)
    return "```\n" + "\n".join(body).replace("```", "` ` `") + "\n```"


def text_markdown(kind: str, text: str, level: int | None = None) -> str:
    """The markdown part of a block of type ``kind`` (not ``code``) that reads ``text``."""
    if kind == "heading":
        return "#" * (level or 2) + " " + text
    if kind == "list_item" and list_marker(text) == "bullet":
        return "- " + _BULLET_GLYPH.sub("", text, count=1)
    if kind == "list_item":
        return text
    return escape_markdown(text)


def item_markdown(item: PageItem) -> str:
    """One item's markdown part (tables and every type in ``MARKDOWN_TYPES``)."""
    if item.table is not None:
        return render.page_markdown(item.table)
    assert item.paragraph is not None
    if item.kind == "code":
        return code_block(item.paragraph)
    if item.kind == "formula":
        return equations.markdown(equations.latex(item.paragraph))
    return text_markdown(item.kind, item.paragraph.text, item.level)


def block_markdown(block: Block) -> str:
    """The markdown part that ``items_markdown`` wrote for a paragraph-level block."""
    if block.type == "code":
        return "```\n" + block.text + "\n```"
    if block.type == "formula":
        return equations.markdown(block.text)
    return text_markdown(block.type, block.text, block.level)


def items_markdown(items: list[PageItem]) -> str:
    """Body blocks and tables as markdown; page headers and footers left out.

    A word broken at a column break is joined (``joining.join_broken``): a
    paragraph or list item that ends "concern-" followed by a paragraph that
    starts "ing the" become one. So is a paragraph of two lines or more that a
    column break cuts mid-sentence and the paragraph that goes on with it in
    lower case (``joining.runs_on``); one line (a running head) never joins. A
    footnote set between them (at the first column's foot: a mark, set smaller than
    the body) comes after the joined sentence instead of inside it.
    """
    parts: list[str] = []
    last = ""
    previous: Paragraph | None = None  # the paragraph of the last part
    held: tuple[str, Paragraph] | None = None  # a note set inside a broken sentence
    body: float | None = None  # the page's body size, once a note is in question
    for item in items:
        if item.kind not in MARKDOWN_TYPES:
            continue
        md = item_markdown(item)
        if (
            held is None
            and parts
            and item.kind == "paragraph"
            and last == "paragraph"
            and item.paragraph is not None
            and FOOTNOTE_MARK.match(md)
            and not SENTENCE_END.search(parts[-1].rstrip())
        ):
            if body is None:
                body = body_size(_sizes([it.paragraph for it in items if it.paragraph]))
            if _small(item.paragraph, body):
                held = (md, item.paragraph)  # "*Contact: ..." at a column's foot, mid-sentence
                continue
        if parts and item.kind == "paragraph" and last in ("paragraph", "list_item"):
            assert item.paragraph is not None
            joined = join_broken(parts[-1], md, item.paragraph.words)
            if joined is None and previous is not None and len(previous.lines) > 1:
                if last == "paragraph" and runs_on(parts[-1], md, strict=True):
                    joined = parts[-1].rstrip() + " " + md.lstrip()
            if joined is not None:
                parts[-1] = joined
                if held is not None:  # the note after the sentence it stood inside
                    parts.append(held[0])
                    previous, held = held[1], None
                continue
        if held is not None:
            parts.append(held[0])
            held = None
        parts.append(md)
        last = item.kind
        previous = item.paragraph
    if held is not None:
        parts.append(held[0])
    return "\n\n".join(parts)


def _small(para: Paragraph, body: float) -> bool:
    """Set smaller than the page's body, as a footnote is (a text layer's sizes only)."""
    return body > 0 and all(0 < line.size < 0.95 * body for line in para.lines)


def items_text(items: list[PageItem]) -> str:
    """All text, furniture included: lines by newline, paragraphs by a blank line,
    table rows as tab-separated cells."""
    out = []
    for item in items:
        if item.table is not None:
            rows: dict[int, list[tuple[int, str]]] = {}
            for cell in item.table.cells:
                rows.setdefault(cell.row, []).append((cell.col, cell.text))
            out.append("\n".join("\t".join(t for _, t in sorted(rows[r])) for r in sorted(rows)))
        elif item.paragraph is not None:
            out.append("\n".join(line.text for line in item.paragraph.lines))
    return "\n\n".join(out)


def _round(bbox: BBox) -> BBox:
    return (round(bbox[0], 2), round(bbox[1], 2), round(bbox[2], 2), round(bbox[3], 2))


def items_blocks(items: list[PageItem], source: str) -> list[Block]:
    """One block per paragraph (typed), followed by its lines; one block per table."""
    blocks: list[Block] = []
    for item in items:
        if item.table is not None:
            table = item.table
            blocks.append(
                Block(
                    type="table",
                    text=render.page_markdown(table),
                    bbox=table.bbox or (0.0, 0.0, 0.0, 0.0),
                    source=source,  # type: ignore[arg-type]
                )
            )
            continue
        para = item.paragraph
        assert para is not None
        text = "\n".join(line.text for line in para.lines) if item.kind == "code" else para.text
        if item.kind == "formula":
            text = equations.latex(para)
        blocks.append(
            Block(
                type=item.kind,  # type: ignore[arg-type]
                text=text,
                bbox=_round(para.bbox),
                confidence=para.confidence,
                source=source,  # type: ignore[arg-type]
                level=item.level,
            )
        )
        for line in para.lines:
            blocks.append(
                Block(
                    type="line",
                    text=line.text,
                    bbox=_round(line.bbox),
                    confidence=None if line.confidence is None else round(line.confidence, 4),
                    source=source,  # type: ignore[arg-type]
                )
            )
    return blocks
