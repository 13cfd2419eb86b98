"""Text-layer stage: decide whether a PDF page's own text can be trusted, and read it.

A page's text layer is used only when it is *usable*:

- enough characters (``min_chars``);
- few replacement, private-use or control characters (broken font encodings);
- not mostly invisible text (render mode 3: a scanner's hidden OCR layer,
  often worse than our OCR, or text that is not shown at all);
- not a scan with a little text on top: when images cover most of the page
  and the text layer's lines cover little of it (a stamped header or a Bates
  number on a scanned page), the page is read by OCR, which sees both;
- not a page whose content is a picture of text: when images cover a third
  of the page or more and the text layer holds no more than a running head
  and a footer (``image_max_text_area``), OCR reads the picture too.

Input: a ``decode.PageView`` with its text-layer lines. Output: ``Line``
objects in page points, or a verdict with the reason the layer was rejected.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace

from docworker.decode import PageView
from docworker.geometry import Line

_log = logging.getLogger(__name__)


#: Signs and symbols that stand between the letters of a word only in a misread font.
_ODD_SIGNS = frozenset("|¦¤§¨©ª«¬®¯°±²³´µ¶·¸¹º»¼½¾¿×÷™†‡•‰")


#: Where an odd word (``_odd_word``) may be: a sign between letters, or a small Latin-1
#: letter before an accented capital.
_SUSPECT = re.compile(
    r"[^\W\d_][" + re.escape("".join(sorted(_ODD_SIGNS))) + r"][^\W\d_]|[a-zß-öø-ÿ][À-ÖØ-Þ]"
)


def _odd_word(word: str) -> bool:
    """A word of three letters or more with a sign between two of its letters
    ("W|ÑâàtwÉá") or a Latin-1 accented capital right after a small letter ("ÉÇÉÜtuÄx")."""
    if sum(ch.isalpha() for ch in word) < 3:
        return False
    for k in range(1, len(word) - 1):
        if word[k] in _ODD_SIGNS and word[k - 1].isalpha() and word[k + 1].isalpha():
            return True
    return any(a.islower() and "À" <= b <= "Þ" and b.isupper() for a, b in itertools.pairwise(word))


def garbled(text: str) -> bool:
    """Is this text-layer line a font's glyphs read through the wrong code map?

    A decorative font that places its glyphs at other code points reads as valid
    but meaningless Latin-1: "[ÉÇÉÜtuÄx VöÅtÜt wx W|ÑâàtwÉá wx Ät atv|™Ç" for
    "Honorable Cámara de Diputados de la Nación". Two words or more of three
    letters or more, at least half of them odd (``_odd_word``). On the corpus's
    22,695 text-layer pieces only that title is.
    """
    if not _SUSPECT.search(text):  # one regular-expression pass for most lines
        return False
    words = [w for w in text.split() if sum(ch.isalpha() for ch in w) >= 3]
    if len(words) < 2:
        return False
    odd = sum(_odd_word(w) for w in words)
    return odd >= 2 and 2 * odd >= len(words)


@dataclass(frozen=True)
class Verdict:
    usable: bool
    reason: str
    short: bool = False  # rejected only for having too few characters


def _is_garbage(ch: str) -> bool:
    if ch == "\ufffd":
        return True
    category = unicodedata.category(ch)
    return category in ("Co", "Cn", "Cc") and ch not in "\t\n"


def text_area(page: PageView) -> float:
    """Share of the page covered by text-layer line boxes (overlaps counted twice)."""
    if page.width <= 0 or page.height <= 0:
        return 0.0
    total = sum(
        max(0.0, line.bbox[2] - line.bbox[0]) * max(0.0, line.bbox[3] - line.bbox[1])
        for line in page.lines
    )
    return min(1.0, total / (page.width * page.height))


class TextLayerStage:
    """Reads and judges the PDF text layer."""

    name = "text_layer"

    def __init__(
        self,
        min_chars: int = 16,
        max_garbage_ratio: float = 0.1,
        max_invisible_ratio: float = 0.5,
        scan_image_coverage: float = 0.6,
        scan_max_text_area: float = 0.08,
        image_page_coverage: float = 0.3,
        image_max_text_area: float = 0.03,
    ):
        self.min_chars = min_chars
        self.max_garbage_ratio = max_garbage_ratio
        self.max_invisible_ratio = max_invisible_ratio
        self.scan_image_coverage = scan_image_coverage
        self.scan_max_text_area = scan_max_text_area
        self.image_page_coverage = image_page_coverage
        self.image_max_text_area = image_max_text_area

    def judge(self, page: PageView) -> Verdict:
        """Is the text layer good enough to skip OCR?"""
        counts = Counter("".join(line.text for line in page.lines))
        for ch in [ch for ch in counts if ch.isspace()]:
            del counts[ch]
        counts["\ufffd"] += page.unreadable  # controls and unmapped glyphs dropped by decode
        n_chars = sum(counts.values())
        if n_chars < self.min_chars:
            reason = f"text layer has {n_chars} characters (< {self.min_chars})"
            return Verdict(False, reason, short=n_chars > 0 and page.invisible_ratio <= 0.5)
        garbage = sum(n for ch, n in counts.items() if _is_garbage(ch)) / n_chars
        if garbage > self.max_garbage_ratio:
            return Verdict(False, f"text layer is {garbage:.0%} unreadable characters")
        if page.invisible_ratio > self.max_invisible_ratio:
            return Verdict(
                False, f"text layer is {page.invisible_ratio:.0%} invisible (hidden OCR)"
            )
        if page.image_coverage >= min(self.scan_image_coverage, self.image_page_coverage):
            area = text_area(page)
            scan = page.image_coverage >= self.scan_image_coverage
            if (scan and area < self.scan_max_text_area) or area < self.image_max_text_area:
                return Verdict(
                    False,
                    f"images cover {page.image_coverage:.0%} of the page, text only {area:.0%}"
                    " (a scan with a text overlay, or a picture of text)",
                )
        return Verdict(True, "text layer usable")

    def __call__(self, page: PageView) -> list[Line]:
        """The layer's line pieces (copies: later stages move their boxes)."""
        return [replace(line, confidence=None) for line in page.lines]
