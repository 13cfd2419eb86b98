"""Which lines a fast first reading may keep, and which the small recognizer reads again.

The default RapidOCR stage reads every line with PP-OCRv6 *tiny* first (about a
sixth of the small recognizer's time) and sends to the small one only the lines
whose tiny reading is in doubt (``doubtful``). Tiny's confidence alone does not
single out its errors: it reads "significanty", "technlques", "Wlhen" at 0.97-0.99
(docs/BENCHMARKS.md, "OCR: a fast first reading, checked"). Most of its errors
make a word English does not have, or put punctuation where prose has none, so a
line is in doubt when

- it is empty (a drop cap's big letter, read as nothing), or its confidence is
  below ``SURE``;
- it holds a digit: tiny drops and adds spaces and marks among numbers at
  confidence 0.98-0.99 ("January 29, 201613:41", "327x150", "1.0-"), and a number
  misread is no word the dictionary can catch;
- a word of two letters or more is rare or unknown in English (Zipf below
  ``KNOWN``, wordfreq's English list, ``english.zipf``): a misread letter
  ("sclence"), two words run together ("oflibraries"), a word of another language
  (a French or German page is read again almost whole: slower, never worse), a
  name, a word broken at the line's end;
- a word less common than ``UNCOMMON`` is one letter away (dropped, added,
  changed or two swapped) from a word ``GAP`` or more commoner: "fron" (from),
  "tle" (the), "bis" (his), "wav" (way);
- two words are glued by a punctuation mark ("long;it", "Alas!for");
- it holds a mark prose seldom uses (not in ``MARKS``: "‡", "■", "→", "²");
- its punctuation is odd (``ODD``): two stops (not three), two quote marks
  together, a stop (not an ellipsis) before a lower-case word, a space before a
  mark, a slash beside a digit ("3/½");
- two spaces stand between words: a mark read as a space ("analysis;  Computing"
  for "analysis; • Computing").

``spans`` says where in a line the doubt lies and ``doubtful_tokens`` which of its
words it touches, so that a sure line's few doubtful words can be read again
without the rest (``reread``).

What slips through is a misreading that makes another English word ("lights" for
"flights", "waring" for "waving") or a quote mark or space lost or added beside a
mark ("first 'track", "‘chopping'").

Input: one line's text and the fast recognizer's score. Output: yes or no (and
where).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from docworker import english

#: Below this confidence the tiny reading is in doubt whatever its words.
SURE = 0.95
#: A word less common than this in English (Zipf) puts its line in doubt.
KNOWN = 2.0
#: A word less common than this is in doubt when a word one letter away is ``GAP``
#: commoner (Zipf: a hundred times as common).
UNCOMMON = 3.5
GAP = 2.0
#: Marks of running text; any other one puts its line in doubt.
MARKS = frozenset(" .,;:!?'\"()[]{}-–—/&%$@#*+=<>_•’‘“”…°§€£")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_DIGIT = re.compile(r"\d")
_GLUED = re.compile(r"[^\W\d_][;:!?,][^\W\d_]")
#: Punctuation prose does not have: "..", quote marks doubled, ". and", " ;", "3/4".
ODD = re.compile(r"(?<!\.)\.\.(?!\.)|['’‘\"“”`]['’‘\"“”`]|(?<!\.)\. [a-z]| [;:!?,.]|\d/|/\d")
_TOKEN = re.compile(r"\S+")
#: Two spaces or more between words: a mark the fast reading read as a space
#: ("analysis;  Computing" for "analysis; • Computing").
_SPACES = re.compile(r"(?<=\S)\s{2,}(?=\S)")


def doubtful(text: str, score: float) -> bool:
    """Should the small recognizer read this line again? (module docstring)

    Stops at the first doubt found: the word lookups, the dearest test, run only on a
    line that has no digit, odd mark or spacing."""
    return not text.strip() or score < SURE or next(_spans(text), None) is not None


def spans(text: str) -> list[tuple[int, int]]:
    """Where in ``text`` the doubt lies: ``(start, end)`` of each digit, odd or glued
    punctuation, unusual mark and doubtful word (the line's score aside)."""
    return sorted(_spans(text))


def _spans(text: str) -> Iterator[tuple[int, int]]:
    """``spans``, cheapest tests first, one at a time."""
    for pattern in (_DIGIT, _GLUED, ODD, _SPACES):
        for m in pattern.finditer(text):
            yield m.span()
    for i, c in enumerate(text):
        if not (c.isalpha() or c.isdecimal() or c in MARKS):  # digits: found above
            yield i, i + 1
    for m in _WORD.finditer(text):
        if _doubtful_word(m.group().lower().replace("’", "'")):
            yield m.span()


def doubtful_tokens(text: str) -> list[tuple[int, int, bool]]:
    """``text``'s tokens (runs of non-space characters) as ``(start, end, in doubt)``: a
    token is in doubt where a doubtful span (``spans``) lies in it or touches it."""
    where = spans(text)
    return [
        (m.start(), m.end(), any(a <= m.end() and b >= m.start() for a, b in where))
        for m in _TOKEN.finditer(text)
    ]


def _doubtful_word(word: str) -> bool:
    if len(word) < 2:
        return False
    common = english.zipf(word)
    if common < KNOWN:
        return True
    return common < UNCOMMON and word.isascii() and _near(word, common + GAP)


def _near(word: str, common: float) -> bool:
    """Is a word one letter away from ``word`` at least ``common`` (Zipf)?"""
    seen = {word}
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        variants = [head + c + tail for c in _ALPHABET]
        if tail:
            variants += [head + c + tail[1:] for c in _ALPHABET]
            variants.append(head + tail[1:])
            if len(tail) > 1:
                variants.append(head + tail[1] + tail[0] + tail[2:])
        for variant in variants:
            if variant not in seen:
                seen.add(variant)
                if english.zipf(variant) >= common:
                    return True
    return False
