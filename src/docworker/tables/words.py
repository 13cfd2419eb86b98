"""Characters → words → word rows, the text that the table finders measure.

``objects`` gives one dict per character (``x0``, ``x1``, ``top``, ``bottom``,
``text``, top-left points). ``words_of`` groups them into text lines by
vertical centre and cuts each line into ``geometry.Word`` objects at a space
or at a gap wider than a fifth of the text height. ``word_rows`` groups words
into ``WordRow`` objects, top to bottom, each cut into *pieces* at gaps of
``STREAM_GAP`` text heights: a stream table's columns start as such pieces.

Input: character dicts of one frame (text upright). Output: ``Word`` and
``WordRow`` lists. Pure functions; nothing here reads a document.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from docworker.geometry import Word

STREAM_GAP = 1.0  # a gap this many text heights wide separates two pieces of a line

#: Two letters or digits in a row: a real word (dot leaders and stray marks are not).
WORDISH = re.compile(r"\w\w")


def centre(c: dict) -> tuple[float, float]:
    """The centre of a character's box."""
    return ((c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2)


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
    return rows


def words_of(chars: list[dict]) -> list[Word]:
    """Characters → words: a space or a gap wider than a fifth of the text height ends one."""
    out: list[Word] = []
    for row in _rows_of_chars(chars):
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
    return out


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
