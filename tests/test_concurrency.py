"""Several jobs at once, and deterministic page order.

- Pages come back in page order whichever page process finishes first.
- Jobs run in threads of one worker (the async handler) share nothing: each
  result's document hash and text belong to its own input.
- The same through the real entry point: ``python handler.py --rp_serve_api``
  on 127.0.0.1 with ``DOCWORKER_CONCURRENCY=3``, jobs posted to ``/runsync``
  at the same time. Marked ``slow``: start-up alone (torch import in the
  checks, page processes, OCR warm-up) takes 10-35 s on 2 busy cores.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from docworker.service import Worker
from tests.pdfgen import TextPage, build_pdf, text_image
from tests.servers import build_settings

ROOT = Path(__file__).resolve().parents[1]


def text_pdf(token: str, pages: int) -> bytes:
    return build_pdf(
        [
            TextPage(lines=[(72, 100, 12, f"Documento {token}, página {n}: señal pública.")])
            for n in range(1, pages + 1)
        ]
    )


def scanned_png(token: str) -> bytes:
    out = io.BytesIO()
    text_image([f"Logroño {token}"], size=(520, 110), font_size=40).save(out, format="PNG")
    return out.getvalue()


#: token → (filename, bytes, pages): different kinds and lengths, so jobs overlap unevenly.
def documents() -> dict[str, tuple[str, bytes, int]]:
    return {
        "ALFA7301": ("alfa.pdf", text_pdf("ALFA7301", 6), 6),
        "BRAVO4402": ("bravo.pdf", text_pdf("BRAVO4402", 2), 2),
        "CHARLIE5503": ("charlie.png", scanned_png("CHARLIE5503"), 1),
    }


def job_input(filename: str, body: bytes) -> dict[str, Any]:
    return {
        "document_base64": base64.b64encode(body).decode("ascii"),
        "filename": filename,
        "engine": "cpu",
        "outputs": ["text"],
    }


def check_own_result(token: str, body: bytes, pages: int, payload: dict[str, Any]) -> None:
    assert "error" not in payload, payload
    meta = payload["metadata"]
    assert meta["status"] == "success"
    assert meta["document"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert meta["document"]["pages_processed"] == pages
    text = payload["data"]["text"]
    assert token in text.replace(" ", "")
    for other in documents():
        if other != token:
            assert other not in text.replace(" ", "")


# ----------------------------------------------------------------- in process


def test_pages_come_back_in_order_whichever_finishes_first(cpu_pipeline, tmp_path):
    """Page 1 (600 lines of text) takes far longer than pages 2-9 (one line each)."""
    heavy = TextPage(
        lines=[(20 + 180 * (i % 3), 20 + 4 * (i // 3), 3, f"línea {i} señal") for i in range(600)]
    )
    pages = [heavy] + [
        TextPage(lines=[(72, 100, 12, f"Texto de la página {n}.")]) for n in range(2, 10)
    ]
    path = tmp_path / "orden.pdf"
    path.write_bytes(build_pdf(pages))
    runs = [cpu_pipeline.run({"document_path": str(path)}, "order") for _ in range(2)]
    for payload in runs:
        page_list = payload["data"]["pages"]
        assert [p["number"] for p in page_list] == list(range(1, 10))
        assert "línea 599 señal" in page_list[0]["text"]
        assert [p["text"] for p in page_list[1:]] == [
            f"Texto de la página {n}." for n in range(2, 10)
        ]
        first, rest = page_list[0]["timings_ms"], page_list[1:]
        slow = first["text_layer"] + first["assemble"]
        assert slow > 4 * max(
            p["timings_ms"]["text_layer"] + p["timings_ms"]["assemble"] for p in rest
        )
    assert runs[0]["data"]["text"] == runs[1]["data"]["text"]


def test_concurrent_jobs_in_one_worker_do_not_cross(cpu_pipeline):
    worker = Worker(build_settings(concurrency=3), cpu_pipeline, progress_sink=lambda j, p: None)
    docs = documents()

    async def all_at_once() -> list[dict[str, Any]]:
        jobs = [
            worker.handler({"id": f"job-{token}", "input": job_input(name, body)})
            for token, (name, body, _) in docs.items()
        ]
        return await asyncio.gather(*jobs)

    results = asyncio.run(all_at_once())
    for (token, (_, body, pages)), payload in zip(docs.items(), results, strict=True):
        check_own_result(token, body, pages, payload)
        assert payload["metadata"]["job_id"] == f"job-{token}"


# ------------------------------------------------------- through handler.py


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"handler.py exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"handler.py did not listen within {timeout_s} s:\n{log.read_text()[-3000:]}")


def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_runsync_jobs_at_once_through_handler_py(tmp_path):
    port = free_port()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DOCWORKER_", "RUNPOD_", "BUCKET_"))
    }
    env.update(
        DOCWORKER_CONCURRENCY="3",
        DOCWORKER_DEFAULT_ENGINE="cpu",
        DOCWORKER_WORKERS="2",
        TMPDIR=str(scratch),
    )
    log = tmp_path / "handler.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "handler.py",
                "--rp_serve_api",
                "--rp_api_host",
                "127.0.0.1",
                "--rp_api_port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log, timeout_s=180)
        docs = documents()
        url = f"http://127.0.0.1:{port}/runsync"
        with ThreadPoolExecutor(max_workers=len(docs)) as pool:
            futures = {
                token: pool.submit(post, url, {"input": job_input(name, body)})
                for token, (name, body, _) in docs.items()
            }
            replies = {token: f.result() for token, f in futures.items()}
        for token, (_, body, pages) in docs.items():
            reply = replies[token]
            assert reply["status"] == "COMPLETED", reply
            check_own_result(token, body, pages, reply["output"])
        assert len({r["id"] for r in replies.values()}) == len(docs)
        assert not list(scratch.glob("docworker-job-*")), "a job left its temp folder behind"
        logged = log.read_text(errors="replace")
        assert "Traceback" not in logged, logged[-3000:]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
