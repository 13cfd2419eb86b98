"""Lines of a paragraph → one text: spaces between lines, hyphenated line ends joined.

A line that ends in a hyphen right after a letter, followed by a line that
starts with a lowercase letter, is a word broken at the line end
("concern-" + "ing" → "concerning"), unless the page says otherwise: the
hyphenated form appears elsewhere on the page, or either part does in
another compound ("market-" + "based" where the page also has
"nature-based"), or the first part is a prefix that keeps its hyphen in
English ("self-", "well-", "half-"). On an English page (``english.prose``)
the English word list also speaks (``english_compound``): the hyphen stays
when both parts are common words and the joined form is no word ("worst-" +
"case", "high-" + "dimensional"; not after a prefix that usually joins,
``JOINING_PREFIXES``: "pre-" + "trained"), when the next line goes on with the
rest of a compound ("state-" + "of-the-art", unless the parts join into a
common word: "inter-" + "national-level"). The joined form appearing on the
page wins over all of these. When the next line starts with anything else (a
capital, a digit: "Schwarz-" + "Weiß", "Lucene-" + "BM25", "2023-" + "0379")
the hyphen is kept and the parts are joined without a space (unless the page has
the joined word: "SciB-" + "ERT" where it says "SciBERT"); so is a hyphen after a
digit. A word in capitals broken the same way (a heading's "SO-" + "LUTION") joins
when the page has the whole word in any case, or it is a common English word. A
compound whose parts stand on both lines ("state-of-" + "the-art"), or whose first
part is an acronym ("GPT-" + "based"), keeps its hyphen on any page. A web address
broken after a slash joins without a space ("www.irs.gov/" + "advocate"). pdfium
marks the hyphens it sees at line ends (U+0002), but it marks real compounds too,
so the mark is not evidence either way. A dash ("—", "–") right after a letter or
digit at a line end also joins without a space ("content—" + "an", "737–" + "9"),
and so do lines of Chinese or Japanese, which set no space between words
("文字认" + "识的方法" → "文字认识的方法").

The same rule joins a word broken at a column or page break: the last
paragraph of a column and the first of the next (``join_broken``, used by
``markdown.items_markdown``), the last block of a page and the first of the
next (``join_pages``, for the document's markdown). A sentence broken off
there, the next part going on in lower case, is joined too (``runs_on``;
stricter within a page, where names or labels may stand before the text).

Inputs: line texts, and the page's ``vocabulary`` (words as printed,
hyphenated ones included). Output: one string.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable

from docworker import english
from docworker.geometry import CJK

#: First parts that keep their hyphen when a lowercase part follows on the next line.
KEEP_PREFIXES = frozenset({"self", "well", "half"})
#: First parts that are also English words but usually join the next part as a
#: prefix, even where the joined word is too new or rare for the English list
#: ("pre-" + "trained", "sub-" + "word", "re-" + "ranking").
JOINING_PREFIXES = frozenset({"de", "dis", "info", "inter", "pre", "re", "sub", "super", "un"})
#: Zipf values (``english.zipf``): a common first part, a common word.
COMMON_HEAD = 3.0
COMMON_WORD = 2.5

_EDGE = re.compile(r"^\W+|\W+$")
_WORD_HYPHEN = re.compile(r"(\w)-$")
_WORD_DASH = re.compile(r"\w[—–]$")
_COMPOUND = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")  # words joined by single hyphens


def bare(token: str) -> str:
    """``token`` without the punctuation at its edges ("(word)," → "word")."""
    return _EDGE.sub("", token)


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """The words of ``texts``, lower-cased, edge punctuation stripped, line-end hyphens left out.

    A hyphenated word also adds its parts marked as such: "nature-based"
    adds "nature-" and "-based".
    """
    words: set[str] = set()
    for text in texts:
        tokens = text.split()
        for i, token in enumerate(tokens):
            if i == len(tokens) - 1 and token.endswith("-"):
                continue
            word = bare(token).lower()
            if not word:
                continue
            words.add(word)
            if "-" in word:
                words.update((word.partition("-")[0] + "-", "-" + word.rpartition("-")[2]))
    return frozenset(words)


class PageVocabulary:
    """``vocabulary`` of a page's line texts, built the first time a word is looked up.

    Most pages never look one up (no line of theirs ends in a hyphen), and building it
    was a third of a prose page's assembly.
    """

    __slots__ = ("_texts", "_words")

    def __init__(self, texts: list[str]) -> None:
        self._texts = texts
        self._words: frozenset[str] | None = None

    def __contains__(self, word: object) -> bool:
        if self._words is None:
            self._words = vocabulary(self._texts)
        return word in self._words


def _first_word(text: str) -> str:
    return bare(text.split(maxsplit=1)[0]).lower() if text.strip() else ""


def _last_word(text: str) -> str:
    tokens = text.split()
    return bare(tokens[-1]).lower() if tokens else ""


def joins_word(left: str, right: str, words: Container[str] = frozenset()) -> bool:
    """``left`` ends "…xy-" and ``right`` starts "ab…": is the hyphen a line-end break?"""
    if not right[:1].islower():
        return _capitals_word(left, right, words)
    head = _last_word(left[:-1])
    tail = _first_word(right)
    if not head or not tail:
        return False
    if "-" in head and "-" in tail:
        return False  # a compound's parts on both lines: "state-of-" + "the-art"
    raw = bare(left[:-1].split()[-1]).rsplit("-", 1)[-1]
    if len(raw) >= 2 and raw.isalpha() and raw.isupper():
        return False  # an acronym's compound: "GPT-" + "based", "LSTM-" + "based"
    head = head.rsplit("-", 1)[-1]
    if f"{head}{tail}" in words:
        return True
    if f"{head}-{tail}" in words or f"{head}-" in words or f"-{tail}" in words:
        return False
    return head not in KEEP_PREFIXES and not english_compound(head, tail, words)


def _capitals_word(left: str, right: str, words: Container[str]) -> bool:
    """A word set in capitals broken at a line end ("EFFICIENT SO-" + "LUTION", a
    heading's): joined when the page has the whole word (in any case) or it is a
    common English one and neither part keeps its hyphen ("SELF-" + "EMPLOYED")."""
    tokens = left[:-1].split()
    if not tokens or not right.strip():
        return False
    head = bare(tokens[-1]).rsplit("-", 1)[-1]
    tail = bare(right.split(maxsplit=1)[0])
    if head.isalpha() and tail.isalpha() and (head + tail).lower() in words:
        return True  # the page has the word whole: "SciB-" + "ERT" is its "SciBERT"
    if not (head.isalpha() and head.isupper() and tail.isalpha() and tail.isupper()):
        return False
    head, tail = head.lower(), tail.lower()
    if f"{head}{tail}" in words:
        return True
    if f"{head}-{tail}" in words or head in KEEP_PREFIXES:
        return False
    return english.zipf(head + tail) >= COMMON_WORD


def english_compound(head: str, tail: str, words: Container[str]) -> bool:
    """On an English page (``english.prose(words)``), is ``head`` + "-" + ``tail`` (the
    last word of a line, which ends in a hyphen, and the first of the next) a compound
    that keeps its hyphen? (module docstring)"""
    first = tail.split("-", 1)[0]
    if not (head.isalpha() and first.isalpha()) or not english.prose(words):
        return False
    joined = english.zipf(head + first)
    if _COMPOUND.fullmatch(tail):  # "state-" + "of-the-art", unless a word joins:
        # "inter-" + "national-level"
        return joined < COMMON_WORD
    return (
        joined == 0.0
        and head not in JOINING_PREFIXES
        and english.zipf(head) >= COMMON_HEAD
        and english.zipf(first) >= COMMON_WORD
    )


def join_lines(texts: list[str], words: Container[str] = frozenset()) -> str:
    """The lines as one paragraph text (see the module docstring).

    Built as a list of space-separated parts, the tests looking only at the
    last part's end, so that a paragraph of thousands of lines (a table's
    cells read as one) costs linear time.
    """
    parts: list[str] = []
    for text in texts:
        text = text.strip()
        if not text:
            continue
        if not parts:
            parts.append(text)
            continue
        last = parts[-1]
        if (hyphen := _WORD_HYPHEN.search(last[-2:])) and text[:1].isalnum():
            broken = hyphen.group(1).isalpha() and joins_word(last, text, words)
            parts[-1] = last[:-1] + text if broken else last + text
        elif _WORD_DASH.search(last[-2:]) and text[:1].isalnum():
            parts[-1] = last + text
        elif CJK.match(last[-1]) and CJK.match(text[0]):
            parts[-1] = last + text  # Chinese and Japanese set no space between words
        elif last[-1] == "/" and text[:1].isalnum() and _URL_HEAD.search(last):
            parts[-1] = last + text  # an address broken after a slash: "www.irs.gov/" "advocate"
        else:
            parts.append(text)
    return " ".join(parts)


#: The last word of a line is a web address ending in a slash ("www.irs.gov/",
#: "https://example.org/docs/").
_URL_HEAD = re.compile(
    r"(?:^|\s)\(?(?:https?://|www\.)\S*/$|(?:^|\s)[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|int|mil|[a-z]{2})/\S*$"
)
#: A line that ends in a letter and a hyphen: a word broken there, perhaps.
BROKEN_END = re.compile(r"[^\W\d_]-$")


def join_broken(left: str, right: str, words: Container[str] = frozenset()) -> str | None:
    """``left`` + ``right`` as one text when a word is broken between them, else ``None``.

    For text split at a column or page break: ``left`` (the last paragraph of
    a column) ends in a letter and a hyphen and ``right`` (the first of the
    next) starts with a lowercase letter, so ``right`` continues ``left``.
    When ``joins_word`` takes the hyphen for a line-end break the word is
    joined ("concern-" + "ing the" → "concerning the"); a real compound keeps
    its hyphen ("self-" + "employed" → "self-employed", "market-" + "based"
    where the page also has "nature-based"). A capital after the break joins,
    the hyphen kept, only a capitalised first part, a compound of names
    ("Soekarno-" + "Hatta Airport" → "Soekarno-Hatta Airport"): after "sup-"
    a capital starts something else (a sidebar, a caption). Anything else
    after the break (a digit, a bracket) may start anything: no join.
    """
    left, right = left.rstrip(), right.lstrip()
    # Only the ends are looked at, so that a long run of joined paragraphs costs no
    # more a join than a short one.
    if not BROKEN_END.search(left, max(0, len(left) - 2)) or not right[:1].isalpha():
        return None
    if not right[:1].islower():
        return left + right if bare(left.rsplit(maxsplit=1)[-1])[:1].isupper() else None
    return (left[:-1] if joins_word(left, right, words) else left) + right


def _plain(block: str) -> bool:
    """A markdown block that is running text (not a heading, table, list, quote or code)."""
    return bool(block) and not re.match(r"(?:#|\||```|>|[-*+] |\d{1,9}[.)] )", block)


#: A paragraph cut by a page break mid-sentence ends in a letter or a comma...
_OPEN_END = re.compile(r"[^\W\d_],?$")
#: ... and is this many words long at least (not a stray label, a URL or a note).
MIN_RUN_ON_WORDS = 8


def runs_on(left: str, right: str, strict: bool = False) -> bool:
    """Does ``right`` go on with the sentence ``left`` breaks off (a page or column break
    between them): ``left`` is ``MIN_RUN_ON_WORDS`` words or more and ends in a letter or
    a comma, ``right`` starts in lower case.

    ``strict`` (a column break inside a page, where a list of names, an address or a
    figure's labels may stand before the text): the last word of ``left`` and the first
    of ``right`` are words in lower-case letters ("... the person identified" + "in the
    FOR FURTHER ...", not "... Kent Milligan" + "ibm.com/redbooks").
    """
    end = left.rstrip()
    # The last words only (the first part holds the rest): enough to count to the least.
    words = end.rsplit(maxsplit=MIN_RUN_ON_WORDS)
    if not (
        _OPEN_END.search(end, max(0, len(end) - 2))
        and right[:1].islower()
        and len(words) >= MIN_RUN_ON_WORDS
    ):
        return False
    if not strict:
        return True
    head = right.split(maxsplit=1)
    return len(head) == 2 and _lower_word(words[-1].rstrip(",")) and _lower_word(head[0])


def _lower_word(token: str) -> bool:
    """A word of letters only that starts in lower case ("identified", not "Milligan",
    "ibm.com/redbooks" or "airplane's"); a comma, colon or semicolon may follow it."""
    word = token.rstrip(",;:")
    return word.isalpha() and word[:1].islower()


def join_pages(parts: list[str]) -> str:
    """Pages' markdown joined by blank lines, a paragraph or a word broken over a page
    break joined.

    The last block of a page and the first of the next are joined when both
    are running text and ``join_broken`` says a word was broken between them
    (the words of the two pages tell a compound from a break), or when the
    last block, ``MIN_RUN_ON_WORDS`` or more words, ends mid-sentence in a
    letter or a comma and the next page goes on in lower case ("... by the due
    date for the first payment" + "period. Make your ..."). Up to ``MAX_FLOATS``
    figures, tables and captions that the next page sets before its text are read
    after the joined paragraph ("... Sur" + "FIG. 1 – ..." + "cette base, ...").
    """
    done: list[str] = []  # text no later page can join onto, in order
    out, prev = "", ""  # the text from the last page on, which the next may join
    for part in filter(None, parts):
        if not out:
            out = prev = part
            continue
        head, sep, last = out.rpartition("\n\n")
        blocks = part.split("\n\n")
        # Floats the page sets first (a figure, its caption, a table) are read after the
        # paragraph that the page break cut, when the text after them goes on with it.
        floats = 0
        while floats < min(MAX_FLOATS, len(blocks) - 1) and _float(blocks[floats]):
            floats += 1
        first, rest = blocks[floats], blocks[floats + 1 :]
        joined = None
        if _plain(last) and _plain(first):
            end = last.rstrip()
            if BROKEN_END.search(end, max(0, len(end) - 2)):  # its end only: see join_broken
                words = vocabulary(prev.splitlines() + part.splitlines())
                joined = join_broken(last, first, words)
            elif runs_on(end, first):
                joined = end + " " + first.lstrip()
        if joined is None:
            done.append(out)
            out = part
        else:
            if sep:
                done.append(head)
            out = "\n\n".join([joined, *blocks[:floats], *rest])
        prev = part
    return "\n\n".join([*done, out])


#: Floats at a page's top that the paragraph cut by the page break may be read past.
MAX_FLOATS = 3
_CAPTION = re.compile(
    r"(?:fig(?:ure)?|tab(?:le)?|abb(?:ildung)?|tableau|tabla|figura)\.?\s*\d", re.I
)


def _float(block: str) -> bool:
    """A figure (its image link), a table or a caption ("Figure 3:", "FIG. 1 –")."""
    return block.startswith(("![", "|", "<table")) or bool(_CAPTION.match(block))
