"""OCR lines → lines that stay in one column, drop caps merged, OCR hyphens tidied.

Both OCR engines return text lines with word boxes (``Line.words``). On a
page set in columns with a narrow gutter a detector can draw one line box
across the gutter ("…For orga- lty patiently; the…"), and every such line
then reads as a title spanning both columns, so reading order falls back to
reading the page across. ``tidy`` repairs the lines before reading order
sees them:

0. **Stray characters** (``cleanup.strays``): a lone CJK character or an added
   accent on a page read in another script.
1. **Boxes** (``fit_to_words``): a line's box is narrowed to its words, so
   that a narrow gutter shows between the boxes of two columns' lines.
2. **Gutters** (``split_at_gutters``): a gap between two words of a line is
   a column gutter when the words of the neighbouring rows (lines of about
   the same height within ``WINDOW`` line heights above and below) leave the
   same x clear, and text runs up to it from both sides on several of those
   rows. Gaps in justified prose move from row to row; a gutter does not.
   The line is cut there, and each piece keeps its own words. CJK text set on
   a grid lines its characters' gaps up from row to row too: a gap between two
   CJK characters is a gutter only when it is ``CJK_GUTTER`` line heights wide.
3. **Drop caps** (``merge_drop_caps``): a one-letter line at least
   ``CAP_HEIGHT`` body lines tall, directly left of the line that starts at
   its top, is put in front of that line's first word ("I" + "ndependent" →
   "Independent"); a cap that is a word of its own ("A" + "man") keeps a space.
4. **Hyphens** (``tidy_hyphens``): OCR's variants of a line-end hyphen (soft
   hyphen, U+2010/2011, "¬", a hyphen set off by a space) become "-", which
   paragraph joining knows; a word broken inside one line ("im- prove") is
   joined when the rest is lower case, unless it is a suspended compound
   ("pre- and post-war"), the page spells the pair with a hyphen elsewhere,
   or the first part keeps its hyphen ("well-known"): then the hyphen stays
   and the space goes.
5. **Spaces** (``spaces.restore``): two words the recognizer ran together
   ("oflibraries", "4.1Pre-processing") parted again.

Input: ``Line`` objects in page units whose ``words`` carry word boxes (lines
without words pass through). Output: new ``Line`` objects; the input is not
changed. ``ctc_words`` turns RapidOCR's per-character CTC columns into word
boxes.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from statistics import median

from docworker.geometry import CJK, Line, Word, union
from docworker.stages.joining import KEEP_PREFIXES, bare
from docworker.stages.ocr import cleanup, spaces

#: Rows looked at above and below a line, in line heights.
WINDOW = 5.0
#: The band every neighbouring row leaves clear, in line heights (a gutter is
#: as wide on every row; gaps of justified prose are not).
MIN_BAND = 0.3
#: The least gap between two CJK characters of one line that may be a gutter, in
#: line heights (``_within_cjk``).
CJK_GUTTER = 1.5
#: Rows on each side of a gap that must hold text ending (starting) near it.
MIN_SIDE_ROWS = 3
#: A row "reaches" a gutter when its text ends (starts) within this many line
#: heights of it: a short last line of a paragraph does not, a line indented
#: beside a drop cap three lines tall does.
REACH = 4.5
#: Text on each side of a gutter must reach this many line heights away from it
#: (a column, not a list number or a table's narrow first column).
MIN_COLUMN = 6.0
#: RapidOCR's CTC peaks: how far after a character's middle (in character pitches),
#: and how far its ink reaches either side of the middle.
CTC_LAG = 0.18
CTC_HALF = 0.4
#: A drop cap is at least this many body line heights tall.
CAP_HEIGHT = 1.8
#: Words that follow a suspended hyphen ("pre- and post-war", "Ein- und Ausgang").
CONJUNCTIONS = frozenset("and or nor to bis und oder sowie y e o u ni et ou ed od".split())

_HYPHEN_VARIANTS = re.compile(r"\s?[\u00ad\u2010\u2011\u00ac]$|(?<=\w) -$")
_INNER_BREAK = re.compile(r"(?<![\w-])([^\W\d_]+)- ([^\W\d_][\w]*)")


def tidy(lines: list[Line]) -> list[Line]:
    """Boxes fitted to their words, gutters cut, drop caps merged, hyphens tidied, spaces
    put back.

    Drop caps are merged before and after the cut: a cap beside the top of
    the next column indents that column's first lines away from the gutter
    (merged first, they reach it again), and a cap whose line ran across the
    gutter is merged once that line is cut.
    """
    lines = merge_drop_caps(fit_to_words(cleanup.strays(lines)))
    return spaces.restore(tidy_hyphens(merge_drop_caps(split_at_gutters(lines))))


def fit_to_words(lines: list[Line]) -> list[Line]:
    """Each line's box narrowed to its words' extent (a detector pads its boxes).

    A text detector's boxes reach well past the ink on both sides; between two
    columns with a narrow gutter the padded boxes all but meet, so the gutter
    no longer shows between the lines. The words' boxes keep to the ink.
    """
    out = []
    for line in lines:
        if not line.words:
            out.append(line)
            continue
        x0 = max(line.bbox[0], min(w.x0 for w in line.words))
        x1 = min(line.bbox[2], max(w.x1 for w in line.words))
        out.append(replace(line, bbox=(x0, line.bbox[1], x1, line.bbox[3])) if x1 > x0 else line)
    return out


# ------------------------------------------------------------------ word boxes


def ctc_words(
    quad: Sequence[Sequence[float]],
    chars: Sequence[Sequence[str]],
    columns: Sequence[Sequence[int]],
    length: float,
    scale: float,
) -> list[Word]:
    """Word boxes of one recognised line from its characters' CTC columns.

    ``quad`` is the line's box (top-left, top-right, bottom-right,
    bottom-left, in pixels); ``chars``/``columns`` are RapidOCR's words (their
    characters and the CTC column of each); ``length`` is the number of CTC
    columns the line's image spans. A column c sits at (c + 0.5) / length of
    the way along the box; a character's peak comes ``CTC_LAG`` of a character
    pitch after its middle, and its ink reaches ``CTC_HALF`` of a pitch either
    side of that (both measured against the ink of generated 150–300-dpi
    pages: edges within 0.05 of a character, median). Boxes come back in page
    units (× ``scale``).
    Upright lines of two characters or more only: a box taller than wide, or
    a lone character (a drop cap), gives no words.
    """
    if length <= 0 or sum(len(c) for c in chars) < 2:
        return []  # one character: no pitch to size its box by
    (x0t, y0t), (x1t, y1t), (x1b, y1b), (x0b, y0b) = [(float(p[0]), float(p[1])) for p in quad]
    left, right = (x0t + x0b) / 2, (x1t + x1b) / 2
    top, bottom = min(y0t, y1t), max(y0b, y1b)
    if right - left <= 0 or bottom - top > right - left:
        return []
    steps = [b - a for cols in columns for a, b in itertools.pairwise(cols) if b > a]
    pitch = median(steps) if steps else 2.0
    span = right - left
    words = []
    for word_chars, cols in zip(chars, columns, strict=False):
        text = "".join(word_chars).strip()
        if not text or not cols:
            continue
        a = max(0.0, (cols[0] + 0.5 - (CTC_HALF + CTC_LAG) * pitch) / length)
        b = min(1.0, (cols[-1] + 0.5 + (CTC_HALF - CTC_LAG) * pitch) / length)
        words.append(
            Word(
                x0=(left + a * span) * scale,
                top=top * scale,
                x1=(left + b * span) * scale,
                bottom=bottom * scale,
                text=text,
            )
        )
    return words


# ---------------------------------------------------------------------- gutters


def _height(line: Line) -> float:
    return max(line.bbox[3] - line.bbox[1], 0.1)


def split_at_gutters(lines: list[Line]) -> list[Line]:
    """Every line cut where it crosses a column gutter (see the module docstring)."""
    if len(lines) < 2 * MIN_SIDE_ROWS:
        return list(lines)
    # Lines with words, by the middle of their box, with their heights.
    found = sorted(
        ((_middle(line), _height(line), line) for line in lines if line.words), key=lambda t: t[0]
    )
    middles = [m for m, _, _ in found]
    out: list[Line] = []
    for line in lines:
        words = sorted(line.words, key=lambda w: w.x0)
        if len(words) < 2:
            out.append(line)
            continue
        h = _height(line)
        middle = _middle(line)
        lo = bisect.bisect_left(middles, middle - WINDOW * h)
        hi = bisect.bisect_right(middles, middle + WINDOW * h)
        rows = [
            (m - middle, other)
            for m, height, other in found[lo:hi]
            if other is not line and 0.6 * h <= height <= 1.6 * h
        ]
        # The rows above and below, nearest first.
        above = [row for _, row in sorted((r for r in rows if r[0] < 0), key=lambda r: -r[0])]
        below = [row for _, row in sorted((r for r in rows if r[0] >= 0), key=lambda r: r[0])]
        cuts = [
            k
            for k in range(1, len(words))
            if words[k].x0 > words[k - 1].x1
            and not _within_cjk(words, k, h)
            and _is_gutter(words, k, (above, below), h)
        ]
        out.extend(_pieces(line, words, cuts) if cuts else [line])
    return out


def _within_cjk(words: list[Word], k: int, h: float) -> bool:
    """Is the gap before ``words[k]`` one between two CJK characters, narrower than
    ``CJK_GUTTER`` line heights? Text set on a grid (as CJK text is) lines its
    characters up from row to row, so their gaps look like a gutter; and the
    recognizer's boxes for such characters are narrower than the glyphs."""
    left, right = words[k - 1].text, words[k].text
    return (
        bool(left and right)
        and bool(CJK.match(left[-1]) and CJK.match(right[0]))
        and words[k].x0 - words[k - 1].x1 < CJK_GUTTER * h
    )


def _middle(line: Line) -> float:
    return (line.bbox[1] + line.bbox[3]) / 2


def _is_gutter(words: list[Word], k: int, rows: tuple[list[Line], list[Line]], h: float) -> bool:
    """Is the gap before ``words[k]`` a gutter that the neighbouring ``rows`` share?

    ``rows``: the lines of about the line's height above and below it within
    ``WINDOW`` line heights, nearest first.

    The rows counted run on from the line up or down to the first row with a
    word across the gap's middle, which may end the region on one side only
    (``_open_rows``); the band they leave clear
    around it is at least ``MIN_BAND`` line heights wide (one row may reach
    into it: a word box read from the recognizer, or a drop cap's padded box,
    can overshoot); at least ``MIN_SIDE_ROWS`` rows reach up to it from each
    side (within ``REACH`` line heights), and text runs ``MIN_COLUMN`` line heights
    away on both sides.
    """
    a, b = words[k - 1].x1, words[k].x0
    c = (a + b) / 2 if b - a < 1.5 * h else _clearest(a, b, rows)
    margin = min(0.1 * h, (b - a) / 2)
    ends: list[float] = []  # per row, where its text left of the gap ends
    starts: list[float] = []  # and where its text right of the gap starts
    far_left = far_right = False
    region = _open_rows(rows, c, margin)
    if region is None:
        return False
    for row in region:
        left = [w.x1 for w in row.words if w.x1 <= c + margin]
        right = [w.x0 for w in row.words if w.x0 >= c - margin]
        if left:
            ends.append(max(left))
        if right:
            starts.append(min(right))
        far_left = far_left or any(w.x0 <= c - MIN_COLUMN * h for w in row.words)
        far_right = far_right or any(w.x1 >= c + MIN_COLUMN * h for w in row.words)
    ends.sort(reverse=True)
    starts.sort()
    lo = max(a, ends[1] if len(ends) > 3 else max(ends, default=a))
    hi = min(b, starts[1] if len(starts) > 3 else min(starts, default=b))
    return (
        hi - lo >= MIN_BAND * h
        and sum(c - x <= REACH * h for x in ends) >= MIN_SIDE_ROWS
        and sum(x - c <= REACH * h for x in starts) >= MIN_SIDE_ROWS
        and far_left
        and far_right
    )


def _clearest(a: float, b: float, rows: tuple[list[Line], list[Line]]) -> float:
    """The middle of the widest stretch of [a, b] that the fewest ``rows`` words cover.

    Where one side of a wide gap is indented (beside a drop cap, a paragraph's
    first line), the gutter is not in the gap's middle but where the other
    rows leave the gap clear. (A gap under 1.5 line heights is taken at its
    middle.)
    """
    edges: list[tuple[float, int]] = [(a, 0), (b, 0)]
    for side in rows:
        for row in side:
            for w in row.words:
                if w.x1 > a and w.x0 < b:
                    edges += [(max(a, w.x0), 1), (min(b, w.x1), -1)]
    if len(edges) == 2:
        return (a + b) / 2
    edges.sort()
    best = (0, 0.0, (a + b) / 2)  # (-coverage, width, middle): most wanted is max
    depth = 0
    for (x, step), (nxt, _) in itertools.pairwise(edges):
        depth += step
        if nxt > x:
            best = max(best, (-depth, nxt - x, (x + nxt) / 2))
    return best[2]


def _open_rows(rows: tuple[list[Line], list[Line]], c: float, margin: float) -> list[Line] | None:
    """The rows above and below that leave x = ``c`` clear, or ``None``.

    A gutter runs through every row of its region. Walking away from the line
    (nearest row first), a row with a word across ``c`` ends the region on
    that side: a title over the columns, a paragraph across the page under
    them. The region may end on one side within the window if it runs on for
    ``MIN_SIDE_ROWS`` rows on the other: a river of spaces through a few lines
    of prose is closed at both ends, or at one end and the page's edge.
    """
    out: list[Line] = []
    runs: list[tuple[bool, int]] = []  # per side: closed?, rows open
    for side in rows:
        n = 0
        for row in side:
            if any(w.x0 + margin < c < w.x1 - margin for w in row.words):
                break
            n += 1
        runs.append((n < len(side), n))
        out.extend(side[:n])
    # Closed on one side: the other must run on for MIN_SIDE_ROWS rows at least.
    if any(closed for closed, _ in runs) and not any(
        not closed and n >= MIN_SIDE_ROWS for closed, n in runs
    ):
        return None
    return out


def _pieces(line: Line, words: list[Word], cuts: list[int]) -> list[Line]:
    """``line`` cut before ``words[k]`` for every k in ``cuts``."""
    bounds = [0, *cuts, len(words)]
    out = []
    for start, end in itertools.pairwise(bounds):
        part = words[start:end]
        x0, _, x1, _ = union([w.bbox for w in part])
        out.append(
            replace(line, text=_spaced(part), bbox=(x0, line.bbox[1], x1, line.bbox[3]), words=part)
        )
    return out


def _spaced(words: list[Word]) -> str:
    """The words' text, a space between two words unless both sides are CJK characters
    (the recognizer's word boxes cut CJK text at its gaps; the text has no spaces)."""
    out = words[0].text if words else ""
    for w in words[1:]:
        cjk = bool(out and w.text and CJK.match(out[-1]) and CJK.match(w.text[0]))
        out += w.text if cjk else " " + w.text
    return out


# -------------------------------------------------------------------- drop caps


def _cap_letter(text: str) -> bool:
    """One capital letter, maybe after an opening quote ("T", "“A")."""
    core = text.strip().lstrip("\"'“‘«„")
    return len(core) == 1 and core.isalpha() and core.isupper()


def merge_drop_caps(lines: list[Line]) -> list[Line]:
    """Each drop cap put in front of the first word of the line it opens."""
    if len(lines) < 2:
        return list(lines)
    body = (
        median(_height(line) for line in lines if len(line.text.strip()) > 2)
        if any(len(line.text.strip()) > 2 for line in lines)
        else 0.0
    )
    if body <= 0:
        return list(lines)
    counts: Counter[str] | None = None  # the page's words, counted once a cap is found
    merged: dict[int, Line] = {}
    dropped: set[int] = set()
    for i, cap in enumerate(lines):
        if not _cap_letter(cap.text) or _height(cap) < CAP_HEIGHT * body:
            continue
        width = cap.bbox[2] - cap.bbox[0]
        opened = [
            (line.bbox[1], j)
            for j, line in enumerate(lines)
            if j != i
            and j not in dropped
            and -0.5 * width <= line.bbox[0] - cap.bbox[2] <= width + body
            and abs(line.bbox[1] - cap.bbox[1]) <= body
            and _middle(line) < cap.bbox[1] + 0.5 * _height(cap)
            and _height(line) < 1.5 * body
            and line.text.strip()[:1].isalpha()
        ]
        if not opened:
            continue
        j = min(opened)[1]
        if counts is None:
            counts = Counter(_tokens(line.text for line in lines))
        merged[j] = _with_cap(merged.get(j, lines[j]), cap, counts)
        dropped.add(i)
    return [merged.get(j, line) for j, line in enumerate(lines) if j not in dropped]


def _with_cap(line: Line, cap: Line, counts: Counter[str]) -> Line:
    """``line`` with the drop cap in front: "I" + "ndependent", or "A" + " man" when
    the page uses the rest as a word elsewhere and never the joined form."""
    letter = cap.text.strip()
    first, _, rest = line.text.strip().partition(" ")
    joined = letter + first
    apart = (
        counts[bare(joined).lower()] == 0
        and counts[bare(first).lower()] >= 2  # this line's own and another
        and letter[-1] in "AIOYE"
    )
    head = f"{letter} {first}" if apart else joined
    text = f"{head} {rest}" if rest else head
    words = sorted(line.words, key=lambda w: w.x0)
    if words:
        w = words[0]
        text_of = f"{letter} {w.text}" if apart else letter + w.text
        words[0] = Word(min(cap.bbox[0], w.x0), w.top, w.x1, w.bottom, text_of)
    bbox = (min(cap.bbox[0], line.bbox[0]), line.bbox[1], line.bbox[2], line.bbox[3])
    return replace(line, text=text, bbox=bbox, words=words)


# ---------------------------------------------------------------------- hyphens


def _tokens(texts: Iterable[str]) -> Iterator[str]:
    """The words of ``texts``, lower-cased, edge punctuation stripped."""
    for text in texts:
        for token in text.split():
            if word := bare(token).lower():
                yield word


def tidy_hyphens(lines: list[Line]) -> list[Line]:
    """Line-end hyphen variants → "-"; words broken inside a line joined."""
    vocabulary: frozenset[str] | None = None  # the page's words, once a break is found
    out = []
    for line in lines:
        text = _HYPHEN_VARIANTS.sub("-", line.text.rstrip())
        if "- " in text and _INNER_BREAK.search(text):
            if vocabulary is None:
                vocabulary = frozenset(_tokens(line.text for line in lines))
            text = _INNER_BREAK.sub(functools.partial(_rejoin, vocabulary=vocabulary), text)
        out.append(line if text == line.text else replace(line, text=text))
    return out


def _rejoin(match: re.Match[str], vocabulary: frozenset[str]) -> str:
    head, tail = match.group(1), match.group(2)
    if not tail[:1].islower() or tail.lower() in CONJUNCTIONS:
        return match.group(0)
    if f"{head}-{tail}".lower() in vocabulary or head.lower() in KEEP_PREFIXES:
        return f"{head}-{tail}"
    return head + tail
