"""Ligature glyphs a font maps to no text: told from pdfium's hyphen mark, then mended."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docworker import english
from docworker.decode.ligatures import THREE, TWO, mend, mend_text
from docworker.decode.pdf import PdfHandle
from docworker.decode.pdfchars import _ligature
from docworker.geometry import Line, spread_words

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("FUZZ_CORPUS", str(ROOT.parent / "shared" / "corpus")))


@pytest.fixture(autouse=True)
def _drop_the_word_list():
    """The English list holds 53 MB: not kept in the test process after these tests
    (the Office bomb tests bound the process's peak)."""
    yield
    english._frequencies.cache_clear()


def test_the_word_decides_the_ligature():
    assert mend_text(f"practical di{THREE}culties, e{THREE}cient") == (
        "practical difficulties, efficient"
    )
    assert mend_text(f"re{TWO}ect the {TWO}rst o{THREE}ce") == "reflect the first office"
    assert mend_text(f"ba{THREE}e, stu{TWO}") == "baffle, stuff"
    assert mend_text(f"zz{TWO}zz") == "zzfizz"  # the list does not know it: the commonest
    assert mend_text("plain text") == "plain text"


def test_mend_sets_the_lines_words_too():
    line = Line(f"di{THREE}culties", (0, 0, 60, 10), size=10)
    line.words = spread_words(line.text, line.bbox)
    mend([line])
    assert line.text == "difficulties" and [w.text for w in line.words] == ["difficulties"]


def _slots(text):
    return [(k, ch, False, ch == "-") for k, ch in enumerate(text)]


def test_a_wide_mark_between_two_letters_of_a_row_is_a_ligature():
    # "di?c" at 10 pt: boxes (left, top, right, bottom) in user space, the mark 8 pt wide.
    boxes = [0, 10, 5, 0, 5, 10, 7, 0, 7, 10, 15, 0, 15, 10, 20, 0]
    assert _ligature(_slots("di-c"), boxes, 2, 10.0)
    # A hyphen's width is no ligature's.
    narrow = [0, 10, 5, 0, 5, 10, 7, 0, 7, 10, 10, 0, 10, 10, 15, 0]
    assert not _ligature(_slots("di-c"), narrow, 2, 10.0)
    # The letter after it on the next line: pdfium's mark for a hyphen at a line's end.
    wrapped = [0, 10, 5, 0, 5, 10, 7, 0, 7, 10, 15, 0, 0, -4, 5, -14]
    assert not _ligature(_slots("di-c"), wrapped, 2, 10.0)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_the_layout_parser_papers_ligatures_read_as_words():
    path = CORPUS / "unstructured/layout-parser-paper-with-empty-pages.pdf"
    handle = PdfHandle(path, None, 100, 20000)
    try:
        text = " ".join(line.text for line in handle.page(4, text_layer=True).lines)
    finally:
        handle.close()
    assert "practical difficulties for taking" in text
    assert "tools for efficient document image" in text


def _page(*texts):
    return [Line(text, (0, 12 * k, 300, 12 * k + 10), size=10) for k, text in enumerate(texts)]


def test_ligatures_a_font_set_as_punctuation_are_mended_on_a_page_of_them():
    lines = _page(
        'are di#erent and de"ne the "elds of Scienti!c work,',
        'each "lename and over"tting, and "le" as a word in quotes',
    )
    lines[0].words = spread_words(lines[0].text, lines[0].bbox)
    from docworker.decode.ligatures import mend_punctuation

    mend_punctuation(lines)
    assert lines[0].text == "are different and define the fields of Scientific work,"
    assert "define" in [w.text for w in lines[0].words]
    # Words no list knows take what their sign stands for on this page.
    assert lines[1].text.startswith("each filename and overfitting,")


def test_quotation_marks_and_ampersands_open_no_word_list(monkeypatch):
    from docworker.decode import ligatures

    def unexpected():
        raise AssertionError("a word list was opened")

    monkeypatch.setattr(english, "_frequencies", unexpected)
    text = '"Hello," she said, "the R&D team\'s "plan" is AT&T\'s and C# code.'
    lines = _page(text, "one word with a sign: di#erent")
    ligatures.mend_punctuation(lines)
    assert lines[0].text == text


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_the_doclaynet_pages_ligatures_read_as_words():
    handle = PdfHandle(CORPUS / "docling/bad/2206.01062_pg3.pdf", "1234", 100, 20000)
    try:
        text = " ".join(line.text for line in handle.page(1, text_layer=True).lines)
    finally:
        handle.close()
    for word in ("difficulties", "different", "figures", "Scientific", "filenames", "flip"):
        assert word in text, word


def test_accents_set_as_glyphs_over_letters_make_accented_letters(tmp_path):
    """TeX's OT1 fonts have no accented letters: pdfTeX sets the accent as a glyph of its
    own over the letter, and drew S2ORC's "Färber" as "Fa" "rber", then "¨" over the a
    at the line's end, which raw extraction reads "Fa¨rber" or "Farber ¨". The accent
    folds into its letter, in the text layer and in the table finders' characters; an
    accent in running text, beside its letters and over none, stays."""
    from docworker.tables.objects import characters
    from tests.pdfspans import Span, spans_pdf, width
    from tests.test_text_pieces import _view

    head, tail = "Saier and F", "arber (2019) derived"
    accent = 3.33  # Helvetica's dieresis and acute, 333/1000 em, at 10 pt
    accent_x = 72 + width(head, 10) + (width("a", 10) - accent) / 2
    capital_x = 72 + (width("E", 10) - accent) / 2
    spans = [
        Span(72, 100, 10, head),
        Span(0, 0, 10, tail, follow=True),
        Span(72, 114, 10, "Etude of Lyon, and O'Brien wrote don\u00b4t."),
        Span(accent_x, 100, 10, "\u00a8"),  # drawn last, as pdfTeX may
        Span(capital_x, 111, 10, "\u00b4"),  # raised over the capital
    ]
    view = _view(tmp_path, [spans])
    texts = [line.text for line in view.lines]
    assert texts == ["Saier and Färber (2019) derived", "Étude of Lyon, and O'Brien wrote don´t."]
    path = tmp_path / "doc.pdf"
    path.write_bytes(spans_pdf([spans]))
    import pypdfium2 as pdfium

    from docworker.decode.pdfobjects import frame_of

    pdf = pdfium.PdfDocument(str(path))
    page = pdf[0]
    textpage = page.get_textpage()
    chars = characters(textpage, frame_of(page)[0])
    text = "".join(c["text"] for c in chars)
    assert "Färber" in text and "Étude" in text and "\u00a8" not in text
    textpage.close()
    page.close()
    pdf.close()
