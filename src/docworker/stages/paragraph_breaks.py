"""Where a paragraph ends: does a line start a new one after the line before it?

``breaks(prev, line, para, typical, reach, body)`` is asked of each pair of
consecutive lines of one column (``reading_order.paragraphs``). A new paragraph
starts

- past the page's usual gap between lines, or beside the paragraph (no overlap);
- where the font size (15%), the pitch, or the weight changes, unless the lines
  are a title set larger than the body, or a bold run-in title that fills its
  line runs on into its text (``_wrapped``), or the smaller size is a label's in
  small capitals (``_small_label``); without sizes (OCR), at a short line twice
  the other's height (``_title_height``);
- at a table-of-contents entry, between two rows of figures only ("2019 120"
  over "2020 135": a table without rules or headers), a centred line over or under a block
  (``_inset``; not two lines of one display title, ``_title_lines``, nor a
  sentence running on into a centred last line, ``_runs_into``), a bullet
  (unless it separates the items of a run-on list, ``_separator``), a numbered
  item after a finished or short line, or after the item numbered before it, a
  form's lines numbered with no stop too (``next_item``);
- after a short line that ends a sentence, before a line that opens with a bold
  run-in title where the line before had room for half its first word
  (``_fits``), after a one-line sentence set well to the right (a caption, a
  date), after a short title over an indented first line (``_heading_over``),
  after a section head in capitals (``_caps_heading``), and at an indent after a
  finished sentence.

``list_marker`` tells a list item's start; ``same_row`` two pieces of one row;
``is_page_number`` a page number's text (``furniture`` and
``reading_order.paragraphs`` use it).

Input: ``geometry.Line`` objects (text, box, size, weight, pitch, words).
Output: booleans.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from docworker.geometry import BBox, Line
from docworker.superscripts import FIGURES, PLAIN

if TYPE_CHECKING:
    from docworker.stages.reading_order import Paragraph


def same_row(a: BBox, b: BBox, slack: float = 0.0) -> bool:
    """Do boxes ``a`` and ``b`` sit on one row, side by side (far-apart pieces of a line)?

    Side by side lets the boxes overlap by ``slack`` of the narrower one's width
    (half a unit at least). OCR boxes take 0.2: a display face's flourishes reach
    into the next word's box ("Chapter" and "II" in a scanned book's title). The
    text layer's take none: a formula's pieces overlap their neighbours' boxes.
    """
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    if overlap < 0.5 * min(a[3] - a[1], b[3] - b[1]):
        return False
    side = min(a[2], b[2]) - max(a[0], b[0])
    return side <= 0.5 or (slack > 0 and side <= slack * min(a[2] - a[0], b[2] - b[0]))


#: A title over an indented first line (``_heading_over``) has at most this many words.
MAX_TITLE_WORDS = 8


_BULLET = re.compile(
    r"^(?:[•◦▪▫‣⁃●○■□►▶➢➤✓✔❖∙·\uf0a7\uf0b7\uf076\uf0d8\uf0fc\uf06e\uf0a8]|[-–—*])\s"
)
_ENUMERATOR = re.compile(
    r"^(?:\(?\d{1,3}[.)]|\(?[a-z][.)]|\(?[ivx]{1,5}[.)]|\([a-zA-Z0-9]{1,3}\))\s"
)
#: A subsection's number and title ("1.1 Cluster computing", "2.3.1. Data").
_SUBSECTION = re.compile(r"^\d{1,2}(?:\.\d{1,2}){1,4}\.?\s+[A-Z]")
#: A reference's label in a bibliography ("[Joh15a]", "[KMN+02]", "[12]").
REFERENCE_LABEL = re.compile(r"\[[^\]\s]{1,12}\]")
LEADER = re.compile(r"(?:\.\s?){4,}\s*(?:\d{1,4}|[ivxlc]{1,6})\s*$|…{2,}\s*\d{1,4}\s*$")
#: A line's end that closes its sentence.
SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")
#: A table row's end: two figures or more (or a dash for an empty cell), after its label
#: or alone ("SegLink [26] 70.0 86.0 77.0 8.9", "PixelLink [4] 73.2 83.0 77.8 -", "2019
#: 120", "1,204.5 -3.2 12%"); a figure here ends in a digit or "%", so a list in a
#: sentence ("0.5, 0.7, 0.9") is none.
_FIGURE = r"(?:[-+−]?[$€£]?\d(?:[\d.,]*\d)?%?|[-–—])"
_RANGE = re.compile(r"(?<=\d)\s+[-–—]\s+(?=\d)")


def row_end(text: str) -> bool:
    """Does ``text`` end as a table's row does, in two figures or more (``_FIGURE``)?
    A range ("2003 - 2012") is one figure, not two and a dash; a code of up to three
    capitals after the figures ("100,775.12 EX", "50.00 CR") is the row's last cell."""
    text = text.rstrip()
    if text and text[-1].isupper():
        head, _, code = text.rpartition(" ")
        if len(code) <= 3 and code.isupper() and code.isalpha():
            text = head.rstrip()
    if not text or text[-1] not in _FIGURE_ENDS:
        return False  # most lines, at the cost of one look
    tail = _RANGE.sub("-", " ".join(text.rsplit(None, 3)[-4:])).split()[-2:]
    return len(tail) == 2 and all(_ONE_FIGURE.fullmatch(t) for t in tail)


_FIGURE_ENDS = frozenset("0123456789%-–—")
_ONE_FIGURE = re.compile(_FIGURE)


_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p[aá]g(?:ina)?\.?|seite|p\.)\s*)?[-–—]?\s*(?:\d{1,3}[-–.]\d{1,4}|\d{1,5}|[ivxlcdm]{1,7})\s*[-–—]?"
    r"(?:\s*(?:of|de|/|von)\s*\d{1,4})?$",
    re.IGNORECASE,
)


_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
#: "Page Four", "Page Twenty-One": a newspaper's or a report's page in words.
_PAGE_IN_WORDS = re.compile(
    rf"^page\s+(?:(?:{_TENS})(?:[-\s](?:{_UNITS}))?|{_UNITS}|ten|eleven|twelve|"
    r"(?:thir|four|fif|six|seven|eigh|nine)teen)$",
    re.IGNORECASE,
)


def is_page_number(text: str) -> bool:
    """ "12", "- 4 -", "iv", "Page 3 of 10", "Página 2", "Page Four", "47698" (a gazette's)."""
    text = text.strip()
    return bool(_PAGE_NUMBER.match(text) or _PAGE_IN_WORDS.match(text))


def list_marker(text: str) -> str | None:
    """``"bullet"``, ``"number"`` or ``None``: how a list item's text starts."""
    if _BULLET.match(text):
        return "bullet"
    if _ENUMERATOR.match(text):
        return "number"
    return None


def breaks(
    prev: Line,
    line: Line,
    para: Paragraph,
    typical: float,
    reach: float,
    body: float,
    rows: tuple[str, str] | None = None,
) -> bool:
    """Does ``line`` start a new paragraph after ``prev`` (the last line of ``para``)?

    ``para.extent`` holds the paragraph's left and right edges so far. ``rows``: the
    texts of the whole rows that end with ``prev`` and start with ``line``, where a row
    is far-apart pieces (a statement's date and label, then its figures far right);
    ``None`` when each is a row of its own. Two such rows of an OCR'd page one under
    the other are two paragraphs (no line of prose is far-apart pieces; a text layer's
    tables of that kind are the stream finder's).
    """
    small, large = sorted((prev.size, line.size))
    if same_row(prev.bbox, line.bbox):
        # Far-apart pieces of one row (``join_rows``), unless one is set at half again
        # the other's size and both are words: a gazette's title beside its masthead
        # (not a mark or a figure's label beside a word).
        return small > 0 and large > 1.5 * small and _wordy(prev.text) and _wordy(line.text)
    gap = line.bbox[1] - prev.bbox[3]
    overlap = min(para.extent[1], line.bbox[2]) - max(para.extent[0], line.bbox[0])
    if prev.mono and line.mono:  # a listing's "/*" or "{" over its indented next line
        overlap += 2 * max(line.size, prev.size, typical)
    scale = max(1.0, min(prev.bbox[3] - prev.bbox[1], line.bbox[3] - line.bbox[1]) / typical)
    if overlap <= 0 or not -0.5 * typical <= gap <= reach * scale:
        return True
    if small > 0 and large > 1.15 * small and not _small_label(prev, line):
        return True
    if small == 0 and _title_height(prev, line):
        return True
    if prev.mono != line.mono and not (
        _reference(para.lines[0].text) and _hangs(para, line, max(line.size, prev.size) or typical)
    ):
        return True  # (not a reference's address in a monospaced font at its hanging indent)
    if prev.bold and line.bold and _SUBSECTION.match(line.text):
        return True  # "1. INTRODUCTION" over "1.1 Cluster computing": two headings
    left, right = para.extent
    right = max(right, line.bbox[2])
    em = max(line.size, prev.size) or typical
    if (
        prev.bold != line.bold
        and not (body and min(prev.size, line.size) > 1.1 * body)
        and not _wrapped(prev, line, right, em)
    ):
        return True  # (lines of one title set larger than the body may mix weights)
    if LEADER.search(prev.text) or LEADER.search(line.text):
        return True  # a table of contents: one entry a line
    if rows and rows[0] != prev.text and rows[1] != line.text and prev.confidence is not None:
        return True  # two OCR'd rows of far-apart pieces: a table's rows no finder took
    if row_end(rows[0] if rows else prev.text) and row_end(rows[1] if rows else line.text):
        return True  # rows of figures, with or without a label (a table no finder took)
    if prev.mono and line.mono:
        return False  # code and typewritten lines: indentation is no paragraph mark
    if (
        (_inset(prev, line, 1.5 * em) or _inset(line, prev, 1.5 * em))
        and not _title_lines(prev, line, typical, body)
        and not _runs_into(prev, line)
        and not _hangs(para, line, em)
    ):
        # A centred title or running head over (under) a block of text; not a sentence
        # running on into a centred last line ("... and ordered to be" / "printed.").
        return True
    marker = list_marker(line.text)
    ends = bool(SENTENCE_END.search(prev.text))
    if ends and line.run_in and _fits(prev, line, right, share=0.5):
        return True  # "... 1040-SR." then "**Change of address.** If you change your"
    width = right - min(left, line.bbox[0])
    short = width > 0 and prev.bbox[2] < right - 0.2 * width
    if marker == "bullet" and not _separator(prev, line):
        return True
    if (marker == "number" and (ends or short)) or next_item(para.lines[0].text, line.text):
        return True
    if FOOTNOTE_START.match(line.text) and (
        ends or short or FOOTNOTE_START.match(para.lines[0].text)
    ):
        # The next footnote, after its raised mark ("⁹Lucene implementation."), also
        # after one that ends in a web address the column's width.
        return True
    if (ends or short) and _reference(line.text) and _reference(para.lines[0].text):
        return True  # the next entry of a bibliography ("... Mar. 1998." / "[4] H. ...")
    if ends and short and line.text[:1].isupper():
        return True
    if (
        ends
        and len(para.lines) == 1
        and line.text[:1].isupper()
        and prev.bbox[0] > line.bbox[0] + 4 * em
    ):
        return True  # a caption or a date set to the right, then a line at the left edge
    if len(para.lines) == 1 and _heading_over(prev, line, em):
        return True
    if len(para.lines) == 1 and short and _caps_heading(prev.text) and not _caps_heading(line.text):
        return True  # "ABSTRACT" / "CCS CONCEPTS" over the text they head, in the text's size
    if ends and _reference(para.lines[0].text) and _hangs(para, line, em):
        return False  # a reference's next line at its hanging indent ("[Online]. ...")
    return ends and line.bbox[0] > left + 1.2 * em and len(para.lines) > 1


def _reference(text: str) -> bool:
    """Does ``text`` open with a reference's label ("[4] H. Casanova", "[KMN+02] T.")?"""
    label = REFERENCE_LABEL.match(text)
    return label is not None and text[label.end() : label.end() + 1] == " "


def _wordy(text: str) -> bool:
    """Four letters or more."""
    return sum(ch.isalpha() for ch in text) >= 4


def _small_label(prev: Line, line: Line) -> bool:
    """Is ``prev`` a line that opens with a bold label in capitals and its colon, set
    smaller than the text (the Federal Register's small capitals, "FOR FURTHER
    INFORMATION CONTACT: Ian"), and goes on in the text's weight, over a line of that
    text ("Won, Manager, ...")? The change of size is the label's, not a paragraph's."""
    if not (prev.ends == (True, False) and not line.ends[0] and 0 < prev.size < line.size):
        return False
    label, colon, rest = prev.text.partition(": ")
    return bool(colon and rest) and label.isupper() and len(label.split()) <= 5


def _runs_into(prev: Line, line: Line) -> bool:
    """Does a sentence or a list run on from ``prev`` into a centred last line (``line``)?

    ``prev`` ends no sentence, ``line`` opens in lower case or goes on with a list
    of names that ``prev`` began (two commas or more in ``prev``, one in ``line``, the
    same size within 5%: a paper's authors, "... Melissa Dell 3, Benjamin Charles Germain" over
    "Lee 4, Jacob Carlson 3, and Weining Li 5"), and neither holds mathematics (a
    display formula is centred under the sentence that leads into it).
    """
    listed = (
        prev.text.count(",") >= 2
        and "," in line.text
        and abs(prev.size - line.size) <= 0.05 * max(prev.size, line.size)
    )
    return (
        (line.text[:1].islower() or listed)
        and not SENTENCE_END.search(prev.text)
        and not line.math
        and not prev.math
        and line.latex is None
        and prev.latex is None
    )


def _caps_heading(text: str) -> bool:
    """A section head in capitals: one to four words of capital letters only (a hyphen
    allowed), four letters or more ("ABSTRACT", "CCS CONCEPTS"; not "U.S.", "I", a line
    of SQL or a sentence's end)."""
    words = text.split()
    return (
        1 <= len(words) <= 4
        and sum(len(w) for w in words) >= 4
        and all(w.replace("-", "").isalpha() and w.isupper() for w in words)
    )


def _title_lines(prev: Line, line: Line, typical: float, body: float) -> bool:
    """Are ``prev`` and ``line`` two lines of one display title (centred, one over the other)?

    Both set larger than the body, and alike: the same font size, or without
    sizes (OCR lines) heights within a fifth of each other and at least 1.4 times
    the page's usual line height ("DocLayNet: A Large Human-Annotated Dataset for"
    over "Document-Layout Analysis"); or both in capitals, the shorter one under
    (``_capitals_title``).
    """
    if _capitals_title(prev, line):
        return True
    if prev.size > 0 and line.size > 0:
        return body > 0 and prev.size == line.size and prev.size > 1.15 * body
    a, b = sorted((prev.bbox[3] - prev.bbox[1], line.bbox[3] - line.bbox[1]))
    return a >= 1.4 * typical and b <= 1.2 * a


def in_capitals(text: str, least: int = 2) -> bool:
    """Are all of ``text``'s letters capitals, ``least`` letters or more?"""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= least and all(c.isupper() for c in letters)


#: A caption's label before its title ("Table 6 :", "Figure 2.", "Exhibit A-1 –").
_CAPTION_LABEL = re.compile(
    r"^(?:Table|Figure|Fig\.|Chart|Exhibit|Annex|Appendix)\s+[\w.-]+\s*[:.\-–—]?\s+"
)


def _capitals_title(prev: Line, line: Line) -> bool:
    """Two lines of one title set in capitals at any size, centred one over the other:
    an IEEE paper's "III. GCSR: A STRATEGY FOR MULTI-MICROROBOT CONTROL" over "AND
    ASSEMBLY" (small capitals, smaller than the body), a regulation's "EXCLUDED
    VETERINARY ANABOLIC STEROID" over "IMPLANT PRODUCTS", a report's "Table 6 :
    DISTRIBUTION (%) OF HOUSEHOLDS BY ..." over "MALE HEAD OF THE HOUSEHOLD" (its
    caption's label set in lower case)."""
    first = _CAPTION_LABEL.sub("", prev.text, count=1)
    if prev.size != line.size or not (in_capitals(first) and in_capitals(line.text)):
        return False
    em = max(line.size, line.bbox[3] - line.bbox[1])
    centre = (prev.bbox[0] + prev.bbox[2]) / 2 - (line.bbox[0] + line.bbox[2]) / 2
    return abs(centre) <= em and line.bbox[2] - line.bbox[0] < prev.bbox[2] - prev.bbox[0]


#: An OCR line this many times another's height is a title over (under) it.
TITLE_HEIGHT = 1.75


def _title_height(prev: Line, line: Line) -> bool:
    """Without font sizes (OCR lines), is one of the two a title ``TITLE_HEIGHT`` times
    the other's height?

    A short line (``MAX_TITLE_WORDS`` or fewer) over or under one at most 1/1.75 as
    tall: "Chapter II" set in a display face over a book's first line, a newspaper's
    headline over its story (1.98 times its lines' height on a straightened scan).
    """
    for big, other in ((prev, line), (line, prev)):
        tall, low = big.bbox[3] - big.bbox[1], other.bbox[3] - other.bbox[1]
        if low > 0 and tall >= TITLE_HEIGHT * low and len(big.text.split()) <= MAX_TITLE_WORDS:
            return True
    return False


#: A line that opens with a raised mark (``docworker.superscripts``) and goes on in words:
#: a footnote's first line.
FOOTNOTE_START = re.compile(rf"^[{FIGURES}]{{1,3}}\s?(?:[^\W\d_]|[(“\"‘])")
#: An item's number and its stop ("1. ", "(2) "), or a number of one or two figures with
#: none before a capital, a figure or a quote (a form's "1 2012 DC Tax Liability").
_ITEM_NUMBER = re.compile(r"^(?:\(?(\d{1,3})([.)])\s|(\d{1,2})\s+(?=[A-Z0-9(“\"]))")


def next_item(first: str, text: str) -> bool:
    """Does ``text`` open the item numbered after the one ``first`` opens, with the same
    stop or none ("1. Filing Information" then "2. Filing Status", each ending short of
    the other's edge; a tax form's "1 2012 DC Tax Liability ... $" then "2 Multiply the
    amount on Line 1", one gap apart like a paragraph's lines)? A raised number counts as
    its figures ("¹ 2021 estimate" then "² 2020 estimate": a table's notes)."""
    a = _ITEM_NUMBER.match(first[:16].translate(PLAIN))
    b = _ITEM_NUMBER.match(text[:16].translate(PLAIN))
    if not (a and b):
        return False
    number_a, number_b = int(a.group(1) or a.group(3)), int(b.group(1) or b.group(3))
    return a.group(2) == b.group(2) and number_b == number_a + 1


#: Bullets that also separate the items of a run-on list inside a line.
_SEPARATORS = frozenset("·•∙▪")


def _separator(prev: Line, line: Line) -> bool:
    """Does ``line``'s bullet separate items of a list that runs on from ``prev``?

    "Keywords: Document Image Analysis · Deep Learning · Layout Analysis" over
    "· Character Recognition · Open Source library": the line before uses the same
    glyph between its own items and ends no sentence.
    """
    glyph = line.text[:1]
    return glyph in _SEPARATORS and f" {glyph} " in prev.text and not SENTENCE_END.search(prev.text)


def _fits(prev: Line, line: Line, right: float, share: float = 1.0) -> bool:
    """Would ``line``'s first word have fit after ``prev``, before the paragraph's right edge?

    Where it would, the line break was chosen (a paragraph ends there); where it
    would not, the text may simply have wrapped. ``share``: room for that part of
    the word is enough (a line that stops well short of a justified edge).
    """
    if not line.words:
        return True
    first = line.words[0]
    space = 0.3 * max(line.size, prev.size, first.bottom - first.top)
    return right - prev.bbox[2] >= share * (first.x1 - first.x0) + space


def _wrapped(prev: Line, line: Line, right: float, em: float) -> bool:
    """Did a long ``prev`` end only because ``line``'s first word would not fit after it?

    A bold run-in title that fills its line and goes on in the text's weight
    ("**U.S. tax ... now reported on Schedule 3, line 13z.** If you use" over "Form
    8689, ..."; in a narrow column "**FOR FURTHER INFORMATION CONTACT:** Ian" over
    "Won, Manager, ..."): no sentence ends there, the weight at the end of ``prev``
    is the weight ``line`` starts in (a bold title over body text changes weight at
    the break), ``prev`` is 20 em wide or fills nine tenths of its column (8 em at
    least), the line under it is not indented, and the room left on the line is
    narrower than that line's first word.
    """
    return (
        prev.ends[1] == line.ends[0]
        and prev.bbox[2] - prev.bbox[0] >= min(20 * em, max(8 * em, 0.9 * (right - prev.bbox[0])))
        and line.bbox[0] - prev.bbox[0] <= 0.5 * em
        and not SENTENCE_END.search(prev.text)
        and not _fits(prev, line, right)
    )


def _heading_over(head: Line, line: Line, em: float) -> bool:
    """Is ``head`` a run-in title over the indented first line of its text?

    A line of a few words that ends no sentence, stops well short of the
    line under it, which starts indented: "Editing" over "    To erase a
    wrong note, simply hold ERASE and press" (a scan's bold title, which
    OCR does not mark bold). Lines that show mathematics are left to the
    equation rules.
    """
    indent = line.bbox[0] - head.bbox[0]
    width = line.bbox[2] - line.bbox[0]
    return (
        0.4 * em <= indent <= 4.0 * em
        and head.bbox[2] < line.bbox[2] - 0.25 * width
        and len(head.text.split()) <= MAX_TITLE_WORDS
        and head.text[:1].isupper()
        and not SENTENCE_END.search(head.text)
        and not head.math
        and not line.math
    )


def _hangs(para: Paragraph, line: Line, em: float) -> bool:
    """Does ``line`` start where the text of ``para``'s list item starts, after its
    marker (a hanging indent): the item's next line, not a line centred under it
    ("● Determining root challenges:" / "organizational factors")? A reference's label
    is such a marker ("[Cop87] D. Cope, ... 1987." / "[Online]. Available: ...")."""
    first = para.lines[0]
    if len(first.words) < 2:
        return False
    if list_marker(first.text) is None and not REFERENCE_LABEL.fullmatch(first.words[0].text):
        return False
    return abs(first.words[1].x0 - line.bbox[0]) <= 0.5 * em


def _inset(a: Line, b: Line, margin: float) -> bool:
    """Is ``a`` centred over (under) ``b`` and narrower by ``margin`` on both sides?"""
    left, right = a.bbox[0] - b.bbox[0], b.bbox[2] - a.bbox[2]
    return (
        left > margin
        and right > margin
        and abs(left - right) <= max(2 * margin, 0.3 * max(left, right))
    )
