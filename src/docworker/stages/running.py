"""Running heads and feet: page furniture found by repetition across pages.

``assemble.furniture`` judges one page at a time (page numbers, short lines
set apart in the top or bottom band). A running head that sits close to the
body, or a long footer line, only shows itself by coming back page after
page: the same text (digits aside: "Page 3 of 9" and "Page 4 of 9" match)
at about the same height in the same band.

The pipeline asks ``candidates`` for each page as it arrives, while the page
still has its blocks (the job may drop them before the end), and keeps only
these small records. When every page is in, ``mark`` retypes the repeated
paragraphs as ``page_header`` / ``page_footer`` and takes them out of the
page's markdown, as the per-page check does; ``text`` keeps them.

Only pages assembled by the CPU path (``text_layer`` / ``ocr``) are looked
at: on the GPU path the layout model types headers and footers itself.
Streamed page items go out before the last page is seen, so they carry the
per-page verdict only; the final payload carries this one.

Input: ``PageResult`` objects. Output: the same pages, changed in place.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from statistics import median

from docworker.contract import Block, PageResult
from docworker.stages.markdown import MARKDOWN_TYPES, block_markdown

#: Body block types that may turn out to be a running head or foot.
_CANDIDATE_TYPES = ("paragraph", "heading", "caption")
_DIGITS = re.compile(r"\d+")
_LETTER = re.compile(r"[^\W\d_]")
_SPACE = re.compile(r"\s+")
_PUNCT_SPACE = re.compile(r"\s*([/|,:;·•–—-])\s*")
#: Share of the page height, at the top and at the bottom, where any short body
#: paragraph is a candidate.
BAND = 0.12
#: Further in, down to this share, only a paragraph (or a heading of one row) on the
#: page's outermost row is one: a LaTeX article on A4 sets its running head 14-15% down
#: the page, where a heading and its first lines may stand too, and a page of the US
#: Code of Federal Regulations, printed in a larger page box, 21% down.
OUTER_BAND = 0.25


@dataclass(frozen=True)
class Candidate:
    page: int  # index of the page in the job's page list
    block: int  # index of the paragraph block in ``page.blocks``
    part: int  # index of its part in ``page.markdown`` split on blank lines; -1: not found
    band: str  # "top" or "bottom"
    key: str  # the text, lower-cased, digits folded, spaces collapsed
    y: float  # the block's vertical centre as a fraction of the page height


def key_of(text: str) -> str:
    """Lower case, digits folded, spaces around punctuation dropped, and a page number at
    either end dropped: "47699 Federal Register / Vol. 85" on even pages matches
    "Federal Register/ Vol. 85 47700" on odd ones."""
    key = _SPACE.sub(" ", _DIGITS.sub("#", text.lower()))
    return _PUNCT_SPACE.sub(r"\1", key).strip("# ")


def candidates(
    index: int, page: PageResult, band: float = BAND, max_lines: int = 3, max_chars: int = 200
) -> list[Candidate]:
    """The page's short body paragraphs in the top or bottom ``band`` of its height,
    and a paragraph (or a heading on one row) on the page's top (bottom) row within
    ``OUTER_BAND`` of that edge, when no text or picture lies beyond that row and some
    lies further in (a page of one line is no running head). A heading of two lines or
    more (a title) stays out."""
    if (
        page.status != "ok"
        or page.source not in ("text_layer", "ocr")
        or page.rotation
        or not page.blocks
        or page.height <= 0
    ):
        return []
    parts = page.markdown.split("\n\n") if page.markdown else []
    found: list[Candidate] = []
    part = -1
    blocks = page.blocks
    shown = [b.bbox for b in blocks if b.type != "line"]
    top_edge = min(b[1] for b in shown) if shown else 0.0
    bottom_edge = max(b[3] for b in shown) if shown else 0.0
    outer = max(band, OUTER_BAND) * page.height
    for i, block in enumerate(blocks):
        if block.type in MARKDOWN_TYPES or (block.type == "picture" and block.text):
            part += 1  # an exported figure's markdown link is a part of its own
        if block.type not in _CANDIDATE_TYPES or len(block.text) > max_chars:
            continue
        lines = 0
        one_row = True  # its lines side by side: pieces of one row, not a title's lines
        for after in blocks[i + 1 :]:
            if after.type != "line":
                break
            lines += 1
            one_row = one_row and after.bbox[1] < (block.bbox[1] + block.bbox[3]) / 2
        y = (block.bbox[1] + block.bbox[3]) / 2 / page.height
        side = None
        y0, y1 = block.bbox[1], block.bbox[3]
        outermost = block.type == "paragraph" or (block.type == "heading" and one_row)
        in_band = True
        if y1 <= band * page.height:
            side = "top"
        elif (
            outermost
            and y1 <= outer
            and y0 < top_edge + (y1 - y0) / 2  # on the top row
            and any(b[1] >= y1 for b in shown)  # the body lies further in
        ):
            side, in_band = "top", False
        if y0 >= page.height - band * page.height:
            side, in_band = "bottom", True
        elif (
            outermost
            and y0 >= page.height - outer
            and y1 > bottom_edge - (y1 - y0) / 2
            and any(b[3] <= y0 for b in shown)
        ):
            side, in_band = "bottom", False
        key = key_of(block.text) if in_band else _row_key(blocks, y0, y1)
        if side is None or lines > max_lines or not key.strip("# "):
            continue
        found.append(Candidate(index, i, _part_of(parts, part, block), side, key, y))
    return found


def _part_of(parts: list[str], part: int, block: Block) -> int:
    """Index of ``block``'s markdown part: the ``part``-th, or where a paragraph joined
    across a column break above it (``items_markdown``) shifted it, the nearest part
    that is its markdown; -1 if none is."""
    md = block_markdown(block)
    if part < len(parts) and parts[part] == md:
        return part
    same = [j for j, text in enumerate(parts) if text == md]
    return min(same, key=lambda j: abs(j - part)) if same else -1


def _row_key(blocks: list[Block], y0: float, y1: float) -> str:
    """The words of every block on the row ``y0..y1`` (their centres inside it), those
    with a letter only, sorted: a running head whose pieces one page reads as one
    paragraph and the next as two, or in either order ("Drug Enforcement
    Administration, Justice" and "§ 1308.14" at the ends of one row), keeps one key.
    The label of a number goes with it ("Pt. 1308" on the part's first page)."""
    words: list[str] = []
    for b in blocks:
        if b.type == "line" or not y0 <= (b.bbox[1] + b.bbox[3]) / 2 <= y1:
            continue
        tokens = _DIGITS.sub("#", b.text.lower()).split()
        for k, word in enumerate(tokens):
            following = tokens[k + 1] if k + 1 < len(tokens) else ""
            if not _LETTER.search(word):
                continue  # a number, a section mark
            if following.startswith("#") and not _LETTER.search(following):
                continue  # the label of a number that changes: "Pt. 1308", "Page 3"
            words.append(word)
    return " ".join(sorted(words))


def repeated(
    found: list[Candidate], n_pages: int, share: float = 0.3, spread: float = 0.03
) -> list[Candidate]:
    """Candidates whose text comes back, at about the same height, on enough pages.

    Enough: at least two pages and ``share`` of the job's pages (odd and even
    pages often carry different running heads, so each is on half of them).
    Members more than ``spread`` of the page height from the group's median
    height do not count.
    """
    if n_pages < 2:
        return []
    groups: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    for c in found:
        groups[(c.band, c.key)].append(c)
    needed = max(2, math.ceil(share * n_pages))
    marked: list[Candidate] = []
    for members in groups.values():
        if len({c.page for c in members}) < needed:
            continue
        middle = median(c.y for c in members)
        close = [c for c in members if abs(c.y - middle) <= spread]
        if len({c.page for c in close}) >= needed:
            marked.extend(close)
    return marked


def mark(pages: list[PageResult], found: list[Candidate]) -> int:
    """Retype the repeated candidates in ``pages``; the number of paragraphs retyped."""
    by_page: dict[int, list[Candidate]] = defaultdict(list)
    for c in repeated(found, len(pages)):
        by_page[c.page].append(c)
    count = 0
    for index, marks in by_page.items():
        page = pages[index]
        drop: set[int] = set()
        for c in marks:
            kind = "page_header" if c.band == "top" else "page_footer"
            if page.blocks is not None and c.block < len(page.blocks):
                page.blocks[c.block].type = kind
            if c.part >= 0:
                drop.add(c.part)
            count += 1
        if page.markdown is not None and drop:
            parts = page.markdown.split("\n\n")
            page.markdown = "\n\n".join(p for i, p in enumerate(parts) if i not in drop)
    return count
