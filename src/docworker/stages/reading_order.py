"""Line pieces → reading order, lines and paragraphs.

Shared by the text-layer and OCR paths of the CPU engine.

1. Columns before lines (``reading_order``): the page's pieces (the text
   layer's runs cut at wide gaps, or OCR lines) are split into column
   regions (``columns.groups``); only then are the pieces of one row in one
   region joined into a line (``join_rows``). Numbers down a margin that
   count the lines (a legal transcript) are read after the text, top to
   bottom, and so are pieces written up or down the page (``furniture``
   types those in a side margin).
2. Paragraphs (``paragraphs``): consecutive lines of one column close
   together (the page's own line spacing sets "close"), cut where
   ``paragraph_breaks.breaks`` says a new one starts (size, weight or pitch
   changes, list items, table-of-contents entries, centred lines, short lines
   that end a sentence, titles, run-in titles), and at a table's edge (a line
   in a table's box and one outside it are never one paragraph: the table
   takes its lines whole). A paragraph's text joins hyphenated line ends
   (``joining``).

Page furniture is ``stages.furniture``; markdown, text and blocks are
``stages.markdown``.

Input: ``Line`` objects with boxes in page units (origin top-left).
Output: ordered ``Line`` objects and ``Paragraph`` lists.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from statistics import median

from docworker.decode import rtl as _rtl
from docworker.decode.pdflines import is_vertical
from docworker.geometry import BBox, Line, Word, area, word_count
from docworker.geometry import union as _union
from docworker.stages.columns import groups as _groups
from docworker.stages.equations import row_latex
from docworker.stages.joining import PageVocabulary, join_lines
from docworker.stages.paragraph_breaks import (
    breaks,
    in_capitals,
    is_page_number,
    list_marker,
    same_row,
)

__all__ = ["Line", "Paragraph", "join_rows", "list_marker", "paragraphs", "reading_order"]


@dataclass
class Paragraph:
    lines: list[Line]
    words: Container[str] = field(default_factory=frozenset)  # the page's words (hyphenation)
    extent: tuple[float, float] = (0.0, 0.0)  # left and right edges, while being built

    @property
    def text(self) -> str:
        """The lines joined by spaces, hyphenated line ends joined (``joining``)."""
        return join_lines([line.text for line in self.lines], self.words)

    @property
    def bbox(self) -> BBox:
        return _union([line.bbox for line in self.lines])

    @property
    def confidence(self) -> float | None:
        scores = [line.confidence for line in self.lines if line.confidence is not None]
        return round(sum(scores) / len(scores), 4) if scores else None


#: Pieces of one row further apart than this many line heights stay separate lines.
ROW_REACH = 15.0


def join_rows(group: list[Line], rtl: bool = False, tables: Sequence[BBox] = ()) -> list[Line]:
    """Pieces of one column that share a row → lines, left to right (right to left).

    Neighbours in a row join into one line unless they are more than
    ``ROW_REACH`` line heights apart (a form's label and a far-off value), or one
    lies inside a table box (``tables``) that the other does not.
    A caption set beside the text (``_floating``: of the pieces wholly outside
    the row above) leaves its row and comes after the group's lines.
    """
    rows: list[list[Line]] = []
    for piece in group:
        ocr = piece.confidence is not None  # OCR boxes may overlap a little (``same_row``)
        for row in rows[-3:]:
            if all(
                same_row(piece.bbox, other.bbox, 0.2 if ocr and other.confidence is not None else 0)
                for other in row
            ):
                row.append(piece)
                break
        else:
            rows.append([piece])
    out: list[Line] = []
    floats: list[Line] = []
    for i, row in enumerate(rows):
        if len(row) > 1 and i > 0:
            above = _union([p.bbox for p in rows[i - 1]])
            beside = [p for p in row if p.bbox[2] < above[0] or p.bbox[0] > above[2]]
            if beside:
                floats += [p for p in beside if _floating(p, row, above)]
                row = [p for p in row if p not in floats]
        if len(row) == 1:
            out.append(row[0])
            continue
        row.sort(key=lambda p: p.bbox[0], reverse=rtl)
        run = [row[0]]
        for piece in row[1:]:
            a, b = (piece, run[-1]) if rtl else (run[-1], piece)
            height = max(min(a.bbox[3] - a.bbox[1], b.bbox[3] - b.bbox[1]), 0.1)
            if b.bbox[0] - a.bbox[2] > ROW_REACH * height or (
                tables and _holder(a.bbox, tables) != _holder(b.bbox, tables)
            ):
                out.append(_joined(run, rtl))
                run = [piece]
            else:
                run.append(piece)
        out.append(_joined(run, rtl))
    return out + floats


def _floating(piece: Line, row: list[Line], above: BBox) -> bool:
    """Is ``piece``, wholly outside ``above`` (the row above's box), a caption beside a
    column's line rather than part of that line?

    An illustration's caption set in the margin beside the text ("THEY TIP-TOED
    ALONG." under a picture, on the row of the column's "ankle that got to
    itching") shares a row with a line of the column. It is two words or more;
    its nearest neighbour in the row is a line of prose (three words or more,
    no mathematics) at least three of that line's heights away and taller than
    it; that line starts where the row above starts and is about as wide, and
    the caption lies wholly outside the row above.
    """
    if word_count(piece.text) < 2:
        return False

    def gap_to(p: Line) -> float:
        return max(p.bbox[0] - piece.bbox[2], piece.bbox[0] - p.bbox[2])

    near = min((p for p in row if p is not piece), key=gap_to)
    gap = gap_to(near)
    tall = near.bbox[3] - near.bbox[1]
    width, wide = near.bbox[2] - near.bbox[0], above[2] - above[0]
    return (
        gap >= 3 * tall
        and piece.bbox[3] - piece.bbox[1] <= 0.85 * tall
        and word_count(near.text) >= 3
        and not near.math
        and abs(near.bbox[0] - above[0]) <= tall
        and width >= 0.6 * wide
    )


def _joined(row: list[Line], rtl: bool = False) -> Line:
    """Pieces of one row, in reading order, as one line.

    Pieces of one size and baseline that touch (a gap under a tenth of the line
    height: glyphs drawn one by one, out of order) join without a space, and
    their edge words become one; a raised or lowered piece keeps its space.
    """
    if len(row) == 1:
        return row[0]
    chars = [max(1, len(p.text)) for p in row]
    main = max(range(len(row)), key=lambda i: chars[i])
    total = sum(chars)
    scores = [p.confidence for p in row if p.confidence is not None]
    text = row[0].text
    words = list(row[0].words)
    for prev, piece in itertools.pairwise(row):
        low, high = sorted((prev.bbox[3] - prev.bbox[1], piece.bbox[3] - piece.bbox[1]))
        gap = prev.bbox[0] - piece.bbox[2] if rtl else piece.bbox[0] - prev.bbox[2]
        level = abs(prev.bbox[3] - piece.bbox[3]) < 0.1 * low and high < 1.2 * low
        if level and gap < 0.1 * max(low, 0.1):
            text += piece.text
            if words and piece.words:
                a, b = words[-1], piece.words[0]
                joined = Word(min(a.x0, b.x0), min(a.top, b.top), max(a.x1, b.x1),
                              max(a.bottom, b.bottom), a.text + b.text)  # fmt: skip
                words[-1:] = [joined]
                words.extend(piece.words[1:])
                continue
        else:
            text += " " + piece.text
        words.extend(piece.words)
    return Line(
        text=text,
        bbox=_union([p.bbox for p in row]),
        confidence=sum(scores) / len(scores) if scores else None,
        size=row[main].size,
        bold=sum(c for p, c in zip(row, chars, strict=True) if p.bold) >= 0.9 * total,
        mono=sum(c for p, c in zip(row, chars, strict=True) if p.mono) >= 0.9 * total,
        words=words,
        latex=row_latex(row),
        math=sum(p.math for p in row),
        run_in=row[0].run_in,
        ends=(row[0].ends[0], row[-1].ends[1]),
        pieces=sum(p.pieces for p in row),
    )


def reading_order(
    lines: list[Line],
    page_width: float = 0.0,
    *,
    rtl: bool | None = None,
    rules: Sequence[tuple[float, float, float]] = (),
    tables: Sequence[BBox] = (),
) -> list[Line]:
    """Pieces → lines in reading order: columns first, then each row's pieces joined.

    A page whose text is mostly right-to-left (``rtl``; ``None`` decides from
    the text) reads its columns, and the pieces of a row, right to left.
    Pieces written up or down the page come last, each on its own.
    ``rules``: the page's horizontal rules, ``(y, x0, x1)``; one drawn across the
    whole text that no piece crosses cuts the page into bands read one after the
    other (``rule_bands``). ``tables``: the page's table boxes; a piece inside one is
    never joined into a line with a piece outside it (a box of totals beside the table).
    """
    if rtl is None:
        rtl = _rtl.rtl_page(line.text for line in lines)
    upright = [line for line in lines if not is_vertical(line)]
    turned = [line for line in lines if is_vertical(line)]
    numbers = _line_numbers(upright)
    # Top to bottom: a right-aligned "9" starts right of "10".
    margin = sorted((ln for ln in upright if id(ln) in numbers), key=lambda ln: ln.bbox[1])
    if numbers:
        upright = [line for line in upright if id(line) not in numbers]
    upright, stand_ins = _tables_whole(upright, tables)
    known: list[tuple[float, float]] = []  # the page's gutters (``columns.groups``)
    if rtl:
        mirror = [
            Line(ln.text, (-ln.bbox[2], ln.bbox[1], -ln.bbox[0], ln.bbox[3])) for ln in upright
        ]
        back = {id(m): ln for m, ln in zip(mirror, upright, strict=True)}
        groups = [
            [back[id(m)] for m in group]
            for band in rule_bands(mirror, rules, mirrored=True)
            for group in _groups(band, known=known)
        ]
    else:
        groups = [
            group for band in rule_bands(upright, rules) for group in _groups(band, known=known)
        ]
    if stand_ins:
        groups = [
            [piece for line in group for piece in stand_ins.get(id(line), (line,))]
            for group in groups
        ]
    ordered = [line for group in groups for line in join_rows(group, rtl, tables)]
    return ordered + margin + sorted(turned, key=lambda line: (line.bbox[0], line.bbox[1]))


def _tables_whole(
    lines: list[Line], tables: Sequence[BBox]
) -> tuple[list[Line], dict[int, list[Line]]]:
    """``lines`` with the pieces of each table (two or more in its box) stood in for by
    one piece of the table's box and words, and the stand-ins' pieces, top to bottom,
    by the stand-in's id. The columns are found among the page's text, a table one
    block of it: a table's cells, short pieces in rows, are no prose, and a paper's two
    tables side by side over two columns' last lines had hidden the columns' gutter
    (the lines read across)."""
    if not tables:
        return lines, {}
    kept: list[Line] = []
    members: dict[int, list[Line]] = {}
    for line in lines:
        held = _holder(line.bbox, tables, outer=True)  # a nested table inside its outer one
        if held < 0:
            kept.append(line)
        else:
            members.setdefault(held, []).append(line)
    stand_ins: dict[int, list[Line]] = {}
    for pieces in members.values():
        if len(pieces) < 2:
            kept.extend(pieces)
            continue
        pieces.sort(key=lambda line: (line.bbox[1], line.bbox[0]))
        stand_in = Line(" ".join(p.text for p in pieces), _union([p.bbox for p in pieces]))
        stand_ins[id(stand_in)] = pieces
        kept.append(stand_in)
    return kept, stand_ins


#: A rule that cuts the page into bands spans the text's width but for this share of it.
RULE_SLACK = 0.05


def rule_cuts(
    lines: Sequence[Line],
    rules: Sequence[tuple[float, float, float]],
    *,
    mirrored: bool = False,
    graze: float = 0.0,
) -> list[float]:
    """The heights, top to bottom, of the horizontal rules that cut the page's text.

    A rule cuts where it is drawn across the whole width of the text (within
    ``RULE_SLACK`` of it at either end), no piece crosses it, and text lies above
    and below it: a gazette's masthead and title over its columns, a running head
    or a form's footer ruled off from the page. ``rules`` are ``(y, x0, x1)`` in
    the pieces' space (``mirrored``: their x is negated, as a right-to-left page's
    pieces are). ``graze``: a rule may reach into a piece's box by this share of its
    height at either end (a loose box's ascent over the rule a form's footer sits
    under). Pieces written up or down the page (a margin's stamp) cross nothing.
    """
    lines = [line for line in lines if not is_vertical(line)]
    if not rules or len(lines) < 2:
        return []
    left = min(line.bbox[0] for line in lines)
    right = max(line.bbox[2] for line in lines)
    slack = RULE_SLACK * (right - left)
    across = []
    for y, x0, x1 in rules:
        if mirrored:
            x0, x1 = -x1, -x0
        if x0 <= left + slack and x1 >= right - slack:
            across.append(y)
    if not across:
        return []
    # The pieces' vertical extents merged into disjoint spans: a rule inside one is crossed.
    spans: list[list[float]] = []
    extents = (
        (line.bbox[1] + (h := graze * (line.bbox[3] - line.bbox[1])), line.bbox[3] - h)
        for line in lines
    )
    for top, bottom in sorted(extents):
        if spans and top < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], bottom)
        else:
            spans.append([top, bottom])
    starts = [span[0] for span in spans]
    cuts = set()
    for y in across:
        k = bisect.bisect_left(starts, y) - 1
        if 0 <= k < len(spans) - 1 and y >= spans[k][1]:
            cuts.add(y)
    return sorted(cuts)


def rule_bands(
    lines: list[Line], rules: Sequence[tuple[float, float, float]], *, mirrored: bool = False
) -> list[list[Line]]:
    """The pieces in bands, top to bottom, between the rules that cut them (``rule_cuts``)."""
    bands: list[list[Line]] = []
    rest = lines
    for y in rule_cuts(lines, rules, mirrored=mirrored):
        above = [line for line in rest if line.bbox[3] <= y]
        if above and len(above) < len(rest):
            bands.append(above)
            rest = [line for line in rest if line.bbox[3] > y]
    return [*bands, rest] if rest else bands


_NUMBER = re.compile(r"\d{1,4}")


def _line_numbers(lines: list[Line]) -> set[int]:
    """Ids of the pieces that number the lines in a margin (legal transcripts, drafts).

    Five or more bare numbers, all left (or right) of the other text, counting
    up from top to bottom. They are read after the page's text, not into it.
    """
    numbers = [line for line in lines if _NUMBER.fullmatch(line.text)]
    if len(numbers) < 5:
        return set()
    others = [line for line in lines if not _NUMBER.fullmatch(line.text)]
    if not others:
        return set()
    text_left = min(line.bbox[0] for line in others)
    text_right = max(line.bbox[2] for line in others)
    for side in (
        [n for n in numbers if n.bbox[2] <= text_left + 1.0],
        [n for n in numbers if n.bbox[0] >= text_right - 1.0],
    ):
        if len(side) < 5:
            continue
        values = [int(n.text) for n in sorted(side, key=lambda n: n.bbox[1])]
        rising = sum(1 for a, b in itertools.pairwise(values) if b > a)
        if rising >= 0.8 * (len(values) - 1):
            return {id(n) for n in side}
    return set()


# ------------------------------------------------------------------ paragraphs


def _holder(box: BBox, tables: Sequence[BBox], slack: float = 2.0, outer: bool = False) -> int:
    """Index of the table box that holds ``box``'s centre, or -1: of a table set inside
    another's cell and the outer table, the inner one (``outer``: the outer one)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    found, size = -1, 0.0
    for i, t in enumerate(tables):
        if t[0] - slack <= cx <= t[2] + slack and t[1] - slack <= cy <= t[3] + slack:
            a = area(t)
            if found < 0 or (a > size if outer else a < size):
                found, size = i, a
    return found


def paragraphs(lines: list[Line], tables: Sequence[BBox] = ()) -> list[Paragraph]:
    """Group ordered lines into paragraphs (see the module docstring).

    ``tables``: the page's table boxes, in the lines' space. No paragraph runs
    over a table's edge, so a table takes the paragraphs of its cells whole
    (``markdown.layout_items``) and a heading over it stays out of them.
    """
    if not lines:
        return []
    held = [_holder(line.bbox, tables) for line in lines]
    words = PageVocabulary([line.text for line in lines])
    heights = [max(line.bbox[3] - line.bbox[1], 0.1) for line in lines]
    typical = median(heights)
    # The page's usual gap between the lines of a column: double-spaced text
    # (transcripts, drafts) keeps its lines in one paragraph.
    pairs = [
        (a, b)
        for a, b in itertools.pairwise(lines)
        if -0.5 * typical <= b.bbox[1] - a.bbox[3] <= 2.0 * typical
        and min(a.bbox[2], b.bbox[2]) > max(a.bbox[0], b.bbox[0])
    ]
    gaps = [b.bbox[1] - a.bbox[3] for a, b in pairs]
    reach = max(0.3 * typical, _usual(pairs, typical) + 0.45 * typical) if gaps else 0.7 * typical
    sized = [(line.size, len(line.text)) for line in lines if line.size > 0]
    body = weighted_median(sized) if sized else 0.0
    # Which neighbours share a row (far-apart pieces: a statement's label, its figures),
    # and where each line's row starts.
    together = [same_row(a.bbox, b.bbox) for a, b in itertools.pairwise(lines)]
    firsts = [0] * len(lines)
    for k, joined in enumerate(together):
        firsts[k + 1] = firsts[k] if joined else k + 1
    # For ``_grid_rows``: each row's far-apart pieces, at the row's first line (a row of
    # several lines, a statement's label and figures read apart, counts them all).
    own = [_pieces(line) for line in lines]
    pieces = list(own)
    for k, start in enumerate(firsts):
        if start != k and (k + 1 == len(lines) or firsts[k + 1] != start):
            pieces[start] = _row_pieces(lines[start : k + 1], own[start : k + 1])
    out: list[Paragraph] = [Paragraph([lines[0]], words)]
    out[-1].extent = (lines[0].bbox[0], lines[0].bbox[2])
    for k, (prev, line) in enumerate(itertools.pairwise(lines)):
        para = out[-1]
        if (
            held[k] != held[k + 1]
            or is_vertical(line)
            or is_vertical(prev)
            or _page_number_end(k, lines)
            or (not together[k] and _grid_rows(prev, line, pieces[firsts[k]], pieces[k + 1]))
            or breaks(
                prev,
                line,
                para,
                typical,
                reach,
                body,
                None if together[k] else _rows(lines, k, firsts),
            )
        ):
            out.append(Paragraph([line], words))
            out[-1].extent = (line.bbox[0], line.bbox[2])
        else:
            para.lines.append(line)
            para.extent = (min(para.extent[0], line.bbox[0]), max(para.extent[1], line.bbox[2]))
    return out


#: Far-apart pieces a line holds, each of two lines one under the other, for them to be a
#: table's rows that no finder took (``_grid_rows``); a gap of this many line heights
#: between two words parts pieces.
GRID_PIECES = 3
GRID_GAP = 1.5


def _pieces(line: Line) -> tuple[list[tuple[float, float]], bool]:
    """The x extents of the far-apart pieces (``GRID_GAP``) ``line``'s words make, and
    whether the first ends in a colon (a form's label before its value). A line of four
    words or more, most of them words of letters, two in three of whose gaps are wide
    and about as wide as each other (within a third) is a justified line spread out,
    one piece ("[19] Seljak  U.  and  Zaldarriaga  M."; not a row of dates or figures
    evenly set: "04/15/12  06/15/12  09/15/12")."""
    words = line.words
    if len(words) < 2 or (line.pieces < 2 and line.confidence is None):
        return [], False  # (a text layer's piece has no gap a font size wide: pdflines.GAP)
    gap = GRID_GAP * max(line.bbox[3] - line.bbox[1], 0.1)
    gaps = [b.x0 - a.x1 for a, b in itertools.pairwise(words)]
    wide = [width for width in gaps if width > gap]
    if not wide:
        return [(words[0].x0, words[-1].x1)], False
    if (
        len(words) >= 4
        and 3 * len(wide) >= 2 * len(gaps)
        and max(wide) <= 1.3 * min(wide)
        and 2 * sum(1 for w in words if w.text[:1].isalpha()) > len(words)
    ):
        return [(words[0].x0, words[-1].x1)], False
    spans, start, label = [], words[0].x0, False
    for (a, b), width in zip(itertools.pairwise(words), gaps, strict=True):
        if width > gap:
            label = label or (not spans and a.text.endswith(":"))
            spans.append((start, a.x1))
            start = b.x0
    spans.append((start, words[-1].x1))
    return spans, label


def _row_pieces(
    row: list[Line], own: list[tuple[list[tuple[float, float]], bool]]
) -> tuple[list[tuple[float, float]], bool]:
    """The far-apart pieces of a row of several lines, left to right: each line's own
    (``own``, their ``_pieces``), or the line itself where it is one piece (a name, a
    duty, an amount); a label when its first line opens with one."""
    spans: list[tuple[float, float]] = []
    label = False
    for line, (parts, labelled) in sorted(zip(row, own, strict=True), key=lambda p: p[0].bbox[0]):
        label = label or (not spans and labelled)
        spans += parts or [(line.bbox[0], line.bbox[2])]
    return spans, label


def _grid_rows(
    prev: Line, line: Line, a: tuple[list[tuple[float, float]], bool], b: tuple[list, bool]
) -> bool:
    """Are ``prev`` and ``line``, one under the other, rows of a table or a form: each
    ``GRID_PIECES`` far-apart pieces or more, or each a label and its colon set far
    from its value, their pieces after the first starting (or ending) level with each
    other's? A table with too few rows for the stream finder (a booking order's "Start
    Date  End Date  # Shows  Gross Amount" over its one row of values) and a form's
    "Name:  Universal Studios" over "Category:  Film Distributor" had run into one
    line; each row is a paragraph. A piece is level with one of the other line's when
    their starts or their ends are (a duty set left, its amount right). A justified
    line's wide word gaps line up with the next line's by chance only. ``a``, ``b``:
    their ``_pieces``."""
    (a, a_label), (b, b_label) = a, b
    if len(a) < 2 or len(b) < 2:
        return False
    need = 1 if a_label and b_label else 2
    if not (a_label and b_label) and (len(a) < GRID_PIECES or len(b) < GRID_PIECES):
        return False
    slack = max(min(prev.bbox[3] - prev.bbox[1], line.bbox[3] - line.bbox[1]), 0.1)
    level = sum(
        1
        for x0, x1 in a[1:]
        if any(abs(x0 - y0) <= slack or abs(x1 - y1) <= slack for y0, y1 in b[1:])
    )
    return level >= need


def _rows(lines: list[Line], k: int, firsts: list[int]) -> tuple[str, str] | None:
    """The texts of the rows that end with ``lines[k]`` and start with ``lines[k + 1]``
    (``firsts``: where each line's row starts), or ``None`` where neither shares its row
    with another piece. Each row is joined at most twice: linear in the page's lines."""
    start = firsts[k]
    end = k + 1
    while end + 1 < len(lines) and firsts[end + 1] == k + 1:
        end += 1
    if start == k and end == k + 1:
        return None
    return (
        " ".join(ln.text for ln in lines[start : k + 1]),
        " ".join(ln.text for ln in lines[k + 1 : end + 1]),
    )


def _page_number_end(k: int, lines: list[Line]) -> bool:
    """Is the break between ``lines[k]`` and ``lines[k + 1]`` one that cuts off the page's
    first or last line as a page number ("-4" printed just under a book page's last
    line, "49" over its first, or a running head over it: "214 HISTOIRE")? It is then
    a paragraph of its own, which ``furniture`` can tell for what it is, and not the
    end of a sentence. The line it leaves is prose (three words or more, no
    mathematics), and the number lies wholly
    below (above) it: not a column of line numbers, a formula's last piece, or a table
    of contents' page number beside its entry."""
    if k == len(lines) - 2:
        number, text = lines[-1], lines[-2]
        below = number.bbox[1] >= text.bbox[3] - 0.25 * (text.bbox[3] - text.bbox[1])
    elif k == 0:
        number, text = lines[0], lines[1]
        below = text.bbox[1] >= number.bbox[3] - 0.25 * (text.bbox[3] - text.bbox[1])
    else:
        return False
    return (
        below
        and not number.math
        and not text.math
        and word_count(text.text) >= 3
        and (is_page_number(number.text) or (k == 0 and running_head(number.text)))
    )


#: A book's running head: its page number and a title in capitals, either way round
#: ("214 HISTOIRE", "CHAPTER ONE 17").
_RUNNING_HEAD = re.compile(
    r"^(?:\d{1,4}\s+[^\W\d_][^\W\d_ .,'’-]*(?:[ .,'’-]+[^\W\d_]+)*\.?"
    r"|[^\W\d_][^\W\d_ .,'’-]*(?:[ .,'’-]+[^\W\d_]+)*\.?\s+\d{1,4})$"
)


def running_head(text: str) -> bool:
    """Is ``text`` a running head: a page number beside a title set in capitals
    ("214 HISTOIRE", "PREFACE xii" is not: Arabic figures only), 60 characters at most?"""
    text = text.strip()
    return len(text) <= 60 and in_capitals(text, 3) and bool(_RUNNING_HEAD.match(text))


#: Consecutive full lines a median gap apart that make a page's text double-spaced.
DOUBLE_SPACED_RUN = 4


def _usual(pairs: list[tuple[Line, Line]], typical: float) -> float:
    """The gap between the lines of a paragraph: the median of the page's gaps (between
    ``pairs`` of lines one under the other), or their lower quartile (under eight gaps,
    their least) when that is half a line or more below the median.

    On a page of one- and two-line paragraphs (minutes, forms, headings with a
    sentence each) most gaps are between paragraphs, so the median is a blank
    line and the lines of a paragraph sit in the lower quartile. Double-spaced
    text has every gap wide, and a page of running text with formulas has its
    gaps spread a little around one value: both keep the median, and so does a
    double-spaced page under a single-spaced caption (a court's order), where the
    median gap parts ``DOUBLE_SPACED_RUN`` full lines in a row or more
    (``_double_spaced``).
    """
    gaps = [b.bbox[1] - a.bbox[3] for a, b in pairs]
    ordered = sorted(gaps)
    middle = median(ordered)
    # Under eight gaps, the least: a letter's date, salutation, one paragraph and its
    # closing, each a blank line apart, leave a paragraph's own gap once only.
    quartile = ordered[(len(ordered) - 1) // 4] if len(ordered) >= 8 else ordered[0]
    if middle - quartile >= 0.5 * typical and not _double_spaced(pairs, gaps, middle, typical):
        return quartile
    return middle


def _double_spaced(
    pairs: list[tuple[Line, Line]], gaps: list[float], middle: float, typical: float
) -> bool:
    """Do ``DOUBLE_SPACED_RUN`` pairs in a row lie the median gap apart, each line of
    them full (60% of the widest line or more): running text set double-spaced, not
    one-line paragraphs parted by blank lines?"""
    widest = max(max(a.bbox[2] - a.bbox[0], b.bbox[2] - b.bbox[0]) for a, b in pairs)
    run = 0
    for (a, b), gap in zip(pairs, gaps, strict=True):
        full = min(a.bbox[2] - a.bbox[0], b.bbox[2] - b.bbox[0]) >= 0.6 * widest
        run = run + 1 if full and abs(gap - middle) <= 0.15 * typical else 0
        if run >= DOUBLE_SPACED_RUN:
            return True
    return False


def weighted_median(values: list[tuple[float, int]]) -> float:
    """The median of ``(value, weight)`` pairs (not empty)."""
    ordered = sorted(values)
    half = sum(n for _, n in ordered) / 2
    seen = 0
    for value, n in ordered:
        seen += n
        if seen >= half:
            return value
    return ordered[-1][0]
