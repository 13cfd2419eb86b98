"""Ligatures a font maps to no text, mended from the words around them.

Some fonts give their f-ligature glyphs (fi, fl, ff, ffi, ffl) no Unicode
value. pdfium then reports U+FFFE, the mark it also uses for a hyphen it saw at
a line's end, and the word reads "di-culties" (or, with the hyphen dropped,
"diculties"). ``pdfchars`` tells the two apart by place and width: a mark
between two letters of one word, at least 0.4 em wide, is a ligature; under
0.7 em it stands for two letters (``TWO``: fi, fl, ff), from 0.7 em for three
(``THREE``: ffi, ffl).

``mend(lines)`` replaces each such placeholder with the ligature that makes the
word an English word: the most frequent of the candidates in wordfreq's English
list (``docworker.english``, read on first need; no other language's list is
read). A word the list does not know takes the most common ligature of its
width (fi, ffi).

Other fonts map their ligatures to ASCII punctuation ("di#erent", "de\"ne",
"Scienti!c", "$ip"). ``mend_punctuation(lines)`` replaces such a sign inside a
word ("!", '"', "#", "$", "%", "&" with a small letter after it and a letter
or the word's start before it) with the ligature that makes a word more
frequent in the English list than the word with the sign dropped ("file" over
"le"), and only on a page where three different words or more have such a sign
between two letters and three or more mend so: one such word alone is more
likely a real sign. There, a word the list does not know ("\"lename") takes
the ligature its sign stands for in the words that mended (a font maps each
ligature to one sign), unless the list knows it without the sign.

Input: a page's ``Line`` objects (``TWO``/``THREE`` placeholders, or signs).
Output: the same lines, mended in place.
"""

from __future__ import annotations

import re
from collections import Counter

from docworker import english
from docworker.geometry import Line

TWO = "\ue000"  # a ligature glyph about two letters wide
THREE = "\ue001"  # about three letters wide
_CANDIDATES = {TWO: ("fi", "fl", "ff"), THREE: ("ffi", "ffl")}
_WORD = re.compile(r"[^\W\d_\ue000\ue001]*[\ue000\ue001][^\W\d_\ue000\ue001]*")


def _choose(word: str) -> str:
    """``word`` with its one placeholder replaced (see module docstring)."""
    mark = TWO if TWO in word else THREE
    options = [word.replace(mark, fill) for fill in _CANDIDATES[mark]]
    best = max((english.zipf(option.lower()), option) for option in options)
    return best[1] if best[0] > 0 else options[0]


def mend_text(text: str) -> str:
    """``text`` with every placeholder replaced by its word's ligature."""
    if TWO not in text and THREE not in text:
        return text
    return _WORD.sub(lambda m: _mend_word(m.group(0)), text)


def _mend_word(word: str) -> str:
    while TWO in word or THREE in word:
        at = min(i for i in (word.find(TWO), word.find(THREE)) if i >= 0)
        head, tail = word[: at + 1], word[at + 1 :]
        # One placeholder at a time, the rest of the word as it stands.
        plain = tail.replace(TWO, "").replace(THREE, "")
        chosen = _choose(head + plain)
        word = chosen[: len(chosen) - len(plain)] + tail
    return word


def mend(lines: list[Line]) -> None:
    """Mend every placeholder in ``lines``' text and words (see module docstring)."""
    for line in lines:
        if TWO not in line.text and THREE not in line.text:
            continue
        line.text = mend_text(line.text)
        for word in line.words:
            word.text = mend_text(word.text)


_SIGNS = '!"#$%&'
#: A sign a font may put for a ligature, inside a word: letters (or the word's start)
#: before it, letters after it.
_SIGNED = re.compile(r"(?<![^\s(\[/-])([^\W\d_]*)([!\"#$%&])([^\W\d_A-Z][^\W\d_]*)")
#: Different words that must mend on a page before any is (``mend_punctuation``).
MIN_SIGNED_WORDS = 3
_FILLS = ("fi", "fl", "ff", "ffi", "ffl")


def _signed_fix(head: str, tail: str) -> str | None:
    """The ligature that makes ``head + ? + tail`` a word more frequent than the word with
    the sign dropped, or None."""
    best = max((english.zipf((head + fill + tail).lower()), fill) for fill in _FILLS)
    return best[1] if best[0] > english.zipf((head + tail).lower()) else None


def mend_punctuation(lines: list[Line]) -> None:
    """Mend ligatures a font set as punctuation (see module docstring), in place."""
    keys: set[tuple[str, str, str]] = set()
    for line in lines:
        if any(sign in line.text for sign in _SIGNS):
            keys.update(match.groups() for match in _SIGNED.finditer(line.text))
    # Cheap first: enough different words with a sign between two letters, or no
    # word list is opened (a quotation mark opens many a word).
    if len({head + tail for head, _, tail in keys if head}) < MIN_SIGNED_WORDS:
        return
    found = {key: _signed_fix(key[0], key[2]) or "" for key in keys}
    fixes = {key: fill for key, fill in found.items() if fill}
    if len({head + tail for head, _, tail in fixes}) < MIN_SIGNED_WORDS:
        return
    # The font maps each ligature to one sign: a word no list knows ("\"lename",
    # "over\"tting") takes what its sign stands for in the words that mended.
    votes: dict[str, Counter] = {}
    for (_, sign, _), fill in fixes.items():
        votes.setdefault(sign, Counter())[fill] += 1
    for key, fill in found.items():
        head, sign, tail = key
        if not fill and sign in votes and not english.zipf((head + tail).lower()):
            fixes[key] = votes[sign].most_common(1)[0][0]

    def swap(match: re.Match) -> str:
        fill = fixes.get(match.groups())
        return match.group(1) + fill + match.group(3) if fill else match.group(0)

    for line in lines:
        if any(sign in line.text for sign in _SIGNS):
            line.text = _SIGNED.sub(swap, line.text)
            for word in line.words:
                word.text = _SIGNED.sub(swap, word.text)
