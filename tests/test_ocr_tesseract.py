"""The Tesseract OCR stage (stages/ocr/tesseract.py) and DOCWORKER_OCR_ENGINE.

Tests that read images skip when tesserocr or Tesseract's language data is
missing; the orientation test also needs ``osd.traineddata``. The settings
and missing-engine tests run everywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from docworker import errors
from docworker.config import Settings
from docworker.stages.ocr.orientation import rotate_image
from tests.ocr_jobs import engine_pipeline, korean_scan, run_scan_job
from tests.pdfgen import text_image

SPANISH = ["¿Dónde está el niño?", "¡Señal de año pequeño!", "Información pública"]
LONG = [
    "La dirección de la oficina recibió la solicitud del señor Muñoz.",
    "El año pasado se presentó una queja por el ruido del camión.",
    "¿Quién firmó la resolución número tres? Nadie lo sabe aún.",
    "Las señales de tráfico en Logroño están en buen estado.",
    "¡Qué pequeño es el jardín detrás de la estación!",
    "Mañana se publicará la información pública del ayuntamiento.",
]
SCANNED = ["Información pública", "Logroño, año 2025"]


def _tessdata() -> tuple[Path, list[str]]:
    pytest.importorskip("tesserocr")
    from docworker.stages.ocr.tesseract import find_tessdata

    found = find_tessdata()
    if found is None or "spa" not in found[1]:
        pytest.skip("no spa.traineddata: apt-get install tesseract-ocr-spa")
    return found


@pytest.fixture(scope="module")
def stage():
    _tessdata()
    from docworker.stages.ocr.tesseract import TesseractStage

    with pytest.MonkeyPatch.context() as mp:  # from_settings sets OMP_THREAD_LIMIT
        mp.setenv("OMP_THREAD_LIMIT", "1")
        yield TesseractStage.from_settings(threads=1)


# ------------------------------------------------------------------ settings


def test_engine_setting_reads_the_environment_and_refuses_unknown_engines(monkeypatch):
    monkeypatch.delenv("DOCWORKER_OCR_ENGINE", raising=False)
    assert Settings().ocr_engine == "rapidocr"
    monkeypatch.setenv("DOCWORKER_OCR_ENGINE", "tesseract")
    assert Settings().ocr_engine == "tesseract"
    monkeypatch.setenv("DOCWORKER_OCR_ENGINE", "easyocr")
    with pytest.raises(ValidationError):
        Settings()
    with pytest.raises(ValidationError):
        Settings(ocr_engine="Tesseract")


def test_missing_tesserocr_is_engine_unavailable(monkeypatch):
    from docworker.engines import cpu
    from docworker.stages.ocr.tesseract import TesseractStage

    monkeypatch.setitem(sys.modules, "tesserocr", None)  # import raises ImportError
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    with pytest.raises(errors.EngineUnavailable, match="tesserocr is not installed"):
        TesseractStage.from_settings()
    monkeypatch.setattr(cpu, "_ocr", {})
    with pytest.raises(errors.EngineUnavailable, match="pip install tesserocr"):
        cpu.warmup((1, "tesseract"))


def test_missing_language_data_is_engine_unavailable(monkeypatch, tmp_path):
    pytest.importorskip("tesserocr")
    from docworker.stages.ocr import tesseract as ocr_tesseract

    monkeypatch.setattr(ocr_tesseract, "TESSDATA_DIRS", (str(tmp_path / "nowhere"),))
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    with pytest.raises(errors.EngineUnavailable, match=r"spa\.traineddata.*tesseract-ocr-spa"):
        ocr_tesseract.TesseractStage.from_settings()


def test_tessdata_prefix_wins_and_may_name_the_parent_folder(tmp_path):
    from docworker.stages.ocr.tesseract import find_tessdata

    (tmp_path / "tessdata").mkdir()
    (tmp_path / "tessdata" / "eng.traineddata").write_bytes(b"")
    assert find_tessdata({"TESSDATA_PREFIX": str(tmp_path)}) == (tmp_path / "tessdata", ["eng"])


# ------------------------------------------------------------------- reading


def test_reads_spanish_accents_with_boxes_and_confidence(stage):
    image = text_image(SPANISH, size=(900, 300), font_size=36)
    read = stage.read(image, 0.5)
    assert read.rotation == 0, read.reason
    assert [line.text for line in read.lines] == SPANISH
    for line, y in zip(read.lines, (30, 102, 174), strict=True):
        x0, y0, x1, y1 = line.bbox  # page units: half the pixels
        assert 10 <= x0 < x1 <= 450 and y / 2 - 5 <= y0 < y1 <= y / 2 + 30
        assert 0.5 < line.confidence <= 1.0
    assert stage(image, 1.0)[0].bbox[2] > 300  # __call__: pixel units at scale 1
    ids = {m.id for m in stage.models()}
    assert {"tesseract-spa", "tesseract-eng"} <= ids


@pytest.mark.parametrize("angle", [90, 180, 270])
def test_turned_page_is_read_upright_and_the_angle_reported(stage, angle):
    if "tesseract-osd" not in {m.id for m in stage.models()}:
        pytest.skip("osd.traineddata is not installed")
    upright = text_image(LONG, size=(1240, 600), font_size=26)
    # Stored turned counter-clockwise: turning it clockwise by ``angle`` makes it upright.
    stored = rotate_image(upright, (360 - angle) % 360)
    read = stage.read(stored, 1.0)
    assert read.rotation == angle, read.reason
    assert [line.text for line in read.lines] == LONG
    # Boxes are on the upright page: lines run left to right, top to bottom.
    assert all(ln.bbox[2] - ln.bbox[0] > 5 * (ln.bbox[3] - ln.bbox[1]) for ln in read.lines)
    assert [ln.bbox[1] for ln in read.lines] == sorted(ln.bbox[1] for ln in read.lines)


def test_without_osd_data_the_page_is_read_as_it_is(stage):
    from docworker.stages.ocr.tesseract import TesseractStage

    blind = TesseractStage(stage._api, None, stage.models())
    read = blind.read(rotate_image(text_image(SPANISH), 180), 1.0)
    assert read.rotation == 0 and "osd.traineddata" in read.reason


# ------------------------------------------------------------------ pipeline


@pytest.fixture(scope="module")
def tesseract_pipeline():
    _tessdata()
    pipeline = engine_pipeline("tesseract")
    yield pipeline
    pipeline.close()


def test_pipeline_job_uses_tesseract_and_says_so(tesseract_pipeline, tmp_path):
    payload = run_scan_job(tesseract_pipeline, tmp_path, SCANNED, "tess")
    meta = payload["metadata"]
    page = payload["data"]["pages"][0]
    assert page["source"] == "ocr" and page["unit"] == "pt"
    assert [text for text in page["text"].split("\n") if text] == SCANNED
    line = next(b for b in page["blocks"] if b["type"] == "line")
    x0, y0, _, _ = line["bbox"]  # scan_jpeg's first line starts at pixel (80, 60): ~(38, 29) pt
    assert 30 < x0 < 46 and 20 < y0 < 40
    models = meta["engine"]["models"]
    assert {"tesseract-spa", "tesseract-eng"} <= {m["id"] for m in models}
    assert all(m["runtime"] != "onnxruntime" for m in models), "RapidOCR listed"
    assert any(m["runtime"].startswith("tesserocr") for m in models)


def test_a_page_tesseract_reads_with_low_confidence_is_named_in_a_warning(
    tesseract_pipeline, tmp_path
):
    """The corpus's Korean PDF rendered as a 150-dpi scan, read with ``spa+eng`` data
    (mean word confidence 0.37): the job says the page's OCR is in doubt."""
    scan = korean_scan(tmp_path)
    payload = tesseract_pipeline.run({"document_path": str(scan)}, job_id="korean-tess")
    (warning,) = [w for w in payload["metadata"]["warnings"] if "low confidence" in w]
    assert warning.startswith("OCR: page 1 read with low confidence") and "0.6" in warning
    assert "Tesseract was not given" in warning


def test_build_refuses_to_start_when_tesseract_is_missing(tmp_path, monkeypatch):
    """Page processes get the parent's sys.path: a stub that fails to import stands in
    for a missing tesserocr there, and the build must fail, not warn."""
    from docworker.pipeline import Pipeline

    (tmp_path / "tesserocr.py").write_text("raise ImportError('no tesserocr here')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(errors.EngineUnavailable, match="tesserocr is not installed"):
        Pipeline.build(Settings(default_engine="cpu", workers=1, ocr_engine="tesseract"))


# ------------------------------------------------------------------- harness


def test_eval_takes_the_engine_and_never_mixes_two_engines_in_one_report(tmp_path, capsys):
    import json

    from bench import quality as evaluate

    from docworker.__main__ import build_parser

    args = build_parser().parse_args(["eval", "--corpus", "c", "--ocr", "tesseract"])
    assert args.ocr == "tesseract"
    assert build_parser().parse_args(["eval", "--corpus", "c"]).ocr == "rapidocr"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["eval", "--corpus", "c", "--ocr", "easyocr"])
    (tmp_path / "MANIFEST.tsv").write_text("local_path\tkind\n", encoding="utf-8")
    report = tmp_path / "q.json"
    report.write_text(json.dumps({"meta": {"command": "eval"}, "files": {}}), encoding="utf-8")
    assert evaluate.ocr_engine_of(json.loads(report.read_text())) == "rapidocr"
    code = evaluate.main(tmp_path, None, report, "scans/", "eval", ocr="tesseract")
    assert code == 2 and "holds rapidocr figures" in capsys.readouterr().out


def test_eval_checks_run_on_the_engine_asked_for(tmp_path, monkeypatch):
    """``eval --checks-only --ocr X`` scores the checks with engine X (it used to run
    them on RapidOCR whatever ``--ocr`` said)."""
    from bench.quality import checkrun

    from docworker.__main__ import main

    seen: dict[str, str] = {}

    def record(*args, **kwargs):
        seen["ocr"] = kwargs.get("ocr", "rapidocr")
        return 0

    monkeypatch.setattr(checkrun, "main", record)
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "MANIFEST.tsv").write_text("local_path\tkind\n", encoding="utf-8")
    argv = ["eval", "--corpus", str(corpus), "--checks-only", "--ocr", "rapidocr-tiny"]
    assert main([*argv, "--outputs", str(tmp_path / "o")]) == 0
    assert seen["ocr"] == "rapidocr-tiny"
