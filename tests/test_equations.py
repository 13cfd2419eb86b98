"""Display equations in the text layer: LaTeX in the markdown, prose left as it was.

The PDFs are written here glyph run by glyph run, with fonts named as TeX names
them (CMMI10, CMR7, ...; not embedded: pdfium keeps the names), so the page
reader sees what it sees in a TeX document: a superscript set smaller and
raised, a subscript set smaller and lowered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docworker import decode
from docworker.decode.pdfchars import Char, Style, long_arrows, negations
from docworker.decode.pdfmath import command, is_math_font
from docworker.engines import cpu
from docworker.geometry import Line
from docworker.isolation import tasks
from docworker.stages import equations
from docworker.stages.reading_order import Paragraph
from tests.pdfgen import pdf_from_objects

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FONTS = {"T": "Times-Roman", "M": "CMMI10", "m": "CMMI7", "R": "CMR10", "r": "CMR7", "S": "CMSY10"}
PROSE_1 = [
    "The area of a square with side a grows with the square of its side, as the",
    "equation below says; the same holds for any figure scaled by a factor.",
]
PROSE_2 = [
    "Each value x is read from the table, and the sum of the squares is kept for",
    "the report that goes to the board at the end of every month of the year.",
]


def _string(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")


def _run(x: float, y: float, size: float, font: str, text: str) -> bytes:
    """``text`` with its baseline at ``(x, y)`` (points from the top-left)."""
    return b"/%s %.2f Tf 1 0 0 1 %.2f %.2f Tm (%s) Tj" % (
        font.encode(),
        size,
        x,
        842 - y,
        _string(text),
    )


def _line(x: float, y: float, parts: list[tuple[str, str]]) -> bytes:
    """One line of ``(font, text)`` parts set one after the other at 10 pt."""
    out = [b"1 0 0 1 %.2f %.2f Tm" % (x, 842 - y)]
    out += [b"/%s 10 Tf (%s) Tj" % (font.encode(), _string(text)) for font, text in parts]
    return b" ".join(out)


def _page() -> bytes:
    """Two prose paragraphs (a math-font letter inline) around three centred equations."""
    runs = [_line(72, 100, [("T", PROSE_1[0][:31]), ("M", "a"), ("T", PROSE_1[0][32:])])]
    runs.append(_run(72, 112, 10, "T", PROSE_1[1]))
    # a^2 + 8 = 12, centred under the text, with room above and below.
    runs += [
        _run(188, 138, 10, "M", "a"),
        _run(193.5, 134, 7, "r", "2"),
        _run(200, 138, 10, "R", "+ 8 = 12"),
    ]
    # x_i = y^{n+1}
    runs += [
        _run(196, 174, 10, "M", "x"),
        _run(201.7, 175.8, 7, "m", "i"),
        _run(207, 174, 10, "R", "="),
        _run(217, 174, 10, "M", "y"),
        _run(222.5, 170, 7, "m", "n"),
        _run(226.8, 170, 7, "r", "+1"),
    ]
    # a \neq b as TeX draws it without a Unicode map for the slash: CMSY's "6" over "=".
    runs += [
        _run(200, 210, 10, "M", "a"),
        _run(208, 210, 10, "S", "6"),
        _run(208, 210, 10, "R", "="),
        _run(218, 210, 10, "M", "b"),
    ]
    runs.append(_line(72, 238, [("T", PROSE_2[0][:11]), ("M", "x"), ("T", PROSE_2[0][12:])]))
    runs.append(_run(72, 250, 10, "T", PROSE_2[1]))
    return _pdf(runs)


def _pdf(runs: list[bytes]) -> bytes:
    """One page of ``runs`` in ``FONTS``."""
    stream = b"BT\n" + b"\n".join(runs) + b"\nET"
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    }
    fonts = []
    for k, (key, name) in enumerate(FONTS.items()):
        objects[5 + k] = (
            b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
            % name.encode()
        )
        fonts.append(b"/%s %d 0 R" % (key.encode(), 5 + k))
    objects[3] = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << %s >> >> >>" % b" ".join(fonts)
    )
    objects[4] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    return pdf_from_objects(objects)


def _read(path: Path, number: int = 1):
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    return cpu.read_page(tasks.PageTask(doc=doc, number=number))


def test_display_equations_are_latex_and_prose_is_untouched(tmp_path):
    path = tmp_path / "math.pdf"
    path.write_bytes(_page())
    page = _read(path)
    assert page.source == "text_layer"
    parts = page.markdown.split("\n\n")
    assert parts == [
        " ".join(PROSE_1),
        "$$ a^2 + 8 = 12 $$",
        "$$ x_i = y^{n+1} $$",
        "$$ a \\neq b $$",
        " ".join(PROSE_2),
    ]
    formulas = [b for b in page.blocks if b.type == "formula"]
    assert [b.text for b in formulas] == ["a^2 + 8 = 12", "x_i = y^{n+1}", "a \\neq b"]
    x0, y0, x1, y1 = formulas[0].bbox
    assert 187 < x0 < 189 and 230 < x1 < 250 and 126 < y0 < y1 < 142
    # The plain text and the line blocks keep the text layer's reading.
    assert "a ² + 8 = 12" in page.text.splitlines()
    assert "a ≠ b" in page.text.splitlines()  # the slash and "=" are one sign, not "6="
    assert page.text.splitlines()[:2] == PROSE_1
    assert not any("^" in b.text for b in page.blocks if b.type == "line")


def test_math_fonts_are_told_by_name():
    for name in ("CMMI10", "ABCDEF+CMSY7", "CMEX10", "MSBM10", "LMMathItalic10-Regular",
                 "LatinModernMath-Regular", "CambriaMath", "STIXTwoMath-Regular",
                 "XITSMath", "Symbol", "SymbolMT", "MTExtra", "rsfs10", "rtxmi", "txsy",
                 "ABCDEF+txex", "NewTXMI", "ntxsy", "pxmi"):  # fmt: skip
        assert is_math_font(name), name
    for name in ("CMR10", "ABCDEF+CMBX12", "Times-Roman", "OpenSymbol", "ArialMT",
                 "Cambria", "STIXGeneral", "LMRoman10-Regular", "rtxr", "txr", "pxr",
                 "ptxr"):  # fmt: skip
        assert not is_math_font(name), name


@pytest.mark.skipif(
    not (CORPUS / "docling/pdf/code_and_formula.pdf").exists(), reason="corpus absent"
)
def test_corpus_tex_equation():
    page = _read(CORPUS / "docling/pdf/code_and_formula.pdf", number=2)
    assert "\n\n$$ a^2 + 8 = 12 $$\n\n" in page.markdown
    assert "a ² + 8 = 12" in page.text
    # The prose around it is the text layer's.
    assert "sed diam nonummy nibh euismod tincidunt." in page.markdown


def test_a_display_equation_set_larger_than_the_text_is_no_heading(tmp_path):
    """elsarticle with txfonts: an equation set at 12 pt under 10-pt prose had been a
    heading ("## σj = E · εj , (2)"); it reads as a formula first."""
    runs = [_run(72, 100, 10, "T", PROSE_1[0]), _run(72, 112, 10, "T", PROSE_1[1])]
    runs += [_run(188, 140, 12, "M", "a"), _run(200, 140, 12, "R", "= b + c ,  (2)")]
    runs += [_run(72, 166, 10, "T", PROSE_2[0]), _run(72, 178, 10, "T", PROSE_2[1])]
    path = tmp_path / "big.pdf"
    path.write_bytes(_pdf(runs))
    page = _read(path)
    assert [b.type for b in page.blocks if b.type != "line"] == [
        "paragraph", "formula", "paragraph",
    ]  # fmt: skip
    assert "#" not in page.markdown


def test_a_sentence_with_inline_math_is_no_display_equation():
    """A capitalised text word first ("Sei ...", "Let ..."): prose that holds a formula."""

    def para(text: str, latex: str) -> Paragraph:
        return Paragraph([Line(text, (72, 100, 400, 112), latex=latex, math=3)])

    sentence = para(
        "Sei xP := d(PX, 0) und yP := d(PY , 0).",
        r"\text{Sei} x_P := d(P_X, 0) \text{und} y_P := d(P_Y , 0).",
    )
    assert not equations.is_equation(sentence)
    display = para("xP := d(PX, 0) und yP := d(PY , 0).", r"x_P := d(P_X, 0) \text{und} y_P")
    assert equations.is_equation(display)
    assert equations.is_equation(para("F(x) = x2 + 1", r"F(x) = x^2 + 1"))


def test_an_accented_letter_in_an_equation_is_read(tmp_path):
    """TeX's \\hat and \\dot draw a spacing accent over the letter: the letter's
    character then holds two code points ("n" and the accent), which the equation
    reader takes as one glyph (a page of a physics paper had failed on it)."""
    runs = [_run(72, 100, 10, "T", PROSE_1[0]), _run(72, 112, 10, "T", PROSE_1[1])]
    runs += [
        _run(200, 140, 10, "R", "n"),  # an upright letter (a vector): no math font
        _run(200.6, 137, 10, "R", "\u02c6"),
        _run(207, 140, 10, "R", "= 1"),
        _run(230, 140, 10, "S", "\u00b1"),
    ]
    runs += [_run(72, 170, 10, "T", PROSE_2[0]), _run(72, 182, 10, "T", PROSE_2[1])]
    path = tmp_path / "hat.pdf"
    path.write_bytes(_pdf(runs))
    page = _read(path)
    assert page.source == "text_layer"
    assert page.markdown.startswith(" ".join(PROSE_1))
    assert page.markdown.endswith(" ".join(PROSE_2))
    assert "= 1" in page.markdown


def _char(text: str, x0: float, style: int, space: bool = False) -> Char:
    return Char(text, x0, 100.0, x0 + 7.8, 110.0, x0, 108.0, 10.0, style, space)


def test_tex_negation_slash_and_mapsto_bar_join_the_sign_they_are_drawn_with():
    """CMSY's slash ("6") over "=" or "∈" and its mapsto bar ("7") before "→" start where
    the sign starts: each pair is one character. A "6" set apart, a "6" of a text font and
    a "7" before "=" stay as they are."""
    styles = [Style(bold=False, mono=False), Style(bold=False, mono=False, math=True)]
    text, math = 0, 1
    chars = [
        _char("x", 80, math),
        _char("6", 90, math, space=True),
        _char("=", 90.5, text),
        _char("0", 100, text, space=True),
        _char("y", 110, math, space=True),
        _char("6", 120, math, space=True),
        _char("∈", 120, math),
        _char("A", 130, math, space=True),
        _char("u", 140, math, space=True),
        _char("7", 150, math, space=True),
        _char("→", 150, math),
        _char("v", 165, math, space=True),
        _char("6", 180, text, space=True),  # a digit of the text font
        _char("=", 180, text),
        _char("6", 190, math, space=True),  # set apart from the "=" after it
        _char("=", 198, text, space=True),
        _char("7", 210, math, space=True),  # a bar pairs with an arrow only
        _char("=", 210, text),
        _char("6", 220, math, space=True),  # an old-style 6 over an "=" on the next line
        Char("=", 220, 112.0, 228, 122.0, 220, 120.0, 10.0, text, True),
        _char("6", 240, math, space=True),  # \not over any relation Unicode composes
        _char("≡", 240, math),
        _char("6", 250, math, space=True),
        _char("⊂", 250, math),
        _char("6", 260, math, space=True),  # over a letter: no such sign
        _char("a", 260, math),
    ]
    negations(chars, styles)
    assert "".join((" " if c.space else "") + c.text for c in chars) == (
        "x ≠ 0 y ∉ A u ↦ v 6= 6 = 7= 6 = ≢ ⊄ 6a"
    )
    assert [command(c) for c in "≢⊄≰∤"] == [
        "\\not\\equiv",
        "\\not\\subset",
        "\\not\\leq",
        "\\not\\mid",
    ]
    sign = chars[1]
    assert (sign.x0, sign.x1, sign.style, sign.space) == (90, 98.3, math, True)


def _pieces(x0: float, texts: str, style: int, step: float = 4.5) -> list[Char]:
    """Glyphs 8 pt wide set ``step`` apart: under 8, each drawn into the one before."""
    return [
        Char(t, x0 + k * step, 100.0, x0 + k * step + 8, 110.0, x0 + k * step, 108.0, 10.0,
             style, k == 0)
        for k, t in enumerate(texts)
    ]  # fmt: skip


def test_tex_long_arrows_of_pieces_are_one_sign():
    """TeX's long arrows are bars and heads drawn into each other ("−→", "=⇒", "⇐⇒", an
    extensible "=====⇒" under a label, \\longmapsto's bar and "−→"): one sign each. Pieces
    set apart, a run with no head or a head inside it, and pieces in text fonts only stay."""
    styles = [Style(bold=False, mono=False), Style(bold=False, mono=False, math=True)]
    text, math = 0, 1
    runs = [
        (_pieces(10, "−→", math), ["⟶"]),
        (_pieces(10, "=", text) + _pieces(14.5, "⇒", math), ["⟹"]),
        (_pieces(10, "=====", text) + _pieces(32.5, "⇒", math), ["⟹"]),
        (_pieces(10, "⇐⇒", math), ["⟺"]),
        (_pieces(10, "←−", math), ["⟵"]),
        (_pieces(10, "7", math) + _pieces(10, "−→", math), ["⟼"]),
        (_pieces(10, "−→", math, step=12), ["−", "→"]),  # set apart: a minus, an arrow
        (_pieces(10, "==", text), ["=", "="]),  # no head
        (_pieces(10, "→→", math), ["→", "→"]),  # two heads, no bar: not a long arrow
        (_pieces(10, "−→", text), ["−", "→"]),  # no math font: not TeX's
    ]
    for chars, expected in runs:
        chars = [*chars, Char("x", 60, 100, 66, 110, 60, 108, 10.0, math, True)]
        long_arrows(chars, styles)
        assert [c.text for c in chars] == [*expected, "x"]
    chars = _pieces(10, "−→", text)[:1] + _pieces(14.5, "→", math)
    long_arrows(chars, styles)
    (arrow,) = chars
    assert (arrow.text, arrow.x0, arrow.x1, arrow.style, arrow.space) == ("⟶", 10, 22.5, math, True)


@pytest.mark.parametrize("seed", range(20))
def test_joining_signs_keeps_every_other_character_in_order(seed):
    """Random runs of the pieces, digits and letters, overlapping or not: no error, and
    every character that is no piece of a sign stays, in order."""
    import random

    rng = random.Random(seed)
    styles = [Style(bold=False, mono=False), Style(bold=False, mono=False, math=True)]
    chars, x = [], 0.0
    for _ in range(300):
        t = rng.choice("−=→⇒←⇐67∈ab1 ")
        if t == " ":
            x += 10
            continue
        y = rng.choice([100.0, 100.0, 100.0, 130.0])
        chars.append(Char(t, x, y, x + 8, y + 10, x, y + 8, 10.0, rng.randint(0, 1), False))
        x += rng.choice([0.0, 4.5, 9.0])
    others = [c.text for c in chars if c.text in "ab1"]
    negations(chars, styles)
    long_arrows(chars, styles)
    assert [c.text for c in chars if c.text in "ab1"] == others
