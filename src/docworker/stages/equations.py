"""Display equations from the text layer: which paragraphs are one, and their LaTeX.

The PDF decoder gives every line piece that shows mathematics (characters in
a math font, a math symbol) a LaTeX reading, with super- and subscripts as
``^{}``/``_{}`` (``decode.pdfmath``); ``row_latex`` carries it over when the
pieces of a row are joined into a line. Here a whole paragraph is judged:

- it is a display equation (``is_equation``) when at least one of its
  characters is evidence of mathematics (``Line.math``), it has some
  structure (a relation or operator, a script, a big operator), at most a
  quarter of its characters are letters of text-font words (``\\text{...}``
  in the LaTeX, words of lines with no LaTeX reading; function names such as
  ``sin`` or ``log`` are not words), it does not start with a capitalised
  text word ("Sei x_P := ...": a sentence with inline mathematics), it holds at
  least three characters and at most ``MAX_LINES`` lines. A line of prose with
  a formula in it is mostly words, so it stays prose, and so does every
  paragraph of a page with no math font and no math symbol.
- its LaTeX (``latex``) is its lines' readings; an equation number at the
  end, "(3.1)", becomes ``\\tag{3.1}``; several lines are stacked in a
  ``gathered`` environment (the text layer does not say how they align).

The markdown writes such a paragraph as ``$$ ... $$`` and its block as type
``formula`` with the LaTeX as text (as the GPU engine does); the plain
``text`` output and the paragraph's ``line`` blocks keep the text layer's
plain reading.

Input: ``reading_order.Paragraph`` (lines with ``latex``/``math``) or a row of
pieces. Output: a verdict, LaTeX, a markdown part.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from docworker.decode.pdfmath import FUNCTIONS, escape
from docworker.geometry import Line

if TYPE_CHECKING:
    from docworker.stages.reading_order import Paragraph

#: A paragraph of more lines than this is not one display equation.
MAX_LINES = 8
#: At most this share of an equation's characters are letters of text words.
MAX_WORDS = 0.25

_TEXT = re.compile(r"\\text\{([^}]*)\}")
_WORD = re.compile(r"[^\W\d_]{2,}")
_STRUCTURE = re.compile(
    r"[=<>^_+]|\\(?:leq|geq|neq|approx|equiv|sim|simeq|cong|propto|in|notin|subset|subseteq"
    r"|supset|supseteq|to|Rightarrow|Leftarrow|Leftrightarrow|mapsto|longrightarrow"
    r"|Longrightarrow|leftarrow|sum|prod|int|oint|iint|partial|nabla|times|cdot|pm|mp|div"
    r"|cup|cap|ll|gg|surd)\b"
)
#: The first token of a reading: a ``\text{...}`` word or a run of letters, and what
#: follows it (a relation or a script after it makes it a symbol, "F = ...", "Area^2").
_FIRST_WORD = re.compile(r"\s*(?:\\text\{\s*([^\W\d_]+)\s*\}|([^\W\d_]+))(?=\s)\s*(.?)")
_NUMBER = re.compile(r"\s+\((\d{1,3}(?:\.\d{1,3}){0,2}[a-z]?)\)$")


def row_latex(row: list[Line]) -> str | None:
    """The LaTeX reading of a row of pieces joined into one line, or ``None`` when
    none of them has one (pieces without one are read as plain text)."""
    if all(piece.latex is None for piece in row):
        return None
    return " ".join(p.latex if p.latex is not None else escape(p.text) for p in row)


def _word_letters(line: Line) -> int:
    """Letters of the line's text-font words (see the module docstring)."""
    if line.latex is not None:
        return sum(len(m) for m in _TEXT.findall(line.latex))
    return sum(len(w) for w in _WORD.findall(line.text) if w not in FUNCTIONS)


def is_equation(para: Paragraph) -> bool:
    """Is ``para`` a display equation (see the module docstring)?"""
    lines = para.lines
    if len(lines) > MAX_LINES or not any(line.math for line in lines):
        return False
    chars = sum(len(line.text) - line.text.count(" ") for line in lines)
    if chars < 3 or all(line.mono for line in lines):
        return False
    if sum(_word_letters(line) for line in lines) > MAX_WORDS * chars:
        return False
    if _sentence_start(_reading(lines[0])):
        return False
    return any(_STRUCTURE.search(_reading(line)) for line in lines)


def _sentence_start(reading: str) -> bool:
    """Does ``reading`` start with a capitalised word ("Sei x_P := ...", "Let f be ...",
    "Étant donné ..."), in any script with case: a sentence with inline mathematics."""
    found = _FIRST_WORD.match(reading)
    if found is None:
        return False
    word = found.group(1) or found.group(2)
    return (
        len(word) >= 2
        and word[0].isupper()
        and word[1:].islower()
        and found.group(3) not in _AFTER_SYMBOL
    )


_AFTER_SYMBOL = frozenset("=<>≤≥(^_")


def _reading(line: Line) -> str:
    return line.latex if line.latex is not None else escape(line.text)


def latex(para: Paragraph) -> str:
    """The LaTeX of an equation paragraph (no delimiters)."""
    rows = [_reading(line) for line in para.lines]
    tag = ""
    number = _NUMBER.search(rows[-1])
    if number is not None and rows[-1][: number.start()].strip():
        rows[-1] = rows[-1][: number.start()]
        tag = " \\tag{" + number.group(1) + "}"
    if len(rows) == 1:
        return rows[0] + tag
    return "\\begin{gathered} " + " \\\\ ".join(rows) + " \\end{gathered}" + tag


def markdown(text: str) -> str:
    """An equation's markdown part from its LaTeX."""
    return "$$ " + text + " $$"
