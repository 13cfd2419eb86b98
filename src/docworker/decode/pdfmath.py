"""Mathematics in a PDF's text layer: math fonts, and a line piece's LaTeX reading.

A text layer holds an equation as characters: ``a`` in CMMI10, ``2`` in CMR7
set smaller and raised, ``+ 8 = 12`` in CMR10. ``get_text_range`` reads that
"a 2 + 8 = 12"; this module reads it ``a^2 + 8 = 12``.

- ``is_math_font``: the font's base name (subset prefix ``ABCDEF+`` dropped)
  names a math font: TeX's CMMI/CMSY/CMEX (and their bold forms), the AMS
  MSAM/MSBM, Euler, rsfs, Latin Modern and New Computer Modern Math, the TeX
  Gyre math fonts, Cambria Math, STIX (Two) Math, XITS Math, Asana Math,
  MathJax's and KaTeX's math fonts, and Word's ``Symbol`` and ``MT Extra``.
- ``latex``: a piece's characters (one baseline, written left to right) as
  LaTeX. A character set smaller than the piece (under ``SMALLER`` of its
  size) whose baseline sits more than ``SHIFT`` of the size above (below)
  the piece's baseline is a superscript (subscript); consecutive ones form
  one group, ``x^{n+1}``, and a group is read the same way against its own
  baseline (``x^{2^n}``). Symbols become LaTeX commands from a small table
  (Greek, relations, operators, arrows, sets), mathematical alphanumerics
  (U+1D400..) their letters; a run of two or more letters in a text font is
  a function name (``\\sin``) or ``\\text{...}``. ``marked`` counts the
  characters that are evidence of mathematics: set in a math font, or a
  mathematical symbol outside Latin-1 (``≤``, ``∑``, ``→``; not ``±``, ``×`` or
  the minus sign, which prose uses).

Fractions, radicals' extent, matrices and big operators' limits are set on
other baselines (other pieces, other lines); they are not rebuilt here.

Input: ``pdfchars.Char`` records of one piece, the piece's baseline and size,
and the set of math-font style indices. Output: ``(latex, marked)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

#: A script glyph is set under this share of its base's size...
SMALLER = 0.9
#: ...and its baseline is this share of that size above or below the base's.
SHIFT = 0.1

_MATH_FONT = re.compile(
    r"(?:CMMI|CMSY|CMEX|CMBSY|CMMIB|MSAM|MSBM|EUFM|EUFB|EUSM|EUSB|EUEX|EURM|EURB|RSFS"
    r"|LMMath|LatinModernMath|NewCMMath|TeXGyre\w*Math|CambriaMath|Cambria-Math"
    r"|STIXMath|STIXTwoMath|STIX2Math|XITSMath|Asana|MathJax|MJXc-TeX-(?:math|ams|size)"
    r"|MJXZERO|KaTeX_(?:Math|AMS|Size)|Symbol(?:MT)?(?:$|[-,])|MTExtra|MT-Extra|Euclid(?:Math|Symbol)"
    # txfonts, pxfonts, newtx and newpx (Times and Palatino papers: elsarticle's, IEEE's)
    r"|r?[tp]x(?:mi|sy|ex)|n[tp]x(?:mi|sy|ex)|New[TP]XMI)",
    re.IGNORECASE,
)

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "varepsilon",
    "ϵ": "epsilon", "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "vartheta",
    "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu",
    "ξ": "xi", "π": "pi", "ϖ": "varpi", "ρ": "rho", "ϱ": "varrho", "σ": "sigma",
    "ς": "varsigma", "τ": "tau", "υ": "upsilon", "φ": "varphi", "ϕ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta",
    "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma",
    "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}  # fmt: skip

_SYMBOLS = {
    "≤": "leq", "≥": "geq", "≠": "neq", "±": "pm", "∓": "mp", "×": "times",
    "·": "cdot", "⋅": "cdot", "∙": "cdot", "÷": "div", "∑": "sum", "∏": "prod",
    "∐": "coprod", "∫": "int", "∬": "iint", "∮": "oint", "∞": "infty", "→": "to",
    "←": "leftarrow", "↔": "leftrightarrow", "⇒": "Rightarrow", "⇐": "Leftarrow",
    "⇔": "Leftrightarrow", "⟶": "longrightarrow", "⟹": "Longrightarrow",
    "⟵": "longleftarrow", "⟸": "Longleftarrow", "⟷": "longleftrightarrow",
    "⟺": "Longleftrightarrow", "⟼": "longmapsto",
    "↦": "mapsto", "↑": "uparrow", "↓": "downarrow", "∈": "in", "∉": "notin",
    "∋": "ni", "⊂": "subset", "⊆": "subseteq", "⊃": "supset", "⊇": "supseteq",
    "∪": "cup", "∩": "cap", "∅": "emptyset", "∀": "forall", "∃": "exists",
    "¬": "neg", "∧": "wedge", "∨": "vee", "∂": "partial", "∇": "nabla",
    "√": "surd", "≈": "approx", "≡": "equiv", "∼": "sim", "≃": "simeq",
    "≅": "cong", "∝": "propto", "⊥": "perp", "∥": "parallel", "∠": "angle",
    "…": "ldots", "⋯": "cdots", "⋮": "vdots", "⋱": "ddots", "⊕": "oplus",
    "⊗": "otimes", "∘": "circ", "◦": "circ", "⟨": "langle", "⟩": "rangle", "≪": "ll",
    "≫": "gg", "⌊": "lfloor", "⌋": "rfloor", "⌈": "lceil", "⌉": "rceil",
    "∖": "setminus", "⊢": "vdash", "⊨": "models", "ℓ": "ell", "ℏ": "hbar",
    "ℵ": "aleph", "℘": "wp", "ℜ": "Re", "ℑ": "Im", "†": "dagger", "‡": "ddagger",
    "⋆": "star", "≺": "prec", "≻": "succ", "⪯": "preceq", "⪰": "succeq", "∣": "mid",
    # The rest of TeX's symbol and extension fonts (``texfonts``).
    "⋃": "bigcup", "⋂": "bigcap", "⋀": "bigwedge", "⋁": "bigvee", "⊎": "uplus",
    "⊔": "sqcup", "⊓": "sqcap", "⊑": "sqsubseteq", "⊒": "sqsupseteq", "≍": "asymp",
    "⋄": "diamond", "⊖": "ominus", "⊘": "oslash", "⊙": "odot", "◯": "bigcirc",
    "•": "bullet", "≀": "wr", "⨿": "amalg", "⊤": "top", "⊣": "dashv", "△": "triangle",
    "▽": "triangledown", "↕": "updownarrow", "⇕": "Updownarrow", "⇑": "Uparrow",
    "⇓": "Downarrow", "↗": "nearrow", "↘": "searrow", "↖": "nwarrow", "↙": "swarrow",
    "♣": "clubsuit", "♢": "diamondsuit", "♡": "heartsuit", "♠": "spadesuit",
}  # fmt: skip

_PLAIN = {
    "−": "-", "∗": "*", "′": "'", "″": "''", "‖": "\\|", "{": "\\{", "}": "\\}",
    "#": "\\#", "%": "\\%", "&": "\\&", "$": "\\$", "_": "\\_", "~": "\\sim",
    "^": "\\hat{}", "\\": "\\backslash", "ℝ": "\\mathbb{R}", "ℕ": "\\mathbb{N}",
    "ℤ": "\\mathbb{Z}", "ℚ": "\\mathbb{Q}", "ℂ": "\\mathbb{C}", "°": "^{\\circ}",
}  # fmt: skip

# Pieces of big delimiters (Unicode's, and the private-use ones TeX's CMEX maps to): the
# top of a parenthesis or bracket and the middle of a brace stand for it, the rest go.
_PLAIN.update(
    {"⎛": "(", "\uf8eb": "(", "⎞": ")", "\uf8f6": ")", "⎡": "[", "\uf8ee": "[", "⎤": "]",
     "\uf8f9": "]", "⎨": "\\{", "\uf8f2": "\\{", "⎬": "\\}", "\uf8fd": "\\}"}
)  # fmt: skip
_PLAIN.update(dict.fromkeys("⎜⎝⎟⎠⎢⎣⎥⎦⎧⎩⎪⎫⎭\uf8ec\uf8ed\uf8f7\uf8f8\uf8ef\uf8f0\uf8fa\uf8fb"
                            "\uf8f1\uf8f3\uf8f4\uf8fc\uf8fe", ""))  # fmt: skip


FUNCTIONS = frozenset(
    "sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth log ln lg exp lim"
    " liminf limsup max min sup inf det dim ker deg arg gcd hom Pr".split()
)
_PLAIN_LATIN1 = frozenset("±×÷¬·µ°−")


def is_math_font(name: str) -> bool:
    """Does the base font ``name`` (as the PDF spells it) name a math font?"""
    base = name.split("+", 1)[1] if len(name) > 7 and name[6] == "+" else name
    return bool(_MATH_FONT.match(base.replace(" ", "")))


def command(ch: str) -> str | None:
    """The LaTeX for one character when it is not the character itself, else ``None``."""
    if ch in _PLAIN:
        return _PLAIN[ch]
    name = _GREEK.get(ch) or _SYMBOLS.get(ch)
    if name is None and len(ch) == 1:
        parts = unicodedata.normalize("NFD", ch)
        if len(parts) == 2 and parts[1] == "\u0338":  # a relation struck through: ≢ ⊄ ≰
            return "\\not" + (command(parts[0]) or parts[0])
    return "\\" + name if name else None


def is_math_symbol(ch: str) -> bool:
    """A mathematical symbol that is evidence of an equation (see the module docstring).

    ``ch``: a character's text, one code point or more (a letter with the accent
    TeX draws over it, "nˆ", is one glyph's text): its first code point decides."""
    first = ch[:1]
    return first not in _PLAIN_LATIN1 and first > "\xff" and unicodedata.category(first) == "Sm"


#: A non-Latin-1 math symbol in a piece's text (``pdflines`` reads such pieces here).
MATH_SYMBOL = re.compile(r"[\u2190-\u21ff\u2200-\u22ff\u27c0-\u27ff\u2980-\u2aff]")


_SPACES = re.compile(r"\s+")


def _size(char: Any) -> float:
    return char.size if char.size > 0.5 else max(char.y1 - char.y0, 1.0)


def _side(char: Any, base: float, size: float) -> int:
    """1 for a superscript, -1 for a subscript, 0 on the baseline (y grows down)."""
    if _size(char) > SMALLER * size:
        return 0
    shift = char.oy - base
    if shift < -SHIFT * size:
        return 1
    if shift > SHIFT * size:
        return -1
    return 0


def _letter(ch: str) -> str:
    """A mathematical alphanumeric (U+1D400..U+1D7FF, U+210E) as its plain letter or digit."""
    if "\U0001d400" <= ch <= "\U0001d7ff" or ch == "\u210e":
        return unicodedata.normalize("NFKC", ch)
    return ch


def _symbol(ch: str) -> str:
    """One character as LaTeX: a command (and a space after a named one) or itself."""
    cmd = command(_letter(ch))
    if cmd is None:
        return ch
    return cmd + " " if cmd[-1:].isalpha() else cmd


def _group(chars: Sequence[Any], math: frozenset[int], script: bool) -> str:
    """A run of characters on one baseline as LaTeX (no sub-groups inside)."""
    out: list[str] = []
    word: list[str] = []  # a run of text-font letters

    def flush() -> None:
        if not word:
            return
        run = "".join(word)
        if len(run) == 1:
            out.append(run)
        elif run in FUNCTIONS:
            out.append("\\" + run + " ")
        else:
            out.append("\\text{" + run + "}")
        word.clear()

    for k, char in enumerate(chars):
        ch = _letter(char.text)
        if k and char.space:
            flush()
            out.append(" ")
        if ch.isalpha() and char.style not in math and ch not in _GREEK:
            word.append(ch)
            continue
        flush()
        if ch == "′" and script:
            out.append("\\prime ")
            continue
        out.append(_symbol(ch))
    flush()
    return "".join(out)


def _render(chars: Sequence[Any], base: float, size: float, math: frozenset[int], depth: int):
    out: list[str] = []
    i, n = 0, len(chars)
    while i < n:
        side = _side(chars[i], base, size) if depth < 3 else 0
        j = i + 1
        while j < n and (_side(chars[j], base, size) if depth < 3 else 0) == side:
            j += 1
        run = chars[i:j]
        if i and side == 0 and run[0].space:
            out.append(" ")
        if side == 0:
            out.append(_group(run, math, depth > 0))
        else:
            first = run[0]
            inner = _render(run, first.oy, max(_size(c) for c in run), math, depth + 1).strip()
            mark = "^" if side > 0 else "_"
            if not out or not out[-1].strip():
                out.append("{}")
            out[-1] = out[-1].rstrip()
            out.append(mark + (inner if len(inner) == 1 else "{" + inner + "}"))
            if j < n and not chars[j].space and chars[j].text.isalnum():
                out.append(" ")  # "a^2 b", not "a^2b"
        i = j
    return "".join(out)


#: A piece whose text is more than this share letters of words (three letters or more)
#: is prose with a formula in it at most: it is not read as LaTeX (that costs time).
PROSE = 0.6
_PROSE_WORD = re.compile(r"[^\W\d_]{3,}")


def latex(
    chars: Sequence[Any], base: float, size: float, math: frozenset[int], text: str
) -> tuple[str | None, int]:
    """``(LaTeX, marked)`` of one piece's characters whose plain reading is ``text`` (see
    the module docstring); ``(None, 0)`` for a piece that is mostly words (``PROSE``)."""
    words = sum(map(len, _PROSE_WORD.findall(text)))
    if words > PROSE * (len(text) - text.count(" ")):
        return None, 0
    marked = sum(1 for c in chars if c.style in math or is_math_symbol(c.text))
    text = _render(chars, base, size, math, 0)
    return _SPACES.sub(" ", text).strip(), marked


_TOKEN = re.compile(r"[^\W\d_]{2,}|.", re.DOTALL)


def escape(text: str) -> str:
    """Plain text (no font known) inside LaTeX mathematics: runs of two or more letters
    as function names or ``\\text{...}``, symbols as commands, specials escaped."""
    out = []
    for token in _TOKEN.findall(text):
        if len(token) == 1 or any(ch in _GREEK for ch in token):
            out.extend(_symbol(ch) for ch in token)
        elif token in FUNCTIONS:
            out.append("\\" + token + " ")
        else:
            out.append("\\text{" + token + "}")
    return _SPACES.sub(" ", "".join(out)).strip()
