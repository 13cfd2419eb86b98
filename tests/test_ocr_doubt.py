"""The default OCR stage's checked fast reading: PP-OCRv6 tiny reads every line, the
bundled small recognizer only the lines whose tiny reading is in doubt.

The doubtful readings below are the tiny recognizer's own, at confidence 0.95 or
more, on the corpus's scans (docs/BENCHMARKS.md, "OCR: a fast first reading,
checked"); the small recognizer read each line right.
"""

from __future__ import annotations

import pytest

from docworker.stages.ocr.doubt import SURE, doubtful
from tests.ocr_jobs import count_batches, read_spied

TINY_MISREADINGS = [
    "segmentation drops significanty when these models are applied",  # DocLayNet scan
    "proach, and teaching technlques,",  # old newspaper
    "Wlhen the war is over, how many soldiers will be unable to earn",  # Vicksburg
    "material on the history oflibraries.",  # ocropy's test page
    "We serouched down and laid still.",  # c02-22
    "• Two TRIGGER OUTPU'TS may be programmed to output pulses",  # linn
    "however, did not last long;it became too conspicuous and dan-",
    "Alas!for the women, children and aged in the city, for they must",
    "year. Other figures are. also quoted which are at times",
    "improvement in the system and plan for the future..",
    '• Ultra-fast 3/½" disk drive stores complex songs in seconds',
    "you’'l hear what you played—only all timing errors will be",
    "Jim, was setting in the kitchen door ;",
    "Analysis: January 29, 201613:41 Version 13.3:3",  # camelot's scanned report
    "327x150",
    "I transmit herewith, for the consideration of Congress, a report fron the",  # congress
    "father,‡ modesty and a manly character.",  # Meditations
]


@pytest.mark.parametrize("text", TINY_MISREADINGS)
def test_a_misreading_that_makes_no_english_is_in_doubt(text):
    assert doubtful(text, 0.98)


@pytest.mark.parametrize(
    "text",
    [
        "and intellectual wealth of the society. It serves an important",
        "record, the first track will play in perfect sync (unless you",
        "You'll hear what you played, and it's there... don't stop.",
        "Federal Register, Thursday, the sixth of August",
    ],
)
def test_a_sure_reading_in_common_english_is_kept(text):
    assert not doubtful(text, 0.98)


def test_a_low_score_or_another_language_is_in_doubt():
    assert doubtful("and intellectual wealth of the society", SURE - 0.01)
    assert doubtful("Der schnelle braune Fuchs springt", 0.99)
    assert doubtful("échappés à la perspicacité des anciens", 0.99)
    assert doubtful("照見五蘊皆空", 0.99)


LINES = [
    "The committee met on Monday to discuss",
    "the results of the annual survey and",
    "agreed to publish the report in June.",
    "Dr. Wojciechowski from Szczebrzeszyn",
]


def test_the_default_stage_reads_again_only_the_lines_in_doubt(monkeypatch):
    """Every line goes through the tiny recognizer once; the small one gets the line of
    names only, in one batch; the page reads right and names all three models."""
    pytest.importorskip("rapidocr")
    from docworker.stages.ocr.rapidocr import OcrStage

    stage = OcrStage.from_settings(1)
    assert {"PP-OCRv6_rec_tiny"} <= {m.id for m in stage.models()}
    assert {m.role for m in stage.models()} >= {"ocr_det", "ocr_rec"}
    read, first, again = read_spied(monkeypatch, stage, LINES, (1100, 330), 30, count_batches)
    assert [line.text for line in read.lines] == LINES
    assert first == [4]
    assert again == [1]
    assert all(line.words for line in read.lines)


def test_the_small_engine_reads_every_line_itself(monkeypatch):
    pytest.importorskip("rapidocr")
    from docworker.stages import ocr
    from tests.pdfgen import text_image

    stage = ocr.build("rapidocr-small")
    assert stage._first is None
    assert not any("tiny" in m.id for m in stage.models())
    counts = count_batches(monkeypatch, stage._engine)
    read = stage.read(text_image(LINES, size=(1100, 330), font_size=30).convert("RGB"), 1.0)
    assert [line.text for line in read.lines] == LINES
    assert counts == [4]


def test_a_page_mostly_in_doubt_is_read_by_the_small_recognizer_after_the_sample(monkeypatch):
    """A page whose first lines are mostly in doubt (here German): tiny reads only its
    first ``SAMPLE`` lines, the small recognizer every line, in one batch."""
    pytest.importorskip("rapidocr")
    from docworker.stages.ocr.rapidocr import SAMPLE, OcrStage

    german = [
        "Die Prüfung der Unterlagen ergab",
        "keine Beanstandungen. Der Bericht",
        "wurde dem Ausschuss vorgelegt und",
        "einstimmig angenommen. Über die",
        "Verwendung der Mittel entscheidet",
        "der Vorstand nach Anhörung der",
        "Mitglieder. Die nächste Sitzung",
        "findet im Frühjahr statt, sofern",
        "keine außerordentliche Versammlung",
        "einberufen wird. Gezeichnet, Berlin",
    ]
    stage = OcrStage.from_settings(1)
    read, first, again = read_spied(monkeypatch, stage, german, (900, 1250), 28, count_batches)
    assert [line.text for line in read.lines] == german
    assert first == [SAMPLE]
    assert again == [len(german)]
