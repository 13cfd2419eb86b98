"""The worker's pure pieces: RunPod outputs, process age, the concurrency modifier."""

from __future__ import annotations

import json
import time

from docworker.service import RunpodOutput, Worker, process_age_s, runpod_output
from tests.servers import build_settings

SECRET_TEXT = "Expediente reservado de Juan Pérez"


def test_runpod_output_keeps_payloads_and_turns_errors_into_json_text():
    payload = {"data": {"pages": [], "text": SECRET_TEXT}, "metadata": {"status": "success"}}
    out = runpod_output(payload)
    assert isinstance(out, RunpodOutput) and out == payload
    assert json.loads(json.dumps(out)) == payload  # serialized as the plain dict it is
    error = {"error": {"code": "fetch_failed", "message": "¿dónde?", "retryable": True}}
    item = runpod_output(error)
    assert isinstance(item["error"], str)
    assert json.loads(item["error"]) == error["error"]
    assert "¿dónde?" in item["error"]
    fatal = runpod_output({"error": {"code": "gpu_fatal"}, "refresh_worker": True})
    assert fatal["refresh_worker"] is True and json.loads(fatal["error"]) == {"code": "gpu_fatal"}


def test_what_the_sdk_prints_of_an_output_has_no_document_text():
    """The SDK formats every output into a log line (f"Handler output: {output}")."""
    payload = {
        "data": {"pages": [{"number": 1, "text": SECRET_TEXT}], "text": SECRET_TEXT * 1000},
        "metadata": {"status": "success", "document": {"pages_processed": 1}},
    }
    out = runpod_output(payload)
    for shown in (f"Handler output: {out}", str({"output": out}), repr([out])):
        assert SECRET_TEXT not in shown and len(shown) < 200
    assert "success, 1 page(s), 34000 characters of text" in str(out)
    assert "error fetch_failed" in str(runpod_output({"error": {"code": "fetch_failed"}}))


def test_process_age_is_the_time_since_this_interpreter_started():
    age = process_age_s()
    assert age is not None and 0 < age < 24 * 3600
    time.sleep(0.05)
    later = process_age_s()
    assert later is not None and later >= age


def test_concurrency_modifier_returns_the_setting():
    worker = Worker(build_settings(concurrency=4), pipeline=None, progress_sink=lambda j, p: None)  # type: ignore[arg-type]
    assert worker.concurrency(1) == 4 and worker.concurrency(7) == 4
