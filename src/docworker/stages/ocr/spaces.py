"""Word spaces an OCR recognizer left out, put back where the words say so.

PP-OCR's recognizer reads a line as one string and sometimes drops the space
between two words even at confidence 0.98: "oflibraries", "Signature
andprinted name", "SETTLEMENTOF NEW-YORK", "settlingConnecticut", and after a
section's number "2Applications", "4.1Pre-processing". Tesseract reads the
same lines with their spaces.

- **Two words run together** (``split_word``), on an English page only
  (``english.prose`` of the page's words) and in a line of three words or more,
  mostly English (not an invoice's "Preis"): a token of ``MIN_LETTERS`` letters
  or more that wordfreq's English list does not hold at all (it holds "herewith"
  and "footswitch", rare as they are) splits where both parts are common English
  words (Zipf ``COMMON`` or more; a part of one or two letters only if it is one
  of ``SHORT_WORDS``), the split whose rarer part is commonest, once more in the
  rest ("andprintedname"); never after a prefix (``PREFIXES``: "subheads"), in
  capitals only beside a function word ("SETTLEMENTOF"), and never inside a name
  set in camel case ("DocBank"). A word broken at a
  line end stays whole: the part before the hyphen, and a line's first token
  that ends a word so broken ("surren-" + "der" is no "sur ren-"). Letters keep their case;
  a split inside a word must not break its case ("settlingConnecticut" splits
  before the capital, "SETTLEMENTOF" in capitals anywhere).
- **A section's number before its title** (``_NUMBER_TITLE``), on any page:
  "4.1Pre-processing" → "4.1 Pre-processing" (a number, then a capital and
  two lower-case letters or more ending the word; "3D", "10GB", "2FA" and a
  date, "01Aug2018", stay).

Word boxes split with their words, each part a share of the box by its letters.

Input: OCR ``Line`` objects (page units). Output: new lines where a space came back.
"""

from __future__ import annotations

import re
from dataclasses import replace

from docworker import english
from docworker.geometry import Line, Word
from docworker.stages.joining import BROKEN_END, JOINING_PREFIXES, bare, vocabulary

#: Tokens shorter than this are never split.
MIN_LETTERS = 5
#: Each part must be at least this common (Zipf).
COMMON = 3.5
_FUNCTION = frozenset(english.FUNCTION_WORDS)
#: The only parts of one or two letters a split may leave.
SHORT_WORDS = frozenset(
    "a i of in to on at by an is it as or be we he no so do up if my us am".split()
)

#: First parts that prefix a word rather than stand before one ("subheads", "preprint",
#: "nonzero"): never split off.
PREFIXES = JOINING_PREFIXES | frozenset(
    "non anti multi over under out co self semi micro macro mid post counter hyper meta"
    " cross bi tri mis".split()
)

_NUMBER_TITLE = re.compile(
    r"(?<![\w.])(\d{1,3}(?:\.\d{1,3})*\.?)(?=[A-Z][a-z]{2,}(?:[\s,.:;)-]|$))"
)
_LETTERS = re.compile(r"[^\W\d_]+")


def restore(lines: list[Line]) -> list[Line]:
    """``lines`` with the spaces their recognizer left out put back (module docstring)."""
    english_page = english.prose(vocabulary(line.text for line in lines))
    # The first parts of words broken at a line end ("surren-"): a line may start
    # with the rest ("gether", "sidered"), which is no two words.
    ends = [ln.text.split()[-1] for ln in lines if ln.text.split()]
    heads = {bare(end[:-1]) for end in ends if BROKEN_END.search(end)}
    out = []
    for line in lines:
        keep = _kept(line.text, heads) if english_page else frozenset()
        text = _restore_text(line.text, english_page and _english_line(line.text), keep)
        if text == line.text:
            out.append(line)
            continue
        words = [
            part
            for word in line.words
            for part in _split_box(word, english_page and word.text not in keep)
        ]
        out.append(replace(line, text=text, words=words))
    return out


def _kept(text: str, heads: set[str]) -> frozenset[str]:
    """Tokens of a line never split: its last one broken by a hyphen, and its first when
    it ends a word another line broke ("gether" after "to-")."""
    tokens = text.split()
    if not tokens:
        return frozenset()
    kept = {tokens[-1]} if tokens[-1].endswith("-") else set()
    first = bare(tokens[0])
    if any(english.zipf((head + first).lower()) >= COMMON for head in heads):
        kept.add(tokens[0])
    return frozenset(kept)


def _english_line(text: str) -> bool:
    """Is the line English running text: three words or more of two letters or more
    (a label alone, an invoice's "Preis", says nothing), at least half of them common
    English ones?"""
    words = [w for w in (bare(t).lower() for t in text.split()) if len(w) > 1 and w.isalpha()]
    if len(words) < 3:
        return False
    return 2 * sum(english.zipf(w) >= COMMON for w in words) >= len(words)


def _restore_text(text: str, english_text: bool, keep: frozenset[str] = frozenset()) -> str:
    text = _NUMBER_TITLE.sub(r"\1 ", text)
    if not english_text:
        return text
    return " ".join(
        token if token in keep else " ".join(_parts(token)) for token in text.split(" ")
    )


def _parts(token: str) -> list[str]:
    """``token`` as the words it runs together (itself when it is none)."""
    match = _LETTERS.fullmatch(bare(token))
    if match is None or len(match.group()) < MIN_LETTERS:
        return [token]
    core = match.group()
    split = split_word(core)
    if split is None:
        return [token]
    start = token.index(core)
    left, right = split
    head = token[:start] + left
    rest = right + token[start + len(core) :]
    return [head, *_parts(rest)]


def split_word(word: str) -> tuple[str, str] | None:
    """Two common English words that ``word`` (letters only) runs together, or None."""
    if english.zipf(word.lower()) > 0.0:
        return None  # a word English has, however rare ("herewith", "footswitch")
    capitals = word.isupper()
    best: tuple[float, int] | None = None
    for k in range(1, len(word)):
        left, right = word[:k], word[k:]
        if not _case_fits(left, right) or left.lower() in PREFIXES:
            continue
        if capitals and not {left.lower(), right.lower()} & _FUNCTION:
            continue  # "FOOTSWITCH" may be a name or a term; "SETTLEMENTOF" is not
        score = min(_common(left), _common(right))
        if score >= COMMON and (best is None or score > best[0]):
            best = (score, k)
    if best is None:
        return None
    return word[: best[1]], word[best[1] :]


def _common(part: str) -> float:
    lower = part.lower()
    if len(lower) <= 2 and lower not in SHORT_WORDS:
        return 0.0
    return english.zipf(lower)


def _case_fits(left: str, right: str) -> bool:
    """May a word end with ``left`` and the next start with ``right``: both in capitals,
    or ``right`` in lower case, or capitalised after a word in lower case ("settling" +
    "Connecticut"; not inside a name set in camel case, "DocBank", "PubLayNet")."""
    if left.isupper() and right.isupper():
        return len(left) > 1 or left in ("A", "I")
    if len(right) > 1 and not right[1:].islower():
        return False
    if right[0].isupper():
        return left.islower()
    return right[0].islower() and (left.islower() or left[1:].islower())


def _split_box(word: Word, english_page: bool) -> list[Word]:
    """``word`` as the words its text splits into, its box shared out by their letters."""
    parts = _restore_text(word.text, english_page).split()
    if len(parts) < 2:
        return [word]
    total = sum(len(p) for p in parts)
    out, x = [], word.x0
    for part in parts:
        x1 = x + (word.x1 - word.x0) * len(part) / total
        out.append(Word(x, word.top, x1, word.bottom, part))
        x = x1
    return out
