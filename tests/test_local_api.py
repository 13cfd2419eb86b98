"""Errors through RunPod's local API (``handler.py --rp_serve_api``) over HTTP on 127.0.0.1.

runpod 1.12's FastAPI app declares a job's ``error`` as a string: an error
object made it answer an empty HTTP 500 (issue 13 #4). The worker sends
``error`` as the JSON text of the error object; this test starts the real
entry point once and checks both ``/runsync`` and ``/run`` + ``/status``.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.servers import pdf_with_text

ROOT = Path(__file__).resolve().parents[1]
DOC_TEXT = "Resolucion publica 2025"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, {"raw": e.read().decode(errors="replace")}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory):
    port = _free_port()
    log = tmp_path_factory.mktemp("api") / "handler.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOCWORKER_", "RUNPOD_", "BUCKET_"))
    }
    env.update(DOCWORKER_WORKERS="1", DOCWORKER_WARMUP="false", DOCWORKER_DEFAULT_ENGINE="cpu")
    argv = [sys.executable, "handler.py", "--rp_serve_api", "--rp_api_host", "127.0.0.1"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*argv, "--rp_api_port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"handler.py exited {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"handler.py did not listen:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", log
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _job(data: bytes, name: str) -> dict[str, Any]:
    return {"input": {"document_base64": base64.b64encode(data).decode(), "filename": name}}


def _error_object(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply["status"] == "FAILED", reply
    assert isinstance(reply["error"], str), reply
    error = json.loads(reply["error"])
    assert set(error) >= {"code", "message", "retryable"}
    return error


def test_runsync_error_is_readable_json_text(api):
    base, _ = api
    status, reply = _request(f"{base}/runsync", _job(b"%PDF-1.7\n" + b"\x00" * 64, "roto.pdf"))
    assert status == 200, reply
    error = _error_object(reply)
    assert error["code"] == "corrupt_document" and error["retryable"] is False
    status, reply = _request(f"{base}/runsync", {"input": {"pages": "1"}})
    assert status == 200, reply
    error = _error_object(reply)
    assert error["code"] == "invalid_input" and error["details"]


def test_run_then_status_error_is_readable_json_text(api):
    base, _ = api
    status, reply = _request(f"{base}/run", _job(b"no soy un documento", "nota.txt"))
    assert status == 200 and reply["status"] == "IN_PROGRESS", reply
    status, reply = _request(f"{base}/status/{reply['id']}", {})
    assert status == 200, reply
    assert _error_object(reply)["code"] == "unsupported_type"


def test_runsync_success_and_no_text_in_the_log(api):
    base, log = api
    status, reply = _request(f"{base}/runsync", _job(pdf_with_text(DOC_TEXT), "bueno.pdf"))
    assert status == 200 and reply["status"] == "COMPLETED", reply
    assert DOC_TEXT in reply["output"]["data"]["text"]
    assert DOC_TEXT not in log.read_text(errors="replace")
