"""Which words of the text lines a table replaced are in none of its cells.

A table found on a text-layer page replaces the paragraphs whose lines sit
inside its box; whatever of those lines its cells do not hold must stay in
the page's markdown, so that no word of the text layer is lost to a table.

- ``cell_words(table, lines)``: each line's tokens (by ``id``) that no cell
  took, matched row by row where the lines can be aligned with the rows.
- ``uncelled(para, missing)``: what of a paragraph stays, as lines.

Inputs: a ``contract.Table`` and the ``geometry.Line`` objects it replaced.
Outputs: tokens and lines.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace

from docworker.contract import Table
from docworker.geometry import Line
from docworker.stages.joining import bare
from docworker.stages.reading_order import Paragraph


def _key(token: str) -> str:
    """A token as compared with a table's cells: NFKC, edge punctuation stripped."""
    return bare(unicodedata.normalize("NFKC", token))


@dataclass
class _Cell:
    """One cell's words by ``_key`` (used up as lines match them), its neighbours
    run together, and the rows it covers (``first`` to ``end``, exclusive)."""

    words: Counter[str]
    pairs: set[str]
    first: int
    end: int
    flat: str = ""  # the words run together (``_unspaced``)


#: Rows either side of the row a line is aligned with whose cells it may still match,
#: once every line has matched its own row (a line set between two rows, or as
#: tall as two).
_ROW_SLACK = 1
#: Share of the table's words the lines find near their rows below which the
#: alignment is not trusted (a turned table, whose lines run across its rows).
_ALIGNED = 0.8
#: Lines times rows above which lines are not aligned with rows (a cost bound).
_ALIGN_MAX = 250_000


def cell_words(table: Table, lines: list[Line]) -> dict[int, list[str]]:
    """The tokens of each of ``lines`` (by ``id``) that are in none of the table's cells.

    Cells are compared by ``_key``, and each two neighbours run together too:
    a superscript set apart in a cell ("Maurice" "a") is one word in the text
    line ("Mauricea"). A cell's word is used up by the line that matches it.
    Cells carry no boxes, so each line's row comes from its place among the
    table's lines (``_line_rows``), and words are used up where they stand:
    first every line against the cells of its own row, then what is left
    against the rows within ``_ROW_SLACK``. Where the rows cannot be told, all
    lines match all cells, in order. Last of all, what is still unmatched is matched
    against any cell that has the words left, a line's all or none (rows of one
    text, which the alignment crowds onto one row).
    """
    cells = []
    for cell in table.cells:
        keys = [k for k in map(_key, cell.text.split()) if k]
        pairs = {a + b for a, b in itertools.pairwise(keys)}
        cells.append(_Cell(Counter(keys), pairs, cell.row, cell.row + cell.row_span, "".join(keys)))
    rows = _line_rows(lines, cells)
    left = {id(line): [(t, _key(t)) for t in line.text.split()] for line in lines}
    index = _Index(cells)
    for slack in (None,) if rows is None else (0, _ROW_SLACK):
        for line in lines:
            r = 0 if rows is None else rows[id(line)]
            mine: list[_Cell] | None = None  # the cells within reach, made only if needed
            rest: list[tuple[str, str]] = []
            for token, k in left[id(line)]:
                if not k:
                    continue
                holder = index.first(k, r, slack)
                if holder is not None:
                    holder.words[k] -= 1
                    continue
                if index.paired(k, r, slack):
                    continue
                if _DENSE.search(k):
                    if mine is None:
                        mine = [
                            c
                            for c in cells
                            if slack is None or c.first - slack <= r < c.end + slack
                        ]
                    if _unspaced(k, mine):
                        continue
                rest.append((token, k))
            left[id(line)] = rest
    if rows is not None:
        for line in lines:
            # A line of a dense script whose cell the table reads with its lines run
            # together ("の変動" in "持分法の適用範囲の変動"): the alignment had no word of
            # it to place it by, so its cell may be rows away.
            rest = [(t, k) for t, k in left[id(line)] if len(k) < 2 or not _unspaced(k, cells)]
            left[id(line)] = [] if rest and _repeated_row(rest, index) else rest
    return {i: [t for t, _ in rest] for i, rest in left.items()}


def _repeated_row(rest: list[tuple[str, str]], index: _Index) -> bool:
    """Do the cells hold every word ``rest`` has left, anywhere in the table? Then they
    are used up and the line is a row of a text the table repeats (a long list's rows,
    alike, that the alignment crowds onto one row). Where a word has no cell left,
    nothing is used up: the line stays whole."""
    used: list[tuple[_Cell, str]] = []
    for _, k in rest:
        holder = index.first(k, 0, None)
        if holder is None:
            for cell, key in used:
                cell.words[key] += 1
                index.start.pop(key, None)
            return False
        holder.words[k] -= 1
        used.append((holder, k))
    return True


class _Index:
    """Which cells hold a word, or two words run together, by row: ``cell_words`` asks
    for the first cell within reach of a line's row that still has a word, as a scan
    of the cells in order would find it, without that scan (a table of thousands of
    cells, many of them "0", asked it once a token)."""

    def __init__(self, cells: list[_Cell]) -> None:
        self.order = {id(c): i for i, c in enumerate(cells)}
        self.words: dict[str, list[_Cell]] = {}
        self.start: dict[str, int] = {}  # cells before this one have used the word up
        self.by_row: dict[tuple[str, int], list[_Cell]] = {}
        self.pairs: set[str] = set()
        self.pair_rows: set[tuple[str, int]] = set()
        for c in cells:
            for k in c.words:
                self.words.setdefault(k, []).append(c)
                for r in range(c.first, c.end):
                    self.by_row.setdefault((k, r), []).append(c)
            self.pairs |= c.pairs
            self.pair_rows.update((k, r) for k in c.pairs for r in range(c.first, c.end))

    def first(self, k: str, row: int, slack: int | None) -> _Cell | None:
        """The first cell in order, within ``slack`` rows of ``row`` (any, with None),
        with ``k`` not used up."""
        if slack is None:
            found = self.words.get(k, ())
            i = self.start.get(k, 0)
            while i < len(found) and found[i].words[k] <= 0:
                i += 1
            self.start[k] = i
            return found[i] if i < len(found) else None
        near = {
            id(c): c
            for r in range(row - slack, row + slack + 1)
            for c in self.by_row.get((k, r), ())
        }
        for c in sorted(near.values(), key=lambda c: self.order[id(c)]):
            if c.words[k] > 0:
                return c
        return None

    def paired(self, k: str, row: int, slack: int | None) -> bool:
        """Is ``k`` two words run together of a cell within ``slack`` rows of ``row``?"""
        if slack is None:
            return k in self.pairs
        return any((k, r) in self.pair_rows for r in range(row - slack, row + slack + 1))


#: Chinese, Japanese and Korean: a table's own character reader may run their words
#: together where the text layer spaces them (narrow gaps between wide glyphs).
_DENSE = re.compile(
    r"[\u1100-\u11ff\u3000-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


def _unspaced(key: str, cells: list[_Cell]) -> bool:
    """A token of a dense script found inside a cell's words run together ("이마트" in
    "이마트,이마트트레이더스": the cell read with no space where the line has one)."""
    return bool(_DENSE.search(key)) and any(key in c.flat for c in cells)


def _line_rows(lines: list[Line], cells: list[_Cell]) -> dict[int, int] | None:
    """Each line's rows: the lines, top to bottom, aligned with the rows in order.

    Every line gets one row, never above the row of a line above it, so that
    the words it shares with that row's cells are as many as can be (a line
    number left of a grid, "60", finds its "60" only in its own row, not in
    "subtract line 60" further down). ``None`` where the rows so found hold too
    few of the words the lines share with the table (``_ALIGNED``), or that
    has too many lines and rows to align (``_ALIGN_MAX``).
    """
    n_rows = max((c.end for c in cells), default=0)
    if not lines or n_rows == 0 or len(lines) * n_rows > _ALIGN_MAX:
        return None
    row_keys: list[set[str]] = [set() for _ in range(n_rows)]
    for cell in cells:
        for r in range(cell.first, cell.end):
            row_keys[r].update(cell.words, cell.pairs)
    every = set().union(*row_keys)
    order = sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2)
    keys = [[k for k in map(_key, line.text.split()) if k] for line in order]
    scores = [[sum(1 for k in ks if k in row_keys[r]) for r in range(n_rows)] for ks in keys]
    # best[r]: the most shared words of the lines so far, the last one on row r.
    best = scores[0][:]
    back: list[list[int]] = []
    for score in scores[1:]:
        top, arg, came = -1, 0, []
        for r in range(n_rows):
            if best[r] >= top:
                top, arg = best[r], r
            came.append(arg)
        back.append(came)
        best = [score[r] + best[came[r]] for r in range(n_rows)]
    rows = [max(range(n_rows), key=best.__getitem__)]
    for came in reversed(back):
        rows.append(came[rows[-1]])
    rows.reverse()
    near = [
        set().union(*row_keys[max(0, r - _ROW_SLACK) : r + _ROW_SLACK + 1]) for r in range(n_rows)
    ]
    found = sum(1 for ks, r in zip(keys, rows, strict=True) for k in ks if k in near[r])
    shared = sum(1 for ks in keys for k in ks if k in every)
    if found < _ALIGNED * shared:
        return None
    return {id(line): r for line, r in zip(order, rows, strict=True)}


def uncelled(para: Paragraph, missing: dict[int, list[str]]) -> list[Line]:
    """What of ``para`` never landed in the table's cells, as lines.

    ``missing`` (``cell_words``) holds each line's tokens that no cell took. A
    line whose words mostly missed stays whole (a rule drawn through it, a note
    inside the frame); of a line that mostly matched, only the missing words
    stay (a label beside the grid on the row's line). So no word of the text
    layer is lost to a table; tokens without a letter or a digit (dot leaders)
    are not words.
    """
    out = []
    for line in para.lines:
        lost = missing.get(id(line), [])
        counted = sum(1 for t in line.text.split() if _key(t))
        if lost and 2 * len(lost) >= counted:
            out.append(line)
        elif lost:
            out.append(replace(line, text=" ".join(lost), words=[]))
    return out
