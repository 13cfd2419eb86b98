"""The Unicode bidirectional algorithm (UAX #9) as the text layer needs it.

Bidi classes, level resolution on a visual sequence, reordering, and the
checks that tell a right-to-left line or page (``has_rtl``, ``rtl_page``,
``line_is_rtl``). Used by ``decode.rtl`` (glyphs → logical lines), the
reading-order stage (right-to-left pages read their columns right to left)
and the table finder (``visual_line``, ``split_ligatures``).

Inputs: characters, bidi classes or texts. Outputs: levels, orders, texts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_RTL_CLASSES = frozenset({"R", "AL"})
_STRONG = frozenset({"L", "R", "AL"})
_NEUTRAL = frozenset({"B", "S", "WS", "ON", "BN"})
#: Explicit formatting characters and isolates; handled as neutrals (see module doc).
_EXPLICIT = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})


def bidi_class(ch: str) -> str:
    """The Unicode bidirectional class of one character ("ON" for unassigned)."""
    cls = unicodedata.bidirectional(ch)
    if not cls or cls in _EXPLICIT:
        return "ON"
    return cls


def is_rtl_char(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in _RTL_CLASSES


# Every code point of bidi class R or AL lies in these ranges (checked over all of
# Unicode by tests/test_bidi.py); a regex finds a candidate at C speed, so the check
# costs next to nothing on a left-to-right page.
_MAYBE_RTL = re.compile(
    "[\u200f\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def has_rtl(text: str) -> bool:
    """Does ``text`` hold any right-to-left letter?"""
    return any(
        unicodedata.bidirectional(m.group()) in _RTL_CLASSES for m in _MAYBE_RTL.finditer(text)
    )


_WORD = re.compile(r"\w+")


def _word_counts(texts: Iterable[str]) -> tuple[int, int]:
    """(words with right-to-left letters, words with only left-to-right letters)."""
    rtl = ltr = 0
    for text in texts:
        for word in _WORD.findall(text):
            classes = {unicodedata.bidirectional(ch) for ch in word}
            if classes & _RTL_CLASSES:
                rtl += 1
            elif "L" in classes:
                ltr += 1
    return rtl, ltr


def rtl_page(texts: Iterable[str]) -> bool:
    """Is right-to-left the page's dominant direction?

    Counted in words, not letters (Arabic words are short in letters: short
    vowels are not written): at least as many right-to-left words as
    left-to-right ones.
    """
    texts = list(texts)
    if not any(has_rtl(text) for text in texts):
        return False  # the common case, decided without looking at every word
    rtl, ltr = _word_counts(texts)
    return rtl > 0 and rtl >= ltr


# ----------------------------------------------------------- the algorithm


def resolve_levels(classes: list[str], rtl: bool, *, visual: bool = False) -> list[int]:
    """Embedding levels of a line (UAX #9 rules W1–W7, N1–N2, I1–I2, L1).

    ``classes`` are bidi classes (``bidi_class``), one per unit of the line;
    ``rtl`` is the base direction. No explicit embeddings (see module doc).

    ``visual``: the units are in visual order, to be put back in logical
    order. Rule W2 (digits after an Arabic letter are Arabic numbers) looks
    back in logical order, which visual order cannot tell, so it is skipped:
    both kinds of number get the same level, and a separator or terminator
    between digits stays with them. W7 still looks left: a Latin word then a
    number on the page ("Python 3") read as one left-to-right run.
    """
    n = len(classes)
    base = 1 if rtl else 0
    sos = "R" if rtl else "L"
    t = ["ON" if c in _EXPLICIT else c for c in classes]
    # W1: a combining mark takes the class of what precedes it.
    for i in range(n):
        if t[i] == "NSM":
            t[i] = t[i - 1] if i > 0 else sos
    # W2: European digits after Arabic letters are Arabic numbers. W3: AL → R.
    last = sos
    for i in range(n):
        if t[i] in _STRONG:
            last = t[i]
        elif t[i] == "EN" and last == "AL" and not visual:
            t[i] = "AN"
    t = ["R" if c == "AL" else c for c in t]
    # W4: one separator between two numbers of a kind joins them.
    for i in range(1, n - 1):
        if t[i] == "ES" and t[i - 1] == "EN" and t[i + 1] == "EN":
            t[i] = "EN"
        elif t[i] == "CS" and t[i - 1] == t[i + 1] and t[i - 1] in ("EN", "AN"):
            t[i] = t[i - 1]
    # W5: terminators (%, currency signs) next to European numbers are numbers.
    i = 0
    while i < n:
        if t[i] != "ET":
            i += 1
            continue
        j = i
        while j < n and t[j] == "ET":
            j += 1
        if (i > 0 and t[i - 1] == "EN") or (j < n and t[j] == "EN"):
            t[i:j] = ["EN"] * (j - i)
        i = j
    # W6: leftover separators and terminators are neutral.
    t = ["ON" if c in ("ES", "ET", "CS") else c for c in t]
    # W7: European numbers after left-to-right letters are left-to-right.
    last = sos
    for i in range(n):
        if t[i] in ("L", "R"):
            last = t[i]
        elif t[i] == "EN" and last == "L":
            t[i] = "L"
    # N1/N2: a run of neutrals between two strong sides of one direction takes
    # it (numbers count as right-to-left); otherwise the base direction.
    i = 0
    while i < n:
        if t[i] not in _NEUTRAL:
            i += 1
            continue
        j = i
        while j < n and t[j] in _NEUTRAL:
            j += 1
        before = t[i - 1] if i > 0 else sos
        after = t[j] if j < n else sos
        before = "R" if before in ("EN", "AN") else before
        after = "R" if after in ("EN", "AN") else after
        fill = before if before == after else sos
        t[i:j] = [fill] * (j - i)
        i = j
    # I1/I2: levels.
    levels = []
    for c in t:
        if base == 0:
            levels.append({"R": 1, "AN": 2, "EN": 2}.get(c, 0))
        else:
            levels.append(2 if c in ("L", "EN", "AN") else 1)
    # L1: trailing white space goes back to the base level.
    k = n
    while k > 0 and (classes[k - 1] in ("WS", "S", "B", "BN") or classes[k - 1] in _EXPLICIT):
        k -= 1
        levels[k] = base
    return levels


def reorder(levels: list[int]) -> list[int]:
    """UAX #9 rule L2: the order of positions after reversing runs, highest level first."""
    order = list(range(len(levels)))
    if not levels:
        return order
    odd = [lvl for lvl in levels if lvl % 2]
    if not odd:
        return order
    lowest_odd = min(odd)
    current = list(levels)
    for level in range(max(levels), lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if current[i] < level:
                i += 1
                continue
            j = i
            while j < len(order) and current[j] >= level:
                j += 1
            order[i:j] = order[i:j][::-1]
            current[i:j] = current[i:j][::-1]
            i = j
    return order


def line_is_rtl(classes: list[str], page_rtl: bool, words: tuple[int, int] | None = None) -> bool:
    """The base direction of a line from its units' bidi classes.

    Only right-to-left letters → right-to-left; only left-to-right ones →
    left-to-right; no letters → the page's direction. A line with both (a
    Latin name in Arabic text, an Arabic word quoted in English) follows a
    2:1 majority of its ``words`` (right-to-left, left-to-right), else the
    page's direction: which script a line starts with says little, as a
    wrapped line can start with the embedded one.
    """
    kinds = {"R" if c == "AL" else c for c in classes if c in _STRONG}
    if not kinds:
        return page_rtl
    if kinds == {"R"}:
        return True
    if kinds == {"L"}:
        return False
    if words is not None:
        rtl, ltr = words
        if rtl >= 2 * ltr:
            return True
        if ltr >= 2 * rtl:
            return False
    return page_rtl


#: Arabic's lam and the alefs it joins into the lam-alef ligature (plain, madda, hamza
#: above and below, wasla): that glyph's letters are lam then alef in logical order.
_LAM = "\u0644"
_ALEFS = frozenset("\u0627\u0622\u0623\u0625\u0671")


def glyph_letters(text: str) -> str:
    """The letters of one right-to-left glyph that maps to several characters, in the
    order pdfium reported them → logical order.

    pdfium hands a glyph's characters over in its font's order and then reverses them
    with the right-to-left run around them, or not, depending on the order the
    producer drew the run in: Word's lam-alef comes out alef first, Skia's (Chrome's
    printing) lam first, and both read "لا". The lam-alef ligature, by far the most
    common such glyph, is therefore put in the one order its letters can have; any
    other glyph is taken to be reversed, as pdfium gives Word's.
    """
    if len(text) == 2 and _LAM in text and (text[0] in _ALEFS or text[1] in _ALEFS):
        return _LAM + (text[1] if text[0] == _LAM else text[0])
    return text[::-1]


def split_ligatures(chars: list[dict]) -> list[dict]:
    """pdfplumber characters whose glyph maps to several right-to-left letters → one each.

    pdfminer gives such a glyph (the lam-alef ligature) its letters in logical
    order, inside text that is otherwise in visual order; they are split into
    equal slices of the glyph's width in visual order (first letter right),
    so the whole line reads in visual order. Returns ``chars`` itself when
    there is nothing to split.
    """
    if not any(len(c.get("text", "")) > 1 and has_rtl(c["text"]) for c in chars):
        return chars
    out: list[dict] = []
    for c in chars:
        text = c.get("text", "")
        if len(text) < 2 or not has_rtl(text):
            out.append(c)
            continue
        width = (c["x1"] - c["x0"]) / len(text)
        for k, ch in enumerate(reversed(text)):
            piece = dict(c)
            piece.update(text=ch, x0=c["x0"] + k * width, x1=c["x0"] + (k + 1) * width)
            if "width" in piece:
                piece["width"] = width
            out.append(piece)
    return out
