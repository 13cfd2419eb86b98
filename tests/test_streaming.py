"""Streaming page results through the generator handler (``DOCWORKER_STREAMING``).

RunPod's local test mode does not iterate generators, so these tests drive
``Worker.stream_handler`` the way RunPod's job loop does: ``async for``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path
from typing import Any

import pytest

from docworker.service import STREAM_REFUSED, Worker
from tests.pdfgen import TextPage, build_pdf
from tests.servers import build_settings


@pytest.fixture(scope="module")
def four_pages(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stream") / "cuatro.pdf"
    path.write_bytes(
        build_pdf(
            [
                TextPage(lines=[(72, 100, 12, f"Página {n}: señal pública número {n}, año 2025.")])
                for n in range(1, 5)
            ]
        )
    )
    return path


def collect(worker: Worker, job: dict[str, Any]) -> list[dict[str, Any]]:
    async def drain() -> list[dict[str, Any]]:
        return [item async for item in worker.stream_handler(job)]

    return asyncio.run(drain())


def without_timings(page: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in page.items() if k != "timings_ms"}


def test_stream_job_yields_pages_in_order_then_the_payload(cpu_pipeline, four_pages):
    worker = Worker(build_settings(streaming=True), cpu_pipeline, progress_sink=lambda j, p: None)
    items = collect(
        worker, {"id": "s1", "input": {"document_path": str(four_pages), "stream": True}}
    )
    *pages, final = items
    assert [i["pages_done"] for i in pages] == [1, 2, 3, 4]
    assert {i["pages_total"] for i in pages} == {4}
    assert [i["page"]["number"] for i in pages] == [1, 2, 3, 4]
    assert "señal pública número 3" in pages[2]["page"]["text"]
    assert final["metadata"]["status"] == "success" and final["metadata"]["warnings"] == []
    assert [without_timings(p) for p in final["data"]["pages"]] == [
        without_timings(i["page"]) for i in pages
    ]
    json.dumps(items)  # everything RunPod sends must be JSON


def test_streamed_pages_carry_only_the_requested_outputs(cpu_pipeline, four_pages):
    worker = Worker(build_settings(streaming=True), cpu_pipeline, progress_sink=lambda j, p: None)
    job = {"document_path": str(four_pages), "stream": True, "outputs": ["text"], "pages": "2"}
    page_item, final = collect(worker, {"id": "s2", "input": job})
    page = page_item["page"]
    assert page["text"] and page["markdown"] is None and page["blocks"] is None
    assert final["data"]["markdown"] is None


def test_non_stream_job_yields_the_payload_alone(cpu_pipeline, four_pages):
    worker = Worker(build_settings(streaming=True), cpu_pipeline, progress_sink=lambda j, p: None)
    (payload,) = collect(worker, {"id": "s3", "input": {"document_path": str(four_pages)}})
    assert payload["metadata"]["document"]["pages_processed"] == 4


def test_a_failed_job_streams_its_error_as_json_text(cpu_pipeline, tmp_path):
    worker = Worker(build_settings(streaming=True), cpu_pipeline, progress_sink=lambda j, p: None)
    missing = {"document_path": str(tmp_path / "nope.pdf"), "stream": True}
    (item,) = collect(worker, {"id": "s4", "input": missing})
    error = json.loads(item["error"])
    assert error["code"] and error["message"] and "retryable" in error


def test_stream_request_without_streaming_is_refused_up_front(cpu_pipeline, four_pages):
    worker = Worker(build_settings(), cpu_pipeline, progress_sink=lambda j, p: None)
    before = cpu_pipeline.pool.stats.tasks
    job = {"id": "s5", "input": {"document_path": str(four_pages), "stream": True}}
    payload = asyncio.run(worker.handler(job))
    error = json.loads(payload["error"])
    assert error["code"] == "invalid_input" and error["message"] == STREAM_REFUSED
    assert "DOCWORKER_STREAMING" in error["message"]
    assert error["details"][0]["loc"] == "stream"
    assert cpu_pipeline.pool.stats.tasks == before  # refused before any page work
    unstreamed = {"id": "s6", "input": {"document_path": str(four_pages)}}
    assert asyncio.run(worker.handler(unstreamed))["metadata"]["warnings"] == []


def test_runpod_config_picks_the_handler_kind(cpu_pipeline):
    from runpod.serverless.modules.rp_handler import is_generator

    plain = Worker(build_settings(concurrency=3), cpu_pipeline).runpod_config()
    assert inspect.iscoroutinefunction(plain["handler"]) and not is_generator(plain["handler"])
    assert plain["concurrency_modifier"](1) == 3
    assert "return_aggregate_stream" not in plain

    streaming = Worker(build_settings(streaming=True), cpu_pipeline).runpod_config()
    assert is_generator(streaming["handler"])
    assert streaming["return_aggregate_stream"] is True


class GatedPipeline:
    """Sends page 1, then waits until the consumer has seen it before finishing."""

    def __init__(self) -> None:
        import threading

        self.seen = threading.Event()

    def run(self, job_input, job_id=None, progress=None, on_page=None):
        from docworker.contract import PageResult

        assert on_page is not None
        page = PageResult(number=1, width=1, height=1, unit="pt", source="none", status="ok")
        on_page(page, 1, 2)
        if not self.seen.wait(timeout=10):
            return {"error": {"code": "internal", "message": "page 1 was not streamed live"}}
        return {"data": {"pages": []}, "metadata": {"warnings": []}}


def test_pages_are_sent_while_the_job_still_runs():
    pipeline = GatedPipeline()
    worker = Worker(build_settings(streaming=True), pipeline, progress_sink=lambda j, p: None)

    async def drain() -> list[dict[str, Any]]:
        items = []
        async for item in worker.stream_handler({"id": "g", "input": {"stream": True}}):
            items.append(item)
            pipeline.seen.set()
        return items

    first, final = asyncio.run(drain())
    assert first["page"]["number"] == 1 and first["pages_total"] == 2
    assert "error" not in final
