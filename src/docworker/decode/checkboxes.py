"""Check boxes drawn on a page, read into its text as ☐ and ☒.

A form printed to PDF draws its check boxes as small square outlines, and a tick
as two strokes across one: the text layer holds only the labels ("Gender: Female
Male"), so which box is ticked was lost. ``mark_boxes`` puts ``EMPTY`` or ``TICKED``
into the text line before the label a box stands left of ("Gender: ☐ Female ☒ Male"),
or after the word it follows where no label comes after it on its row.

A box is a stroked rectangle ``BOX_MIN`` to ``BOX_MAX`` points a side, about square,
that stands alone: no other rectangle within ``APART`` of it (a row of digit cells,
a table of small cells, is no set of check boxes), and no text inside it (a box
with a letter typed in keeps that letter). It is ticked where a stroke crosses it
from corner to corner (an X, a check mark) or a filled square sits inside it.

Input: the page's line pieces and the decoder's ``PageObjects`` (boxes in top-left
page points). Output: the pieces, changed in place.
"""

from __future__ import annotations

from docworker.decode.pdfobjects import PageObjects
from docworker.geometry import BBox, Line, Word

EMPTY, TICKED = "\u2610", "\u2612"  # ☐ ☒
BOX_MIN, BOX_MAX = 5.0, 16.0  # points a side
SQUARE = 1.3  # the longer side at most this many times the shorter
APART = 1.5  # points: a box this close to another rectangle is a cell of a grid
REACH = 2.5  # box sides: how far from its box the label may start (or end)
MAX_BOXES = 200  # squares on a page; more are a drawing or a grid


def mark_boxes(lines: list[Line], objects: PageObjects) -> int:
    """Put each drawn check box of the page into the piece beside it; the count put."""
    found = boxes(objects)
    if not found:
        return 0
    words = _Grid([(*word.bbox, {}) for line in lines for word in line.words])
    put = 0
    for box, ticked in found:
        if any(_overlaps(word[:4], box) for word in words.near(box, 0.0)):
            continue  # a letter typed in the box: the text says it
        if _place(lines, box, TICKED if ticked else EMPTY):
            put += 1
    return put


def boxes(objects: PageObjects) -> list[tuple[BBox, bool]]:
    """The page's check boxes, top to bottom: each box and whether it is ticked."""
    squares = []
    for rect in objects.rects:
        w, h = rect["x1"] - rect["x0"], rect["bottom"] - rect["top"]
        if (
            rect["stroke"]
            and BOX_MIN <= w <= BOX_MAX
            and BOX_MIN <= h <= BOX_MAX
            and max(w, h) <= SQUARE * min(w, h)
        ):
            squares.append((rect["x0"], rect["top"], rect["x1"], rect["bottom"]))
    if not squares or len(squares) > MAX_BOXES:
        return []
    rects = _Grid(
        [
            (r["x0"], r["top"], r["x1"], r["bottom"], r)
            for r in objects.rects
            if r["stroke"] or r["fill"]
        ]
    )
    strokes = _Grid(
        [(p["x0"], p["top"], p["x1"], p["bottom"], p) for p in [*objects.lines, *objects.curves]]
    )
    found = []
    for box in squares:
        near = rects.near(box, APART)
        if any(
            other[:4] != box and not _inside(other[:4], box) and _near(other[:4], box, APART)
            for other in near
        ):
            continue  # a cell of a grid, or a box drawn against a frame
        found.append((box, _ticked(box, near, strokes.near(box, 1.0))))
    return sorted(found, key=lambda item: (item[0][1], item[0][0]))


Boxed = tuple[float, float, float, float, dict]


class _Grid:
    """Boxed things ``(x0, top, x1, bottom, thing)`` by the cells of a coarse grid they
    cover, so that a box asks only those near it (a page of thousands of table rules)."""

    CELL = 48.0  # points
    WIDE = 16  # cells a side: a thing wider or taller is asked by every box

    def __init__(self, items: list[Boxed]) -> None:
        self.cells: dict[tuple[int, int], list[Boxed]] = {}
        self.wide: list[Boxed] = []
        for item in items:
            cx0, cy0, cx1, cy1 = self._span(item[:4])
            if cx1 - cx0 >= self.WIDE or cy1 - cy0 >= self.WIDE:
                self.wide.append(item)
                continue
            for cx in range(cx0, cx1 + 1):
                for cy in range(cy0, cy1 + 1):
                    self.cells.setdefault((cx, cy), []).append(item)

    def _span(self, box: tuple) -> tuple[int, int, int, int]:
        c = self.CELL
        return int(box[0] // c), int(box[1] // c), int(box[2] // c), int(box[3] // c)

    def near(self, box: BBox, slack: float) -> list[Boxed]:
        """The things in the cells that ``box``, grown by ``slack``, covers."""
        cx0, cy0, cx1, cy1 = self._span(
            (box[0] - slack, box[1] - slack, box[2] + slack, box[3] + slack)
        )
        seen: dict[int, Boxed] = {}
        for cx in range(cx0, cx1 + 1):
            for cy in range(cy0, cy1 + 1):
                for item in self.cells.get((cx, cy), ()):
                    seen[id(item)] = item
        return [*seen.values(), *self.wide]


def _ticked(box: BBox, rects: list[Boxed], strokes: list[Boxed]) -> bool:
    """Is a stroke drawn across ``box`` from side to side on both axes (an X, a check
    mark), or a filled square inside it?"""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    for *_, path in strokes:
        pts = path.get("pts") or [(path["x0"], path["top"]), (path["x1"], path["bottom"])]
        if not all(x0 - 1 <= x <= x1 + 1 and y0 - 1 <= y <= y1 + 1 for x, y in pts):
            continue
        xs, ys = [x for x, _ in pts], [y for _, y in pts]
        if max(xs) - min(xs) >= 0.4 * w and max(ys) - min(ys) >= 0.4 * h:
            return True
    return any(r[4]["fill"] and r[:4] != box and _inside(r[:4], box) for r in rects)


def _place(lines: list[Line], box: BBox, mark: str) -> bool:
    """Put ``mark`` before the first word right of ``box`` on its row (within ``REACH``
    sides), else after the last word left of it; False where no word is near."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0)
    middle = (y0 + y1) / 2
    best: tuple[float, Line, int] | None = None
    for line in lines:
        if not line.words or not line.bbox[1] <= middle <= line.bbox[3]:
            continue
        for k, word in enumerate(line.words):
            if 0 <= word.x0 - x1 <= REACH * side:
                gap = word.x0 - x1
                if best is None or gap < best[0]:
                    best = (gap, line, k)
                break
    if best is not None:
        return _insert(best[1], best[2], mark, box)
    for line in lines:
        if not line.words or not line.bbox[1] <= middle <= line.bbox[3]:
            continue
        for k in range(len(line.words) - 1, -1, -1):
            word = line.words[k]
            if 0 <= x0 - word.x1 <= REACH * side:
                return _insert(line, k + 1, mark, box)
    return False


def _insert(line: Line, k: int, mark: str, box: BBox) -> bool:
    """``mark`` into ``line`` as its word ``k`` (its text and words); False where the
    line's words cannot be found in its text in order (then it is left as it is)."""
    cursor = 0
    at = len(line.text)
    for i, word in enumerate(line.words):
        pos = line.text.find(word.text, cursor)
        if pos < 0:
            return False
        if i == k:
            at = pos
            break
        cursor = pos + len(word.text)
    head, tail = line.text[:at].rstrip(), line.text[at:].lstrip()
    line.text = " ".join(part for part in (head, mark, tail) if part)
    line.words.insert(k, Word(box[0], box[1], box[2], box[3], mark))
    return True  # the piece's box stays: the page's layout is read as it was


def _inside(inner: BBox, outer: BBox, slack: float = 0.5) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _near(a: BBox, b: BBox, gap: float) -> bool:
    return a[0] - gap <= b[2] and b[0] - gap <= a[2] and a[1] - gap <= b[3] and b[1] - gap <= a[3]


def _overlaps(word: BBox, box: BBox) -> bool:
    """Does a word's box sit mostly inside ``box`` (a letter typed in it)?"""
    w = max(0.0, min(word[2], box[2]) - max(word[0], box[0]))
    h = max(0.0, min(word[3], box[3]) - max(word[1], box[1]))
    area = max((word[2] - word[0]) * (word[3] - word[1]), 1e-6)
    return w * h >= 0.5 * area
