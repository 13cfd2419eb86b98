"""The GPU engine through the real pipeline: page processes render, tiny random models read.

The models are random, so their text is noise; what is tested is the wiring:
engine choice, batching, metadata (models from MANIFEST.json, device,
blocked-network count), page-space geometry and structured-output errors.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from docworker.config import Settings
from docworker.pipeline import Pipeline
from tests.pdfgen import ImagePage, TextPage, build_pdf, scan_jpeg

pytestmark = pytest.mark.models

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "output.schema.json").read_text())


@pytest.fixture(scope="module")
def gpu_pipeline(tiny_model_dir):
    settings = Settings(
        model_dir=tiny_model_dir,
        device="cpu",
        workers=1,
        vlm_batch_size=2,
        vlm_max_new_tokens=12,
        warmup=True,
    )
    pipeline = Pipeline.build(settings)
    assert "gpu" in pipeline.engines, pipeline.unavailable.get("gpu")
    yield pipeline
    pipeline.close()


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gpu") / "doc.pdf"
    pages = [
        TextPage(lines=[(72, 100, 14, "Resolución número 7 del año 2025")]),
        ImagePage(jpeg=scan_jpeg(["Información pública"]), pixel_size=(1240, 700)),
        TextPage(lines=[(72, 100, 12, "Tercera página")], width=842, height=595),
    ]
    path.write_bytes(build_pdf(pages))
    return path


def test_auto_picks_the_gpu_engine_and_reports_it(gpu_pipeline, pdf):
    payload = gpu_pipeline.run({"document_path": str(pdf)}, job_id="gpu-job")
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    meta = payload["metadata"]
    assert meta["engine"]["name"] == "gpu" and meta["engine"]["device"] == "cpu"
    assert meta["engine"]["reason"].startswith("auto:")
    roles = {m["role"] for m in meta["engine"]["models"]}
    assert {"layout", "vlm"} <= roles
    assert all(m["runtime"] == "torch" for m in meta["engine"]["models"])
    assert meta["network"]["blocked_outbound"] == 0
    pages = payload["data"]["pages"]
    assert [p["number"] for p in pages] == [1, 2, 3]
    assert all(p["source"] == "vlm" and p["unit"] == "pt" for p in pages if p["status"] == "ok")
    assert (pages[2]["width"], pages[2]["height"]) == (842, 595)
    for page in pages:
        for block in page["blocks"] or []:
            x0, y0, x1, y1 = block["bbox"]
            assert 0 <= x0 <= x1 <= page["width"] and 0 <= y0 <= y1 <= page["height"]
    assert meta["timings_ms"]["gpu"] > 0


def test_cpu_engine_still_available_by_request(gpu_pipeline, pdf):
    meta = gpu_pipeline.run({"document_path": str(pdf), "engine": "cpu", "pages": "1"})["metadata"]
    assert meta["engine"]["name"] == "cpu"


def test_structured_output_from_random_weights_fails_with_the_raw_output(gpu_pipeline, pdf):
    schema = {
        "type": "object",
        "properties": {"numero": {"type": "integer"}},
        "required": ["numero"],
    }
    payload = gpu_pipeline.run({"document_path": str(pdf), "pages": "1", "json_schema": schema})
    error = payload["error"]
    assert error["code"] == "schema_validation_failed"
    assert error["details"], "the raw model output must come back for debugging"


def test_json_schema_on_the_cpu_engine_is_refused(cpu_pipeline, pdf):
    payload = cpu_pipeline.run({"document_path": str(pdf), "json_schema": {"type": "object"}})
    assert payload["error"]["code"] == "engine_unavailable"
