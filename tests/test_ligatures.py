"""Ligature glyphs a font maps to no text: told from pdfium's hyphen mark, then mended."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from docworker.decode.ligatures import THREE, TWO, mend, mend_text
from docworker.decode.pdf import PdfHandle
from docworker.decode.pdfchars import _ligature
from docworker.geometry import Line, spread_words

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("FUZZ_CORPUS", str(ROOT.parent / "shared" / "corpus")))


def test_the_word_decides_the_ligature():
    assert mend_text(f"practical di{THREE}culties, e{THREE}cient") == (
        "practical difficulties, efficient"
    )
    assert mend_text(f"re{TWO}ect the {TWO}rst o{THREE}ce") == "reflect the first office"
    assert mend_text(f"ba{THREE}e, stu{TWO}") == "baffle, stuff"
    assert mend_text(f"die Ö{TWO}nungen") == "die Öffnungen"  # German's list
    assert mend_text(f"zz{TWO}zz") == "zzfizz"  # no list knows it: the commonest
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
