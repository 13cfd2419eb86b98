"""Stream tables: tables without rulings, found in the gutters of text lines.

Text lines (``words.WordRow``) are cut into pieces at gaps of a text height;
a run of at least ``MIN_ROWS`` lines of ``MIN_PIECES`` or more pieces whose
gaps share at least ``MIN_GUTTERS`` blank gutters is a table, one row per
text line, with the header lines just above that fit its columns (never above
a rule across the table, such as the top rule under a caption, but across the
rule under a header that has the top rule over it: booktabs); header lines
with no cell across columns are one header wrapped, and become one row; headings
centred each over a group of columns on the first line span their group, and the
lines under them become one row. Between booktabs rules (top, under the header,
bottom, none between the rows) two rows of figures are enough. A prose column
at either edge (a neighbouring text column) is left out, and a plain line
reaching over the columns (a note between two tables) splits the run. The
body cells must be short, mostly filled and readable text, so prose,
multi-column pages, tables of contents and typeset mathematics stay out: a
missed table costs less than a false one. Where no table is found and dot leaders
lead labels to their figures, a row of three pieces and two gutters are enough
(a label and two figures: a fact sheet, a statement of two years).

Input: the ``WordRow`` lists of one frame (text upright, top to bottom) and
the horizontal rulings of that frame. Output: ``(box, cells)`` pairs, the box
``(x0, top, x1, bottom)`` in the same frame. ``blank_gutters`` also serves the
ruled finder, for the columns of rows that the rulings leave undivided.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

from docworker.contract import TableCell
from docworker.geometry import BBox, Word
from docworker.stages.joining import join_lines
from docworker.tables.pairs import pair_tables
from docworker.tables.rulings import Seg
from docworker.tables.words import NUMBER, STREAM_GAP, WordRow, cell_text, word_rows, wordish

MIN_ROWS = 4  # lines of MIN_PIECES+ pieces a stream table needs
MIN_PIECES = 4
MIN_GUTTERS = 3  # shared blank gutters (so 4+ columns)
HEADER_LINES = 3  # a header between a table's top and mid rules has at most these lines
#: Text heights a header line of several cells may reach past the rows on either side.
HEADER_OVERHANG = 3.0

Gutter = tuple[float, float]
Part = tuple[int, int, list[Word]]  # first column, last column, words


def blank_gutters(
    lines: list[WordRow], left: float, right: float, allowance: int, min_width: float
) -> list[Gutter]:
    """x-intervals inside (left, right) that at most ``allowance`` of the lines ink."""
    events: list[tuple[float, int]] = []
    for line in lines:
        for p in line.pieces:
            events += [(p[0].x0, 1), (p[-1].x1, -1)]
    events.sort()
    out = []
    depth = 0
    start: float | None = left
    for x, step in events:
        depth += step
        if step > 0 and depth == allowance + 1 and start is not None:
            out.append((start, x))
            start = None
        elif step < 0 and depth == allowance:
            start = x
    return [(a, b) for a, b in out if a > left and b < right and b - a >= min_width]


def parts_of(line: WordRow, gutters: list[Gutter]) -> list[Part]:
    """A line's words as cells: cut at gaps (half a text height or more) inside gutters.

    A run of words that still reaches over a gutter spans the columns it covers; one
    that lies inside a gutter belongs to the column nearer its middle.
    """
    runs: list[list[Word]] = [[line.words[0]]]
    for w in line.words[1:]:
        prev = runs[-1][-1]
        wide = w.x0 - prev.x1 >= 0.5 * line.size
        if (wide and any(prev.x1 <= b and a <= w.x0 for a, b in gutters)) or (
            w.x0 - prev.x1 >= STREAM_GAP * line.size
        ):
            runs.append([w])
        else:
            runs[-1].append(w)
    out: list[Part] = []
    for run in runs:
        first = sum(1 for a, _ in gutters if a < run[0].x0)
        last = max(first, sum(1 for _, b in gutters if b < run[-1].x1))
        if out and first <= out[-1][1]:
            out[-1] = (out[-1][0], max(last, out[-1][1]), out[-1][2] + run)
        else:
            out.append((first, last, run))
    for k, (first, last, words) in enumerate(out):
        if first == last and first and words[-1].x1 <= gutters[first - 1][1]:
            # Wholly inside a gutter (a head centred over a wide column of short entries,
            # "Nombre Municipio"): the nearer column's, if the line leaves it free.
            a, b = gutters[first - 1]
            middle = (words[0].x0 + words[-1].x1) / 2
            if middle - a < b - middle and (k == 0 or out[k - 1][1] < first - 1):
                out[k] = (first - 1, first - 1, words)
    return out


def _spans(parts: list[Part]) -> bool:
    return any(last > first for first, last, _ in parts)


def stream_tables(
    lines: list[WordRow], rules: Sequence[Seg] = (), leaders: Sequence[BBox] = ()
) -> list[tuple[BBox, list[TableCell]]]:
    """Tables without rulings among text lines of one frame (text upright, top to bottom).

    ``rules``: horizontal rulings in the same frame; a header never reaches
    above one that runs the table's width (a booktabs top rule under a caption).
    ``leaders``: the boxes of the dot leaders dropped from the words
    (``words.words_and_leaders``): two lists of entries led to their figures, set
    side by side, are no table (``_side_by_side``).
    """
    found = []
    for run in _runs(lines):
        found += _run_tables(lines, run, list(rules), leaders)
    for run in _runs(lines, BOOKTABS_ROWS):
        rich = [lines[k] for k in run if _rich(lines[k])]
        figures = all(_figures(ln) >= 2 for ln in rich)
        if len(rich) < MIN_ROWS and figures and _booktabs(rich, rules):
            # A short table set between booktabs rules (top, mid under its header,
            # bottom): two rows under a header are a table.
            found += _run_tables(lines, run, list(rules), leaders, booktabs=True)
    if not found and leaders:
        # None found: where dot leaders lead labels to their figures, a row of three
        # pieces (a label and two figures) is enough, and so are two gutters.
        for line in lines:
            line.led = any(line.top <= (y0 + y1) / 2 <= line.bottom for _, y0, _, y1 in leaders)
        for run in _runs(lines):
            found += _run_tables(lines, run, list(rules), leaders)
    if not found:
        found = pair_tables(lines)  # labels and their one or two figures
    return found


#: Rows of a run, at least this share, in which a dot leader crosses a gutter for it to
#: join an entry to its figure (``_side_by_side``).
LEADER_SHARE = 0.25


def _side_by_side(rich: list[WordRow], gutters: list[Gutter], leaders: Sequence[BBox]) -> bool:
    """Do dot leaders reach two of the ``gutters`` or more (to a text height of them), each
    in ``LEADER_SHARE`` of the rows: lists of entries led to their figures set side by
    side ("(1) Acetorphine ..... 9319" in each of two columns of a regulation), read
    column by column, not as one table's rows? A table's leaders run from its label
    column to its first figure only (a statement of accounts)."""
    start, end = rich[0].top, rich[-1].bottom  # the run's leaders only
    near = [box for box in leaders if start <= (box[1] + box[3]) / 2 <= end]
    if not near:
        return False
    crossed = [0] * len(gutters)
    for line in rich:
        for x0, top, x1, bottom in near:
            if not line.top <= (top + bottom) / 2 <= line.bottom:
                continue
            for k, (a, b) in enumerate(gutters):  # within a text height of it
                if x0 < b + line.size and x1 > a - line.size:
                    crossed[k] += 1
    need = max(2, LEADER_SHARE * len(rich))
    return sum(1 for n in crossed if n >= need) >= 2


def _led(rich: list[WordRow], gutters: list[Gutter], leaders: Sequence[BBox]) -> bool:
    """Do dot leaders run from the first column to the first gutter in most of the rows
    ``rich``: is that column the rows' labels ("Children age 0-5 months exclusively
    breastfed ..... 76.9"), however long, and not a neighbouring column of prose?"""
    a = gutters[0][0]
    led = 0
    for line in rich:
        led += any(
            line.top <= (top + bottom) / 2 <= line.bottom and x1 >= a - line.size
            for x0, top, x1, bottom in leaders
        )
    return 2 * led > len(rich)


#: Rich lines (rows under a header) a table set between booktabs rules needs.
BOOKTABS_ROWS = 2


def _booktabs(rich: list[WordRow], rules: Sequence[Seg]) -> bool:
    """Are the lines ``rich`` a table's rows set between booktabs rules: one under the
    last (within two text heights), one over the first (the mid rule, as near), and one
    over that, a header's height higher at most (the top rule), and none between the
    rows (a form rules every line); the rules of one width (ends within two text
    heights), eight text heights or more, under the lines (a table level with a
    neighbouring column's prose: its rows hold that prose too)?"""
    size = statistics.median(ln.size for ln in rich)
    left, right = min(ln.x0 for ln in rich), max(ln.x1 for ln in rich)
    wide = [r for r in rules if r.hi - r.lo >= 8 * size and r.lo < right and r.hi > left]
    top_y, bottom_y = rich[0].top, rich[-1].bottom
    for under in (r for r in wide if bottom_y - 0.2 * size <= r.pos <= bottom_y + 2 * size):
        same = [
            r for r in wide if abs(r.lo - under.lo) <= 2 * size and abs(r.hi - under.hi) <= 2 * size
        ]
        mids = [r.pos for r in same if top_y - 2 * size <= r.pos <= top_y + 0.2 * size]
        if not mids or any(max(mids) < r.pos < under.pos for r in same):
            continue
        reach = max(mids) - (HEADER_LINES + 1) * 1.2 * size
        if any(reach <= r.pos < max(mids) - size for r in same):
            return True
    return False


def _figures(line: WordRow) -> int:
    """The words of a line that are numbers (``NUMBER``)."""
    return sum(1 for w in line.words if NUMBER.match(w.text))


def _rich(line: WordRow) -> bool:
    """A line of enough pieces for a table's row: ``MIN_PIECES``, or one fewer where a dot
    leader leads its label to its figures (a statement's "Net income ..... 1,234 1,100")."""
    return len(line.pieces) >= (MIN_PIECES - 1 if line.led else MIN_PIECES)


def _runs(lines: list[WordRow], min_rows: int = MIN_ROWS) -> list[list[int]]:
    """Stretches of lines from one rich line to the last near it (few plain lines between),
    of ``min_rows`` rich lines or more."""
    runs: list[list[int]] = []
    cur: list[int] = []
    plain = 0
    for i, line in enumerate(lines):
        if cur and line.top - lines[i - 1].bottom > 2.0 * max(line.size, lines[i - 1].size):
            runs.append(cur)
            cur, plain = [], 0
        if _rich(line):
            cur.append(i)
            plain = 0
        elif cur:
            plain += 1
            if plain > 3:
                runs.append(cur)
                cur, plain = [], 0
    if cur:
        runs.append(cur)
    out = []
    for run in runs:
        rich = [i for i in run if _rich(lines[i])]
        if len(rich) >= min_rows:
            out.append(list(range(rich[0], rich[-1] + 1)))
    return out


def _run_tables(
    lines: list[WordRow],
    run: list[int],
    rules: list[Seg],
    leaders: Sequence[BBox],
    booktabs: bool = False,
) -> list:
    """The tables of a run of lines; with ``booktabs``, a run set between booktabs rules
    (``_booktabs``), ``BOOKTABS_ROWS`` rows are enough."""
    min_rows = BOOKTABS_ROWS if booktabs else MIN_ROWS
    rich = [lines[k] for k in run if _rich(lines[k])]
    if len(rich) < min_rows:
        return []
    size = statistics.median(ln.size for ln in rich)
    left = min(ln.x0 for ln in rich)
    right = max(ln.x1 for ln in rich)
    ruled = _ruled_span(rich, rules, size)
    if ruled is not None and (left < ruled[0] or right > ruled[1]):
        # Rules over and under the table, narrower than its rows: the rows took in a
        # neighbouring column's lines. Only the words between the rules' ends, under
        # the top one, are its.
        lo, hi, top = ruled
        keep = [
            w
            for k in range(max(0, run[0] - 6), run[-1] + 1)
            if lines[k].bottom >= top
            for w in lines[k].words
            if lo <= w.x0 and w.x1 <= hi
        ]
        return stream_tables(word_rows(keep), rules, leaders)
    gutters = blank_gutters(rich, left, right, len(rich) // 8, 0.5 * size)
    if len(rich) > MIN_ROWS and not _figures(rich[0]):
        # A first line of headings alone (group headings over several columns each,
        # "Top-20" over "NQ | TriviaQA | WQ | TREC") may reach over the body's gutters.
        under = blank_gutters(rich[1:], left, right, (len(rich) - 1) // 8, 0.5 * size)
        if len(under) >= len(gutters):
            gutters = under
    led = 2 * sum(1 for ln in rich if ln.led) > len(rich)  # labels led to their figures
    if len(gutters) < MIN_GUTTERS - led or _side_by_side(rich, gutters, leaders):
        return []
    # Group labels on lines of their own, left of every row's first cell ("DP", "L2" beside
    # "NLL" and "Triplet"): a column of their own, before the rows' first.
    groups = [
        lines[k]
        for k in run
        if not _rich(lines[k]) and len(lines[k].pieces) == 1 and lines[k].x1 < left - 0.5 * size
    ]
    if len(groups) >= 2:
        gutters = [(max(ln.x1 for ln in groups), left), *gutters]
        left = min(left, *(ln.x0 for ln in groups))
    # A column of prose at either edge (a neighbouring text column, the facing page of a
    # spread) is not the table's: drop its side and look again.
    for edge, cut in ((0, gutters[0][1]), (len(gutters), gutters[-1][0])):
        counts = [
            wordish(ws) for ln in rich for first, _, ws in parts_of(ln, gutters) if first == edge
        ]
        labels = edge == 0 and _led(rich, gutters, leaders)  # the rows' labels, kept
        if counts and statistics.median(counts) > 4 and not labels:
            keep = [
                w
                for k in range(max(0, run[0] - 6), run[-1] + 1)
                for w in lines[k].words
                if (w.x0 >= cut if edge == 0 else w.x1 <= cut)
            ]
            return stream_tables(word_rows(keep), rules, leaders)
    # A plain line that reaches over the columns (a note between two tables) splits the run.
    for pos, k in enumerate(run):
        if not _rich(lines[k]) and _spans(parts_of(lines[k], gutters)):
            return _run_tables(lines, run[:pos], rules, leaders) + _run_tables(
                lines, run[pos + 1 :], rules, leaders
            )
    rows = list(run)
    width = right - left
    across = [r for r in rules if r.hi - r.lo >= 0.8 * width]  # rules the table's width
    crossed = False  # a booktabs rule under the header, crossed on the way up
    k = run[0] - 1
    while k >= 0 and run[0] - k <= 6:
        line, below = lines[k], lines[k + 1]
        if below.top - line.bottom > 2.0 * max(size, line.size):
            break
        parts = parts_of(line, gutters)
        # A line of running text; between booktabs rules, or where the gutters cut it
        # into short heads, heads set close (one piece, "Top-1 Top-5 Top-20") are cut
        # at the gutters first.
        spread = [ws for _, _, ws in parts] if booktabs or _short_heads(parts) else line.pieces
        if any(ws[-1].x1 - ws[0].x0 > 0.6 * width for ws in spread):
            break
        overhang = max(left - line.x0, line.x1 - right)
        if overhang > size and (overhang > HEADER_OVERHANG * size or len(parts) < 2):
            # Wider than the rows: a paragraph over the table, unless a few heads
            # centred over narrow columns ("Clave Entidad" over "01") poke out a little.
            break
        if len(parts) == 1 and parts[0][0] == 0 and parts[0][1] > 0:
            break  # a caption or an instruction over the table
        if len(parts) == 1 and parts[0][0] > 0 and _centred(parts[0][2], left, right):
            break  # a title centred over the table (a report's "DEPARTMENT OF HEALTH")
        mid, mid_below = (line.top + line.bottom) / 2, (below.top + below.bottom) / 2
        if any(mid < r.pos < mid_below for r in across):
            # The rule under a header, with the table's top rule over it a few lines up
            # (booktabs: top rule, header, mid rule, body), is crossed once; any other
            # rule is the top of the table (under its caption).
            reach = line.top - HEADER_LINES * 1.2 * max(size, line.size)
            if crossed or not any(reach < r.pos < mid for r in across):
                break
            crossed = True
        rows.insert(0, k)
        k -= 1
    chosen = [lines[k] for k in rows]
    middles = [(ln.top + ln.bottom) / 2 for ln in chosen]
    ruled = frozenset(  # rows with a rule the table's width over them
        i for i in range(1, len(chosen)) if any(middles[i - 1] < r.pos < middles[i] for r in across)
    )
    result = _stream_cells(
        chosen, gutters, len(rows) - len(run), led, min_rows, len(groups) >= 2, ruled
    )
    return [result] if result is not None else []


#: A header line cut at the gutters into this many heads or more, of ``HEAD_WORDS`` words
#: at most each, is heads set close, not a line of running text (``_run_tables``).
SHORT_HEADS = 3
HEAD_WORDS = 3


def _short_heads(parts: list[Part]) -> bool:
    """Do the gutters cut a line into ``SHORT_HEADS`` heads or more, each short (a run of
    words a gutter parts only where it is half a text height wide, which prose's word
    spaces are not)?"""
    return len(parts) >= SHORT_HEADS and all(len(ws) <= HEAD_WORDS for _, _, ws in parts)


def _ruled_span(
    rich: list[WordRow], rules: Sequence[Seg], size: float
) -> tuple[float, float, float] | None:
    """The x extent (two text heights of slack each side), and the top, of two rules or
    more drawn over and under the rows ``rich`` (from a header's height above the first
    to two text heights under the last) that start and end within two text heights of
    each other (a booktabs table's top, mid and bottom rules), or None. A paper's table
    set in one of its two columns, its rows level with the other column's lines, is
    read within them."""
    top = rich[0].top - (HEADER_LINES + 1) * 1.2 * size
    bottom = rich[-1].bottom + 2 * size
    near = sorted(
        (r for r in rules if top <= r.pos <= bottom and r.hi - r.lo >= 8 * size),
        key=lambda r: r.pos,
    )
    if len(near) < 2 or near[0].pos > rich[0].bottom or near[-1].pos < rich[-1].top:
        return None
    lo, hi = min(r.lo for r in near), max(r.hi for r in near)
    if any(r.lo - lo > 2 * size or hi - r.hi > 2 * size for r in near):
        return None
    return lo - 2 * size, hi + 2 * size, near[0].pos


def _centred(words: list[Word], left: float, right: float) -> bool:
    """Do ``words`` sit centred over ``left..right`` (their middle within 5% of its
    width of its middle)? A group header over the figures' columns sits right of it."""
    middle = (words[0].x0 + words[-1].x1) / 2
    return abs(middle - (left + right) / 2) <= 0.05 * (right - left)


def _stream_cells(
    rows: list[WordRow],
    gutters: list[Gutter],
    n_header: int,
    led: bool = False,
    min_rows: int = MIN_ROWS,
    groups: bool = False,
    ruled: frozenset[int] = frozenset(),
) -> tuple[BBox, list[TableCell]] | None:
    """The cells of a run's rows, or None where they fail the guards against prose (short
    cells: not counting the first column's where dot leaders lead its labels, ``led``).
    ``groups``: the first column holds group labels on lines of their own, which count
    as its filled cells. ``ruled``: the rows with a rule over them (``_ruled_groups``)."""
    n_cols = len(gutters) + 1
    cells: list[TableCell] = []
    body_fill: list[int] = []
    body_words: list[int] = []
    col_hits = [0] * n_cols
    row_parts = [parts_of(line, gutters) for line in rows]
    for r, (line, parts) in enumerate(zip(rows, row_parts, strict=True)):
        if r >= n_header and _rich(line) and not _spans(parts):
            body_fill.append(len(parts))
            body_words += [wordish(ws) for first, _, ws in parts if not (led and first == 0)]
            for first, _, _ in parts:
                col_hits[first] += 1
        elif groups and r >= n_header and len(parts) == 1 and parts[0][1] == 0:
            col_hits[0] += 1  # a group's label (``_run_tables``)
        for first, last, ws in parts:
            cells.append(
                TableCell(
                    row=r,
                    col=first,
                    text=cell_text(ws),
                    col_span=last - first + 1,
                    header=r < max(n_header, 1),
                )
            )
    # False-positive guards: enough body rows, filled, short cells, no empty column, text.
    n = len(body_fill)
    if n < min_rows or not _filled_columns(col_hits, n, cells):
        return None
    if sum(body_fill) < 0.6 * n * n_cols:
        return None
    if sum(1 for k in body_words if k <= 4) < 0.8 * len(body_words):
        return None
    if statistics.median(body_words) >= 3:
        return None  # narrow columns of running text side by side
    if 10 * sum(1 for c in cells if "(cid:" in c.text) > len(cells):
        return None  # glyphs without text: typeset mathematics (matrices, aligned formulas)
    box = (
        min(ln.x0 for ln in rows),
        min(ln.top for ln in rows),
        max(ln.x1 for ln in rows),
        max(ln.bottom for ln in rows),
    )
    n_header = _header_count(cells, n_header)
    cells = _ruled_groups(cells, ruled)
    cells = _centred_labels(cells, [(ln.top + ln.bottom) / 2 for ln in rows])
    cells = _gutter_heads(cells, row_parts[: max(n_header, 1)], gutters)
    if n_header >= 2:
        cells = _group_heads(cells, row_parts[0], gutters, (box[0], box[2]))
    return box, _wrapped_labels(_one_header_row(cells, n_header))


def _gutter_heads(
    cells: list[TableCell], heads: list[list[Part]], gutters: list[Gutter]
) -> list[TableCell]:
    """``cells`` with each header cell that lies inside a gutter, over its middle, heading
    the columns on both sides ("Train" centred over two columns of figures) where no
    other header cell heads the far one (a head over a wide column of short entries,
    "Nombre Municipio", keeps the nearer column: ``parts_of``)."""
    found: dict[tuple[int, int], tuple[int, int]] = {}  # (row, col) -> the gutter's columns
    for r, parts in enumerate(heads):  # the header rows' cells (``parts_of``)
        for first, last, ws in parts:
            x0, x1 = ws[0].x0, ws[-1].x1
            for g, (a, b) in enumerate(gutters):
                centred = abs((x0 + x1 - a - b) / 2) <= GUTTER_MIDDLE * (b - a)
                if first == last and a <= x0 and x1 <= b and centred:
                    found[(r, first)] = (g, g + 1)
    if not found:
        return cells
    out = []
    for c in cells:
        cols = found.get((c.row, c.col)) if c.header else None
        if cols is not None:
            far = cols[1] if c.col == cols[0] else cols[0]
            if not any(
                o is not c and o.header and o.text.strip() and o.col <= far < o.col + o.col_span
                for o in cells
            ):
                c = c.model_copy(update={"col": cols[0], "col_span": 2})
        out.append(c)
    return out


#: A head inside a gutter, this share of the gutter's width from its middle or nearer,
#: heads the columns on both sides (``_gutter_heads``).
GUTTER_MIDDLE = 0.2


def _group_heads(
    cells: list[TableCell], parts: list[Part], gutters: list[Gutter], edges: tuple[float, float]
) -> list[TableCell]:
    """``cells`` with the first row's headings that each sit centred over a group of
    columns ("Total", "Male", "Female" over three columns each, their "Total | Under 18
    years | 18 years and over" on the lines below) spanning their group, over
    sub-headings on the next line. A first-row head with nothing under it ("Retriever")
    heads its own column only. Each other column goes to the nearest group heading; a
    group then loses its far columns until the heading sits over its middle (the row
    labels' column stays out)."""
    first = [c for c in cells if c.row == 0 and c.text.strip()]
    below = [c for c in cells if c.row == 1 and c.text.strip()]
    if len(first) < 2 or len(below) <= len(first):
        return cells
    if [p[0] for p in parts] != [c.col for c in first]:  # ``parts``: the first row's
        return cells
    plain = {
        c.col
        for c in first
        if c.col_span == 1 and not any(b.col <= c.col < b.col + b.col_span for b in below)
    }
    heads = [(col, last, (ws[0].x0 + ws[-1].x1) / 2) for col, last, ws in parts if col not in plain]
    if not heads:
        return cells
    bounds = [edges[0], *(x for a, b in gutters for x in (a, b)), edges[1]]
    extent = [(bounds[2 * k], bounds[2 * k + 1]) for k in range(len(gutters) + 1)]
    owner = {
        col: min(range(len(heads)), key=lambda k: abs(heads[k][2] - (a + b) / 2))
        for col, (a, b) in enumerate(extent)
        if col not in plain
    }
    spans: dict[int, tuple[int, int]] = {}
    for k, (col, last, middle) in enumerate(heads):
        group = [c for c, o in owner.items() if o == k]
        lo, hi = min(group), max(group)
        if hi - lo + 1 != len(group):
            return cells  # a group split by another's column: no grouping this reading trusts
        while hi > lo:
            width = extent[hi][1] - extent[lo][0]
            off = middle - (extent[lo][0] + extent[hi][1]) / 2
            if abs(off) <= GROUP_CENTRED * width:
                break
            if off > 0:
                lo += 1
            else:
                hi -= 1
        if not lo <= col <= last <= hi or hi == lo:
            return cells
        spans[col] = (lo, hi - lo + 1)
    # The groups run side by side to the table's last column: a first line that is the
    # top of heads wrapped ("PREMISE" over "ADDRESS", beside "CITY | ST | ZIP") is none.
    ranges = sorted(spans.values())
    if ranges[-1][0] + ranges[-1][1] != len(extent) or any(
        a[0] + a[1] != b[0] for a, b in itertools.pairwise(ranges)
    ):
        return cells
    out = []
    for c in cells:
        if c.row == 0 and c.col in spans:
            lo, span = spans[c.col]
            c = c.model_copy(update={"col": lo, "col_span": span})
        out.append(c)
    return out


#: A group heading sits over its columns' middle within this share of their width.
GROUP_CENTRED = 0.15


def _ruled_groups(cells: list[TableCell], ruled: frozenset[int]) -> list[TableCell]:
    """``cells`` with the one first-column label of a group of rows set between rules, on
    the group's middle row, made the group's label: its cell spans the group from its
    first row (LaTeX's ``\\multirow`` over three rows: "Single" beside "DPR" between
    "BM25" and "BM25+DPR"). Every row of the group holds figures; a group of one label a
    row ("Single" on seven rows) is left as it is."""
    body = sorted({c.row for c in cells if not c.header})
    if not ruled or len(body) < 3:
        return cells
    groups: list[list[int]] = [[]]
    for r in body:
        if r in ruled and groups[-1]:
            groups.append([])
        groups[-1].append(r)
    labelled: dict[int, list[int]] = {}  # a label's row -> its group's rows
    for group in groups:
        if len(group) < 3 or len(group) % 2 == 0:
            continue
        labels = [c for c in cells if c.row in group and c.col == 0 and c.text.strip()]
        if len(labels) != 1 or labels[0].row != group[len(group) // 2] or labels[0].col_span > 1:
            continue
        if any(sum(1 for c in cells if c.row == r and c.text.strip()) < 2 for r in group):
            continue  # every row of the group holds more than its label
        labelled[labels[0].row] = group
    if not labelled:
        return cells
    spanned = {r for group in labelled.values() for r in group}
    out = []
    for c in cells:
        if c.col == 0 and c.row in labelled:
            group = labelled[c.row]
            out.append(c.model_copy(update={"row": group[0], "row_span": len(group)}))
        elif not (c.col == 0 and c.row in spanned):  # (the group's other first cells: empty)
            out.append(c)
    return out


#: A label alone on its line is centred between the rows over and under it when its
#: middle lies within this share of their distance from the middle between them.
CENTRED_LABEL = 0.25


def _centred_labels(cells: list[TableCell], middles: list[float]) -> list[TableCell]:
    """``cells`` with each body row that holds only a first-column label, set centred
    between the rows over and under it whose first column is empty, made that label's
    cell spanning those two rows (LaTeX's ``\\multirow``: "Single" over "DPR" and "BM25 +
    DPR", which had been a row of its own, with "DPR" under the group above). ``middles``:
    each row's vertical middle."""
    by_row: dict[int, list[TableCell]] = {}
    for c in cells:
        if not c.header:
            by_row.setdefault(c.row, []).append(c)
    moved: dict[int, TableCell] = {}  # row over a label -> the label's cell, spanning 2
    used: set[int] = set()  # rows of a label and the two it spans
    for r, here in sorted(by_row.items()):
        filled = [c for c in here if c.text.strip()]
        above, below = by_row.get(r - 1), by_row.get(r + 1)
        if len(filled) != 1 or filled[0].col != 0 or filled[0].col_span != 1:
            continue
        if not above or not below or used & {r - 1, r, r + 1}:
            continue
        if any(c.col == 0 and c.text.strip() for c in above + below):
            continue
        if min(sum(1 for c in row if c.text.strip()) for row in (above, below)) < 2:
            continue
        middle = (middles[r - 1] + middles[r + 1]) / 2
        if abs(middles[r] - middle) > CENTRED_LABEL * (middles[r + 1] - middles[r - 1]):
            continue
        moved[r - 1] = filled[0].model_copy(update={"row": r - 1, "row_span": 2})
        used |= {r - 1, r, r + 1}
    if not moved:
        return cells
    dropped = {r + 1 for r in moved}
    out = [c for c in cells if c.header]
    for r, row in by_row.items():
        if r in dropped:
            continue
        shift = sum(1 for d in dropped if d < r)
        kept = [c for c in row if not (r in moved and c.col == 0)]
        if r in moved:
            kept.append(moved[r])
        out += [c.model_copy(update={"row": c.row - shift}) for c in kept]
    return out


def _wrapped_labels(cells: list[TableCell]) -> list[TableCell]:
    """``cells`` with each body row that holds only its first column's text, a row label
    wrapped onto the next line ("Murder and nonnegligent" over "manslaughter. | 10.0 |
    0.9"), joined to the row under it: that row holds figures and its label goes on in
    lower case."""
    by_row: dict[int, list[TableCell]] = {}
    for c in cells:
        if not c.header:
            by_row.setdefault(c.row, []).append(c)
    dropped: set[int] = set()
    for r, here in by_row.items():
        below = by_row.get(r + 1)
        filled = [c for c in here if c.text.strip()]
        if not below or len(filled) != 1 or filled[0].col != 0 or filled[0].col_span != 1:
            continue
        label = next((c for c in below if c.col == 0 and c.text.strip()), None)
        if label is None or not label.text[0].islower():
            continue
        if sum(1 for c in below if c.text.strip()) < 2:
            continue
        below[below.index(label)] = label.model_copy(
            update={"text": join_lines([filled[0].text, label.text])}
        )
        dropped.add(r)
    if not dropped:
        return cells
    out = [c for c in cells if c.header]
    for r, row in by_row.items():
        if r not in dropped:
            shift = sum(1 for d in dropped if d < r)
            out += [c.model_copy(update={"row": c.row - shift}) for c in row]
    return out


def _filled_columns(col_hits: list[int], n: int, cells: list[TableCell]) -> bool:
    """Does every column hold text in a quarter of the ``n`` body rows? One column in
    four may hold less where the first row labels it and a body row has text in it: a
    lab report's "提示" (flag) column, an arrow in two rows of twenty-two."""
    sparse = [c for c, hits in enumerate(col_hits) if hits < 0.25 * n]
    if not sparse:
        return True
    if len(sparse) > max(1, len(col_hits) // 4):
        return False
    labels = {c.col for c in cells if c.row == 0 and c.col_span == 1 and c.text.strip()}
    return all(c in labels and col_hits[c] >= 2 for c in sparse)


def _numbers(cells: list[TableCell], row: int) -> int:
    """Cells of ``row`` that hold figures only: "11,062.6", "12 %" (a head that
    holds a number among words, "Under 18", is no figure)."""
    return sum(
        1
        for c in cells
        if c.row == row and c.text.split() and all(NUMBER.match(t) for t in c.text.split())
    )


def _header_count(cells: list[TableCell], n_header: int) -> int:
    """The header's lines: the ``n_header`` lines over the run, and the run's first lines
    with no figure over the first line with one (two at most: "Inhibitor" over
    "concentration (g)" over "0 | 0.0335 | ..."): a header line that fits the columns is
    read with the body. A line of one cell (a section's label, "Child feeding practices
    (%)", or the second line of a record's address, "1831 NORTHWEST CACHE", under the
    header) ends the header as a line of figures does."""
    n_rows = max(c.row for c in cells) + 1

    def ends(row: int) -> bool:
        filled = [c for c in cells if c.row == row and c.text.strip()]
        return _numbers(cells, row) > 0 or len(filled) == 1

    first = n_header
    while first < min(n_header + 2, n_rows) and not ends(first):
        first += 1
    if first > n_header and first < n_rows and ends(first):
        return first
    return n_header


def _one_header_row(cells: list[TableCell], n_header: int) -> list[TableCell]:
    """Header lines that are one header wrapped ("Asian Pacific" over "Islander")
    → one header row, each column's lines joined top to bottom; under a first row of
    group headings spanning columns ("Male" over "Under 18 | 18 years", ``_group_heads``)
    the lines below it are one row, and the group headings stay a row over it.

    A header of lines with other cells across columns keeps its rows.
    """
    head = [c for c in cells if c.row < n_header]
    # Group headings spanning the first row (``_group_heads``) stay a row over the rest.
    top = 1 if any(c.col_span > 1 for c in head if c.row == 0) else 0
    if n_header - top < 2 or any(c.col_span > 1 for c in head if c.row >= top):
        return cells
    texts: dict[int, list[str]] = {}
    for cell in sorted(head, key=lambda c: c.row):
        if cell.text and cell.row >= top:
            texts.setdefault(cell.col, []).append(cell.text)
    merged = [
        TableCell(row=top, col=col, text=" ".join(t), header=True) for col, t in texts.items()
    ]
    kept = [c for c in head if c.row < top]
    body = [
        c.model_copy(update={"row": c.row - n_header + top + 1}) for c in cells if c.row >= n_header
    ]
    return kept + sorted(merged, key=lambda c: c.col) + body
