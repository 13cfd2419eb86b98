"""Columns: line pieces → column regions in reading order.

``groups(pieces)`` splits a page's pieces (the text layer's runs cut at wide
gaps, or OCR lines) into regions read one after the other, each a list of
pieces top to bottom:

1. a row or two set apart at the top or bottom of a region (a running head,
   a footer, a title over the columns) is a region of its own (``_edge_rows``);
2. a vertical gutter through a band of prose splits the region into left
   and right (``_find_gutter``); pieces that span the whole gutter (a title,
   a full-width caption) cut it into bands read one after the other, and
   each side is looked at again (three columns, columns inside a band). A
   gutter between the cells of a table or a form is no column: both sides
   must hold prose, or one side prose beside pieces that do not share its
   rows (a sidebar, an infobox) (``_columns``);
3. a region with no gutter is cut at its widest horizontal gap and each part
   is looked at again, so a page that changes from one to two or three
   columns is read region by region (``_y_cut``);
4. a region with neither is searched for a band of rows that keeps a gutter
   clear from top to bottom (``_band``): two columns set tight between
   full-width text, with no blank row to cut at and more full-width lines
   than step 2 lets cross a gutter (or tight over a table, whose rows run on
   longer clear of an x but hold prose on one side only: runs are tried by
   the prose on their poorer side first). The band is read on its own,
   between what comes above and below it;
5. a block set apart over the columns whose pieces hold few words (a paper's
   authors side by side) is read before them, not shared out to their tops
   by the gutter (``_head_cut``);
6. a region too small to show a gutter (under six pieces) is split at a
   gutter found elsewhere on the page, where two pieces of prose or more lie
   on each side of it (``_known_split``): two lines under a figure, in two of
   the page's columns.

Input: ``Line`` pieces with boxes in page units (origin top-left).
Output: lists of pieces.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable
from statistics import median

from docworker.geometry import Line, word_count
from docworker.stages.paragraph_breaks import REFERENCE_LABEL

#: A gutter is at least this share of the text's width (and 0.4 line heights).
MIN_GUTTER = 0.008


def _words(line: Line) -> int:
    return word_count(line.text)


def _prose(lines: list[Line]) -> bool:
    """Do these pieces read as running text (not the cells of a table or form)?

    Three words or more a piece; or pieces that fill a wide column (at least
    twelve line heights) from edge to edge.
    """
    if len(lines) < 3:
        return False
    if median(_words(line) for line in lines) >= 3:
        return True
    left = min(line.bbox[0] for line in lines)
    extent = max(line.bbox[2] for line in lines) - left
    height = median(line.bbox[3] - line.bbox[1] for line in lines)
    width = median(line.bbox[2] - line.bbox[0] for line in lines)
    return extent >= 12 * height and width >= 0.6 * extent


def _aligned(left: list[Line], right: list[Line]) -> float:
    """Share of the ``right`` pieces whose bottom edge lines up with a ``left`` piece's.

    Cells of one table row share a baseline; a sidebar beside running text
    lines up with it only now and then.
    """
    bottoms = sorted(line.bbox[3] for line in left)
    hits = 0
    for line in right:
        tol = 0.15 * max(line.bbox[3] - line.bbox[1], 1.0)
        k = bisect.bisect_left(bottoms, line.bbox[3] - tol)
        hits += k < len(bottoms) and bottoms[k] <= line.bbox[3] + tol
    return hits / len(right)


def _columns(left: list[Line], right: list[Line]) -> bool:
    """Are these two sides of a gutter columns (not the cells of one table or form)?

    Both sides prose; or one side prose beside pieces that mostly do not
    share its rows (a sidebar or an infobox beside the text).
    """
    if len(left) < 3 or len(right) < 3:
        return False
    prose_left, prose_right = _prose(left), _prose(right)
    if prose_left and prose_right:
        return True
    if prose_left:
        return _aligned(left, right) < 0.5
    if prose_right:
        return _aligned(right, left) < 0.5
    return False


def _find_gutter(lines: list[Line]) -> tuple[float, float] | None:
    """An x range that separates two side-by-side columns of prose, or ``None``.

    Coverage counts how many pieces cross each x. A gutter is the widest run
    of near-zero coverage away from the margins, where both sides hold prose
    that runs beside each other vertically. Pieces that cross it (titles,
    full-width captions) are handled by the caller as band separators; a
    piece crosses only when it spans the whole range.
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
    covered = [0] * (bins + 2)
    height = median(max(line.bbox[3] - line.bbox[1], 0.1) for line in lines)
    for x0, x1 in _extents(lines, height):  # difference array: +1 where a piece starts,
        covered[max(int((x0 - x_min) / step), 0)] += 1  # -1 after it ends
        covered[min(int((x1 - x_min) / step), bins) + 1] -= 1
    covered = list(itertools.accumulate(covered))
    allowed = max(1, len(lines) // 10)
    first = int(bins * 0.15)
    runs = _runs(map(allowed.__ge__, covered[first : int(bins * 0.85) + 1]), first)
    runs.sort(key=lambda r: r[0] - r[1])  # widest first
    for lo, hi in runs[:3]:
        width = (hi - lo + 1) * step
        if width < max(MIN_GUTTER * span, 0.4 * height):
            break
        core = _lowest_stretch(covered, lo, hi)
        gutter = (x_min + core[0] * step, x_min + (core[1] + 1) * step)
        middle = (gutter[0] + gutter[1]) / 2
        left = [line for line in lines if line.bbox[2] <= middle]
        right = [line for line in lines if line.bbox[0] >= middle]
        if not _columns(left, right):
            continue
        # The two sides must run beside each other, not one above the other.
        l_top, l_bot = min(b.bbox[1] for b in left), max(b.bbox[3] for b in left)
        r_top, r_bot = min(b.bbox[1] for b in right), max(b.bbox[3] for b in right)
        overlap = min(l_bot, r_bot) - max(l_top, r_top)
        if overlap >= 0.3 * min(l_bot - l_top, r_bot - r_top):
            return gutter
    return None


#: A reference's label reaches across at most this many line heights to its entry.
LABEL_REACH = 3.0


def _extents(lines: list[Line], height: float) -> list[tuple[float, float]]:
    """Each piece's x extent, for the coverage ``_find_gutter`` looks for gutters in; a
    reference's label (``REFERENCE_LABEL``) runs on to the entry it is set beside, so
    the gap between a bibliography's labels and its entries is no gutter. Set in a
    wide box ("[KMN+02]"), that gap can be wider than the page's own gutter, and the
    right column's labels had been read as the ends of the left column's lines."""
    extents = [(line.bbox[0], line.bbox[2]) for line in lines]
    labels = [
        i
        for i, line in enumerate(lines)
        if line.text[:1] == "[" and REFERENCE_LABEL.fullmatch(line.text)
    ]
    if not labels:
        return extents
    starts = sorted((line.bbox[0], k) for k, line in enumerate(lines))  # the pieces by left
    lefts = [x for x, _ in starts]
    for i in labels:
        x0, top, x1, bottom = lines[i].bbox
        first = bisect.bisect_right(lefts, x1)  # pieces starting right of the label, within
        last = bisect.bisect_right(lefts, x1 + LABEL_REACH * height)  # its reach
        entry = [
            x
            for x, k in starts[first:last]
            if min(bottom, lines[k].bbox[3]) - max(top, lines[k].bbox[1]) > 0.5 * (bottom - top)
        ]
        if entry:
            extents[i] = (x0, min(entry))
    return extents


#: A block set apart over the columns (``_head_cut``) holds at most this share of the
#: region's pieces.
HEAD_SHARE = 0.3


def _few_words(lines: list[Line]) -> float:
    return median(_words(line) for line in lines)


def _head_cut(lines: list[Line], gutter: tuple[float, float]) -> tuple[float, float] | None:
    """The y over and under a block set apart over the columns that is no part of them
    (under a title across the gutter, if any), or ``None``:
    a paper's authors set side by side (names, affiliations, addresses), which the
    columns' gutter would otherwise share out among the columns. The block holds at
    most ``HEAD_SHARE`` of the region's pieces and three or more, and a gap that no
    piece crosses parts it from what follows: 1.5 line heights, or one where a piece of
    the block sits over the gutter (an author set in the middle of three, which no
    column has). Its pieces on either side of the gutter are short (``_short``): two
    columns whose first paragraphs end on one row stay columns."""
    ordered = sorted(lines, key=lambda line: line.bbox[1])
    height = median(max(line.bbox[3] - line.bbox[1], 0.1) for line in lines)
    middle = (gutter[0] + gutter[1]) / 2
    left_edge = min(line.bbox[0] for line in lines)
    right_edge = max(line.bbox[2] for line in lines)
    bottom = ordered[0].bbox[3]
    start = 0  # past a title across the gutter, set apart over the block
    for k in range(1, len(ordered)):
        if k > HEAD_SHARE * len(ordered):
            return None
        line = ordered[k]
        gap = line.bbox[1] - bottom
        if gap > height:
            above = ordered[start:k]
            over = [p.bbox[0] < gutter[0] and p.bbox[2] > gutter[1] for p in above]
            if all(over):
                start, bottom = k, line.bbox[3]
                continue
            if gap > 1.5 * height or any(over):
                if len(above) < 3:
                    return None
                left = [p for p in above if (p.bbox[0] + p.bbox[2]) / 2 < middle]
                right = [p for p in above if (p.bbox[0] + p.bbox[2]) / 2 >= middle]
                if (
                    left
                    and right
                    and _short(left, gutter[0] - left_edge)
                    and _short(right, right_edge - gutter[1])
                ):
                    return ordered[start].bbox[1], (bottom + line.bbox[1]) / 2
                return None
        bottom = max(bottom, line.bbox[3])
    return None


def _stacks(lines: list[Line]) -> list[list[Line]] | None:
    """A block over the columns (``_head_cut``) in stacks side by side that no piece
    bridges, each of two pieces or more, read one stack after the other: each author's
    name, affiliation and address together. ``None`` when the block is no such row."""
    spans = _x_stacks(lines)
    if len(spans) < 2 or any(len(stack) < 2 for stack in spans):
        return None
    return [_top_down(stack) for stack in spans]


def _x_stacks(lines: list[Line]) -> list[list[Line]]:
    """``lines`` in stacks side by side, left to right, that no piece bridges."""
    stacks: list[list[Line]] = []
    right = float("-inf")
    for line in sorted(lines, key=lambda line: line.bbox[0]):
        if line.bbox[0] >= right:
            stacks.append([])
        stacks[-1].append(line)
        right = max(right, line.bbox[2])
    return stacks


#: Side-by-side blocks (``_side_blocks``) hold at most this many pieces each.
BLOCK_PIECES = 8


def _side_blocks(lines: list[Line]) -> list[list[Line]] | None:
    """Blocks set side by side whose lines keep rows of their own, read one block after
    the other, or ``None``: a letterhead's agency name in two small lines beside the
    form's title in two large ones ("Government of the District of Columbia" / "Office
    of Tax and Revenue" beside "D-2210 Underpayment of Estimated" / "Income Tax By
    Individuals"), which row by row interleave. The blocks are stacks that no piece
    bridges, two or more of them of two pieces or more (of two words or more, their
    median: a chart's ticks and legend stay as they were) and at most ``BLOCK_PIECES``
    each; their lines are no prose, and the pieces of no two stacks of two or more
    share baselines (``_aligned``, half of them or more: a table's or a form's rows,
    a list of names and their values, stay rows). A line wholly under the blocks
    (the form's first instruction) is read after them."""
    if len(lines) < 4:
        return None
    ordered = sorted(lines, key=lambda line: line.bbox[3])
    found = _stacks_apart(ordered)
    if found is None and ordered[-1].bbox[1] >= ordered[-2].bbox[3]:
        found = _stacks_apart(ordered[:-1])  # a line under the blocks ("IMPORTANT: ...")
        if found is not None:
            found.append([ordered[-1]])
    return found


def _stacks_apart(lines: list[Line]) -> list[list[Line]] | None:
    """``_side_blocks`` of ``lines`` as they are, or ``None``."""
    stacks = _x_stacks(lines)
    tall = [stack for stack in stacks if len(stack) >= 2]
    if len(tall) < 2 or any(len(stack) > BLOCK_PIECES for stack in stacks):
        return None
    if any(_few_words(stack) < 2 for stack in tall):
        return None  # a chart's ticks and legend, a diagram's labels
    if _few_words(lines) >= 6:
        return None  # prose: the gutter search's, not this
    for a, b in itertools.combinations(tall, 2):
        if _aligned(a, b) >= 0.5 or _aligned(b, a) >= 0.5:
            return None
    return [_top_down(stack) for stack in stacks]


#: Pieces narrower than this share of their column (their median) are no lines of prose.
SHORT_SHARE = 0.7


def _short(lines: list[Line], width: float) -> bool:
    """Are these pieces no column's prose: fewer than three words (their median), or
    narrower than ``SHORT_SHARE`` of the column's ``width`` (centred names and
    affiliations, "Department of Computer Sciences,")?"""
    if _few_words(lines) < 3:
        return True
    return width > 0 and median(p.bbox[2] - p.bbox[0] for p in lines) < SHORT_SHARE * width


def _lowest_stretch(covered: list[int], lo: int, hi: int) -> tuple[int, int]:
    """The widest stretch of bins in ``lo..hi`` whose coverage is the lowest there.

    A run of "few pieces" reaches into a column's ragged edge; the gutter
    proper is where coverage is lowest.
    """
    part = covered[lo : hi + 1]
    stretches = _runs(map(min(part).__eq__, part), lo)
    return max(stretches, key=lambda s: s[1] - s[0])


_TRUE_RUN = re.compile(rb"\x01+")


def _runs(flags: Iterable[bool], offset: int) -> list[tuple[int, int]]:
    """``(first, last)`` index of every run of true flags, in order, counted from
    ``offset`` (the bins' loops of ``_find_gutter``, run in C: a page asks hundreds)."""
    return [(offset + m.start(), offset + m.end() - 1) for m in _TRUE_RUN.finditer(bytes(flags))]


def _y_cut(lines: list[Line]) -> float | None:
    """The middle of the widest horizontal gap no piece crosses, if it is wider than a line."""
    ordered = sorted(lines, key=lambda line: line.bbox[1])
    height = median(max(line.bbox[3] - line.bbox[1], 0.1) for line in lines)
    best, at = 1.2 * height, None
    bottom = ordered[0].bbox[3]
    for line in ordered[1:]:
        gap = line.bbox[1] - bottom
        if gap > best:
            best, at = gap, bottom + gap / 2
        bottom = max(bottom, line.bbox[3])
    return at


#: Each side of a band of columns holds at least this many pieces of prose: an
#: equation set beside its text, a form's labels beside their boxes are no band.
MIN_BAND_SIDE = 6
MIN_BAND_ROWS = 2 * MIN_BAND_SIDE


def _band(ordered: list[Line]) -> tuple[int, int] | None:
    """(first, last) index of a run of rows, top to bottom, that keeps a column gutter clear.

    For every x (141 places across the middle 70%) every run of
    ``MIN_BAND_ROWS`` consecutive pieces or more that do not cross it; the three
    runs with the most pieces of prose on their poorer side (then the longest)
    are tried as a region of their own, and one whose pieces ``_find_gutter``
    splits into columns is the band. Pieces at its ends that lie wholly above (below) the
    other side's pieces are left out: a list's last short line, a heading
    under the columns, are read before (after) them.
    """
    n = len(ordered)
    if n < MIN_BAND_ROWS + 1:
        return None
    # Cheap tests first: some x with MIN_BAND_SIDE pieces ending before it and as
    # many starting after it (a page of one column has none), and pieces of prose.
    ends = sorted(line.bbox[2] for line in ordered)[MIN_BAND_SIDE - 1]
    starts = sorted((line.bbox[0] for line in ordered), reverse=True)[MIN_BAND_SIDE - 1]
    if ends >= starts:
        return None
    # Both sides prose (``_prose``): half their pieces three words or more, or wide.
    prose = [
        _words(line) >= 3 or line.bbox[2] - line.bbox[0] >= 7 * (line.bbox[3] - line.bbox[1])
        for line in ordered
    ]
    if sum(prose) < MIN_BAND_SIDE:
        return None
    import numpy as np  # here, not at import: the worker process reads no page

    wordy = np.array(prose)
    x0 = np.array([line.bbox[0] for line in ordered])
    x1 = np.array([line.bbox[2] for line in ordered])
    span = float(x1.max() - x0.min())
    if span <= 0:
        return None
    bins = np.linspace(x0.min() + 0.15 * span, x0.min() + 0.85 * span, 141)
    crosses = (x0[:, None] < bins[None, :]) & (x1[:, None] > bins[None, :])
    # Pieces since the last one across each x: the row index less the last crossing's.
    rows = np.arange(n)[:, None]
    last_across = np.maximum.accumulate(np.where(crosses, rows, -1), axis=0)
    runs = rows - last_across
    # Every maximal run of at least MIN_BAND_ROWS pieces (one ends where the next
    # piece crosses x, or at the last piece), scored by the pieces of prose on its
    # poorer side: a table's rows run on longer past an x than two short columns
    # over the table do, but hold prose on one side only. The best three are tried.
    ends = runs >= MIN_BAND_ROWS
    ends[:-1] &= crosses[1:]
    last, at = np.nonzero(ends)
    if not len(last):
        return None
    first = last - runs[last, at] + 1
    zero = np.zeros((1, len(bins)), dtype=np.int64)
    left = np.vstack([zero, np.cumsum((x1[:, None] <= bins[None, :]) & wordy[:, None], axis=0)])
    right = np.vstack([zero, np.cumsum((x0[:, None] >= bins[None, :]) & wordy[:, None], axis=0)])
    poorer = np.minimum(
        left[last + 1, at] - left[first, at], right[last + 1, at] - right[first, at]
    )
    tried: set[tuple[int, int]] = set()
    for k in np.lexsort((at, first - last, -poorer)):  # most prose, longest, leftmost
        if 2 * int(poorer[k]) < MIN_BAND_SIDE or len(tried) >= 3:
            return None  # too few pieces of prose on a side for ``_trim`` to take
        span_ = (int(first[k]), int(last[k]))
        if span_ in tried:
            continue
        tried.add(span_)
        band = _trim(ordered, span_[0], span_[1], float(bins[at[k]]))
        if band is not None and band != (0, n - 1):
            return band
    return None


def _trim(ordered: list[Line], first: int, last: int, x: float) -> tuple[int, int] | None:
    """The run ``first..last`` without end pieces outside the other side's rows, if columns.

    Both sides must be prose, ``MIN_BAND_SIDE`` pieces each or more.
    """
    while True:
        run = ordered[first : last + 1]
        left = [line for line in run if line.bbox[2] <= x]
        right = [line for line in run if line.bbox[0] >= x]
        if min(len(left), len(right)) < MIN_BAND_SIDE:
            return None
        top = max(min(line.bbox[1] for line in left), min(line.bbox[1] for line in right))
        bottom = min(max(line.bbox[3] for line in left), max(line.bbox[3] for line in right))
        start, end = first, last
        while first < last and ordered[first].bbox[3] <= top:
            first += 1
        while last > first and ordered[last].bbox[1] >= bottom:
            last -= 1
        if (first, last) == (start, end):
            break
    if last - first + 1 < MIN_BAND_ROWS or not (_prose(left) and _prose(right)):
        return None
    return (first, last) if _find_gutter(run) else None


def _edge_rows(lines: list[Line]) -> tuple[list[Line], list[Line], list[Line]]:
    """(top, middle, bottom): a row or two set apart at the top or bottom of a region.

    A running head, a page footer or a title above the columns, with a gap of
    more than 1.5 line heights under (or over) it, is read on its own before
    (after) the columns, not shared out among them.
    """
    height = median(max(line.bbox[3] - line.bbox[1], 0.1) for line in lines)
    ordered = sorted(lines, key=lambda line: line.bbox[1])
    top: list[Line] = []
    bottom_edge = ordered[0].bbox[3]
    for i in range(1, len(ordered)):
        if bottom_edge - ordered[0].bbox[1] > 3.0 * height:
            break
        if ordered[i].bbox[1] - bottom_edge > 1.5 * height:
            top = ordered[:i]
            break
        bottom_edge = max(bottom_edge, ordered[i].bbox[3])
    rest = ordered[len(top) :]
    ordered = sorted(rest, key=lambda line: -line.bbox[3])
    bottom: list[Line] = []
    top_edge = ordered[0].bbox[1] if ordered else 0.0
    for i in range(1, len(ordered)):
        if ordered[0].bbox[3] - top_edge > 3.0 * height:
            break
        if top_edge - ordered[i].bbox[3] > 1.5 * height:
            bottom = ordered[:i]
            break
        top_edge = min(top_edge, ordered[i].bbox[1])
    if len(top) + len(bottom) > max(6, len(lines) // 5):
        return [], lines, []
    middle = [line for line in rest if all(line is not b for b in bottom)]
    return top, middle, bottom


def _gutter_beside(edge: list[Line], lines: list[Line]) -> tuple[float, float] | None:
    """The gutter of two columns, crossed by no piece, with the ``edge`` rows on one side.

    Then those rows are that column's first (last) lines, not a head over both:
    the rightmost columns of a band of vertical text read turned, a poem's first
    lines set apart by a blank line.
    """
    if sum(_words(line) for line in edge) < 4:
        return None  # a page number, a short running head: no column's top (cheap first)
    left = min(line.bbox[0] for line in lines)
    span = max(line.bbox[2] for line in lines) - left
    low, high = left + 0.15 * span, left + 0.85 * span  # where ``_find_gutter`` looks
    if not (
        all(line.bbox[2] <= high for line in edge) or all(line.bbox[0] >= low for line in edge)
    ):
        return None  # a head across the whole region (the cheap test first)
    gutter = _find_gutter(lines)
    if gutter is None:
        return None
    g0, g1 = gutter
    if any(line.bbox[0] < g0 and line.bbox[2] > g1 for line in lines):
        return None
    beside = all(line.bbox[2] <= g0 for line in edge) or all(line.bbox[0] >= g1 for line in edge)
    return gutter if beside else None


def _top_down(lines: list[Line]) -> list[Line]:
    return sorted(lines, key=lambda line: (line.bbox[1], line.bbox[0]))


def groups(
    lines: list[Line], depth: int = 0, known: list[tuple[float, float]] | None = None
) -> list[list[Line]]:
    """Column regions, each a list of pieces top to bottom, in reading order.

    ``known``: the gutters found so far on the page (filled in as they are found, and
    shared by the calls for one page): a region too small to show a gutter of its own
    is split at one of them (``_known_split``).
    """
    known = [] if known is None else known
    if len(lines) < 6 or depth > 12:
        return _leaf(lines, known)
    top, middle, bottom = _edge_rows(lines)
    gutter = _gutter_beside(top + bottom, lines) if top or bottom else None
    if gutter is None and (top or bottom):
        return _leaf(top, known) + groups(middle, depth + 1, known) + _leaf(bottom, known)
    gutter = gutter or _find_gutter(lines)
    if gutter is not None:
        cut = _head_cut(lines, gutter)
        if cut is not None:
            top, head = cut
            title = [line for line in lines if line.bbox[1] < top]
            block = [line for line in lines if top <= line.bbox[1] and line.bbox[3] <= head]
            below = [line for line in lines if line.bbox[3] > head and line.bbox[1] >= top]
            return (
                groups(title, depth + 1, known)
                + (_stacks(block) or groups(block, depth + 1, known))
                + groups(below, depth + 1, known)
            )
        known.append(gutter)
    if gutter is None:
        cut = _y_cut(lines)
        if cut is None:
            ordered = _top_down(lines)
            band = _band(ordered)
            if band is None:
                return _side_blocks(ordered) or [ordered]
            first, last = band
            return (
                groups(ordered[:first], depth + 1, known)
                + groups(ordered[first : last + 1], depth + 1, known)
                + groups(ordered[last + 1 :], depth + 1, known)
            )
        above = [line for line in lines if (line.bbox[1] + line.bbox[3]) / 2 < cut]
        below = [line for line in lines if (line.bbox[1] + line.bbox[3]) / 2 >= cut]
        return groups(above, depth + 1, known) + groups(below, depth + 1, known)
    out: list[list[Line]] = []
    band: list[Line] = []

    middle = (gutter[0] + gutter[1]) / 2

    def flush() -> None:
        left = [line for line in band if (line.bbox[0] + line.bbox[2]) / 2 < middle]
        right = [line for line in band if (line.bbox[0] + line.bbox[2]) / 2 >= middle]
        out.extend(groups(left, depth + 1, known))
        out.extend(groups(right, depth + 1, known))
        band.clear()

    ordered = _top_down(lines)
    across = float("-inf")  # the bottom of the last line across the gutter
    taken: set[int] = set()
    for k, line in enumerate(ordered):
        if id(line) in taken:
            continue
        if line.bbox[0] < gutter[0] and line.bbox[2] > gutter[1]:
            flush()
            out.append([line])
            across = line.bbox[3]
            continue
        partner = _parted_line(ordered, k, gutter, across)
        if partner is not None:
            flush()
            out.append([line, partner])
            taken.add(id(partner))
            across = max(line.bbox[3], partner.bbox[3])
        else:
            band.append(line)
    flush()
    return out


def _parted_line(
    ordered: list[Line], k: int, gutter: tuple[float, float], across: float
) -> Line | None:
    """The piece that ends the line ``ordered[k]`` starts, across the gutter, or ``None``:
    a paragraph over the columns whose last line OCR cut in two at a word gap that falls
    on the gutter ("... Concept Publishing" | "Co, 569 pp, Rs. 900/-"). The line comes
    right under a line across the gutter, and the two pieces, as tall as each other,
    sit on one row a word's gap apart (half a line height), one each side: the first
    lines of two columns under a title, however narrow their gutter, stay two
    columns."""
    line = ordered[k]
    height = max(line.bbox[3] - line.bbox[1], 0.1)
    if line.bbox[1] - across > 0.8 * height or line.bbox[2] > gutter[1]:
        return None
    middle = (line.bbox[1] + line.bbox[3]) / 2
    for other in itertools.islice(ordered, k + 1, None):
        if other.bbox[1] > line.bbox[3]:
            break
        tall = other.bbox[3] - other.bbox[1]
        if (
            other.bbox[0] >= gutter[0]
            and 0.8 * height <= tall <= 1.25 * height  # one line's pieces (no drop cap)
            and 0 <= other.bbox[0] - line.bbox[2] <= 0.5 * min(height, tall)
            and abs((other.bbox[1] + other.bbox[3]) / 2 - middle) <= 0.3 * height
        ):
            return other
    return None


def _leaf(lines: list[Line], known: list[tuple[float, float]]) -> list[list[Line]]:
    """A region too small to look for a gutter in: split at a known one, else top down."""
    if not lines:
        return []
    split = _known_split(lines, known)
    if split:
        return [_top_down(split[0]), _top_down(split[1])]
    return _side_blocks(lines) or [_top_down(lines)]


def _known_split(
    lines: list[Line], known: list[tuple[float, float]]
) -> tuple[list[Line], list[Line]] | None:
    """A small region (too few pieces to show a gutter) split at a gutter found elsewhere
    on the page: two lines of prose under a figure, in two of the page's columns, are
    two columns, not two rows. Each side holds two pieces or more, each of three words
    or more, beside the other's, and no piece crosses the gutter."""
    if len(lines) < 4 or any(_words(line) < 3 for line in lines):
        return None
    for lo, hi in known:
        if any(line.bbox[0] < lo and line.bbox[2] > hi for line in lines):
            continue
        middle = (lo + hi) / 2
        left = [line for line in lines if line.bbox[2] <= middle]
        right = [line for line in lines if line.bbox[0] >= middle]
        if len(left) < 2 or len(right) < 2 or len(left) + len(right) < len(lines):
            continue
        top = max(min(b.bbox[1] for b in left), min(b.bbox[1] for b in right))
        bottom = min(max(b.bbox[3] for b in left), max(b.bbox[3] for b in right))
        if bottom > top:  # side by side
            return left, right
    return None
