"""The CPU pipeline end to end on generated files: real pdfium, RapidOCR and page processes."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import jsonschema
import pytest
from PIL import Image

from tests.pdfgen import ImagePage, TextPage, build_pdf, scan_jpeg, text_image

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "output.schema.json").read_text())

DIGITAL = "Artículo 3. ¿Quién firmó la resolución? ¡El señor Muñoz!"
SCANNED = ["Información pública", "Logroño, año 2025"]


@pytest.fixture(scope="module")
def mixed_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("docs") / "mixto.pdf"
    path.write_bytes(
        build_pdf(
            [
                TextPage(lines=[(72, 100, 12, DIGITAL), (72, 118, 12, "Segunda línea del texto.")]),
                ImagePage(jpeg=scan_jpeg(SCANNED), pixel_size=(1240, 700)),
            ]
        )
    )
    return path


def run(pipeline, **job):
    return pipeline.run(job, job_id="test-job")


def test_digital_and_scanned_pages(cpu_pipeline, mixed_pdf):
    payload = run(cpu_pipeline, document_path=str(mixed_pdf))
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    meta = payload["metadata"]
    assert meta["status"] == "success" and meta["errors"] == []
    assert meta["document"]["page_count"] == 2 and meta["document"]["mime"] == "application/pdf"
    assert meta["engine"]["name"] == "cpu" and meta["engine"]["device"] == "cpu"
    assert {m["runtime"] for m in meta["engine"]["models"]} == {"pdfium", "onnxruntime"}
    assert meta["network"]["blocked_outbound"] == 0
    assert meta["job_id"] == "test-job"
    digital, scanned = payload["data"]["pages"]
    assert digital["source"] == "text_layer" and DIGITAL in digital["text"]
    assert scanned["source"] == "ocr"
    assert "Información pública" in scanned["text"] and "Logroño, año 2025" in scanned["text"]
    assert DIGITAL in payload["data"]["markdown"] and "Logroño" in payload["data"]["text"]
    for stage in ("fetch", "probe", "text_layer", "render", "ocr", "total"):
        assert meta["timings_ms"][stage] >= 0


def test_a_cpu_job_reads_ahead_of_a_slow_page(cpu_pipeline, mixed_pdf, monkeypatch):
    """The CPU engine keeps every page's result anyway, so its page processes are never held
    to DOCWORKER_WINDOW_PAGES pages ahead of the oldest page still being read (the pool's
    own test, ``test_a_slow_first_task_leaves_the_other_child_working``, shows what that
    window does to a slow first page)."""
    windows = []
    real = cpu_pipeline.pool.run

    def spy(function, tasks, **kw):
        windows.append((function, kw.get("window")))
        return real(function, tasks, **kw)

    monkeypatch.setattr(cpu_pipeline.pool, "run", spy)
    payload = run(cpu_pipeline, document_path=str(mixed_pdf))
    assert payload["metadata"]["status"] == "success"
    assert ("docworker.engines.cpu.read_page", 2) in windows


def test_ocr_boxes_are_in_page_points_not_render_pixels(cpu_pipeline, mixed_pdf):
    payload = run(cpu_pipeline, document_path=str(mixed_pdf), pages="2", dpi=200)
    page = payload["data"]["pages"][0]
    assert page["unit"] == "pt" and (page["width"], page["height"]) == (595, 842)
    line = next(b for b in page["blocks"] if b["type"] == "line" and "Información" in b["text"])
    x0, y0, x1, y1 = line["bbox"]
    # scan_jpeg draws the first line at pixel (80, 60) of a 1240 px-wide image
    # placed full width (595 pt): 80 px → 38.4 pt, 60 px → 28.8 pt.
    assert 25 < x0 < 50 and 15 < y0 < 45 and x1 < 595 and y1 < 120
    assert 0 < line["confidence"] <= 1


def test_outputs_subset(cpu_pipeline, mixed_pdf):
    payload = run(cpu_pipeline, document_path=str(mixed_pdf), pages="1", outputs=["markdown"])
    page = payload["data"]["pages"][0]
    assert payload["data"]["text"] is None and page["text"] is None and page["blocks"] is None
    assert DIGITAL in payload["data"]["markdown"]


def test_ocr_policies(cpu_pipeline, mixed_pdf):
    never = run(cpu_pipeline, document_path=str(mixed_pdf), ocr="never")
    assert [p["source"] for p in never["data"]["pages"]] == ["text_layer", "text_layer"]
    always = run(cpu_pipeline, document_path=str(mixed_pdf), ocr="always", pages="1")
    assert always["data"]["pages"][0]["source"] == "ocr"
    assert "Muñoz" in always["data"]["pages"][0]["text"]


def test_page_selection(cpu_pipeline, mixed_pdf):
    payload = run(cpu_pipeline, document_path=str(mixed_pdf), pages="2-")
    assert [p["number"] for p in payload["data"]["pages"]] == [2]
    assert payload["metadata"]["document"]["pages_processed"] == 1
    error = run(cpu_pipeline, document_path=str(mixed_pdf), pages="7")["error"]
    assert error["code"] == "invalid_input" and "2 page" in error["message"]


def test_base64_image(cpu_pipeline):
    buf = io.BytesIO()
    text_image(["Señal número 7"]).save(buf, format="PNG")
    payload = run(
        cpu_pipeline,
        document_base64=base64.b64encode(buf.getvalue()).decode(),
        filename="señal.png",
    )
    page = payload["data"]["pages"][0]
    assert page["unit"] == "px" and page["source"] == "ocr"
    assert "Señal número 7" in page["text"]
    assert payload["metadata"]["document"]["filename"] == "señal.png"


def test_failed_page_makes_the_document_partial(cpu_pipeline, tmp_path):
    pdf = build_pdf(
        [
            TextPage(lines=[(72, 100, 12, "Página buena con texto suficiente.")]),
            TextPage(lines=[(72, 100, 12, "Página enorme")], width=30000, height=30000),
        ]
    )
    path = tmp_path / "partial.pdf"
    path.write_bytes(pdf)
    payload = run(cpu_pipeline, document_path=str(path))
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    assert payload["metadata"]["status"] == "partial"
    good, bad = payload["data"]["pages"]
    assert good["status"] == "ok" and bad["status"] == "failed"
    assert bad["error"]["code"] == "limit_exceeded" and bad["error"]["page"] == 2
    assert payload["metadata"]["errors"] == [bad["error"]]


def test_every_page_failing_fails_the_job(cpu_pipeline, tmp_path):
    path = tmp_path / "huge.pdf"
    path.write_bytes(build_pdf([TextPage(lines=[(72, 100, 12, "x")], width=30000, height=30000)]))
    error = run(cpu_pipeline, document_path=str(path))["error"]
    assert error["code"] == "limit_exceeded" and "all 1" in error["message"]


def test_gpu_engine_requested_on_a_cpu_worker(cpu_pipeline, mixed_pdf):
    error = run(cpu_pipeline, document_path=str(mixed_pdf), engine="gpu")["error"]
    assert error["code"] == "engine_unavailable"


def test_auto_engine_says_why_it_chose_cpu(cpu_pipeline, mixed_pdf):
    meta = run(cpu_pipeline, document_path=str(mixed_pdf), pages="1", engine="auto")["metadata"]
    assert meta["engine"]["name"] == "cpu" and meta["engine"]["reason"].startswith("auto:")


def test_unsupported_type(cpu_pipeline, tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("just some text, not a PDF")
    assert run(cpu_pipeline, document_path=str(path))["error"]["code"] == "unsupported_type"


def test_bad_input_never_raises(cpu_pipeline):
    for job in (None, [], {"document_path": 3}, {"pages": "1"}, {"document_url": "gopher://x"}):
        assert cpu_pipeline.run(job)["error"]["code"] == "invalid_input"


def test_temp_files_are_removed(cpu_pipeline, mixed_pdf, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    run(cpu_pipeline, document_path=str(mixed_pdf), pages="1")
    run(cpu_pipeline, document_path=str(tmp_path / "missing.pdf"))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("docworker-job-")] == []


def test_image_page_sizes_are_pixels(cpu_pipeline, tmp_path):
    path = tmp_path / "blank.png"
    Image.new("RGB", (321, 123), "white").save(path)
    payload = run(cpu_pipeline, document_path=str(path))
    page = payload["data"]["pages"][0]
    assert (page["width"], page["height"], page["unit"]) == (321, 123, "px")
    assert page["status"] == "ok" and page["text"] == ""


def test_office_documents_go_to_the_office_engine_whatever_was_requested(cpu_pipeline, tmp_path):
    # An Office file asked for on the gpu engine, on a worker without one: it needs no GPU.
    from tests.test_office import make_odt

    path = make_odt(tmp_path / "acta.odt")
    payload = run(cpu_pipeline, document_path=str(path), engine="gpu")
    engine = payload["metadata"]["engine"]
    assert engine["name"] == "office" and engine["requested"] == "gpu"
    assert engine["reason"] == "office document"


def test_the_engine_registry_names_the_known_engines():
    from docworker import engines, errors

    with pytest.raises(errors.InvalidInput, match="known engines: cpu, docstrange, gpu, office"):
        engines.factory("tesla")
    assert set(engines.ENGINES) == {"cpu", "gpu", "office", "docstrange"}
