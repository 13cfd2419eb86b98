"""Ligatures a font maps to no text, mended from the words around them.

Some fonts give their f-ligature glyphs (fi, fl, ff, ffi, ffl) no Unicode
value. pdfium then reports U+FFFE, the mark it also uses for a hyphen it saw at
a line's end, and the word reads "di-culties" (or, with the hyphen dropped,
"diculties"). ``pdfchars`` tells the two apart by place and width: a mark
between two letters of one word, at least 0.4 em wide, is a ligature; under
0.7 em it stands for two letters (``TWO``: fi, fl, ff), from 0.7 em for three
(``THREE``: ffi, ffl).

``mend(lines)`` replaces each such placeholder with the ligature that makes the
word one of the language's words: the most frequent of the candidates in
pyspellchecker's English list, then in its other lists (German, Spanish,
French, Italian, Portuguese, Dutch), loaded on first need. A word none of
them knows takes the most common ligature of its width (fi, ffi).

Input: ``Line`` objects whose text and words may hold ``TWO``/``THREE``.
Output: the same lines, mended in place.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from docworker.geometry import Line

TWO = "\ue000"  # a ligature glyph about two letters wide
THREE = "\ue001"  # about three letters wide
_CANDIDATES = {TWO: ("fi", "fl", "ff"), THREE: ("ffi", "ffl")}
_LANGUAGES = ("en", "de", "es", "fr", "it", "pt", "nl")
_WORD = re.compile(r"[^\W\d_\ue000\ue001]*[\ue000\ue001][^\W\d_\ue000\ue001]*")


@cache
def _frequencies(language: str) -> Any:
    from spellchecker import SpellChecker

    return SpellChecker(language=language, case_sensitive=False).word_frequency


def _choose(word: str) -> str:
    """``word`` with its one placeholder replaced (see module docstring)."""
    mark = TWO if TWO in word else THREE
    options = [word.replace(mark, fill) for fill in _CANDIDATES[mark]]
    for language in _LANGUAGES:
        known = _frequencies(language)
        scored = [(known[option.lower()], option) for option in options]
        best = max(scored)
        if best[0] > 0:
            return best[1]
    return options[0]


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
