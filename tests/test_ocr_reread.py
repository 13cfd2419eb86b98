"""The default OCR stage reads again only the words in doubt of a line whose tiny reading
is otherwise sure (``stages/ocr/reread.py``): a stretch of the line's image round them,
cut at the gaps the tiny reading's CTC columns place, its reading spliced into the line."""

from __future__ import annotations

import itertools

import pytest
from rapidocr.ch_ppocr_rec.typings import WordInfo

from docworker.stages.ocr import reread
from docworker.stages.ocr.doubt import SURE, doubtful_tokens
from tests.ocr_jobs import count_batches, image_widths, read_spied


def info_for(text: str, pitch: int = 4, conf: float = 0.99) -> WordInfo:
    """A word result as rapidocr gives it: each character ``pitch`` CTC columns on from the
    last (a space too), the line ``len(text) * pitch`` columns long, every score ``conf``."""
    words, cols, current, current_cols = [], [], [], []
    for k, ch in enumerate(text + " "):
        if ch == " ":
            if current:
                words.append(current)
                cols.append(current_cols)
            current, current_cols = [], []
            continue
        current.append(ch)
        current_cols.append(k * pitch + 1)
    return WordInfo(
        words=words, word_cols=cols, line_txt_len=len(text) * pitch, confs=[conf] * len(text)
    )


LINE = "the committee met in the fron room of the old town hall on Monday"


def test_the_doubtful_tokens_and_what_touches_them():
    tokens = doubtful_tokens("it cost 12 dollars,  and the fron door")
    assert [t for t in tokens if t[2]] == [
        (8, 10, True),
        (11, 19, True),
        (21, 24, True),
        (29, 33, True),
    ]


def test_a_doubtful_word_is_cut_out_with_its_neighbours_at_the_gaps():
    width = len(LINE) * 8  # 8 px a character: a column is 2 px
    (cut,) = reread.cuts(LINE, 0.99, info_for(LINE), (20, width), ratio=1.0)
    assert LINE[cut.start : cut.end] == "the fron room"
    # the gaps' middles, less the CTC lag: within a character of the words' ends
    assert abs(cut.x0 - 8 * LINE.index("the fron")) <= 8
    assert abs(cut.x1 - 8 * (LINE.index("room") + 4)) <= 8


def test_doubts_apart_are_cut_apart_and_doubts_side_by_side_together():
    text = "the fron room of the old town hall on Monday with tle people"
    width = len(text) * 8
    cuts = reread.cuts(text, 0.99, info_for(text), (20, width), ratio=1.0)
    assert [text[c.start : c.end] for c in cuts] == ["the fron room", "with tle people"]
    assert cuts[0].x1 < cuts[1].x0
    text = "the fron tle room of the old town hall on Monday and the people"
    cuts = reread.cuts(text, 0.99, info_for(text), (20, len(text) * 8), ratio=1.0)
    assert [text[c.start : c.end] for c in cuts] == ["the fron tle room"]


def test_a_stretch_is_widened_to_the_narrowest_image_the_recognizer_reads():
    width = len(LINE) * 8
    (cut,) = reread.cuts(LINE, 0.99, info_for(LINE), (20, width), ratio=320 / 48)
    assert cut.x1 - cut.x0 >= 20 * 320 / 48
    assert "the fron room" in LINE[cut.start : cut.end]


@pytest.mark.parametrize(
    "text, score",
    [
        (LINE, SURE - 0.01),  # the score is in doubt: the whole line is
        ("", 0.99),
        ("fron tle bis wav", 0.99),  # most of the line in doubt
    ],
)
def test_a_line_is_read_whole_when_its_doubt_is_not_a_few_words(text, score):
    assert reread.cuts(text, score, info_for(text), (20, 8 * max(1, len(text))), 1.0) is None


def test_columns_that_do_not_match_the_text_read_the_line_whole():
    info = info_for(LINE)
    info.word_cols[0] = info.word_cols[0][:-1]
    assert reread.cuts(LINE, 0.99, info, (20, len(LINE) * 8), 1.0) is None


def test_the_small_reading_is_spliced_in_with_its_columns_on_the_line():
    width = len(LINE) * 8
    info = info_for(LINE)
    (cut,) = reread.cuts(LINE, 0.99, info, (20, width), ratio=1.0)
    piece = "the front room"
    text, score, new = reread.splice(
        (LINE, 0.99, info), width, [(cut, (piece, 0.9, info_for(piece, conf=0.9)))], floor=0.5
    )
    assert text == LINE.replace("fron", "front")
    assert 0.9 < score < 0.99  # its characters' mean, as RapidOCR scores a line
    assert [("".join(w)) for w in new.words] == text.split()
    flat = [c for cols in new.word_cols for c in cols]
    assert flat == sorted(flat)  # the spliced columns fall in place along the line
    assert len(new.confs) == len(text)


def test_a_stretch_read_below_the_floor_keeps_the_fast_reading():
    width = len(LINE) * 8
    info = info_for(LINE)
    (cut,) = reread.cuts(LINE, 0.99, info, (20, width), ratio=1.0)
    text, _, _ = reread.splice(
        (LINE, 0.99, info), width, [(cut, ("xx", 0.2, info_for("xx")))], floor=0.5
    )
    assert text == LINE


def test_the_default_stage_reads_again_only_a_stretch_round_a_number(monkeypatch):
    """A long line sure but for its number: the small recognizer reads a piece of it, far
    narrower than the line, and the line reads right with a box for every word."""
    pytest.importorskip("rapidocr")
    from docworker.stages.ocr.rapidocr import OcrStage

    lines = [
        "The committee met on Monday to discuss the",
        "results of the survey of 2024 and agreed to",
        "publish the report in June of the next year.",
    ]
    stage = OcrStage.from_settings(1)
    read, first, again = read_spied(monkeypatch, stage, lines, (1400, 330), 30, image_widths)
    assert [line.text for line in read.lines] == lines
    (batch,) = first
    (pieces,) = again
    assert len(pieces) == 1 and pieces[0] < batch[1] / 2
    number = read.lines[1].words
    assert [w.text for w in number] == lines[1].split()
    assert all(a.x1 <= b.x0 + 1 for a, b in itertools.pairwise(number))
    _, _, counts = read_spied(monkeypatch, stage, lines, (1400, 330), 30, count_batches)
    assert counts == [1]
