"""OCR text cleanup: characters a multilingual recognizer adds to a page in one script.

The bundled recognizer (PP-OCRv6) reads Chinese, Japanese and accented Latin as
well as English, and on a worn English page it sometimes reads a star as "水" or
adds an accent ("Freńch" beside "French"). ``strays`` removes both, only where
the page's own text says they do not belong:

- ``drop_stray_cjk``: a word that is one CJK character, with no CJK word beside
  it, on a page whose letters are at most ``STRAY_SHARE`` CJK;
- ``fold_stray_accents``: an accented word whose plain spelling the page also
  has, on a page whose letters are at most ``ACCENT_SHARE`` accented.

Input: OCR ``Line`` objects of one page. Output: new ``Line`` objects (text and
words changed, boxes kept); lines left empty are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from docworker.geometry import Line


def strays(lines: list[Line]) -> list[Line]:
    """``drop_stray_cjk`` then ``fold_stray_accents``."""
    return fold_stray_accents(drop_stray_cjk(lines))


#: A page with at most this share of accented letters among its letters reads a
#: language that seldom uses them.
ACCENT_SHARE = 0.005
_WORD = re.compile(r"[^\W\d_]+")


def _plain(word: str) -> str:
    """``word`` without its combining marks ("Freńch" → "French")."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_stray_accents(lines: list[Line]) -> list[Line]:
    """An accent the recognizer added to a word the page spells without it is dropped.

    The bundled recognizer reads accented Latin letters too, and on a worn English
    page it adds some ("Freńch Institute" beside "a French Community", "Yéars").
    Where accented letters are at most ``ACCENT_SHARE`` of the page's letters (200
    or more), a word with one whose plain spelling the page also has, without an
    accent, is written plain. Words the page has only with their accent stay
    ("José"), and pages in languages that use accents are left as they are.
    """
    text = " ".join(line.text for line in lines)
    letters = sum(ch.isalpha() for ch in text)
    accented = [w for w in _WORD.findall(text) if not w.isascii() and _plain(w) != w]
    if not accented or letters < 200:
        return lines
    marked = sum(1 for w in accented for ch in w if _plain(ch) != ch)
    if marked > ACCENT_SHARE * letters:
        return lines
    plain = {w.lower() for w in _WORD.findall(text) if _plain(w) == w}
    fold = {w: _plain(w) for w in accented if _plain(w).lower() in plain}
    if not fold:
        return lines
    alternatives = "|".join(sorted(map(re.escape, fold), key=len, reverse=True))
    pattern = re.compile(rf"(?<![^\W\d_])(?:{alternatives})(?![^\W\d_])")

    def folded(s: str) -> str:
        return pattern.sub(lambda m: fold[m.group()], s)

    out = []
    for line in lines:
        new = folded(line.text)
        if new == line.text:
            out.append(line)
            continue
        words = [replace(w, text=folded(w.text)) for w in line.words]
        out.append(replace(line, text=new, words=words))
    return out


#: Han, kana and Hangul letters (a multilingual recognizer's alphabet beyond Latin).
_CJK_LETTER = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
#: A page with at most this share of CJK letters among its letters is read in another script.
STRAY_SHARE = 0.01


def drop_stray_cjk(lines: list[Line]) -> list[Line]:
    """A lone CJK character on a page read in another script is dropped.

    The bundled recognizer reads Chinese as well as Latin, and on a Latin page it
    may read a star, a bullet or a smudge as a Han character ("Winner of 8 Academy
    Awards! 水 AUDREY HEPBURN"). Where CJK letters are at most ``STRAY_SHARE`` of
    the page's letters (200 or more), a word that is one CJK character and nothing
    else, with no CJK word beside it, is dropped, with a line it leaves empty; CJK
    words of two characters or more and their neighbours (a name, a caption) are
    kept.
    """
    found = sum(len(_CJK_LETTER.findall(line.text)) for line in lines)
    if not found:
        return lines
    letters = sum(ch.isalpha() for line in lines for ch in line.text)
    if letters < 200 or found > STRAY_SHARE * letters:
        return lines
    out = []
    for line in lines:
        tokens = line.text.split()
        stray = {t for k, t in enumerate(tokens) if _stray(tokens, k)}
        if not stray:
            out.append(line)
        elif kept := [t for k, t in enumerate(tokens) if not _stray(tokens, k)]:
            words = [w for w in line.words if w.text not in stray]
            out.append(replace(line, text=" ".join(kept), words=words))
    return out


def _stray(tokens: list[str], k: int) -> bool:
    """Is ``tokens[k]`` one CJK character with no CJK word either side of it?"""
    if len(tokens[k]) != 1 or not _CJK_LETTER.match(tokens[k]):
        return False
    beside = tokens[max(0, k - 1) : k] + tokens[k + 1 : k + 2]
    return not any(_CJK_LETTER.search(t) for t in beside)
