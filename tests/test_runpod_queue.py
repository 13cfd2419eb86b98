"""Stop and streaming through RunPod's own job loop (``handler.py`` against a fake queue).

``tests.runpod_fake.FakeRunpod`` plays RunPod's queue on 127.0.0.1; the
worker runs its real SDK loop (``JobScaler``): the per-job stop arrives on the
stop channel and the SDK cancels that job's task, as on the platform.

- Default deployment: a long OCR job is stopped after its first pages; no
  result is posted for it, its page work stops (no progress after the stop,
  far fewer pages than the document has), and the next job succeeds at once.
- ``DOCWORKER_STREAMING=true``: a failed job is FAILED with the error object's
  JSON text (never a COMPLETED list); a ``stream`` job posts one item per page,
  then the payload, and RunPod's aggregate output is that list; a stopped
  streamed job stops too.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.pdfgen import TextPage, build_pdf
from tests.runpod_fake import FakeRunpod, start_handler, stop_process, wait_until

#: Two worker start-ups (10-35 s each on 2 busy cores) and long OCR jobs: about 2 minutes.
pytestmark = pytest.mark.slow

SLOW_PAGES = 40


def slow_pdf() -> bytes:
    """Pages read by OCR at 200 dpi: about a second each on one core."""
    return build_pdf(
        [
            TextPage(
                lines=[(72, 100 + 20 * i, 12, f"Línea {i} de la página {n}.") for i in range(30)]
            )
            for n in range(1, SLOW_PAGES + 1)
        ]
    )


def text_pdf(pages: int, token: str) -> bytes:
    return build_pdf(
        [
            TextPage(lines=[(72, 100, 12, f"{token}: página {n}, señal pública.")])
            for n in range(1, pages + 1)
        ]
    )


def b64_input(body: bytes, name: str, **options: Any) -> dict[str, Any]:
    return {
        "document_base64": base64.b64encode(body).decode("ascii"),
        "filename": name,
        "engine": "cpu",
        "outputs": ["text"],
        **options,
    }


SLOW_INPUT = {"ocr": "always", "dpi": 200}


def worker(tmp_path_factory: pytest.TempPathFactory, **env: str) -> Iterator[Any]:
    fake = FakeRunpod()
    log = tmp_path_factory.mktemp("queue") / "handler.log"
    process = start_handler(
        {
            **fake.env(),
            "DOCWORKER_WORKERS": "1",
            "DOCWORKER_WARMUP": "false",
            "DOCWORKER_DEFAULT_ENGINE": "cpu",
            "DOCWORKER_PROGRESS_EVERY": "1",
            **env,
        },
        log,
    )
    try:
        yield fake, log
    finally:
        stop_process(process)
        fake.close()


@pytest.fixture(scope="module")
def queue(tmp_path_factory):
    yield from worker(tmp_path_factory)


@pytest.fixture(scope="module")
def streaming_queue(tmp_path_factory):
    yield from worker(tmp_path_factory, DOCWORKER_STREAMING="true")


def pages_done(fake: FakeRunpod, job_id: str) -> int:
    return max((p["pages_done"] for p in fake.progress(job_id)), default=0)


def stop_after_first_pages(fake: FakeRunpod, log, job_id: str, after: str) -> tuple[float, int]:
    """Stop ``job_id`` once it read a page; the next job (``after``) must then succeed."""
    wait_until(lambda: pages_done(fake, job_id) >= 1, 240, "the long job read no page", log)
    fake.stop(job_id)
    t = time.monotonic()
    result = wait_until(lambda: fake.result(after), 60, "the next job had no result", log)
    elapsed = time.monotonic() - t
    seen = pages_done(fake, job_id)
    time.sleep(3)
    assert pages_done(fake, job_id) == seen, "the stopped job kept reading pages"
    assert fake.result(job_id) is None  # a stopped job posts no result
    assert seen < SLOW_PAGES // 2, seen
    return elapsed, result


def test_a_stopped_job_stops_its_pages_and_the_next_job_succeeds(queue):
    fake, log = queue
    fake.submit("lento", b64_input(slow_pdf(), "lento.pdf", **SLOW_INPUT))
    fake.submit("corto", b64_input(text_pdf(2, "CORTO4411"), "corto.pdf"))
    elapsed, result = stop_after_first_pages(fake, log, "lento", "corto")
    assert "error" not in result, result
    output = result["output"]
    assert output["metadata"]["status"] == "success"
    assert "CORTO4411" in output["data"]["text"]
    assert elapsed < 30, elapsed
    logged = log.read_text(errors="replace")
    assert "job stopped" in logged and "Traceback" not in logged


def test_streaming_endpoint_reports_a_failed_job_as_failed(streaming_queue):
    fake, log = streaming_queue
    fake.submit("roto", b64_input(b"%PDF-1.7\nno es un PDF", "roto.pdf", stream=True))
    result = wait_until(lambda: fake.result("roto"), 120, "no result for the failed job", log)
    assert set(result) == {"error"}, result  # FAILED: RunPod's job error, no output
    error = json.loads(result["error"])
    assert error["code"] == "corrupt_document" and error["retryable"] is False


def test_streaming_endpoint_streams_pages_then_the_payload(streaming_queue):
    fake, log = streaming_queue
    fake.submit("flujo", b64_input(text_pdf(3, "FLUJO2207"), "flujo.pdf", stream=True))
    fake.submit("entero", b64_input(text_pdf(2, "ENTERO3308"), "entero.pdf"))
    streamed_result = wait_until(lambda: fake.result("flujo"), 120, "no stream result", log)
    whole = wait_until(lambda: fake.result("entero"), 120, "no result", log)
    items = [post["output"] for post in fake.streamed["flujo"]]
    *pages, payload = items
    assert [p["page"]["number"] for p in pages] == [1, 2, 3]
    assert [p["pages_done"] for p in pages] == [1, 2, 3]
    assert "FLUJO2207: página 2" in pages[1]["page"]["text"]
    assert payload["metadata"]["status"] == "success"
    assert streamed_result["output"] == items  # RunPod's aggregate: /runsync and /status
    (only,) = whole["output"]  # a job without `stream`: a list of one item, the payload
    assert only["metadata"]["status"] == "success" and "ENTERO3308" in only["data"]["text"]
    assert "entero" not in fake.streamed or len(fake.streamed["entero"]) == 1


def test_streaming_endpoint_stops_a_streamed_job(streaming_queue):
    fake, log = streaming_queue
    fake.submit("lento-flujo", b64_input(slow_pdf(), "lento.pdf", stream=True, **SLOW_INPUT))
    fake.submit("despues", b64_input(text_pdf(1, "DESPUES5509"), "despues.pdf"))
    elapsed, result = stop_after_first_pages(fake, log, "lento-flujo", "despues")
    (payload,) = result["output"]
    assert "DESPUES5509" in payload["data"]["text"]
    assert elapsed < 30, elapsed
