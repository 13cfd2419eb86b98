"""Lines → reading order, paragraphs, page text and markdown.

Shared by the text-layer and OCR paths of the CPU engine. Reading order is
column-aware: lines are split into columns where a vertical gutter runs
through the whole band of text, and each column is read top to bottom.

Page furniture: paragraphs in the top or bottom margin that look like running
heads, footers or page numbers are typed ``page_header`` / ``page_footer`` and
kept out of the page's markdown (they stay in its text and blocks); the
pipeline adds those that repeat across pages (``stages.running``). Tables
found by the table stage replace the paragraphs they cover in the markdown
and blocks.

Input: ``Line`` objects with boxes in page units (origin top-left).
Output: ordered paragraphs, ``contract.Block`` lists, text and markdown.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass
from statistics import median

from docworker.contract import Block, Table
from docworker.decode import rtl as _rtl
from docworker.geometry import BBox, Line
from docworker.geometry import union as _union


@dataclass
class Paragraph:
    lines: list[Line]

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)

    @property
    def bbox(self) -> BBox:
        return _union([line.bbox for line in self.lines])

    @property
    def confidence(self) -> float | None:
        scores = [line.confidence for line in self.lines if line.confidence is not None]
        return round(sum(scores) / len(scores), 4) if scores else None


def _find_gutter(lines: list[Line]) -> float | None:
    """An x position that separates two side-by-side columns of lines, or ``None``.

    Coverage counts how many lines cross each x. A gutter is the widest run of
    near-zero coverage away from the margins, where both sides hold several
    lines that sit beside each other vertically. Lines that cross it (titles,
    full-width headers) are handled by the caller as band separators.
    """
    if len(lines) < 6:
        return None
    x_min = min(line.bbox[0] for line in lines)
    x_max = max(line.bbox[2] for line in lines)
    span = x_max - x_min
    if span <= 0:
        return None
    bins = 400
    step = span / bins
    covered = [0] * (bins + 1)
    for line in lines:
        lo = int((line.bbox[0] - x_min) / step)
        hi = int((line.bbox[2] - x_min) / step)
        for i in range(max(lo, 0), min(hi, bins) + 1):
            covered[i] += 1
    allowed = max(1, len(lines) // 10)
    best: tuple[int, int] | None = None
    run_start: int | None = None
    for i in range(int(bins * 0.15), int(bins * 0.85) + 1):
        if covered[i] <= allowed:
            if run_start is None:
                run_start = i
            if best is None or (i - run_start) > (best[1] - best[0]):
                best = (run_start, i)
        else:
            run_start = None
    if best is None or (best[1] - best[0] + 1) * step < 0.015 * span:
        return None
    gutter = x_min + (best[0] + best[1] + 1) / 2 * step
    left = [line for line in lines if line.bbox[2] <= gutter]
    right = [line for line in lines if line.bbox[0] >= gutter]
    if len(left) < 3 or len(right) < 3:
        return None
    # The two sides must run beside each other, not one above the other.
    l_top, l_bot = min(b.bbox[1] for b in left), max(b.bbox[3] for b in left)
    r_top, r_bot = min(b.bbox[1] for b in right), max(b.bbox[3] for b in right)
    overlap = min(l_bot, r_bot) - max(l_top, r_top)
    if overlap < 0.3 * min(l_bot - l_top, r_bot - r_top):
        return None
    return gutter


def _top_down(lines: list[Line]) -> list[Line]:
    return sorted(lines, key=lambda line: (line.bbox[1], line.bbox[0]))


def reading_order(
    lines: list[Line], page_width: float = 0.0, _depth: int = 0, *, rtl: bool | None = None
) -> list[Line]:
    """Order lines for reading, column by column.

    Lines crossing the gutter split the page into bands; within a band the
    left column is read before the right one, each ordered the same way
    (recursively, so three columns work too). A page whose text is mostly
    right-to-left (``rtl``; ``None`` decides from the lines' text) reads its
    columns, and lines sharing a row, from right to left.
    """
    if rtl is None:
        rtl = _depth == 0 and _rtl.rtl_page(line.text for line in lines)
    if rtl:
        mirror = [Line(ln.text, (-ln.bbox[2], ln.bbox[1], -ln.bbox[0], ln.bbox[3])) for ln in lines]
        back = {id(m): ln for m, ln in zip(mirror, lines, strict=True)}
        return [back[id(m)] for m in reading_order(mirror, page_width, _depth, rtl=False)]
    gutter = _find_gutter(lines) if _depth < 3 else None
    if gutter is None:
        return _top_down(lines)
    ordered: list[Line] = []
    band: list[Line] = []

    def flush() -> None:
        left = [line for line in band if (line.bbox[0] + line.bbox[2]) / 2 < gutter]
        right = [line for line in band if (line.bbox[0] + line.bbox[2]) / 2 >= gutter]
        ordered.extend(reading_order(left, page_width, _depth + 1))
        ordered.extend(reading_order(right, page_width, _depth + 1))
        band.clear()

    for line in _top_down(lines):
        if line.bbox[0] < gutter < line.bbox[2]:
            flush()
            ordered.append(line)
        else:
            band.append(line)
    flush()
    return ordered


def paragraphs(lines: list[Line]) -> list[Paragraph]:
    """Group ordered lines into paragraphs by vertical gap and horizontal overlap."""
    if not lines:
        return []
    heights = [max(line.bbox[3] - line.bbox[1], 0.1) for line in lines]
    typical = median(heights)
    out: list[Paragraph] = [Paragraph([lines[0]])]
    for prev, line in itertools.pairwise(lines):
        gap = line.bbox[1] - prev.bbox[3]
        overlap = min(prev.bbox[2], line.bbox[2]) - max(prev.bbox[0], line.bbox[0])
        same_column = overlap > 0
        if same_column and -0.5 * typical <= gap <= 0.7 * typical:
            out[-1].lines.append(line)
        else:
            out.append(Paragraph([line]))
    return out


def _para_blocks(para: Paragraph, kind: str, source: str) -> list[Block]:
    """A paragraph-level block of type ``kind``, then one ``line`` block per line."""
    out = [
        Block(
            type=kind,  # type: ignore[arg-type]
            text=para.text,
            bbox=_round(para.bbox),
            confidence=para.confidence,
            source=source,  # type: ignore[arg-type]
        )
    ]
    for line in para.lines:
        out.append(
            Block(
                type="line",
                text=line.text,
                bbox=_round(line.bbox),
                confidence=None if line.confidence is None else round(line.confidence, 4),
                source=source,  # type: ignore[arg-type]
            )
        )
    return out


def _round(bbox: BBox) -> BBox:
    return (round(bbox[0], 2), round(bbox[1], 2), round(bbox[2], 2), round(bbox[3], 2))


# ------------------------------------------------------------- page furniture

_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p[aá]g(?:ina)?\.?|seite|p\.)\s*)?[-–—]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—]?"
    r"(?:\s*(?:of|de|/|von)\s*\d{1,4})?$",
    re.IGNORECASE,
)


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text.strip()))


def furniture(
    paras: list[Paragraph],
    height: float,
    top_band: float = 0.08,
    bottom_band: float = 0.1,
) -> list[str]:
    """Block type per paragraph: ``page_header``, ``page_footer`` or ``paragraph``.

    Per page only (no cross-page repetition): a one-line paragraph in the top
    or bottom band is furniture when it is a page number, or when it sits
    apart from the body (the nearest other paragraph is more than two line
    heights away) and is short. Everything else is a paragraph.
    """
    kinds = ["paragraph"] * len(paras)
    if height <= 0 or len(paras) < 2:
        return kinds
    typical = median(max(p.bbox[3] - p.bbox[1], 0.1) / len(p.lines) for p in paras)
    # Tops and bottoms sorted once: each band paragraph finds its nearest
    # neighbour by bisection (a dense page has thousands of paragraphs).
    tops = sorted((p.bbox[1], j) for j, p in enumerate(paras))
    bottoms = sorted((p.bbox[3], j) for j, p in enumerate(paras))
    for i, para in enumerate(paras):
        if len(para.lines) > 2:
            continue
        _, y0, _, y1 = para.bbox
        if y1 <= top_band * height:
            k = bisect.bisect_left(tops, (y1 - 0.5 * typical, -1))
            while k < len(tops) and tops[k][1] == i:
                k += 1
            apart = k == len(tops) or tops[k][0] - y1 > 2.0 * typical
            text = para.text.strip()
            if is_page_number(text) or (apart and len(text) <= 120 and len(paras) >= 3):
                kinds[i] = "page_header"
        elif y0 >= (1 - bottom_band) * height:
            k = bisect.bisect_right(bottoms, (y0 + 0.5 * typical, len(paras))) - 1
            while k >= 0 and bottoms[k][1] == i:
                k -= 1
            apart = k < 0 or y0 - bottoms[k][0] > 1.5 * typical
            text = para.text.strip()
            if is_page_number(text) or (apart and len(text) <= 160):
                kinds[i] = "page_footer"
    return kinds


# ------------------------------------------------------------------ page output


@dataclass
class PageItem:
    """A paragraph (with its block type) or a table, in reading order."""

    kind: str
    paragraph: Paragraph | None = None
    table: Table | None = None


def _inside(box: BBox, region: BBox, slack: float = 2.0) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return (
        region[0] - slack <= cx <= region[2] + slack
        and region[1] - slack <= cy <= region[3] + slack
    )


def layout_items(paras: list[Paragraph], kinds: list[str], tables: list[Table]) -> list[PageItem]:
    """Paragraphs in order; each table replaces the paragraphs whose lines sit inside it.

    A table whose box holds no paragraph goes where its top edge falls.
    """
    items: list[PageItem] = []
    placed: set[int] = set()
    for para, kind in zip(paras, kinds, strict=True):
        owner = next(
            (
                i
                for i, t in enumerate(tables)
                if t.bbox is not None and all(_inside(line.bbox, t.bbox) for line in para.lines)
            ),
            None,
        )
        if owner is None:
            items.append(PageItem(kind, paragraph=para))
        elif owner not in placed:
            placed.add(owner)
            items.append(PageItem("table", table=tables[owner]))
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


def escape_markdown(text: str) -> str:
    """A body paragraph's text, with markdown-significant leading characters escaped."""
    if text[:1] in "#>|" or text[:2] in ("- ", "* ", "+ "):
        return "\\" + text
    if re.match(r"^\d{1,3}[.)] ", text):
        return re.sub(r"^(\d{1,3})([.)]) ", r"\1\\\2 ", text)
    return text


def items_markdown(items: list[PageItem]) -> str:
    """Body paragraphs and tables as markdown; page headers and footers left out."""
    out = []
    for item in items:
        if item.table is not None:
            out.append(item.table.markdown)
        elif item.kind == "paragraph" and item.paragraph is not None:
            out.append(escape_markdown(item.paragraph.text))
    return "\n\n".join(out)


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


def items_blocks(items: list[PageItem], source: str) -> list[Block]:
    """One block per paragraph (typed), followed by its lines; one block per table."""
    blocks: list[Block] = []
    for item in items:
        if item.table is not None:
            table = item.table
            blocks.append(
                Block(
                    type="table",
                    text=table.markdown,
                    bbox=table.bbox or (0.0, 0.0, 0.0, 0.0),
                    source=source,  # type: ignore[arg-type]
                )
            )
            continue
        para = item.paragraph
        assert para is not None
        blocks.extend(_para_blocks(para, item.kind, source))
    return blocks
