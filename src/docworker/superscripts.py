"""Raised figures (a footnote mark, an exponent) as the superscript characters a reader sees.

A PDF's text layer (``decode.pdflines``) and a Word document's runs set in superscript
(``engines.office.docx``) give a footnote mark as plain figures, which read as part of the
word before them ("reports2"). Written as superscript characters ("reports²", "10⁻⁵"),
they stay apart from it in ``text``, ``blocks`` and ``markdown`` alike.

- ``RAISED_RUN``: the text such a run may hold: figures, a list of them ("1,2", "3–5"),
  or a signed exponent ("−3").
- ``SUPERSCRIPTS``: figures and minus → their superscript characters (``str.translate``);
  ``PLAIN``: back again (the minus to U+2212, TeX's and most math fonts' minus);
  ``FIGURES``: the superscript figures, for a regular expression's character class.
- ``raised(text)``: the superscript form of ``text`` where each of its words is such a
  run, else None (a raised letter, "2nd", has no superscript form here).
"""

from __future__ import annotations

import re

RAISED_RUN = re.compile(r"[−-]?[0-9]{1,4}(?:[,–][0-9]{1,4})*")
FIGURES = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SUPERSCRIPTS = str.maketrans("0123456789−-", FIGURES + "⁻⁻")
PLAIN = str.maketrans(FIGURES + "⁻", "0123456789−")


def raised(text: str) -> str | None:
    """``text`` in superscript characters, or None where it is not figures."""
    words = text.split()
    if not words or not all(RAISED_RUN.fullmatch(word) for word in words):
        return None
    return text.translate(SUPERSCRIPTS)
