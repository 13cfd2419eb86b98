"""English words and how common they are, for the rules that must tell a word from two.

``zipf(word)`` is how common the word is in wordfreq's *large* English list
(321,180 words from Wikipedia, subtitles, news, books and the web) on the Zipf
scale: log10 of its occurrences per billion words, 1.0 for the rarest it holds,
about 7 for "the", 0.0 for a word it does not hold. The list is read on first
need in the process that needs it: about 0.3 s and 53 MB resident. Only the
English list is read.

``prose(words)`` says whether a page's vocabulary (``joining.vocabulary``) is
English running text: it holds ``PROSE_MIN`` or more of English's commonest
function words. A German or French page holds few of them ("in", "an", "de"),
a table or a form of numbers none, so the English list decides nothing there.

Input: lower-case words. Output: Zipf values and a yes or no.
"""

from __future__ import annotations

import math
from collections.abc import Container
from functools import cache

#: The commonest words of English running text, none of them a common word of
#: German, French, Spanish, Italian, Dutch or Portuguese.
FUNCTION_WORDS = (
    "the",
    "of",
    "and",
    "to",
    "is",
    "for",
    "that",
    "with",
    "are",
    "by",
    "this",
    "from",
    "which",
    "be",
    "or",
    "has",
)
#: How many of them a page's words hold to be read as English.
PROSE_MIN = 6


@cache
def _frequencies() -> dict[str, float]:
    import wordfreq

    return wordfreq.get_frequency_dict("en", wordlist="large")


def zipf(word: str) -> float:
    """How common ``word`` (lower case) is in English, on the Zipf scale; 0.0 if unknown."""
    share = _frequencies().get(word, 0.0)
    return math.log10(share) + 9.0 if share > 0.0 else 0.0


def prose(words: Container[str]) -> bool:
    """Are ``words`` (a page's vocabulary) English running text? (module docstring)"""
    return sum(1 for word in FUNCTION_WORDS if word in words) >= PROSE_MIN
