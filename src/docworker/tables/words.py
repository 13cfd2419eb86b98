"""Characters → words → word rows, the text that the table finders measure.

``objects`` gives one dict per character (``x0``, ``x1``, ``top``, ``bottom``,
``text``, top-left points). ``words_of`` groups them into text lines by
vertical centre (a footnote mark raised over its line is put on the line it
touches, ``_scripts_joined``) and cuts each line into ``geometry.Word`` objects
at a space or at a gap wider than a fifth of the text height. ``word_rows`` groups words
into ``WordRow`` objects, top to bottom, each cut into *pieces* at gaps of
``STREAM_GAP`` text heights: a stream table's columns start as such pieces.
``drop_leaders`` removes the dots of dot leaders, which carry no text and,
drawn apart from the words they follow, would interleave with their letters;
``same_line`` tells whether two characters sit on one line.

Input: character dicts of one frame (text upright). Output: ``Word`` and
``WordRow`` lists. Pure functions; nothing here reads a document.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from docworker.decode import rtl
from docworker.decode.pdflines import SCRIPT  # a glyph under this share of the size may be a script
from docworker.geometry import BBox, Word, union

STREAM_GAP = 1.0  # a gap this many text heights wide separates two pieces of a line

#: Two letters or digits in a row: a real word (dot leaders and stray marks are not).
WORDISH = re.compile(r"\w\w")
#: A token that is a number: "1,285.2", "(3.4)", "12%", "$5", "−7".
NUMBER = re.compile(r"^[(\[+\-−–$€£¥]*\d[\d.,'’%]*[)\]%*]*$")


def centre(c: dict) -> tuple[float, float]:
    """The centre of a character's box."""
    return ((c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2)


def cell_text(words: list[Word]) -> str:
    """A cell's words, left to right as on the page, as text in logical order (a
    right-to-left cell's words reversed: ``rtl.visual_line``)."""
    return rtl.visual_line(" ".join(w.text for w in words))


def wordish(words: list[Word]) -> int:
    """Words that hold two letters or digits in a row (dot leaders and stray marks don't count)."""
    return sum(1 for w in words if WORDISH.search(w.text))


@dataclass
class WordRow:
    """The words of one text line, left to right, and their pieces (cut at wide gaps)."""

    words: list[Word]
    top: float
    bottom: float
    size: float  # median character height
    pieces: list[list[Word]] = field(default_factory=list)
    led: bool = False  # a dot leader runs along the line (``stream.stream_tables`` sets it)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1


def _rows_of_chars(chars: list[dict]) -> list[list[dict]]:
    """Characters grouped into text lines (by vertical centre), each sorted left to right."""
    rows: list[list[dict]] = []
    mids: list[float] = []
    heights: list[float] = []
    for c in sorted(chars, key=lambda c: (c["top"] + c["bottom"]) / 2):
        mid = (c["top"] + c["bottom"]) / 2
        h = max(c["bottom"] - c["top"], 0.1)
        if rows and abs(mid - mids[-1]) <= 0.35 * max(h, heights[-1]):
            rows[-1].append(c)
        else:
            rows.append([c])
            mids.append(mid)
            heights.append(h)
    for row in rows:
        row.sort(key=lambda c: c["x0"])
    return _scripts_joined(rows) if len(rows) > 1 else rows


def _scripts_joined(rows: list[list[dict]]) -> list[list[dict]]:
    """``rows`` with each row of small glyphs that are super- or subscripts of the line
    next to it put on that line: a table's footnote marks ("breastfed⁹"), which stood a
    row of their own between two of its rows. Each run of the row's glyphs must touch a
    glyph of that line (before or after it, within ``SCRIPT_GAP`` of its height) and sit
    within its band."""
    tallest = [max(c["bottom"] - c["top"] for c in row) for row in rows]
    heights: dict[int, float] = {}  # a row's median glyph height, for the rows asked about
    taken: set[int] = set()
    for i, row in enumerate(rows):
        for j in (i - 1, i + 1):
            if not 0 <= j < len(rows) or tallest[i] > SCRIPT * tallest[j]:
                continue  # a glyph too tall for a script of that line (most rows: no sort)
            if j not in heights:
                heights[j] = sorted(c["bottom"] - c["top"] for c in rows[j])[len(rows[j]) // 2]
            if tallest[i] > SCRIPT * heights[j]:
                continue
            if j not in taken and _scripts_of(row, rows[j], heights[j]):
                rows[j] += row
                rows[j].sort(key=lambda c: c["x0"])
                taken.add(i)
                break
    return [row for k, row in enumerate(rows) if k not in taken]


#: A script touches its glyph: the gap is at most this share of the line's height.
SCRIPT_GAP = 0.3


def _scripts_of(row: list[dict], line: list[dict], height: float) -> bool:
    """Are all glyphs of ``row`` scripts of ``line`` (``_scripts_joined``)?"""
    top = min(c["top"] for c in line)
    bottom = max(c["bottom"] for c in line)
    reach = SCRIPT_GAP * height
    for c in row:
        h = c["bottom"] - c["top"]
        if h > SCRIPT * height or c["bottom"] <= top or c["top"] >= bottom:
            return False
    runs: list[list[dict]] = [[row[0]]]
    for c in row[1:]:
        if c["x0"] - runs[-1][-1]["x1"] <= reach:
            runs[-1].append(c)
        else:
            runs.append([c])
    return all(
        any(
            -reach <= run[0]["x0"] - c["x1"] <= reach or -reach <= c["x0"] - run[-1]["x1"] <= reach
            for c in line
        )
        for run in runs
    )


def words_of(chars: list[dict]) -> list[Word]:
    """Characters → words: a space or a gap wider than a fifth of the text height ends one.

    ``chars`` come in the PDF's drawing order; dot leaders are dropped first (``drop_leaders``).
    """
    return words_and_leaders(chars)[0]


def words_and_leaders(chars: list[dict]) -> tuple[list[Word], list[BBox]]:
    """``(words_of(chars), the box of each dot leader dropped)``."""
    kept, leaders = split_leaders(chars)
    out: list[Word] = []
    for row in _rows_of_chars(kept):
        text: list[str] = []
        x0 = top = x1 = bottom = 0.0
        for c in row:
            t = c["text"]
            if not t.strip():
                if text:
                    out.append(Word(x0, top, x1, bottom, "".join(text)))
                    text = []
                continue
            h = c["bottom"] - c["top"]
            if text and c["x0"] - x1 > 0.2 * max(h, bottom - top):
                out.append(Word(x0, top, x1, bottom, "".join(text)))
                text = []
            if not text:
                x0, top, x1, bottom = c["x0"], c["top"], c["x1"], c["bottom"]
            else:
                top, bottom = min(top, c["top"]), max(bottom, c["bottom"])
                x1 = max(x1, c["x1"])
            text.append(t)
        if text:
            out.append(Word(x0, top, x1, bottom, "".join(text)))
    return out, leaders


def word_rows(words: list[Word]) -> list[WordRow]:
    """Words → text lines, top to bottom, each cut into pieces at gaps of a text height."""
    lines: list[WordRow] = []
    rows: list[list[Word]] = []
    mids: list[float] = []
    for w in sorted(words, key=lambda w: (w.top + w.bottom) / 2):
        mid = (w.top + w.bottom) / 2
        h = w.bottom - w.top
        if rows and abs(mid - mids[-1]) <= 0.35 * h:
            rows[-1].append(w)
        else:
            rows.append([w])
            mids.append(mid)
    for row in rows:
        row.sort(key=lambda w: w.x0)
        size = statistics.median(w.bottom - w.top for w in row)
        line = WordRow(row, min(w.top for w in row), max(w.bottom for w in row), size)
        piece = [row[0]]
        for w in row[1:]:
            if w.x0 - piece[-1].x1 >= STREAM_GAP * size:
                line.pieces.append(piece)
                piece = [w]
            else:
                piece.append(w)
        line.pieces.append(piece)
        lines.append(line)
    return lines


#: Characters a dot leader is drawn with.
LEADER_DOTS = frozenset(".·․…")
MIN_LEADER = 4  # dots in a row (in the PDF's drawing order) that make a leader


def same_line(a: dict, b: dict) -> bool:
    """Are characters ``a`` and ``b`` on one line (centres within the taller one's height)?"""
    h = max(a["bottom"] - a["top"], b["bottom"] - b["top"], 0.1)
    return abs((a["top"] + a["bottom"]) - (b["top"] + b["bottom"])) <= h


def _ends_word(chars: list[dict], i: int) -> bool:
    """Does the dot ``chars[i]`` touch the letter drawn just before it (a full stop)?"""
    if i == 0:
        return False
    prev, dot = chars[i - 1], chars[i]
    if not prev["text"].strip() or prev["text"] in LEADER_DOTS:
        return False
    h = max(prev["bottom"] - prev["top"], 0.1)
    return (
        abs(dot["x0"] - prev["x1"]) <= 0.15 * h and abs(dot["bottom"] - prev["bottom"]) <= 0.3 * h
    )


def drop_leaders(chars: list[dict]) -> list[dict]:
    """``chars`` (in the PDF's drawing order) without the dots of dot leaders.

    A leader is a run of ``MIN_LEADER`` or more dots drawn one after another
    (spaces between them allowed), left to right on one line. Leaders are
    often drawn apart from the text they follow, so their dots interleave with
    its letters when a cell's characters are laid out by position
    ("A..lg.e.r.i.a"); they carry no text. An ellipsis ("...") stays, and so
    does a first dot that touches the letter before it (a full stop:
    "manslaughter. . . .").
    """
    return split_leaders(chars)[0]


def split_leaders(chars: list[dict]) -> tuple[list[dict], list[BBox]]:
    """``(drop_leaders(chars), the box of each leader)``."""
    drop: set[int] = set()
    boxes: list[BBox] = []
    run: list[int] = []

    def close() -> None:
        if len(run) >= MIN_LEADER:
            first = run[0] + 1 if _ends_word(chars, run[0]) else run[0]
            drop.update(range(first, run[-1] + 1))  # the dots and the spaces between them
            dots = [chars[k] for k in run]
            boxes.append(union([(c["x0"], c["top"], c["x1"], c["bottom"]) for c in dots]))
        run.clear()

    for i, c in enumerate(chars):
        t = c["text"]
        if t == " ":
            continue
        if t not in LEADER_DOTS:
            close()
            continue
        if run:
            last = chars[run[-1]]
            if not same_line(last, c) or c["x0"] < last["x0"]:
                close()
        run.append(i)
    close()
    if not drop:
        return chars, boxes
    return [c for i, c in enumerate(chars) if i not in drop], boxes
