"""Text-layer characters → words → line pieces, from geometry alone.

``pieces(read)`` walks the characters in the order the PDF drew them and
cuts them into *pieces*: runs of characters on one baseline that follow
each other left to right (in their own writing direction) with no gap wider
than ``GAP`` font sizes. A column gutter, a table's cell gap or a tab stop
therefore ends a piece; the reading-order stage finds the columns on the
pieces first and only then joins the pieces of one row into a line.

- A space is where the PDF has one or pdfium inserted one (``Char.space``),
  which is what ``get_text_range`` returns: words match the text layer's. So is
  a gap of ``WORD_GAP`` font sizes or more with none, in tightly justified text
  ("FederalTort", whose word spaces are cut to 0.15 em and a TJ move of 0.12 em
  parts two words): it must be ``SPACE_SHARE`` of the piece's narrowest space and
  stand out from its glyphs' usual gaps (``_least_space``), and never comes next
  to a script, a dash or a sign, before closing or after opening punctuation, or
  between CJK characters (``_glued``).
- Super- and subscripts stay on their line: a glyph smaller than ``SCRIPT``
  times the piece's size, whose baseline sits within the piece's band,
  joins the piece (and a piece that so far holds only such small glyphs is
  re-based on the first full-size one). It is written inline, with a space
  only where pdfium puts one, as ``get_text_range`` has it (``H2O``,
  ``Karpukhin∗``); raised figures (a footnote mark, an exponent) as their
  superscript characters (``reports²``, ``10⁻⁵``: ``_raised``), which a reader
  sees apart from the word before them and ``^`` markup would not keep in it.
- A Latin letter of the piece's size set a little off its baseline (``LOWERED``:
  the E that TeX's logos lower, "LaTeX") stays on it; in a math font such a
  shift builds a fraction or a limit, and starts a new piece as before.
- Text drawn again over itself (fake bold) is dropped, piece by piece; on a page
  where that happens, also character by character (``_twins``: a second copy
  of the text cut into other pieces).
- Text in another direction (an arXiv stamp up the margin, a turned table)
  is cut the same way in its own frame, and its pieces keep their display
  boxes (taller than wide).

Text set askew (a diagonal watermark) comes as a line of its own a text object
(``slanted_lines``); a small picture just left of two lines or more, in one
column, is their bullet (``picture_bullets``: Word's picture bullets).

A piece with characters in a math font or with a math symbol also gets its
LaTeX reading (``Line.latex``, ``Line.math``; ``pdfmath``), where scripts
are written ``^{}``/``_{}``: the equation stage decides whether to use it.

Input: ``pdfchars.CharRead``. Output: ``geometry.Line`` pieces with
``size``, ``bold``, ``mono`` and ``words`` filled, boxes in displayed page
points.
"""

from __future__ import annotations

import bisect
import itertools
import unicodedata
from operator import attrgetter, itemgetter
from statistics import median

from docworker import superscripts
from docworker.decode import pdfmath
from docworker.decode.pdfchars import LEFT, RIGHT, UP, Char, CharRead
from docworker.geometry import CJK, Line, Twins, Word, union

#: A gap wider than this many font sizes between two glyphs ends a piece.
GAP = 1.0
#: A gap this many font sizes wide between two glyphs where the PDF has no space may
#: be one (``_glued``, ``_least_space``): tightly justified text whose word spaces
#: pdfium did not see ("FederalTort", "court's final").
WORD_GAP = 0.1
#: ...if it is this share of the piece's narrowest space or more, and WORD_GAP wider
#: than the piece's glyphs are set apart as a rule (letter-spaced text is no space).
SPACE_SHARE = 0.6
#: A glyph under this share of the piece's size may be a super- or subscript.
SCRIPT = 0.85
#: Glyphs this far back (in font sizes) from the previous one start a new piece.
BACK = 0.5
#: A glyph whose baseline is this far off the piece's (in font sizes) is on its baseline.
MAIN = 0.2
#: A Latin letter of the piece's size and of a text font, this far off, is still on it:
#: the E that TeX's logos lower by half an x-height ("LaTeX", 0.22 em).
LOWERED = 0.25


def _lowered(char: Char, shift: float, held: float, size: float, math: frozenset[int]) -> bool:
    """Is ``char`` a Latin letter of the piece's size set a little off its baseline
    (``LOWERED``)? Not in a math font, where such shifts build fractions and limits."""
    return (
        abs(shift) <= LOWERED * min(held, size)
        and abs(held - size) <= 0.05 * held
        and char.text.isascii()
        and char.text.isalpha()
        and char.style not in math
    )


_STYLE = attrgetter("style")


def _frame(direction: int, x: float, y: float) -> tuple[float, float]:
    """A displayed point in the frame where text of ``direction`` runs left to right."""
    if direction == RIGHT:
        return x, y
    if direction == UP:
        return -y, x
    if direction == LEFT:
        return -x, -y
    return y, -x  # DOWN


class _Piece:
    __slots__ = ("base", "chars", "direction", "lx0", "scripts", "size", "x1")

    def __init__(self, char: Char, fx0: float, fx1: float, base: float, size: float):
        self.chars = [char]
        self.base = base
        self.size = size
        self.lx0 = fx0  # the last glyph's left edge, in the frame
        self.x1 = fx1
        self.direction = char.direction
        self.scripts: list[bool] = [False]


def _size(char: Char) -> float:
    if char.size > 0.5:
        return char.size
    if char.direction in (RIGHT, LEFT):
        return max(abs(char.y1 - char.y0), 1.0)
    return max(abs(char.x1 - char.x0), 1.0)


def _span(char: Char) -> tuple[float, float, float]:
    """(left, right, baseline) of a glyph in the frame of its direction."""
    if char.direction == RIGHT:
        return char.x0, char.x1, char.oy
    a = _frame(char.direction, char.x0, char.y0)[0]
    b = _frame(char.direction, char.x1, char.y1)[0]
    return min(a, b), max(a, b), _frame(char.direction, char.ox, char.oy)[1]


def pieces(read: CharRead) -> list[Line]:
    """The page's pieces in drawing order (see module docstring).

    Where a piece is drawn again over an earlier one, the page may carry a second copy of
    its text cut into other pieces ("M", "15", "ay" over "May 15": a report whose
    producer wrote its text twice), so the characters drawn again over others are
    dropped one by one too (``_twins``) and the pieces cut again.
    """
    cut = _cut(read, read.chars)
    lines = [line for _, line in cut if line.text]
    kept = _without_overprints(lines)
    if len(kept) < len(lines):
        twins = _twins([piece.chars for piece, _ in cut])
        if twins:
            chars = [c for c in read.chars if id(c) not in twins]
            return _without_overprints([line for _, line in _cut(read, chars) if line.text])
    return kept


#: ``_twins`` finds a character's twin within this many points (and a tenth of its size).
TWIN = 2.0


def _twins(pieces: list[list[Char]]) -> set[int]:
    """The ``id`` of each character drawn over another of the same text and size, its box's
    corner within a tenth of the size (``TWIN`` points at most). Of two copies cut into
    pieces differently, the one in longer pieces is kept: the whole line, not the half of
    its letters another copy drew apart from the rest. Two letters of one ligature share
    a box one after the other in a piece ("ff" of one glyph): both are kept."""
    seen = Twins(TWIN)
    twins: set[int] = set()
    for chars in sorted(pieces, key=len, reverse=True):
        last: Char | None = None  # the character before in the piece, kept or not
        for char in chars:
            tol = min(0.1 * char.size, TWIN)
            twin = seen.find(char.text, char.x0, char.y0, char.size, tol, tol)
            drawn_again = twin is not None and not (
                twin is last and twin.x0 == char.x0 and twin.x1 == char.x1
            )
            last = char
            if drawn_again:
                twins.add(id(char))
                continue
            seen.add(char.text, char.x0, char.y0, char.size, char)
    return twins


def _cut(read: CharRead, chars: list[Char]) -> list[tuple[_Piece, Line]]:
    """``chars`` (the page's, or some of them) → pieces and their lines, in drawing order."""
    out: list[_Piece] = []
    cur: _Piece | None = None
    pending: tuple[Char, float] | None = None  # an accent drawn before its letter
    math = frozenset(i for i, style in enumerate(read.styles) if style.math)
    for char in chars:
        if char.direction == RIGHT:  # _span, inline for the common case
            fx0, fx1, base = char.x0, char.x1, char.oy
        else:
            fx0, fx1, base = _span(char)
        if char.text in ACCENTS:
            if cur is None or not _attach(cur.chars[-4:], char, (fx0 + fx1) / 2):
                pending = (char, (fx0 + fx1) / 2)  # no letter under it yet: TeX draws it first
            continue
        if pending is not None:
            if not (fx0 <= pending[1] <= fx1 and _attach([char], pending[0], pending[1])):
                cur = _add(out, cur, pending[0], *_span(pending[0]), math)
            pending = None
        elif cur is not None and cur.direction == char.direction:
            # ``_add``'s common case written out (a main-line glyph after another one):
            # the same tests as ``_join`` in the same order, without two calls a glyph.
            size = char.size if char.size > 0.5 else _size(char)
            held = cur.size
            if (
                cur.chars[-1].text != char.text
                and fx0 - cur.x1 <= GAP * (held if held > size else size)
                and fx0 >= cur.lx0 - BACK * (held if held > size else size)
                and (
                    abs(base - cur.base) <= MAIN * (held if held < size else size)
                    or _lowered(char, base - cur.base, held, size, math)
                )
            ):
                cur.chars.append(char)
                cur.scripts.append(False)
                if fx1 > cur.x1:
                    cur.x1 = fx1
                cur.lx0 = fx0
                continue
        cur = _add(out, cur, char, fx0, fx1, base, math)
    if pending is not None:
        _add(out, cur, pending[0], *_span(pending[0]), math)
    return [(p, _line(p, read, math)) for p in out]


#: A bullet drawn as a picture is at most this many line heights tall and wide, and
#: stands at most ``BULLET_REACH`` line heights left of its line.
BULLET_SIZE = 1.5
BULLET_REACH = 3.0
BULLET = "•"


def picture_bullets(lines: list[Line], marks: list[tuple[float, float, float, float]]) -> None:
    """Lines that a small picture stands just left of, on their row, start with a bullet
    ("• Bullet 1"): a Word document draws its list's bullets as 2×2-pixel images, and
    the text layer holds only the items' words, which ran together into one paragraph.
    Two such lines or more, their marks in one column (a list), else none."""
    found: list[tuple[Line, tuple[float, float, float, float]]] = []
    by_middle = sorted(lines, key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2)
    middles = [(ln.bbox[1] + ln.bbox[3]) / 2 for ln in by_middle]
    for mark in marks:
        mx0, my0, mx1, my1 = mark
        for line in by_middle[bisect.bisect_left(middles, my0) : bisect.bisect_right(middles, my1)]:
            x0, y0, _, y1 = line.bbox
            h = y1 - y0
            if not (
                0 < mx1 - mx0 <= BULLET_SIZE * h
                and 0 < my1 - my0 <= BULLET_SIZE * h
                and 0 <= x0 - mx1 <= BULLET_REACH * h
            ):
                continue
            if not line.text.startswith(BULLET):
                found.append((line, mark))
            break
    lefts = [mark[0] for _, mark in found]
    for line, mark in found:
        if sum(abs(x - mark[0]) <= 1.0 for x in lefts) < 2:
            continue
        line.text = f"{BULLET} {line.text}"
        line.words = [Word(*mark, BULLET), *line.words]
        line.bbox = (mark[0], line.bbox[1], line.bbox[2], line.bbox[3])


def slanted_lines(read: CharRead) -> list[Line]:
    """The text objects set askew (``pdfchars.SLANT``), a line each in drawing order: a
    diagonal watermark reads "COPY" once, instead of its letters joining the lines they
    cross ("... or Y", "1 O $")."""
    out: list[Line] = []
    for _, run in itertools.groupby(read.slanted, key=itemgetter(0)):
        chars = [char for _, char in run]
        text = "".join((" " if c.space and k else "") + c.text for k, c in enumerate(chars))
        if text.strip():
            box = union([(c.x0, c.y0, c.x1, c.y1) for c in chars])
            out.append(Line(text.strip(), (round(box[0], 2), round(box[1], 2),
                                           round(box[2], 2), round(box[3], 2))))  # fmt: skip
    return out


def _add(
    out: list[_Piece],
    cur: _Piece | None,
    char: Char,
    fx0: float,
    fx1: float,
    base: float,
    math: frozenset[int] = frozenset(),
):
    """Put ``char`` on the current piece or start a new one; returns the current piece."""
    size = char.size if char.size > 0.5 else _size(char)
    if cur is not None and cur.direction == char.direction:
        joined = _join(cur, char, fx0, base, size, math)
        if joined is not None:
            if joined != "duplicate":
                cur.chars.append(char)
                cur.scripts.append(joined == "script")
                if fx1 > cur.x1:
                    cur.x1 = fx1
                cur.lx0 = fx0
            return cur
    cur = _Piece(char, fx0, fx1, base, size)
    out.append(cur)
    return cur


def _join(
    cur: _Piece, char: Char, fx0: float, base: float, size: float, math: frozenset[int]
) -> str | None:
    """How ``char`` joins ``cur``: "main", "script", "duplicate", or ``None`` (a new piece).

    ``pieces`` writes out the common "main" case of these same tests inline (a hot
    loop); a change here changes it there too.
    """
    scale = max(cur.size, size)
    last = cur.chars[-1]
    if last.text == char.text and abs(fx0 - cur.lx0) < 0.1 * scale and not last.hyphen:
        # The same glyph drawn again a little off (fake bold); the letters of a
        # ligature ("ff") share one box exactly and are kept.
        if abs(fx0 - cur.lx0) > 0.01 or abs(_span(char)[1] - _span(last)[1]) > 0.01:
            return "duplicate"
    # Glyphs of one ligature share a box, so "back" is measured from the last glyph's start.
    if fx0 - cur.x1 > GAP * scale or fx0 < cur.lx0 - BACK * scale:
        return None
    shift = base - cur.base  # > 0: lower on the page (in the frame)
    if abs(shift) <= MAIN * min(cur.size, size) or _lowered(char, shift, cur.size, size, math):
        return "main"
    if size <= SCRIPT * cur.size and -0.65 * cur.size <= shift <= 0.4 * cur.size:
        return "script"
    if cur.size <= SCRIPT * size and len(cur.chars) <= 3 and -0.4 * size <= shift <= 0.65 * size:
        # A leading superscript or footnote mark so far: re-base on this glyph.
        cur.scripts = [True] * len(cur.scripts)
        cur.base, cur.size = base, size
        return "main"
    return None


#: Spacing accents that TeX and others draw over a letter, and their combining forms.
ACCENTS = {
    "\u00b4": "\u0301", "\u02dd": "\u030b", "\u00a8": "\u0308", "\u02c6": "\u0302",
    "\u02dc": "\u0303", "\u00af": "\u0304", "\u02d8": "\u0306", "\u02d9": "\u0307",
    "\u02da": "\u030a", "\u02c7": "\u030c", "\u00b8": "\u0327", "\u02db": "\u0328",
    "\u0060": "\u0300",
}  # fmt: skip
_DOTLESS = {"\u0131": "i", "\u0237": "j"}


def _attach(letters: list[Char], accent: Char, centre: float) -> bool:
    """Compose ``accent`` with the letter under it among ``letters``; ``False`` when
    no letter is under it."""
    for letter in reversed(letters):
        left, right, _ = _span(letter)
        if not (left <= centre <= right and letter.text.isalpha() and len(letter.text) == 1):
            continue
        base = _DOTLESS.get(letter.text, letter.text)
        composed = unicodedata.normalize("NFC", base + ACCENTS[accent.text])
        # A letter with no composed form keeps the spacing accent right after it ("X˜").
        letter.text = composed if len(composed) == 1 else letter.text + accent.text
        return True
    return False


#: A script glyph whose baseline sits this many of the piece's sizes above the piece's
#: is raised (a footnote mark sits 0.3-0.45 em up; a subscript sits below).
RAISED = 0.15


def _raised(piece: _Piece) -> dict[int, str]:
    """The piece's raised figures (a footnote mark, an exponent in running text), each
    glyph's index → its superscript character: "reports²", "Oğuz¹", "10⁻³", "¹ This
    work was ...". A reader sees them apart from the word they follow; written inline
    as plain figures they read as part of it ("reports2", "period1").

    A run of script glyphs is written so only where every glyph of it is raised and
    each of its words is figures (``superscripts.RAISED_RUN``): a fraction set as a small raised
    numerator over a lowered denominator ("¹ 2" for ½), an index and its exponent, or
    a margin note set small beside the line ("Bem. 63") stay as they are; so does a
    numerator right before a slash ("1/2")."""
    chars, scripts = piece.chars, piece.scripts
    top = piece.base - RAISED * piece.size  # baselines above this are raised (y grows down)
    out: dict[int, str] = {}
    n = len(chars)
    i = 0
    while i < n:
        if not scripts[i]:
            i += 1
            continue
        j = i + 1
        while j < n and scripts[j]:
            j += 1
        run = chars[i:j]
        words = "".join((" " if c.space and k else "") + c.text for k, c in enumerate(run))
        after = chars[j] if j < n else None
        if (
            all(c.oy <= top for c in run)
            and superscripts.raised(words) is not None
            and not (after is not None and after.text in "/⁄")
        ):
            for k in range(i, j):
                out[k] = chars[k].text.translate(superscripts.SUPERSCRIPTS)
        i = j
    return out


def _line(piece: _Piece, read: CharRead, math: frozenset[int] = frozenset()) -> Line:
    chars = piece.chars
    main = chars
    if True in piece.scripts:
        main = [c for c, s in zip(chars, piece.scripts, strict=True) if not s] or chars
    styles = read.styles
    bolds = monos = 0
    for c in main:
        style = styles[c.style]
        if style.bold:
            bolds += 1
        if style.mono:
            monos += 1
    bold = bolds >= 0.9 * len(main)
    mono = monos >= 0.9 * len(main)
    words: list[Word] = []
    texts: list[str] = []
    parts: list[str] = []  # the current word's characters, and its box
    x0 = top = x1 = bottom = 0.0
    last = len(chars) - 1
    # Gaps a word space wide where the PDF has none (``_glued``); not in monospaced
    # text, whose glyphs sit in cells, nor where text runs another way.
    wide = WORD_GAP * piece.size if piece.direction == RIGHT and not mono else float("inf")
    least: float | None = None  # the least such gap that is a space, at the first one
    # Letter-spaced text ("V i n s  a u  V e r r e"): pdfium's spaces between its letters
    # are none, only those wider than the tracking (``_tracked``).
    tracked = 0.0
    if wide != float("inf") and len(chars) >= TRACKED_CHARS:
        spaces = sum(map(_SPACE, chars))
        if (
            spaces >= TRACKED_SPACES
            and 2 * spaces >= len(chars)
            and True not in piece.scripts
            and (not math or math.isdisjoint(map(_STYLE, chars)))
        ):  # (not in mathematics, where "R n" is R with its exponent)
            tracked = _tracked(chars, piece.size)
    raised = _raised(piece) if piece.direction == RIGHT and True in piece.scripts else None
    for i, char in enumerate(chars):
        if char.hyphen and i < last and not chars[i + 1].space:
            # pdfium's line-end mark inside a line: an unmapped glyph (a broken
            # "ffi" ligature), which the text layer drops as well.
            continue
        if parts and not char.space and char.x0 - x1 >= wide and _glued(piece, i):
            if least is None:
                least = _least_space(piece)
            if char.x0 - x1 >= least:
                text = "".join(parts)
                words.append(Word(x0, top, x1, bottom, text))
                texts.append(text)
                parts = []
        if (
            parts
            and i
            and char.space
            and not (mono and _touching(piece, i, mono))
            and not (tracked and char.x0 - x1 < tracked)
        ):
            text = "".join(parts)
            words.append(Word(x0, top, x1, bottom, text))
            texts.append(text)
            parts = []
        ch = char.text if raised is None else raised.get(i, char.text)
        if parts:
            parts.append(ch)
            if char.x0 < x0:
                x0 = char.x0
            if char.y0 < top:
                top = char.y0
            if char.x1 > x1:
                x1 = char.x1
            if char.y1 > bottom:
                bottom = char.y1
        else:
            parts = [ch]
            x0, top, x1, bottom = char.x0, char.y0, char.x1, char.y1
    if parts:
        text = "".join(parts)
        words.append(Word(x0, top, x1, bottom, text))
        texts.append(text)
    bbox = (
        round(min(w.x0 for w in words), 2),
        round(min(w.top for w in words), 2),
        round(max(w.x1 for w in words), 2),
        round(max(w.bottom for w in words), 2),
    )
    size = round(median([c.size if c.size > 0.5 else _size(c) for c in main]), 2)
    text = " ".join(texts)
    first = styles[chars[0].style].bold
    ends = (first, styles[chars[-1].style].bold)
    run_in = first and not bold and _run_in(chars, styles)
    line = Line(text, bbox, None, size, bold, mono, words, run_in=run_in, ends=ends)
    if piece.direction == RIGHT and (
        (math and (True in piece.scripts or not math.isdisjoint(map(_STYLE, chars))))
        or pdfmath.MATH_SYMBOL.search(text)
    ):
        line.latex, line.math = pdfmath.latex(chars, piece.base, piece.size, math, text)
    return line


#: No word space is read before these (closing punctuation) or after ``_OPENING``, nor
#: on either side of a dash or a sign (an unmapped minus drawn apart from its number).
_CLOSING = frozenset(".,;:!?)]}’”\"'…%-–—−+±")
_OPENING = frozenset("([{‘“\"'/$-–—−+±")


def _glued(piece: _Piece, i: int) -> bool:
    """May the gap before glyph ``i`` (word-space wide, no space in the PDF) be a word
    space? Not next to a super- or subscript (a footnote mark sits close to its word),
    before closing or after opening punctuation, nor between CJK characters, which
    take no spaces."""
    chars, scripts = piece.chars, piece.scripts
    before, after = chars[i - 1].text, chars[i].text
    if scripts[i] or scripts[i - 1] or not before or not after:
        return False
    if after[0] in _CLOSING or before[-1] in _OPENING:
        return False
    return not (CJK.match(before[-1]) or CJK.match(after[0]))


def _least_space(piece: _Piece) -> float:
    """The least gap between two glyphs of ``piece`` with no space between them that is a
    word space: ``WORD_GAP`` font sizes, ``SPACE_SHARE`` of the piece's narrowest space,
    and ``WORD_GAP`` more than the median gap of its glyphs, whichever is widest."""
    chars, size = piece.chars, piece.size
    spaced: list[float] = []
    tight: list[float] = []
    for a, b in itertools.pairwise(chars):
        (spaced if b.space else tight).append(b.x0 - a.x1)
    least = WORD_GAP * size
    if spaced:
        least = max(least, SPACE_SHARE * min(spaced))
    if tight:
        least = max(least, median(tight) + WORD_GAP * size)
    return least


#: A piece of this many glyphs or more, pdfium's spaces before half of them and before
#: ``TRACKED_SPACES`` or more, may be letter-spaced (``_tracked``).
TRACKED_CHARS = 6
TRACKED_SPACES = 3
#: Letter-spaced text sets its letters apart by this many font sizes or more, where
#: pdfium saw no space between them (a kerned pair: "Vi", "Ve").
TRACKING = 0.05
#: Where pdfium saw a space between every two letters, the tracking must be under this
#: many font sizes: narrower than any text font's word space (Calibri's is 0.226), so that
#: a row of one-letter words ("a b c d") is never run together.
MAX_TRACKING = 0.2
#: Word gaps in letter-spaced text are at least this many times the tracking.
TRACKED_WORD = 2.0
_SPACE = attrgetter("space")


def _tracked(chars: list[Char], size: float) -> float:
    """The gap under which pdfium's space between two letters is no word space, in a
    letter-spaced piece; 0.0 where the piece is not letter-spaced.

    Tracking sets every letter apart, and pdfium puts a space wherever the gap is wide
    enough: before most letters of the piece. Its gaps between letters then fall into
    two groups: the tracking, and word gaps ``TRACKED_WORD`` times as wide or more (the
    tracking, a space glyph and the tracking again). The narrow group is the tracking
    when it holds ``TRACKED_SPACES`` gaps or more and most of them, and the pairs pdfium
    left unspaced (kerned pairs) stand ``TRACKING`` font sizes apart or more, which
    ordinary text never does; where there are no such pairs, the tracking must be under
    ``MAX_TRACKING``. A piece with no word gap is one tracked word ("R E P O R T")."""
    tight: list[float] = []
    spaced: list[float] = []
    for a, b in itertools.pairwise(chars):
        if a.text.isalpha() and b.text.isalpha():
            (spaced if b.space else tight).append(b.x0 - a.x1)
    if len(spaced) < TRACKED_SPACES:
        return 0.0
    if tight and median(tight) < TRACKING * size:
        return 0.0
    spaced.sort()
    cut = len(spaced)  # the narrow group: spaced[:cut]
    for k in range(TRACKED_SPACES, len(spaced)):
        if spaced[k] >= TRACKED_WORD * max(spaced[k - 1], TRACKING * size):
            cut = k
            break
    narrow = spaced[cut - 1]
    if 2 * cut <= len(spaced) or narrow <= 0:
        return 0.0
    if not tight and narrow >= MAX_TRACKING * size:
        return 0.0
    if cut == len(spaced):
        return narrow * 1.5
    return (narrow + spaced[cut]) / 2


def _run_in(chars: list[Char], styles: list) -> bool:
    """Does the piece open with two or more bold words that end in "." or ":" (the full
    stop may be set in the text's weight), or one bold word of three letters or more
    with its colon ("DATES:", a form's or a rule's label), with more text after them?"""
    k = 0
    while k < len(chars) and styles[chars[k].style].bold:
        k += 1
    if k < 2 or k >= len(chars):
        return False
    if not any(c.space for c in chars[1:k]):
        return k >= 4 and chars[k - 1].text == ":" and all(c.text.isalpha() for c in chars[: k - 1])
    if chars[k - 1].text in ".:":
        return True
    return chars[k].text in ".:" and k + 1 < len(chars)


def _touching(piece: _Piece, i: int, mono: bool) -> bool:
    """Does glyph ``i`` touch the one before, so that the space pdfium put between them
    is none? Decided only where it is clear, in monospaced text, where a space is a
    whole advance wide ("console .log" → "console.log"). Elsewhere pdfium's spaces
    are kept, as ``get_text_range`` has them (a superscript after a space: "R 2").
    """
    if not mono:
        return False
    prev_left, prev_right, _ = _span(piece.chars[i - 1])
    return _span(piece.chars[i])[0] - prev_right < 0.3 * (prev_right - prev_left)


#: ``_without_overprints`` looks a piece up among earlier ones of the same text by where
#: they stand once its text has come ``_SCAN`` times (a table's "0" may come thousands of
#: times a page): in a grid whose cells (points a side) are the smallest of these no
#: smaller than the tolerance, so that a corner within it is in one of the nine cells
#: round its own. A grid is made when it is first asked for.
_SCAN = 8
_CELLS = tuple(2.0**k for k in range(-2, 11))


class _Placed:
    """The pieces kept so far of one text, and once there are many, where they stand."""

    __slots__ = ("grids", "lines")

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.grids: dict[float, dict[tuple[int, int], list[Line]]] = {}

    def near(self, box: tuple[float, float, float, float], tol: float) -> list[Line]:
        """The kept pieces whose top-left corner may be within ``tol`` of ``box``'s."""
        if len(self.lines) <= _SCAN or tol > _CELLS[-1]:
            return self.lines
        size = next(size for size in _CELLS if size >= tol)
        grid = self.grids.get(size)
        if grid is None:
            grid = self.grids[size] = {}
            for line in self.lines:
                _place(grid, size, line)
        cx, cy = int(box[0] // size), int(box[1] // size)
        return [
            s
            for x in (cx - 1, cx, cx + 1)
            for y in (cy - 1, cy, cy + 1)
            for s in grid.get((x, y), ())
        ]

    def add(self, line: Line) -> None:
        self.lines.append(line)
        for size, grid in self.grids.items():
            _place(grid, size, line)


def _place(grid: dict[tuple[int, int], list[Line]], size: float, line: Line) -> None:
    x, y = line.bbox[0], line.bbox[1]
    grid.setdefault((int(x // size), int(y // size)), []).append(line)


def _without_overprints(lines: list[Line]) -> list[Line]:
    """Drop a piece drawn again, with the same text, over an earlier one (fake bold, shadows)."""
    seen: dict[str, _Placed] = {}
    out: list[Line] = []
    for line in lines:
        tol = 0.15 * max(line.size, 1.0)
        box = line.bbox
        placed = seen.get(line.text)
        if placed is None:
            placed = seen[line.text] = _Placed()
        elif any(
            all(abs(a - b) <= tol for a, b in zip(s.bbox, box, strict=True))
            for s in placed.near(box, tol)
        ):
            continue
        placed.add(line)
        out.append(line)
    return out


def is_vertical(line: Line) -> bool:
    """A piece written up or down the page (its box is much taller than wide)."""
    x0, y0, x1, y1 = line.bbox
    return len(line.text) >= 3 and (y1 - y0) > 2.0 * max(x1 - x0, 0.1)


def turn(read: CharRead) -> int:
    """The clockwise turn (90, 180, 270) that sets most of the page's text upright, or 0.

    A page whose characters mostly run up (a table set sideways), down or upside
    down is read in the frame where they run left to right, as OCR reads a turned
    scan (``stages.ocr.orientation``).
    """
    counts = [0, 0, 0, 0]
    for char in read.chars:
        counts[char.direction] += 1
    best = max(range(4), key=lambda d: counts[d])
    if best == RIGHT or counts[best] <= 1.5 * counts[RIGHT]:
        return 0
    return {UP: 90, LEFT: 180}.get(best, 270)
