"""Page furniture: running heads, footers, page numbers and margin stamps, on one page.

``furniture(paragraphs, height)`` types each paragraph ``page_header``,
``page_footer`` or ``paragraph``:

- a paragraph of one or two lines in the top (bottom) band that is a page
  number (at the bottom also a short line that starts or ends with one), or
  that sits apart from the body and is short, unless it is set much larger
  than the body (a title) or, at the bottom, is a sentence in the body's size
  that runs on to the next page (``_runs_on``); a footnote (a mark, then a
  sentence: ``footnote``) is the page's text;
- text written up or down the page in a side margin (an arXiv stamp);
- a little further from the edge (``EDGE_BAND``), up to two short
  paragraphs set apart from the body that start or end with a page number,
  are set smaller than the body, or in another pitch (``_edge_furniture``).

The pipeline adds those that repeat across pages (``stages.running``).

Input: ``reading_order.Paragraph`` lists. Output: block types.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from statistics import median

from docworker.decode.pdflines import is_vertical
from docworker.geometry import BBox
from docworker.stages.paragraph_breaks import LEADER, is_page_number, next_item
from docworker.stages.reading_order import Paragraph, running_head, weighted_median
from docworker.superscripts import FIGURES

#: How far from the top or bottom edge ``_edge_furniture`` looks for running heads and feet.
EDGE_BAND = 0.15
#: How far down a scanned book page's running head may sit (``_book_head``): a scan keeps
#: the paper's margins round the type.
HEAD_BAND = 0.25


def furniture(
    paras: list[Paragraph],
    height: float,
    top_band: float = 0.08,
    bottom_band: float = 0.1,
    width: float = 0.0,
    side_band: float = 0.12,
    cuts: Sequence[float] = (),
) -> list[str]:
    """Block type per paragraph: ``page_header``, ``page_footer`` or ``paragraph``.

    Per page only (no cross-page repetition): a one-line paragraph in the top
    or bottom band is furniture when it is a page number, or when it sits
    apart from the body (the nearest other paragraph is more than two line
    heights away) and is short. Text written up or down the page within
    ``side_band`` of the left or right edge (``width`` known) is a
    ``page_header``. The page's first (last) rule drawn across the text
    (``cuts``: ``reading_order.rule_cuts``, top to bottom), lying between the
    paragraph and the body, sets a paragraph in plain type (``_plain``) apart
    too: a form's footer ruled off under its last line, a report's running head.
    Everything else is a paragraph.
    """
    kinds = ["paragraph"] * len(paras)
    if height <= 0 or len(paras) < 2:
        return kinds
    boxes = [p.bbox for p in paras]  # each box computed once (a dense page has thousands)
    typical = median(
        max(b[3] - b[1], 0.1) / len(p.lines) for p, b in zip(paras, boxes, strict=True)
    )
    # Tops and bottoms sorted once: each band paragraph finds its nearest
    # neighbour by bisection (a dense page has thousands of paragraphs).
    sized = [(ln.size, len(ln.text)) for p in paras for ln in p.lines if ln.size > 0]
    body_size = weighted_median(sized) if sized else 0.0
    upright = [j for j, p in enumerate(paras) if not _vertical_para(p)]
    tops = sorted((boxes[j][1], j) for j in upright)
    bottoms = sorted((boxes[j][3], j) for j in upright)
    graze = typical / 6  # a rule may reach into a footer's loose box (``rule_cuts``)
    for i, para in enumerate(paras):
        if rows(para) > 2:
            continue
        x0, y0, x1, y1 = boxes[i]
        if _vertical_para(para):
            if width > 0 and (x1 <= side_band * width or x0 >= (1 - side_band) * width):
                kinds[i] = "page_header"
            continue
        # Set larger than the body: a title, not a running head.
        title = bool(body_size) and max(ln.size for ln in para.lines) > 1.4 * body_size
        if y1 <= top_band * height:
            k = bisect.bisect_left(tops, (y1 - 0.5 * typical, -1))
            while k < len(tops) and tops[k][1] == i:
                k += 1
            apart = (
                k == len(tops)
                or tops[k][0] - y1 > 2.0 * typical
                or (bool(cuts) and y1 - graze <= cuts[0] <= tops[k][0] and _plain(para, body_size))
            )
            text = para.text.strip()
            if _wordless(text):
                continue  # a listing's closing "}" atop a page is its text, no running head
            if is_page_number(text) or (
                apart and not title and len(text) <= 120 and len(paras) >= 3
            ):
                kinds[i] = "page_header"
        elif y0 >= (1 - bottom_band) * height:
            k = bisect.bisect_right(bottoms, (y0 + 0.5 * typical, len(paras))) - 1
            while k >= 0 and bottoms[k][1] == i:
                k -= 1
            apart = (
                k < 0
                or y0 - bottoms[k][0] > 1.5 * typical
                or (
                    bool(cuts)
                    and bottoms[k][0] <= cuts[-1] <= y0 + graze
                    and _plain(para, body_size)
                )
            )
            text = para.text.strip()
            if _wordless(text):
                continue
            if footnote(text) or (i > 0 and next_item(paras[i - 1].text, text)):
                continue  # a note ("3 2020 estimate" under "2 2020 estimate")
            if (
                _numbered(text, para, title)
                or _PREPRINT.match(text)
                or (apart and not title and len(text) <= 160 and not _runs_on(para, body_size))
            ):
                kinds[i] = "page_footer"
    _past_page_number(paras, boxes, kinds, typical)
    _row_mates(paras, boxes, kinds, (1 - bottom_band) * height)
    line_height = median(max(ln.bbox[3] - ln.bbox[1], 0.1) for p in paras for ln in p.lines)
    _edge_furniture(paras, boxes, kinds, height, line_height)
    return kinds


def _wordless(text: str) -> bool:
    """No letter or digit: a brace, a rule of dashes, never a running head or footer."""
    return not any(ch.isalnum() for ch in text)


#: A preprint's stamp at the foot of its first page ("Preprint submitted to Sensors and
#: Actuators A: Physical", elsarticle's; "Preprint. Under review.", NeurIPS's).
_PREPRINT = re.compile(r"preprint\b", re.IGNORECASE)
#: A paragraph beside a footer on its row is one too when it holds at most this many
#: characters (elsarticle's date, right of "Preprint submitted to ...").
ROW_MATE_CHARS = 40


def _row_mates(paras: list[Paragraph], boxes: list[BBox], kinds: list[str], band: float) -> None:
    """Short paragraphs at the page's foot (below ``band``) that share a row with a footer
    are footers too: elsarticle sets the date ("February 1, 2022") right of its "Preprint
    submitted to ..." stamp, a line of its own after the columns are found."""
    feet = [boxes[i] for i, kind in enumerate(kinds) if kind == "page_footer"]
    if not feet:
        return
    for i, box in enumerate(boxes):
        if kinds[i] != "paragraph" or box[1] < band or len(paras[i].text) > ROW_MATE_CHARS:
            continue
        height = box[3] - box[1]
        if any(min(box[3], b[3]) - max(box[1], b[1]) > 0.5 * height for b in feet):
            kinds[i] = "page_footer"


def _past_page_number(
    paras: list[Paragraph], boxes: list[BBox], kinds: list[str], typical: float
) -> None:
    """Paragraphs under the page number at the foot of the page are furniture too: the
    body ends above the number. A paper's first page sets its proceedings' line there
    ("Proceedings of the 58th Annual Meeting ... pages 2270-2282" under "2270"), too
    close to the number and too long to be set apart. (Over a page number at the top
    sits a document's title as often as a running head: "Página 1 de 9" under it.)"""
    foot = min(
        (
            boxes[i][3]
            for i, kind in enumerate(kinds)
            if kind == "page_footer" and is_page_number(paras[i].text.strip())
        ),
        default=None,
    )
    if foot is None:
        return
    for i, para in enumerate(paras):
        if kinds[i] == "paragraph" and not _vertical_para(para) and boxes[i][1] >= foot:
            kinds[i] = "page_footer"


#: Words a line at the foot of a page holds, and more, before it may be a sentence that
#: runs on to the next page (``_runs_on``).
RUN_ON_WORDS = 10


def _runs_on(para: Paragraph, body_size: float) -> bool:
    """Is ``para`` (one or two lines at the foot of the page) a sentence that runs on to
    the next page, not a footer: ``RUN_ON_WORDS`` words or more, set in the body's size,
    ending in a lower-case word with no stop ("... between the role of your parent
    Department and your"), and no stamp (a copyright line, an address)? A running
    footer is set smaller, ends in a page number or a year, or is a stamp."""
    text = para.text.strip()
    return (
        len(text.split()) >= RUN_ON_WORDS
        and text[-1].isalpha()
        and text[-1].islower()
        and body_size > 0
        and all(ln.size >= 0.95 * body_size for ln in para.lines)
        and not _STAMP.search(text)
    )


_EDGE_NUMBER = re.compile(r"^\d{1,4}\s+\S|\S\s+\d{1,4}$")
_CLOSE_NUMBER = re.compile(r"^\d{1,3}\s+\S|\S\s+\d{1,3}$")
#: What page furniture says: a copyright line, a DOI or web address, a "downloaded" stamp.
_STAMP = re.compile(
    r"©|\(c\)\s*\d{4}|copyright|all rights reserved|\bdoi\b|https?://|www\.|downloaded\s+(from|by)",
    re.IGNORECASE,
)


#: A footnote's start: its mark (a number, raised or not, an asterisk, a dagger) and a capital.
FOOTNOTE_MARK = re.compile(rf"^(?:\d{{1,3}}|[{FIGURES}]{{1,3}}|[*†‡§¶])\s?[A-Z(“\"‘]")


def footnote(text: str) -> bool:
    """Does ``text`` read as a footnote, the page's text and no furniture: a mark, then a
    sentence of four words or more ending in a stop ("3 For example, Voute (1946) and
    Elton (1958)."), and no stamp? A footer that starts with a page number is a title
    ("206 Law Enforcement, Courts, and Prisons"); one that repeats on every page is
    furniture all the same (``stages.running``)."""
    return (
        bool(FOOTNOTE_MARK.match(text))
        and len(text.split()) >= 4
        and text[-1] in ".!?"
        and not _STAMP.search(text)
        and not _AUTHORS.search(text)
    )


#: A running head's authors ("2 Z. Shen et al."), no footnote.
_AUTHORS = re.compile(r"\bet al\.$")


def _plain(para: Paragraph, body_size: float) -> bool:
    """Set in no bold and no larger than the body: a running head or a footer ruled off
    from the page, not a heading ruled off under a title."""
    return not any(ln.bold for ln in para.lines) and all(
        ln.size <= 1.05 * body_size for ln in para.lines
    )


def _numbered(text: str, para: Paragraph, title: bool) -> bool:
    """A page number, or one short line that starts or ends with one of up to three
    digits ("206 Law Enforcement, Courts, and Prisons"; not a year): furniture in
    the bottom band even when it sits close to the text. (At the top such a line
    may be a heading, "3 Results", or a bulletin's title with its number.) A line
    led by dots to its number is a form's line or a contents entry ("36 Add lines
    23 through 31a and 32 through 35 . . . . . . . 36"), not a footer."""
    if is_page_number(text):
        return True
    return (
        not title
        and rows(para) == 1
        and len(text) <= 80
        and bool(_CLOSE_NUMBER.search(text))
        and not LEADER.search(text)
    )


def _edge_furniture(
    paras: list[Paragraph], boxes: list[BBox], kinds: list[str], height: float, typical: float
) -> None:
    """Running heads and feet a little further from the edge (within ``EDGE_BAND``).

    From the top (bottom) edge inwards, up to two short paragraphs of one or
    two lines that are no larger than the body text, set apart from the text
    inside them by more than a line height, and that are a page number or start
    or end with one ("2 Z. Shen et al.", "Optimized Table Tokenization … 9"),
    read like furniture (a copyright line, a DOI or web address), are set
    smaller than the body, or are set in another pitch (a proportional head
    over a typewritten transcript). A book's running head, a page number and a
    title in capitals ("214 HISTOIRE"), is one as the page's first paragraph
    within ``HEAD_BAND`` however close it sits to the text (a scanned page's head).
    """
    body = [i for i, k in enumerate(kinds) if k == "paragraph" and not _vertical_para(paras[i])]
    if len(body) < 2:
        return
    chars = [(line.size, line.mono, len(line.text)) for i in body for line in paras[i].lines]
    total = sum(n for _, _, n in chars)
    sized = [(size, n) for size, _, n in chars if size > 0]
    body_size = weighted_median(sized) if sized else 0.0
    body_mono = 2 * sum(n for _, mono, n in chars if mono) > total
    for kind in ("page_header", "page_footer"):
        top = kind == "page_header"
        order = sorted(body, key=lambda i: boxes[i][1] if top else -boxes[i][3])
        for rank, i in enumerate(order[:2]):
            para = paras[i]
            y0, y1 = boxes[i][1], boxes[i][3]
            if rank + 1 >= len(order) or rows(para) > 2 or len(para.text) > 100:
                break
            text = para.text.strip()
            if _wordless(text):
                break  # a listing's closing "}" atop the page is its text
            size = max(line.size for line in para.lines)
            if body_size and size > 1.05 * body_size:
                break  # set larger than the body: a title ("100 GREAT IDEAS"), no head
            if top and rank == 0 and y1 <= HEAD_BAND * height and _book_head(text):
                kinds[i] = kind  # "214 HISTOIRE" over a scanned book page's first line
                continue
            if not (y1 <= EDGE_BAND * height if top else y0 >= (1 - EDGE_BAND) * height):
                break
            inner = boxes[order[rank + 1]]  # the nearest paragraph further in
            gap = inner[1] - y1 if top else y0 - inner[3]
            if not top and footnote(text):
                break
            signals = (
                bool(_EDGE_NUMBER.search(text) or is_page_number(text) or _STAMP.search(text))
                + bool(body_size and 0 < size < 0.92 * body_size)
                + (all(line.mono for line in para.lines) != body_mono)
            )
            if gap <= 1.0 * typical or not signals:
                break
            kinds[i] = kind


def _book_head(text: str) -> bool:
    """A book's running head however close to the text: a page number of two or three
    figures beside a title in capitals ("214 HISTOIRE"; not "1 INTRODUCTION", a
    section, nor "2020 ANNUAL REPORT", a year)."""
    tokens = text.split()
    number = next((t for t in tokens[:1] + tokens[-1:] if t.isdigit()), "")
    return 2 <= len(number) <= 3 and running_head(text)


def _vertical_para(para: Paragraph) -> bool:
    return len(para.lines) == 1 and is_vertical(para.lines[0])


def rows(para: Paragraph) -> int:
    """How many rows the paragraph's lines take (far-apart pieces of one row are one)."""
    count, bottom = 0, float("-inf")
    for line in para.lines:
        top, low = line.bbox[1], line.bbox[3]
        if top >= bottom - 0.5 * (low - top):
            count += 1
            bottom = low
        else:
            bottom = max(bottom, low)
    return count
