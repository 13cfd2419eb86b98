"""Read again only the words in doubt of a line the fast recognizer read.

The default RapidOCR stage reads every line with PP-OCRv6 tiny and sends the
lines in doubt (``doubt.doubtful``) to the small recognizer. Where the doubt is
one word or one number of a line whose score is sure, the small recognizer
need not read the whole line: the recognizer's cost is linear in a line's width
(docs/BENCHMARKS.md, "OCR settings on real scans"), and on the corpus's scans
the doubtful tokens are about half the width of the lines they put in doubt.

``cuts`` finds the stretches of the line's image to read again: each run of
doubtful tokens, widened by ``CONTEXT`` tokens on each side (a word the fast
reading split in two reads whole again, and the small recognizer sees a word
beside its neighbours) and then token by token to the narrowest image the
recognizer reads (it pads a narrower one to 320 × 48, so this costs nothing; a
stretch of four characters had read "1. A" as "1.A"), cut at the middle of the
gaps between tokens, which the fast reading's CTC columns place. ``splice`` puts
the small recognizer's readings of those stretches into the line: its text, its
characters' scores and CTC columns (mapped back onto the line's), so word boxes
come out as if the line had been read once.

A line is read again whole (``cuts`` returns None) when its score is not sure,
it reads empty, its columns are missing, or its stretches would cover most of
it (``WHOLE``).

Input: one line's fast reading (text, score, rapidocr's word result with the
characters' scores and CTC columns) and its image's width. Output: the
stretches to read again, then the line with their readings in place.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from statistics import median
from typing import Any

from docworker.stages.ocr import doubt
from docworker.stages.ocr.lines import CTC_LAG

#: Tokens read again beside each run of doubtful ones, on each side.
CONTEXT = 1
#: A line whose stretches would cover this share of its characters is read whole.
WHOLE = 0.6


@dataclass(frozen=True)
class Cut:
    """A stretch of a line to read again: its characters ``[start, end)`` in the fast
    reading's text, and its pixels ``[x0, x1)`` across the line's image."""

    start: int
    end: int
    x0: int
    x1: int


def _char_columns(text: str, info: Any) -> list[int | None] | None:
    """Each character's CTC column (None for a space), or None if they do not line up."""
    flat = [col for cols in getattr(info, "word_cols", None) or () for col in cols]
    out: list[int | None] = []
    it = iter(flat)
    for ch in text:
        if ch.isspace():
            out.append(None)
            continue
        col = next(it, None)
        if col is None:
            return None
        out.append(col)
    if next(it, None) is not None:
        return None
    return out


def _pitch(columns: list[int | None]) -> float:
    steps = [b - a for a, b in itertools.pairwise(c for c in columns if c is not None) if b > a]
    return median(steps) if steps else 2.0


def cuts(
    text: str, score: float, info: Any, size: tuple[int, int], ratio: float
) -> list[Cut] | None:
    """The stretches of a doubtful line to read again, or None to read it whole.

    ``size`` is the line image's (height, width); ``ratio`` the narrowest width the
    recognizer reads, in heights (it pads a narrower image to that width, so a
    stretch is widened to it at no cost: more of the line to read the doubt by).
    """
    height, width = size
    length = float(getattr(info, "line_txt_len", 0.0) or 0.0)
    if not text.strip() or score < doubt.SURE or length <= 0 or width <= 0:
        return None
    columns = _char_columns(text, info)
    if columns is None:
        return None
    tokens = doubt.doubtful_tokens(text)
    if not any(in_doubt for _, _, in_doubt in tokens):
        return None
    lag = CTC_LAG * _pitch(columns)

    def x_at(col: float) -> int:
        return round(min(max((col + 0.5 - lag) / length, 0.0), 1.0) * width)

    # x of the boundary before each token (the middle of the gap), and the line's end
    bounds = [0] + [
        x_at((_last(columns, a) + _first(columns, b)) / 2) for a, b in itertools.pairwise(tokens)
    ]
    bounds.append(width)
    last = len(tokens) - 1
    runs: list[list[int]] = []
    for i, (_, _, in_doubt) in enumerate(tokens):
        if not in_doubt:
            continue
        lo, hi = max(0, i - CONTEXT), min(last, i + CONTEXT)
        right = True
        while bounds[hi + 1] - bounds[lo] < ratio * height and (lo > 0 or hi < last):
            if (right and hi < last) or lo == 0:
                hi += 1
            else:
                lo -= 1
            right = not right
        if runs and lo <= runs[-1][1] + 1:  # touches the last run (widened, maybe past it)
            runs[-1] = [min(runs[-1][0], lo), max(runs[-1][1], hi)]
        else:
            runs.append([lo, hi])
    covered = sum(tokens[hi][1] - tokens[lo][0] for lo, hi in runs)
    if covered >= WHOLE * len(text.strip()):
        return None
    out = []
    for lo, hi in runs:
        if bounds[hi + 1] <= bounds[lo]:
            return None
        out.append(Cut(tokens[lo][0], tokens[hi][1], bounds[lo], bounds[hi + 1]))
    return out


def _first(columns: list[int | None], token: tuple[int, int, bool]) -> int:
    col = columns[token[0]]
    assert col is not None
    return col


def _last(columns: list[int | None], token: tuple[int, int, bool]) -> int:
    col = columns[token[1] - 1]
    assert col is not None
    return col


def splice(
    reading: tuple[str, float, Any],
    width: int,
    parts: list[tuple[Cut, tuple[str, float, Any]]],
    floor: float,
) -> tuple[str, float, Any]:
    """``reading`` with each cut's text replaced by the small recognizer's reading of it.

    A reading of a stretch that is empty or scores below ``floor`` (RapidOCR's
    ``text_score``) leaves the fast reading of that stretch. The line's score is
    the mean of its characters' scores, as RapidOCR's is; its word result holds
    every character's CTC column on the line's columns.
    """
    from rapidocr.ch_ppocr_rec.typings import WordInfo

    text, score, info = reading
    length = float(info.line_txt_len)
    columns = _char_columns(text, info) or [None] * len(text)
    confs = list(getattr(info, "confs", None) or [score] * len(text))
    chars: list[tuple[str, int | None, float]] = list(zip(text, columns, confs, strict=False))
    for cut, (new, new_score, new_info) in sorted(parts, key=lambda p: -p[0].start):
        new = new.strip() if new else ""
        if not new or new_score < floor:
            continue
        mapped = _mapped(new, new_score, new_info, cut, width, length)
        chars[cut.start : cut.end] = mapped
    text = "".join(c for c, _, _ in chars)
    words: list[list[str]] = []
    word_cols: list[list[int]] = []
    current: list[tuple[str, int]] = []
    for ch, col, _ in [*chars, (" ", None, 0.0)]:
        if ch.isspace() or col is None:
            if current:
                words.append([c for c, _ in current])
                word_cols.append([c for _, c in current])
                current = []
            continue
        current.append((ch, col))
    scores = [s for _, _, s in chars] or [0.0]
    info = WordInfo(
        words=words,
        word_cols=word_cols,
        line_txt_len=length,
        confs=scores,
    )
    return text, round(sum(scores) / len(scores), 5), info


def _mapped(
    text: str, score: float, info: Any, cut: Cut, width: int, length: float
) -> list[tuple[str, int | None, float]]:
    """A stretch's reading as characters on the line's CTC columns."""
    sub_length = float(getattr(info, "line_txt_len", 0.0) or 0.0)
    sub_columns = _char_columns(text, info) if sub_length > 0 else None
    confs = list(getattr(info, "confs", None) or [])
    if len(confs) != len(text):
        confs = [score] * len(text)
    out: list[tuple[str, int | None, float]] = []
    for k, ch in enumerate(text):
        col = None
        if not ch.isspace():
            sub = sub_columns[k] if sub_columns else None
            # where the character sits across the stretch: its column, or its place
            # among the stretch's characters when the reading has no columns
            at = (sub + 0.5) / sub_length if sub is not None else (k + 0.5) / len(text)
            x = cut.x0 + at * (cut.x1 - cut.x0)
            col = max(0, round(x / width * length - 0.5))
        out.append((ch, col, confs[k]))
    return out
