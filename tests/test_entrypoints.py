"""The real entry points as a user runs them: handler.py (RunPod local mode), the CLI, the gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema

from tests.pdfgen import TextPage, build_pdf

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_SCHEMA = json.loads((ROOT / "schemas" / "output.schema.json").read_text())


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOCWORKER_", "RUNPOD_", "BUCKET_"))
    }
    env.update({"DOCWORKER_WORKERS": "1", **extra})
    return env


def test_handler_runs_test_input_json():
    """`python handler.py` over test_input.json succeeds and prints a summary, not the text.

    RunPod's local mode prints the result at INFO; ``service.RunpodOutput`` shows
    it as one line without document text (the text itself is checked through
    the local API in ``tests/test_local_api.py`` and the CLI below).
    """
    proc = subprocess.run(
        [sys.executable, "handler.py"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    assert "completed successfully" in out
    assert "<docworker output: success, " in out
    assert "Logroño" not in out and "¿Cuándo se publicará la decisión?" not in out


def test_handler_refuses_to_start_when_a_required_check_fails():
    proc = subprocess.run(
        [sys.executable, "handler.py"],
        cwd=ROOT,
        env=clean_env(DOCWORKER_REQUIRE="gpu", CUDA_VISIBLE_DEVICES=""),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1
    reason = [
        line for line in proc.stderr.splitlines() if line.startswith("docworker: refusing to start")
    ]
    assert len(reason) == 1 and "gpu" in reason[0]


def test_cli_check_reports_and_gates():
    ok = subprocess.run(
        [sys.executable, "-m", "docworker", "check"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    report = json.loads(ok.stdout)
    names = {c["name"] for c in report["checks"]}
    assert {"ocr", "torch", "gpu", "docstrange"} <= names
    gated = subprocess.run(
        [sys.executable, "-m", "docworker", "check"],
        cwd=ROOT,
        env=clean_env(
            DOCWORKER_REQUIRE="gpu,vlm", CUDA_VISIBLE_DEVICES="", DOCWORKER_MODEL_DIR="/nonexistent"
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert gated.returncode == 1 and "required check failed" in gated.stderr
    # Without CUDA, docstrange's GPU extractor is "not used", never a failure:
    # its local Office processors are what runs on a CPU machine.
    (docstrange,) = [c for c in json.loads(gated.stdout)["checks"] if c["name"] == "docstrange"]
    assert docstrange["ok"] is True
    assert "local Office processors available" in docstrange["detail"]
    assert "GPU extractor: not used on this machine" in docstrange["detail"]


def test_cli_extract_writes_one_payload_per_input(tmp_path):
    good = tmp_path / "bueno.pdf"
    good.write_bytes(
        build_pdf([TextPage(lines=[(72, 100, 12, "Contenido digital con acentos: camión.")])])
    )
    bad = tmp_path / "malo.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + b"\x00" * 64)
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "docworker",
            "extract",
            str(good),
            str(bad),
            "--out",
            str(out),
            "--engine",
            "cpu",
        ],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1  # one input failed
    payload = json.loads((out / "bueno.pdf.json").read_text())
    jsonschema.validate(payload, OUTPUT_SCHEMA)
    assert "camión" in payload["data"]["text"]
    assert json.loads((out / "malo.pdf.json").read_text())["error"]["code"] == "corrupt_document"


def test_cli_schema_matches_committed_files(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "docworker", "schema", "--write", str(tmp_path)],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    for path in tmp_path.iterdir():
        assert path.read_text() == (ROOT / "schemas" / path.name).read_text()
