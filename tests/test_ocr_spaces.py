"""Word spaces an OCR recognizer left out, put back (``stages.ocr.spaces``)."""

from __future__ import annotations

from pathlib import Path

from docworker.geometry import Line, Word, spread_words
from docworker.stages.ocr import spaces

ROOT = Path(__file__).resolve().parents[1]

#: Lines of English prose around the glued ones: the page reads as English.
PROSE = [
    "The importance of libraries is evident in the oft-quoted saying that a",
    "library is the heart of the university, and it is by this that the",
    "work of a scholar is judged, which is to be kept in mind for the future.",
]


def _line(text, top=0.0):
    line = Line(text, (10.0, top, 10.0 + 6.0 * len(text), top + 12.0))
    line.words = spread_words(text, line.bbox)
    return line


def _restored(*texts):
    lines = [_line(t, 20.0 * i) for i, t in enumerate([*PROSE, *texts])]
    return [line.text for line in spaces.restore(lines)][len(PROSE) :]


def test_two_common_words_run_together_are_parted():
    # ocropy's testpage.png and deepdoctection's sample invoice, read by PP-OCR
    assert _restored("the number oflibraries in the state", "Signature andprinted name of the") == [
        "the number of libraries in the state",
        "Signature and printed name of the",
    ]
    assert _restored("they were settlingConnecticut in the spring") == [
        "they were settling Connecticut in the spring"
    ]
    # pypdf's Seige_of_Vicksburg_Sample_OCR.pdf
    assert _restored("It is rumored in campthat Grant is getting") == [
        "It is rumored in camp that Grant is getting"
    ]


def test_words_and_names_stay_whole():
    kept = "wherein herewith subheads nonlinear the database workshop Kowalski and Johannesburg"
    assert _restored(kept) == [kept]


def test_a_word_broken_at_a_line_end_is_no_two_words():
    """ocropy's 0020_0022.png: "surren-" is no "sur ren-", and "gether" under "to-" no
    "get her"."""
    assert _restored("the colony by the Dutch to its surren-", "are so blended to-") == [
        "the colony by the Dutch to its surren-",
        "are so blended to-",
    ]
    assert _restored("are so blended to-", "gether as to render it difficult") == [
        "are so blended to-",
        "gether as to render it difficult",
    ]


def test_names_in_camel_case_and_terms_in_capitals_stay_whole():
    kept = "the DocBank and PubLayNet sets with a FOOTSWITCH INPUT"  # not in the list
    assert _restored(kept, "16 SETTLEMENTOF NEW-YORK AND OF THE") == [
        kept,
        "16 SETTLEMENT OF NEW-YORK AND OF THE",
    ]


def test_only_english_lines_of_english_pages():
    # an invoice's German labels on an English page: "Preis" is no "Pre is"
    assert _restored("Preis", "Menge Preis Betrag Rabatt") == ["Preis", "Menge Preis Betrag Rabatt"]
    german = [_line(t, 20.0 * i) for i, t in enumerate(["Die Fundamentalform der Fläche"] * 4)]
    assert [ln.text for ln in spaces.restore(german)] == ["Die Fundamentalform der Fläche"] * 4


def test_a_sections_number_before_its_title():
    # OCRmyPDF's epson.pdf: a contents box read without the spaces after the numbers
    assert _restored("2Applications", "4.1Pre-processing", "4.5OCR Tools", "3D models in 10GB") == [
        "2 Applications",
        "4.1 Pre-processing",
        "4.5OCR Tools",
        "3D models in 10GB",
    ]


def test_the_word_boxes_split_with_their_words():
    lines = [_line(t, 20.0 * i) for i, t in enumerate([*PROSE, "the number oflibraries"])]
    line = spaces.restore(lines)[-1]
    assert [w.text for w in line.words] == ["the", "number", "of", "libraries"]
    of, libraries = line.words[2:]
    assert of.x1 == libraries.x0 and of.x0 < of.x1 < libraries.x1
    assert isinstance(of, Word) and of.top == libraries.top
