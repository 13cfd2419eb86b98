"""Tables of labels and their figures: one or two figures a row, no rules, no leaders.

A statement's key figures ("Net Asset Value at 31 December ... 5,111,372"), a price
list ("Domaine de Beaurenard 2017 ... 13 €"), a statement of two years ("Revenue ...
1,204 ... 1,187"): each row is a label at the left and its figures far to its right,
each figure column lined up. The stream finder (``stream``) needs four columns, or three
where dot leaders lead the labels, so such a list read as lines, and the lines of a
single-spaced one ran together into one paragraph ("Direct result - Revaluation
2,076,667 Costs (106,870)").

A run of lines is such a table when:

- ``MIN_PAIRS`` lines or more are rows of figures: a piece holding words, then one or
  two pieces (``MAX_FIGURES``; as many in every row of the run) holding figures only
  (``VALUE`` tokens, one number at least), a gutter of ``MIN_GAP`` text heights or more
  between the label and the first;
- each figure column lines up: right ends within a text height of each other (or left
  ends, or middles) in ``ALIGNED`` of the rows, and no label reaches into the first;
- the lines between them are labels alone (a section's name: "Class A"), short;
- the lines sit no further apart than ``RUN_GAP`` text heights;
- one figure a row, the figures are not page or equation numbers: integers that never
  go down, every one of them, are a table of contents or a column of numbered
  equations, not a table.

A line over the run holding a short head over each figure column and nothing over the
labels (a year: "2016", or "2016  2015") is its header row. Rows keep the lines' order;
a label alone is a row with empty figures.

Input: the ``WordRow`` lists of one frame (text upright, top to bottom). Output:
``(box, cells)`` pairs, as ``stream.stream_tables`` gives them.
"""

from __future__ import annotations

import itertools
import re
import statistics

from docworker.contract import TableCell
from docworker.geometry import BBox, Word
from docworker.tables.words import NUMBER, WordRow, cell_text, wordish

#: Rows of figures a run needs to be a table.
MIN_PAIRS = 4
#: Figures a row holds at most beside its label (three or more: ``stream``'s tables).
MAX_FIGURES = 2
#: Text heights of blank gutter, at least, between a label and its figure.
MIN_GAP = 2.0
#: Text heights between two lines of one run, at most (key figures are often set with
#: a blank line between rows, and more between sections).
RUN_GAP = 3.5
#: Words a label alone between pairs holds at most (a section's name, not a sentence).
MAX_LABEL_WORDS = 8
#: Figures of a run that line up (right ends, left ends or middles), at least this share.
ALIGNED = 0.75
#: Labels alone over the first pair that join the table, at most.
MAX_LEAD = 2
#: Words a pair's label holds at most, as a median over the run (not running text).
MAX_PAIR_WORDS = 12
#: A figure's tokens beside numbers (``NUMBER``): a dash for nil, currency signs and
#: units, alone or after a number ("12.5CL").
_UNIT = r"(?:[€$£¥%]|cl|ml|l|kg|g|km|m|eur|usd|gbp)"
VALUE = re.compile(rf"^(?:[-–—]|n/?a|nil|{_UNIT}|\d[\d.,]*{_UNIT})$", re.IGNORECASE)
#: A bare count: a page number or an equation's number ("12", "(3)", "(2.1)").
_COUNT = re.compile(r"^\(?\d+(?:\.\d+)?\)?$")


def _value(words: list[Word]) -> bool:
    """Are ``words`` a figure: numbers, a dash, signs and units, with a number or a dash?"""
    return value_text([w.text for w in words])


def value_text(tokens: list[str]) -> bool:
    """Are ``tokens`` a figure (``_value``)? Also the table gate's test of a text line."""
    numbers = sum(1 for t in tokens if NUMBER.match(t) or (t[:1].isdigit() and VALUE.match(t)))
    dashes = sum(1 for t in tokens if t in ("-", "–", "—"))
    if numbers + dashes == 0 or numbers + dashes > 2:
        return False
    return all(NUMBER.match(t) or VALUE.match(t) for t in tokens)


def _figured(line: WordRow) -> int:
    """How many figures (``MAX_FIGURES`` at most) follow the line's label, each a piece of
    its own, the first ``MIN_GAP`` text heights or more right of the label; 0 where the
    line is no such row."""
    pieces = line.pieces
    if not 2 <= len(pieces) <= MAX_FIGURES + 1 or not wordish(pieces[0]):
        return 0
    if pieces[1][0].x0 - pieces[0][-1].x1 < MIN_GAP * line.size:
        return 0
    return len(pieces) - 1 if all(_value(ws) for ws in pieces[1:]) else 0


def _label(line: WordRow) -> bool:
    return len(line.pieces) == 1 and wordish(line.words) > 0 and len(line.words) <= MAX_LABEL_WORDS


def counted(figures: list[list[str]]) -> bool:
    """Are the figures (each a list of tokens) page or equation numbers: bare counts
    (``_COUNT``: no sign, no unit, no thousands), none less than the one before? (A price
    list sorted by price carries its currency.) Also the table gate's test."""
    if any(len(ts) != 1 or not _COUNT.match(ts[0]) for ts in figures):
        return False
    numbers = [float(ts[0].strip("()")) for ts in figures]
    return all(a <= b for a, b in itertools.pairwise(numbers))


def pair_tables(lines: list[WordRow]) -> list[tuple[BBox, list[TableCell]]]:
    """The tables of labels and their figures among ``lines`` (see module docstring)."""
    figured = [_figured(line) for line in lines]  # each line's figures (0: none)
    found = []
    run: list[int] = []
    kind = 0  # figures a row of the run holds
    for i, line in enumerate(lines):
        near = bool(run) and line.top - lines[run[-1]].bottom <= RUN_GAP * max(
            line.size, lines[run[-1]].size
        )
        if figured[i] and (not run or (near and figured[i] == kind)):
            kind = figured[i]
            run.append(i)
        elif run and near and _label(line):
            run.append(i)
        else:
            found += _table(lines, figured, run, kind)
            run, kind = ([i], figured[i]) if figured[i] else ([], 0)
    found += _table(lines, figured, run, kind)
    return found


def _table(
    lines: list[WordRow], figured: list[int], run: list[int], kind: int
) -> list[tuple[BBox, list[TableCell]]]:
    while run and not figured[run[-1]]:
        run = run[:-1]  # labels after the last row of figures are the next block's
    pairs = [lines[k] for k in run if figured[k]]
    if len(pairs) < MIN_PAIRS:
        return []
    size = statistics.median(ln.size for ln in pairs)
    columns: list[float] = []  # each figure column's left edge
    for c in range(1, kind + 1):
        figures = [ln.pieces[c] for ln in pairs]
        lefts = [ws[0].x0 for ws in figures]
        aligned = max(
            _aligned([ws[-1].x1 for ws in figures], size),
            _aligned(lefts, size),
            _aligned([(ws[0].x0 + ws[-1].x1) / 2 for ws in figures], size),
        )
        if aligned < ALIGNED * len(pairs):
            return []
        if columns and min(lefts) <= max(ws[-1].x1 for ws in [ln.pieces[c - 1] for ln in pairs]):
            return []  # two figure columns that overlap: no columns
        columns.append(min(lefts))
    if kind == 1 and counted([[w.text for w in ln.pieces[1]] for ln in pairs]):
        return []
    column = columns[0]
    labels = [lines[k].pieces[0] for k in run]
    if any(ws[-1].x1 > column - MIN_GAP * size for ws in labels):
        return []  # a label reaches into the figures' column
    if statistics.median(len(ln.pieces[0]) for ln in pairs) > MAX_PAIR_WORDS:
        return []
    rows = list(run)
    while len(rows) - len(run) < MAX_LEAD and rows[0] > 0 and _label(lines[rows[0] - 1]):
        above, below = lines[rows[0] - 1], lines[rows[0]]
        if below.top - above.bottom > RUN_GAP * max(above.size, below.size):
            break
        if above.size > 1.15 * size:
            break  # a title over the list, set larger
        if above.words[-1].x1 > column - MIN_GAP * size:
            break
        rows.insert(0, rows[0] - 1)  # a section's name over its first pair ("Class A")
    head = rows[0] - 1
    heads = _heads(lines[head], lines[rows[0]], columns, size) if head >= 0 else None
    if heads is not None:
        rows.insert(0, head)
    cells: list[TableCell] = []
    for r, k in enumerate(rows):
        line = lines[k]
        if heads is not None and r == 0:
            texts = ["", *heads]
        elif len(line.pieces) > 1:
            texts = [cell_text(ws) for ws in line.pieces]
        else:
            texts = [cell_text(line.words)] + [""] * kind
        for c, text in enumerate(texts):
            cells.append(TableCell(row=r, col=c, text=text, header=heads is not None and r == 0))
    chosen = [lines[k] for k in rows]
    box = (
        min(ln.x0 for ln in chosen),
        chosen[0].top,
        max(ln.x1 for ln in chosen),
        chosen[-1].bottom,
    )
    return [(box, cells)]


def _aligned(xs: list[float], size: float) -> int:
    """How many of ``xs`` lie within a text height of their median."""
    middle = statistics.median(xs)
    return sum(1 for x in xs if abs(x - middle) <= size)


def _heads(line: WordRow, below: WordRow, columns: list[float], size: float) -> list[str] | None:
    """The heads of the figure columns, where ``line`` (just over the run) is a short head
    over each of them and nothing over the labels (a year: "2016", or "2016  2015"); else
    None."""
    if below.top - line.bottom > RUN_GAP * max(line.size, below.size):
        return None
    if len(line.pieces) != len(columns) or len(line.words) > 3 * len(columns):
        return None
    if line.x0 < columns[0] - size:
        return None
    heads = [""] * len(columns)
    for ws in line.pieces:
        middle = (ws[0].x0 + ws[-1].x1) / 2
        c = max(k for k in range(len(columns)) if k == 0 or columns[k] - size <= middle)
        if heads[c]:
            return None
        heads[c] = cell_text(ws)
    return heads
