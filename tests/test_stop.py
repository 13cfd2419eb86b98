"""A stopped job (RunPod's per-job stop) ends its page work within a page.

runpod 1.12 stops one job by cancelling its handler's asyncio task. These
tests check the three layers that make that reach the pages:

- ``PagePool.run`` under a set stop event: the page in flight is killed (its
  process replaced), no other page starts, ``JobStopped`` is raised, and the
  pool serves the next run normally; a job stopped while it waits for another
  job's run never takes the pool.
- ``Worker.handler`` cancelled as RunPod cancels it: the job's pages stop
  (the next job, which queues on the same page processes, finishes long
  before the stopped one would have), and that next job succeeds.
- The same through RunPod's own job loop is in ``test_runpod_queue.py``.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from docworker.isolation.pool import JobStopped, PagePool, stop_scope
from docworker.service import Worker
from tests.pdfgen import TextPage, build_pdf
from tests.servers import build_settings


@pytest.fixture
def pool():
    pool = PagePool(workers=1, memory_mb=1024)
    pool.start()
    yield pool
    pool.close()


def test_a_stop_kills_the_page_in_flight_and_starts_no_other(pool):
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    t = time.monotonic()
    with stop_scope(stop), pytest.raises(JobStopped):
        list(pool.run("time.sleep", [30, 30, 30], timeout_s=60))
    assert time.monotonic() - t < 5  # not 30 s: the sleeping page was killed
    assert pool.stats.tasks == 1  # pages 2 and 3 never started
    assert pool.stats.killed == 0 and pool.stats.respawned == 1
    assert list(pool.run("builtins.abs", [-7], timeout_s=30)) == [(-7, 7)]


def test_a_job_stopped_while_it_queues_never_takes_the_pool(pool):
    started = threading.Event()
    first_result: list[object] = []

    def first_job() -> None:
        for item in pool.run("time.sleep", [2], timeout_s=30):
            first_result.append(item)
        started.set()

    runner = threading.Thread(target=first_job)
    runner.start()
    time.sleep(0.3)  # the first job holds the pool
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    t = time.monotonic()
    with stop_scope(stop), pytest.raises(JobStopped):
        list(pool.run("builtins.abs", [-1], timeout_s=30))
    assert time.monotonic() - t < 1.5  # gave up waiting, did not wait for the first job
    runner.join(timeout=30)
    assert first_result == [(2, None)]  # the other job was untouched
    assert pool.stats.tasks == 1


def test_a_run_without_a_stop_event_is_unchanged(pool):
    assert [r for _, r in pool.run("builtins.abs", [-1, -2, -3], timeout_s=30)] == [1, 2, 3]


def slow_pdf(pages: int) -> bytes:
    """Pages whose OCR takes about a second each on one core."""
    return build_pdf(
        [
            TextPage(
                lines=[(72, 100 + 20 * i, 12, f"Línea {i} de la página {n}.") for i in range(30)]
            )
            for n in range(1, pages + 1)
        ]
    )


def test_a_cancelled_handler_stops_its_pages_and_the_next_job_runs(cpu_pipeline, tmp_path):
    slow = tmp_path / "lento.pdf"
    slow.write_bytes(slow_pdf(40))
    short = tmp_path / "corto.pdf"
    short.write_bytes(build_pdf([TextPage(lines=[(72, 100, 12, "Señal pública, año 2025.")])]))
    worker = Worker(build_settings(concurrency=2), cpu_pipeline, progress_sink=lambda j, p: None)
    slow_job = {
        "id": "lento",
        "input": {"document_path": str(slow), "ocr": "always", "dpi": 200, "outputs": ["text"]},
    }
    short_job = {"id": "corto", "input": {"document_path": str(short), "outputs": ["text"]}}

    async def scenario() -> tuple[float, dict]:
        slow_task = asyncio.ensure_future(worker.handler(slow_job))
        await asyncio.sleep(3)  # some pages are read, most are not
        assert not slow_task.done()
        slow_task.cancel()  # what RunPod's JobScaler.stop_job does
        t = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await slow_task
        payload = await worker.handler(short_job)  # queues on the same page processes
        return time.monotonic() - t, payload

    before = cpu_pipeline.pool.stats.tasks
    elapsed, payload = asyncio.run(scenario())
    assert payload["metadata"]["status"] == "success", payload
    assert "Señal pública" in payload["data"]["text"]
    # 40 OCR pages take far longer than this; the short job waited one page at most.
    assert elapsed < 15, elapsed
    started = cpu_pipeline.pool.stats.tasks - before
    assert started < 20, f"{started} page tasks started: the stopped job kept going"


def test_a_stream_closed_mid_job_stops_its_pages(cpu_pipeline, tmp_path):
    slow = tmp_path / "lento.pdf"
    slow.write_bytes(slow_pdf(40))
    short = tmp_path / "corto.pdf"
    short.write_bytes(build_pdf([TextPage(lines=[(72, 100, 12, "Después, año 2025.")])]))
    worker = Worker(build_settings(streaming=True), cpu_pipeline, progress_sink=lambda j, p: None)
    slow_input = {"document_path": str(slow), "ocr": "always", "dpi": 200, "stream": True}

    async def scenario() -> tuple[dict, float, dict]:
        stream = worker.stream_handler({"id": "flujo", "input": slow_input})
        first = await anext(stream)  # page 1 arrived; 39 pages to go
        await stream.aclose()  # the consumer went away
        t = time.monotonic()
        (payload,) = [
            item
            async for item in worker.stream_handler(
                {"id": "corto", "input": {"document_path": str(short)}}
            )
        ]
        return first, time.monotonic() - t, payload

    before = cpu_pipeline.pool.stats.tasks
    first, elapsed, payload = asyncio.run(scenario())
    assert first["page"]["number"] == 1 and first["pages_total"] == 40
    assert "Después" in payload["data"]["text"]
    assert elapsed < 15, elapsed
    assert cpu_pipeline.pool.stats.tasks - before < 20
