"""OCR lines: cut at column gutters, drop caps merged, hyphens tidied, word boxes, languages."""

from __future__ import annotations

import random

import pytest

from docworker.geometry import Line, Word
from docworker.stages import reading_order
from docworker.stages.ocr import cleanup, language_warnings, model_key
from docworker.stages.ocr import languages as langs
from docworker.stages.ocr.lines import (
    CTC_HALF,
    CTC_LAG,
    ctc_words,
    fit_to_words,
    merge_drop_caps,
    split_at_gutters,
    tidy,
    tidy_hyphens,
)

H = 40.0  # line height in pixels (a 300-dpi scan of 9.5 pt type)
LEADING = 48.0


def _line(words: list[tuple[float, float, str]], y: float, h: float = H) -> Line:
    """A line of (x0, x1, text) words at height ``y``, its box padded like a detector's."""
    ws = [Word(x0, y, x1, y + h, text) for x0, x1, text in words]
    x0, x1 = min(w.x0 for w in ws), max(w.x1 for w in ws)
    return Line(" ".join(w.text for w in ws), (x0 - 12, y, x1 + 12, y + h), 0.99, words=ws)


def _justified(x0: float, x1: float, rng: random.Random, tag: str) -> list:
    """Words of random widths spread over [x0, x1] with even gaps (justified prose)."""
    widths: list[float] = []
    slack = rng.uniform(0, 2 * H)
    while sum(widths) + 0.45 * H * len(widths) < x1 - x0 - slack:
        widths.append(rng.uniform(1.0, 5.0) * H)
    n = len(widths)
    gap = (x1 - x0 - sum(widths)) / (n - 1)
    out, x = [], x0
    for i, w in enumerate(widths):
        out.append((x, x + w, f"{tag}{i}"))
        x += w + gap
    return out


def two_columns(seed: int, rows: int = 20, gutter: float = 30.0, crossing: float = 0.8):
    """A page of two justified columns; most rows come back as one line across the gutter."""
    rng = random.Random(seed)
    left, right = (200.0, 1250.0), (1250.0 + gutter, 2330.0)
    lines = []
    for r in range(rows):
        y = 400 + r * LEADING
        a = _justified(*left, rng, f"L{r}w")
        b = _justified(*right, rng, f"R{r}w")
        if rng.random() < crossing:
            lines.append(_line(a + b, y))
        else:
            lines += [_line(a, y), _line(b, y)]
    return lines


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("gutter", [24.0, 40.0, 80.0])
def test_lines_across_a_narrow_gutter_are_cut_there(seed, gutter):
    lines = split_at_gutters(two_columns(seed, gutter=gutter))
    middle = 1250 + gutter / 2
    for line in lines:
        side = {w.text[0] for w in line.words}
        assert len(side) == 1, line.text
        assert line.text == " ".join(w.text for w in line.words)
        assert line.bbox[2] < middle + 12 or line.bbox[0] > middle - 12, line.text
    assert sum(1 for ln in lines if ln.text.startswith("L")) >= 20


@pytest.mark.parametrize("seed", range(20))
def test_justified_prose_in_one_column_reads_as_before(seed):
    """A river of spaces may cut a line now and then; reading order joins it back."""
    rng = random.Random(seed)
    rows = [_justified(200, 2330, rng, "w") for _ in range(25)]
    lines = [_line(words, 400 + r * LEADING) for r, words in enumerate(rows)]
    cut = split_at_gutters(lines)
    assert len(cut) <= len(lines) + 4
    read = [ln.text for ln in reading_order.reading_order(cut, 2550)]
    assert read == [ln.text for ln in reading_order.reading_order(lines, 2550)]


def _grid_rows(rows: int, columns: list[tuple[float, int]]) -> list[Line]:
    """CJK lines set on a grid (a character each ``H`` across), each character a word
    box as narrow as the recognizer's CTC columns make it; ``columns``: (left edge,
    characters) of each run of text in a row."""
    text = "般若波羅蜜多心經觀自在菩薩行深照見五蘊皆空度一切苦厄舍利子色不異"
    out = []
    for r in range(rows):
        words = [
            Word(x + k * H + 0.35 * H, 400 + r * LEADING, x + k * H + 0.65 * H,
                 400 + r * LEADING + H, text[(r + k) % len(text)])
            for x, count in columns
            for k in range(count)
        ]  # fmt: skip
        x0, x1 = words[0].x0, words[-1].x1
        out.append(
            Line("".join(w.text for w in words), (x0 - 12, words[0].top, x1 + 12,
                 words[0].bottom), 0.99, words=words)
        )  # fmt: skip
    return out


def test_cjk_set_on_a_grid_is_not_cut_at_its_characters_gaps():
    """Characters on a grid leave the same gaps clear on every row; a line is cut
    between two CJK characters only where the gap is a gutter's width."""
    lines = _grid_rows(12, [(200, 30)])
    assert [ln.text for ln in split_at_gutters(lines)] == [ln.text for ln in lines]
    columns = _grid_rows(12, [(200, 12), (200 + 14 * H, 12)])  # two columns, 2 em apart
    cut = split_at_gutters(columns)
    assert len(cut) == 24 and all(len(ln.text) == 12 for ln in cut)


def test_columns_over_a_paragraph_across_the_page_are_cut_to_their_last_row():
    lines = two_columns(2, rows=14, gutter=30.0, crossing=1.0)
    rng = random.Random(9)
    lines += [_line(_justified(200, 2330, rng, "P"), 400 + r * LEADING) for r in range(14, 18)]
    cut = split_at_gutters(lines)
    assert all(len({w.text[0] for w in ln.words}) == 1 for ln in cut)
    assert len(cut) == 14 * 2 + 4


def test_the_top_row_is_cut_beside_a_drop_cap_at_the_top_of_the_next_column():
    """Column 2 opens with a drop cap: its first rows start 3.5 line heights in."""
    rng = random.Random(4)
    lines = []
    for r in range(12):
        y = 400 + r * LEADING
        right_start = 1280 + (3.5 * H if r < 3 else 0)
        a = _justified(200, 1250, rng, f"L{r}w")
        b = _justified(right_start, 2330, rng, f"R{r}w")
        lines += [_line(a + b, y)] if r == 0 else [_line(a, y), _line(b, y)]
    cut = split_at_gutters(lines)
    assert all(len({w.text[0] for w in ln.words}) == 1 for ln in cut)


def test_a_numbered_list_and_a_title_are_not_cut():
    rng = random.Random(3)
    rows = [[(100, 160, f"{r + 1}."), *_justified(220, 1800, rng, "w")] for r in range(10)]
    lines = [_line(words, 400 + r * LEADING) for r, words in enumerate(rows)]
    title = _line(
        [(200, 700, "Office"), (760, 1300, "Computers"), (1330, 1800, "Today")], 250, h=90
    )
    out = split_at_gutters([title, *lines])
    assert [ln.text for ln in out] == [ln.text for ln in [title, *lines]]


def test_cut_columns_come_back_in_column_order():
    """The whole point: reading order finds the columns once no line crosses the gutter."""
    lines = fit_to_words(two_columns(5, rows=24, gutter=40.0, crossing=0.9))
    before = [ln.text for ln in reading_order.reading_order(lines, 2550)]
    assert not before[0].startswith("L0w0") or "R0w0" in before[0]  # read across
    ordered = reading_order.reading_order(tidy(lines), 2550)
    first = [i for i, ln in enumerate(ordered) if ln.text.startswith("R")]
    lefts = [i for i, ln in enumerate(ordered) if ln.text.startswith("L")]
    assert max(lefts) < min(first)
    assert [ln.text.split()[0] for ln in ordered][:2] == ["L0w0", "L1w0"]


def test_boxes_are_fitted_to_their_words():
    line = _line([(300, 400, "a"), (420, 600, "b")], 100)
    assert line.bbox[0] == 288
    fitted = fit_to_words([line, Line("x", (1, 2, 3, 4))])
    assert fitted[0].bbox == (300, 100, 600, 100 + H) and fitted[1].bbox == (1, 2, 3, 4)


# ------------------------------------------------------------------ drop caps


def _cap(letter: str, x0: float, y: float, lines: int = 3) -> Line:
    return Line(letter, (x0, y - 4, x0 + 110, y + lines * LEADING - 8), 0.9)


def _column_with_cap(
    letter: str, first: str, rest: str = "quick brown fox jumps over"
) -> list[Line]:
    body = [
        _line([(330, 430, first), (450, 1200, rest)], 400),
        _line([(330, 1200, "the lazy dog and then")], 448),
        _line([(330, 1200, "it went on and on")], 496),
        _line([(200, 1200, "until the end of the man story")], 544),
    ]
    return [_cap(letter, 200, 400), *body]


def test_a_drop_cap_joins_the_word_it_starts():
    out = merge_drop_caps(_column_with_cap("T", "he"))
    assert out[0].text == "The quick brown fox jumps over"
    assert out[0].bbox[0] == 200 and out[0].bbox[1] == 400 and out[0].bbox[3] == 400 + H
    assert out[0].words[0].text == "The" and len(out) == 4


def test_a_drop_cap_that_is_a_word_keeps_its_space():
    out = merge_drop_caps(_column_with_cap("A", "man", "walked"))
    assert out[0].text == "A man walked"


def test_a_short_line_of_body_height_is_not_a_drop_cap():
    lines = _column_with_cap("T", "he")
    lines[0] = Line("T", (200, 400, 240, 400 + H), 0.9)
    assert [ln.text for ln in merge_drop_caps(lines)] == [ln.text for ln in lines]


# -------------------------------------------------------------------- hyphens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the underlying difficu¬", "the underlying difficu-"),
        ("the underlying difficu\u00ad", "the underlying difficu-"),
        ("the underlying difficu\u2010", "the underlying difficu-"),
        ("the underlying difficu -", "the underlying difficu-"),
        ("we will im- prove it", "we will improve it"),
        ("pre- and post-war", "pre- and post-war"),
        ("macro- y microeconómico", "macro- y microeconómico"),
        ("Schwarz- Weiß", "Schwarz- Weiß"),
        ("a well- known self- publishing house", "a well-known self-publishing house"),
        ("en 2023- 24", "en 2023- 24"),
        ("a dash - here", "a dash - here"),
    ],
)
def test_ocr_hyphens(text, expected):
    vocabulary_line = Line("self-publishing is a word on this page", (0, 0, 1, 1))
    out = tidy_hyphens([Line(text, (0, 0, 1, 1)), vocabulary_line])
    assert out[0].text == expected


# ------------------------------------------------------------------ word boxes


def test_ctc_columns_become_word_boxes_in_page_units():
    quad = [(100, 50), (1100, 50), (1100, 90), (100, 90)]
    chars = [list("its"), list("pre")]
    cols = [[1, 3, 5], [11, 13, 15]]
    words = ctc_words(quad, chars, cols, 100.0, 0.5)
    assert [w.text for w in words] == ["its", "pre"]
    (a, b) = words
    # Column c sits at (c + 0.5) / 100 of the box; the ink reaches CTC_HALF of
    # the 2-column pitch either side of the character, CTC_LAG of it earlier.
    lead, trail = 2 * (CTC_HALF + CTC_LAG), 2 * (CTC_HALF - CTC_LAG)
    assert a.x0 == pytest.approx((100 + 10 * (1.5 - lead)) * 0.5)
    assert a.x1 == pytest.approx((100 + 10 * (5.5 + trail)) * 0.5)
    assert b.x0 == pytest.approx((100 + 10 * (11.5 - lead)) * 0.5)
    assert (a.top, a.bottom) == (25.0, 45.0)
    assert ctc_words([(0, 0), (10, 0), (10, 80), (0, 80)], chars, cols, 100.0, 1.0) == []
    assert ctc_words(quad, chars, cols, 0.0, 1.0) == []


# ------------------------------------------------------------------ languages


def test_tesseract_reads_the_requested_languages_it_has():
    installed = {"eng", "spa", "osd"}
    assert langs.tesseract_plan(["es", "en"], installed) == (("spa", "eng"), [])
    assert langs.tesseract_plan(["en", "fr"], installed) == (("eng",), ["fr"])
    assert langs.tesseract_plan(["spa", "xx"], installed) == (("spa",), ["xx"])
    assert langs.warnings("tesseract", ["es", "en"], installed) == []
    (warning,) = langs.warnings("tesseract", ["ru", "fr"], installed)
    assert "ru (rus)" in warning and "fr (fra)" in warning and "its default languages" in warning


def test_rapidocr_warns_only_for_scripts_its_model_lacks():
    assert langs.warnings("rapidocr", ["es", "en", "fr", "de", "pt", "it", "zh", "ja"]) == []
    (warning,) = langs.warnings("rapidocr", ["es", "ru", "ar", "ko"])
    assert "ru, ar, ko" in warning and "Cyrillic" in warning and "Hangul" in warning


def test_a_page_read_with_low_confidence_is_named_in_one_warning():
    good = [("Das ist ein Satz.", 0.99)] * 6
    assert langs.unsure(good) is None
    assert langs.unsure(good[:4] + [("，，", 0.55)] * 3) is None  # short noise among good lines
    assert langs.unsure([("，，，引叫", 0.66)] * 5 + [("LPG", 0.97)]) == pytest.approx(
        0.6932, abs=1e-3
    )
    assert langs.unsure([("，，", 0.5)] * 4) is None  # too few lines to say
    assert langs.unsure([("x", None)] * 9) is None  # no scores (an engine that gives none)
    warning = langs.unsure_warning("rapidocr", list(range(1, 14)))
    assert warning and "pages 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 3 more" in warning
    assert "page 4 read" in (langs.unsure_warning("rapidocr-tiny", [4]) or "")
    assert langs.unsure_warning("rapidocr", []) is None
    # Tesseract's word confidences have a threshold of their own (0.6).
    assert langs.unsure([("Das ist ein Satz.", 0.75)] * 6, "tesseract") is None
    assert langs.unsure([("Das ist ein Satz.", 0.75)] * 6) == pytest.approx(0.75)
    assert langs.unsure([("，，", 0.4)] * 6, "tesseract") == pytest.approx(0.4)
    assert "Tesseract was not given" in (langs.unsure_warning("tesseract", [4]) or "")
    assert langs.unsure([("x", 0.1)] * 9, "an-engine") is None  # no threshold measured


def test_a_scan_in_a_script_the_model_lacks_warns_and_a_latin_scan_does_not(cpu_pipeline, tmp_path):
    """A Korean page (the corpus's Korean PDF rendered as a 150-dpi scan) reads as Chinese
    punctuation with no language named: the job says its OCR is in doubt. Tesseract's
    phototest, read well, says nothing."""
    from pathlib import Path

    from tests.ocr_jobs import korean_scan

    root = Path(__file__).resolve().parents[1]
    payload = cpu_pipeline.run({"document_path": str(korean_scan(tmp_path))}, job_id="korean")
    assert payload["data"]["pages"][0]["source"] == "ocr"
    (warning,) = [w for w in payload["metadata"]["warnings"] if "low confidence" in w]
    assert warning.startswith("OCR: page 1 read with low confidence")
    phototest = root.parent / "shared" / "corpus" / "tesseract" / "phototest.tif"
    if phototest.is_file():
        payload = cpu_pipeline.run({"document_path": str(phototest)}, job_id="latin")
        assert "quick brown dog" in payload["data"]["text"]
        assert not [w for w in payload["metadata"]["warnings"] if "low confidence" in w]


def test_the_script_table_matches_the_bundled_model():
    """``languages.SCRIPTS`` against the recognition model's own character dictionary."""
    pytest.importorskip("rapidocr")
    ort = pytest.importorskip("onnxruntime")
    from pathlib import Path

    import rapidocr

    (model,) = Path(rapidocr.__file__).parent.glob("models/*rec*.onnx")
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    chars = set(session.get_modelmeta().custom_metadata_map["character"].splitlines())
    samples = {
        "es": "ñáéíóú¿", "fr": "çéèêàùœ", "de": "äöüß", "pt": "ãõç", "zh": "中文字",
        "ja": "アイウあいう", "ru": "жщыэ", "ar": "ابت", "he": "אבג", "ko": "한국어",
        "el": "άέήίό", "hi": "कखग", "th": "กขค",
    }  # fmt: skip
    for language, letters in samples.items():
        readable = set(letters) <= chars
        assert readable == (not langs.rapidocr_missing([language])), language


def test_model_key_and_warnings_through_the_registry():
    assert model_key("rapidocr", ["ru", "es"]) == ()
    assert language_warnings("rapidocr", ["es", "en"]) == []


# ------------------------------------------------------------- real OCR engines


def _similar(a: str, b: str) -> float:
    import difflib

    return difflib.SequenceMatcher(None, " ".join(a.split()), " ".join(b.split())).ratio()


@pytest.fixture(scope="module")
def magazine():
    """The top of a generated 300-dpi magazine page: title, two columns, 0.17-inch gutter."""
    from bench.scanpages import ScanSpec, make_page

    return make_page(ScanSpec("t", dpi=300, gutter_in=0.17, paragraphs=3, height_in=4.2, seed=1))


def _read(stage, page) -> str:
    read = stage.read(page.image, 1.0)
    ordered = reading_order.reading_order(read.lines, page.image.width)
    return "\n\n".join(p.text for p in reading_order.paragraphs(ordered))


def test_rapidocr_reads_a_narrow_gutter_two_column_scan_in_column_order(magazine):
    pytest.importorskip("rapidocr")
    from docworker.stages.ocr.rapidocr import OcrStage

    text = _read(OcrStage.from_settings(1), magazine)
    assert _similar(text, magazine.reference) > 0.97, text
    # The drop cap is part of its word (the recognizer may misread the big
    # letter itself: a bold serif "I" comes back as "H").
    first = magazine.reference.split("\n\n")[1].split()[0]
    assert first[1:] not in text.split()
    assert any(len(t) == len(first) and t.endswith(first[1:]) for t in text.split())


def test_tesseract_lines_carry_words_and_read_in_column_order(magazine):
    pytest.importorskip("tesserocr")
    from docworker.stages.ocr.tesseract import TesseractStage, find_tessdata

    if find_tessdata() is None:
        pytest.skip("no Tesseract language data")
    stage = TesseractStage.from_settings(1, languages=("en",))
    assert [m.id for m in stage.models() if m.role == "ocr_rec"] == ["tesseract-eng"]
    read = stage.read(magazine.image, 1.0)
    assert all(line.words for line in read.lines)
    assert _similar(_read(stage, magazine), magazine.reference) > 0.95


def test_tesseract_without_the_requested_language_keeps_its_defaults():
    pytest.importorskip("tesserocr")
    from docworker.stages.ocr.tesseract import find_tessdata, language_codes

    found = find_tessdata()
    if found is None:
        pytest.skip("no Tesseract language data")
    assert language_codes(("xx",)) == tuple(found[1])
    assert language_codes(()) == tuple(found[1])
    if "eng" in found[1]:
        assert language_codes(("en", "xx")) == ("eng",)
        assert model_key("tesseract", ["en"]) == ("eng",)


def test_a_job_in_a_script_the_ocr_model_lacks_is_warned(cpu_pipeline):
    import base64
    import io

    from tests.pdfgen import text_image

    buf = io.BytesIO()
    text_image(["Información pública"]).save(buf, format="PNG")
    document = base64.b64encode(buf.getvalue()).decode()
    job = {"document_base64": document, "filename": "scan.png"}
    payload = cpu_pipeline.run({**job, "languages": ["es", "ru"]}, job_id="langs")
    (warning,) = [w for w in payload["metadata"]["warnings"] if w.startswith("OCR:")]
    assert "ru" in warning and "Cyrillic" in warning
    plain = cpu_pipeline.run({**job, "languages": ["es", "en"]}, job_id="langs-2")
    assert not [w for w in plain["metadata"]["warnings"] if w.startswith("OCR:")]


def _ocr_line(text, top):
    words, x = [], 50.0
    for token in text.split():
        words.append(Word(x, top, x + 6 * len(token), top + 10, token))
        x += 6 * (len(token) + 1)
    return Line(text, (50.0, top, x, top + 10), confidence=0.9, words=words)


def test_a_lone_cjk_character_on_a_latin_page_is_dropped():
    """The recognizer reads Chinese too: a star on an English newspaper came out as 水."""
    body = [_ocr_line(f"Line {i} of an English cinema advertisement", 20 * i) for i in range(20)]
    stray = _ocr_line("Winner of 8 Academy Awards! 水", 400)
    alone = _ocr_line("水", 420)
    name = _ocr_line("Directed by 黒澤 明 in 1950", 440)
    out = cleanup.drop_stray_cjk([*body, stray, alone, name])
    assert [line.text for line in out[20:]] == [
        "Winner of 8 Academy Awards!",
        "Directed by 黒澤 明 in 1950",  # a CJK word of two stays, and so does one beside it
    ]
    assert [w.text for w in out[20].words] == ["Winner", "of", "8", "Academy", "Awards!"]
    assert out[:20] == body


def test_cjk_pages_keep_their_single_characters():
    lines = [_ocr_line("第 一 章 総 則", 0), _ocr_line("この 法律 は 、", 20)]
    lines += [_ocr_line("A short English note", 40)]
    assert cleanup.drop_stray_cjk(lines) == lines


def test_an_accent_the_page_spells_without_is_folded_on_an_english_page():
    """The recognizer added accents on a worn English page: "Freńch" beside "French"."""
    body = [_ocr_line(f"Line {i} of an English newspaper page", 20 * i) for i in range(60)]
    lines = [
        *body,
        _ocr_line("Freńch Institute Creates A French Community", 1200),
        _ocr_line("Twenty Yéars ago, over the years, José Núñez said voilà", 1220),
    ]
    out = cleanup.fold_stray_accents(lines)
    assert out[60].text == "French Institute Creates A French Community"
    assert [w.text for w in out[60].words][:2] == ["French", "Institute"]
    # "Yéars" has "years" beside it; José, Núñez and voilà have no plain spelling here.
    assert out[61].text == "Twenty Years ago, over the years, José Núñez said voilà"
    assert out[:60] == body


def test_accents_stay_on_pages_in_languages_that_use_them():
    lines = [
        _ocr_line(f"El {i} rápido zorro marrón salta sobre el perro", 20 * i) for i in range(8)
    ]
    lines += [_ocr_line("como y cómo, si y sí, rapido", 200)]
    assert cleanup.fold_stray_accents(lines) == lines
