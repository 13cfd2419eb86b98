"""The worker's pure pieces: stream items, process age, the concurrency modifier."""

from __future__ import annotations

import json
import time

from docworker.service import Worker, process_age_s, stream_item
from tests.servers import build_settings


def test_stream_item_keeps_payloads_and_turns_errors_into_json_text():
    payload = {"data": {"pages": []}, "metadata": {"status": "success"}}
    assert stream_item(payload) is payload
    error = {"error": {"code": "fetch_failed", "message": "¿dónde?", "retryable": True}}
    item = stream_item(error)
    assert isinstance(item["error"], str)
    assert json.loads(item["error"]) == error["error"]
    assert "¿dónde?" in item["error"]


def test_process_age_is_the_time_since_this_interpreter_started():
    age = process_age_s()
    assert age is not None and 0 < age < 24 * 3600
    time.sleep(0.05)
    later = process_age_s()
    assert later is not None and later >= age


def test_concurrency_modifier_returns_the_setting():
    worker = Worker(build_settings(concurrency=4), pipeline=None, progress_sink=lambda j, p: None)  # type: ignore[arg-type]
    assert worker.concurrency(1) == 4 and worker.concurrency(7) == 4
