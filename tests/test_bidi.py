"""Right-to-left text: visual → logical order, glyph lines, and real PDFs end to end."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from bench import quality as evaluate
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from docworker import decode
from docworker.contract import TableCell
from docworker.decode import bidi, rtl
from docworker.stages import reading_order
from docworker.stages.reading_order import Line
from docworker.tables import TableStage
from tests.pdfgen import pdf_from_objects

CORPUS = Path("/work/shared/corpus")


def rev(text: str) -> str:
    """How a right-to-left word sits on the page, read left to right."""
    return text[::-1]


# ------------------------------------------------------------ visual → logical


@pytest.mark.parametrize(
    ("logical", "visual"),
    [
        # pure right-to-left: the whole line reversed
        ("مرحبا بالعالم", rev("مرحبا بالعالم")),
        ("שלום עולם", rev("שלום עולם")),
        # a Latin word and digits keep their left-to-right order inside the line
        ("نستخدم Python 3 منذ 2024", "2024 " + rev("منذ") + " Python 3 " + rev("نستخدم")),
        # a number with separators stays one number
        ("المبلغ 47.500 تومان", rev("تومان") + " 47.500 " + rev("المبلغ")),
        ("תאריך 19/09/2024", "19/09/2024 " + rev("תאריך")),
        # a percent sign drawn left of the number was typed after it
        ("حداقل 50% تن", rev("تن") + " %50 " + rev("حداقل")),
        # a section number and its trailing dash
        ("2-5- استاندارد", rev("استاندارد") + " -2-5"),
    ],
)
def test_right_to_left_lines_come_back_in_reading_order(logical, visual):
    assert rtl.visual_to_logical(visual, rtl=True) == logical
    assert rtl.visual_to_logical(visual) == logical  # direction found from the letters
    assert rtl.visual_line(visual) == logical


@pytest.mark.parametrize(
    "text",
    [
        "Resolución número 12 del año 2025, sobre la señal",
        "Total: 47.500 € (IVA incluido) - 50% [nota 3]",
        "x = -2 + 3/4",
        "",
    ],
)
def test_left_to_right_text_is_unchanged(text):
    assert not rtl.has_rtl(text)
    assert rtl.visual_to_logical(text) == text
    assert rtl.visual_line(text) is text


def test_a_vowel_mark_stays_on_its_letter():
    # "بَاب": the fatha follows its letter in the string, whatever the order around it
    assert rtl.visual_to_logical("با" + "ب\u064e", rtl=True) == "ب\u064eاب"


def test_an_arabic_word_quoted_in_an_english_line_stays_in_place():
    visual = "the word " + rev("حبيبي") + " means darling"
    assert rtl.visual_to_logical(visual) == "the word حبيبي means darling"


def test_levels_follow_the_bidi_algorithm():
    # L, WS, R in a left-to-right line; European digits in a right-to-left line
    assert rtl.resolve_levels(["L", "WS", "R"], rtl=False) == [0, 0, 1]
    assert rtl.resolve_levels(["R", "WS", "EN", "EN"], rtl=True) == [1, 1, 2, 2]
    # trailing white space drops to the base level
    assert rtl.resolve_levels(["R", "WS"], rtl=False) == [1, 0]
    assert rtl.reorder([0, 1, 1, 2, 2, 1]) == [0, 5, 3, 4, 2, 1]


def test_presentation_forms_fold_to_base_letters():
    assert rtl.fold_presentation_forms("\ufefb") == "لا"  # lam-alef ligature
    assert rtl.fold_presentation_forms("\ufe91\ufe8e\ufe8f") == "باب"
    assert rtl.fold_presentation_forms("\ufe70") == "\u064b"  # no stray space before the mark
    assert rtl.fold_presentation_forms("ﬁn") == "ﬁn"  # Latin ligatures are left alone


_ARABIC = st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهوي", min_size=1, max_size=6)
_LATIN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)
_NUMBER = st.integers(0, 99999).map(str)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_ARABIC, _ARABIC, _LATIN, _NUMBER), min_size=1, max_size=8))
def test_round_trip_through_an_independent_bidi_implementation(words):
    algorithm = pytest.importorskip("bidi.algorithm")  # python-bidi, beside easyocr
    # A Latin word beside a number is ambiguous on the page ("a 0" may be typed
    # "0 a" or "a 0"); the inverse reads it as one left-to-right run.
    for a, b in itertools.pairwise(words):
        assume(not ({a[0].isdigit(), b[0].isdigit()} == {True, False} and (a + b).isascii()))
    logical = " ".join(words)
    visual = algorithm.get_display(logical, base_dir="R")
    assert rtl.visual_to_logical(visual, rtl=True) == logical


# --------------------------------------------------------------- glyph lines


def _glyphs(items: list[tuple[str, float, float]], y: float = 100.0, size: float = 12.0):
    """``(text, x0, x1)`` advance boxes on one baseline → ``Glyph`` records."""
    out = []
    for text, x0, x1 in items:
        box = (x0, y - size, x1, y + 0.25 * size)
        ink = box if text.strip() else (x0, y, x1, y)
        out.append(rtl.Glyph(text=text, box=box, ink=ink))
    return out


def _row(visual: list[str], x: float = 100.0, width: float = 6.0, y: float = 100.0):
    """One glyph per item, left to right, each ``width`` wide."""
    return _glyphs([(t, x + i * width, x + (i + 1) * width) for i, t in enumerate(visual)], y)


def test_glyph_line_in_any_drawing_order_reads_logically():
    # "سلام" with the lam-alef ligature (one glyph whose two letters pdfium
    # reports reversed), a number left of it and a Latin word right of it.
    visual = [*"2024", " ", "م", "ال", "س", " ", *"Python"]
    groups = [_glyphs([(ch, 100 + 6 * i, 106 + 6 * i) for ch in t]) for i, t in enumerate(visual)]
    for order in (groups, groups[::-1]):
        glyphs = [g for group in order for g in group]
        assert [text for text, _ in rtl.page_lines(glyphs)] == ["Python سلام 2024"]


def test_ligature_letters_are_put_back_in_order():
    glyphs = _glyphs([("م", 100, 106), ("ا", 106, 112), ("ل", 106, 112), ("س", 112, 118)])
    assert rtl.page_lines(glyphs)[0][0] == "سلام"


def test_lam_alef_reads_lam_first_in_either_order_pdfium_gives():
    # Word's PDFs come alef first (above); Skia's (Chrome's printing) lam first, and
    # "ولاية" had read "والية".
    glyphs = _glyphs([("م", 100, 106), ("ل", 106, 112), ("ا", 106, 112), ("س", 112, 118)])
    assert rtl.page_lines(glyphs)[0][0] == "سلام"
    assert bidi.glyph_letters("ال") == bidi.glyph_letters("لا") == "لا"
    assert bidi.glyph_letters("إل") == bidi.glyph_letters("لإ") == "لإ"
    assert bidi.glyph_letters("مس") == "سم"  # any other glyph: taken as reversed


def test_corpus_skia_pdf_reads_lam_alef_and_tanween_right():
    # camelot's tabula/arabic.pdf (corpus/camelot-extra): a ruled table printed by Skia.
    from docworker.engines import cpu
    from docworker.isolation import tasks

    path = Path(__file__).resolve().parents[1] / "corpus" / "camelot-extra" / "arabic.pdf"
    doc = tasks.DocTask(str(path), decode.PDF, None, 10, 14400.0, 40_000_000)
    page = cpu.read_page(tasks.PageTask(doc=doc, number=1))
    texts = {cell.text for table in page.tables for cell in table.cells}
    assert "انا من ولاية كارولينا الشمال" in texts  # "والية" before
    assert "اسمي Jeremy في الانجليزية" in texts  # "االنجليزية" before
    assert "مرحباً" in texts  # the tanween on its alef, not a line of its own


def test_marks_stay_on_their_letter_and_spaces_inside_a_letter_are_dropped():
    # "أيضًا" as Word draws it: the tanween is its own glyph over the dad, and
    # pdfium puts a space where the pen moved for it.
    glyphs = _glyphs(
        [("ا", 100, 103), ("ض", 103, 113), (" ", 108, 108), ("ي", 113, 116), ("أ", 116, 119)]
    )
    mark = rtl.Glyph(text="\u064b", box=(107.0, 88.0, 109.5, 103.0), ink=(107.0, 88.0, 109.5, 90.0))
    assert rtl.page_lines([*glyphs[:2], glyphs[2], mark, *glyphs[3:]])[0][0] == "أيضًا"


def test_brackets_read_in_their_logical_direction():
    # pdfium reports bracket shapes as drawn: "(2024)" reads "(2024)" on the page.
    visual = [*rev("بعد"), " ", "(", *"2024", ")", " ", *rev("قبل")]
    assert rtl.page_lines(_row(visual))[0][0] == "قبل (2024) بعد"


def test_overprinted_glyphs_and_unmapped_glyphs_leave_no_text():
    glyphs = _row([*rev("نعم"), " ", "", "", " ", *"ok"])
    twice = [*glyphs, *glyphs[:3]]  # the Arabic word drawn again in the same place
    # one word of each script: the page's direction decides, right-to-left
    assert rtl.page_lines(twice)[0][0] == "ok نعم"


def test_runs_a_column_apart_stay_separate_lines():
    right = _row([*rev("العمود الأيمن")], x=320)
    left = _row([*rev("العمود الأيسر")], x=100)
    assert [t for t, _ in rtl.page_lines(right + left)] == ["العمود الأيمن", "العمود الأيسر"]


def test_a_line_joins_whatever_is_drawn_between_its_parts():
    first, second = _row([*rev("كلمة")], x=200), _row([*rev("أولى")], x=230)
    other = _row([*rev("سطر آخر")], x=200, y=140)
    # the left word, then a line further down, then the right word, a space apart
    lines = rtl.page_lines(first + other + second)
    assert [t for t, _ in lines] == ["أولى كلمة", "سطر آخر"]


# ------------------------------------------------------------------ reading order


def test_right_to_left_page_reads_its_right_column_first():
    def column(x0, x1, words):
        return [Line(w, (x0, 80 + 14 * i, x1, 90 + 14 * i)) for i, w in enumerate(words)]

    right = column(310, 540, [f"يمين {i}" for i in range(8)])
    left = column(60, 290, [f"يسار {i}" for i in range(8)])
    ordered = [line.text for line in reading_order.reading_order(left + right, 600)]
    assert ordered == [line.text for line in right] + [line.text for line in left]
    # the same lines in Latin script keep left-to-right columns
    latin = [Line(f"l{i}", ln.bbox) for i, ln in enumerate(left)]
    latin += [Line(f"r{i}", ln.bbox) for i, ln in enumerate(right)]
    assert [ln.text for ln in reading_order.reading_order(latin, 600)][:8] == [
        f"l{i}" for i in range(8)
    ]


def test_a_right_to_left_row_reads_right_cell_first():
    label = Line("تاريخ پذيرش", (430, 100, 492, 110))
    value = Line("1403/10/04", (140, 100, 187, 110))
    assert [ln.text for ln in reading_order.reading_order([value, label], 600)] == [
        label.text,
        value.text,
    ]


# --------------------------------------------------------------------- tables


def test_table_text_from_pdfminer_characters():
    chars = [
        {"text": "م", "x0": 100.0, "x1": 106.0},
        {"text": "لا", "x0": 106.0, "x1": 112.0},  # pdfminer: the ligature's letters in order
        {"text": "س", "x0": 112.0, "x1": 118.0},
    ]
    split = rtl.split_ligatures(chars)
    assert [c["text"] for c in split] == ["م", "ا", "ل", "س"]
    assert rtl.visual_line("".join(c["text"] for c in split)) == "سلام"
    latin = [{"text": "fi", "x0": 0.0, "x1": 6.0}]
    assert rtl.split_ligatures(latin) is latin


def test_right_to_left_table_columns_run_from_the_right():
    cells = [
        TableCell(row=r, col=c, text=text)
        for r, row in enumerate([["20300", "شماره ملی"], ["436", "شماره جلسه"]])
        for c, text in enumerate(row)
    ]
    table = TableStage(min_filled_cells=1)._table(cells, (0.0, 0.0, 100.0, 100.0))
    assert table is not None
    first = sorted((c for c in table.cells if c.row == 0), key=lambda c: c.col)
    assert [c.text for c in first] == ["شماره ملی", "20300"]


# ------------------------------------------------------------- PDFs end to end


def _cmap(mapping: dict[int, str]) -> bytes:
    entries = "\n".join(
        f"<{code:02X}> <{''.join(f'{ord(ch):04X}' for ch in text)}>"
        for code, text in mapping.items()
    )
    return (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <00> <FF> endcodespacerange\n"
        f"{len(mapping)} beginbfchar\n{entries}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end\n"
    ).encode()


def rtl_pdf(lines: list[tuple[float, list[str]]], *, backwards: bool = False) -> bytes:
    """A one-page PDF whose glyphs map (ToUnicode) to the given texts.

    Each line is ``(y from the top, glyph texts left to right)``; a glyph's text
    may be several characters (a ligature). Courier advances every glyph by
    7.2 pt at 12 pt. ``backwards`` draws each line's glyphs from its right end,
    one text object each, as Word does for Arabic; otherwise a line is one
    string drawn left to right, as cairo does.
    """
    codes: dict[str, int] = {" ": 0x20}
    for _, glyphs in lines:
        for text in glyphs:
            codes.setdefault(text, 0x21 + len(codes))
    ops = ["BT /F1 12 Tf"]
    for y, glyphs in lines:
        base = 842 - y
        if backwards:
            for i in reversed(range(len(glyphs))):
                ops.append(f"1 0 0 1 {72 + 7.2 * i:.2f} {base:.2f} Tm <{codes[glyphs[i]]:02X}> Tj")
        else:
            hexes = "".join(f"{codes[g]:02X}" for g in glyphs)
            ops.append(f"1 0 0 1 72 {base:.2f} Tm <{hexes}> Tj")
    ops.append("ET")
    content = "\n".join(ops).encode()
    cmap = _cmap({code: text for text, code in codes.items()})
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /ToUnicode 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
        b" /Resources << /Font << /F1 3 0 R >> >> /Contents 6 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    return pdf_from_objects(objects)


PAGE = [
    # "سلام Python 3 عام 2024" with a lam-alef ligature glyph
    (100, [*"2024", " ", *rev("عام"), " ", *"Python 3", " ", "م", "لا", "س"]),
    (130, [*rev("שלום עולם")]),
    (160, [*"Hello world"]),
    # "(2024 - 2026)" in a right-to-left line: the first year is the right one.
    # Brackets map to the character typed, as Word and cairo write them (the
    # glyph drawn is its mirror image): ")" on the left, "(" on the right.
    (190, [*rev("بين"), " ", ")", *"2026", " ", "-", " ", *"2024", "(", " ", *rev("السنوات")]),
]
EXPECTED = ["سلام Python 3 عام 2024", "שלום עולם", "Hello world", "السنوات (2024 - 2026) بين"]


def _lines(tmp_path: Path, pdf: bytes) -> list[str]:
    path = tmp_path / "rtl.pdf"
    path.write_bytes(pdf)
    handle = decode.open_document(
        path, decode.PDF, None, max_pages=10, max_page_points=14400, max_pixels=40_000_000
    )
    try:
        view = handle.page(1, text_layer=True)
    finally:
        handle.close()
    ordered = reading_order.reading_order([Line(t.text, t.bbox) for t in view.lines], view.width)
    return [line.text for line in ordered]


@pytest.mark.parametrize("backwards", [False, True], ids=["drawn-left-to-right", "drawn-backwards"])
def test_generated_pdf_reads_in_logical_order(tmp_path, backwards):
    assert _lines(tmp_path, rtl_pdf(PAGE, backwards=backwards)) == EXPECTED


def test_generated_left_to_right_pdf_keeps_the_old_path(tmp_path):
    # No right-to-left letter on the page: pdfium's runs, as before.
    assert _lines(tmp_path, rtl_pdf([(100, [*"Hello world"]), (130, [*"2024 (x)"])])) == [
        "Hello world",
        "2024 (x)",
    ]


def _corpus_case(path: str):
    if not (CORPUS / "MANIFEST.tsv").is_file() or not (CORPUS / path).is_file():
        pytest.skip("shared corpus not available")
    case = next(c for c in evaluate.read_manifest(CORPUS) if c.path == path)
    return case, evaluate.load_reference(case, CORPUS)


def test_corpus_arabic_page_matches_its_reference():
    case, ref = _corpus_case("docling/pdf/right_to_left_01.pdf")
    handle = decode.open_document(
        CORPUS / case.path, decode.PDF, None, max_pages=10, max_page_points=14400,
        max_pixels=40_000_000,
    )  # fmt: skip
    try:
        view = handle.page(1, text_layer=True)
    finally:
        handle.close()
    ordered = reading_order.reading_order([Line(t.text, t.bbox) for t in view.lines], view.width)
    text = " ".join(line.text for line in ordered)
    assert ordered[0].text == "تحسين الإنتاجية وحل المشكلات من خلال البرمجة بلغة R و Python"
    assert evaluate.cer(text, ref.text or "") < 0.02  # 48% before right-to-left support
    assert evaluate.bow_f1(text, ref.text or "") > 0.98


def test_corpus_word_mapped_to_one_glyph():
    case, _ = _corpus_case("sample-files/habibi.pdf")
    handle = decode.open_document(
        CORPUS / case.path, decode.PDF, None, max_pages=10, max_page_points=14400,
        max_pixels=40_000_000,
    )  # fmt: skip
    try:
        lines = handle.page(1, text_layer=True).lines
    finally:
        handle.close()
    assert len(lines) == 1
    # the Arabic word once, before the Latin one; no glyph codes read as letters
    assert lines[0].text.endswith("حَبيبي habibi")
    assert "Β" not in lines[0].text


def test_has_rtl_prefilter_covers_every_right_to_left_code_point():
    """``has_rtl`` only looks at characters its regex lets through: none of class R/AL
    may fall outside it."""
    import sys
    import unicodedata

    from docworker.decode.bidi import _MAYBE_RTL, has_rtl

    missed = [
        hex(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.bidirectional(chr(c)) in ("R", "AL") and not _MAYBE_RTL.match(chr(c))
    ]
    assert missed == []
    assert has_rtl("abc \u200f") and has_rtl("x שלום") and not has_rtl("Año ¿qué? ñ")
