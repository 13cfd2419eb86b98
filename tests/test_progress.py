"""Progress updates: every N pages with pages done and total, sent outside the network guard."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from docworker.service import Worker
from tests.pdfgen import TextPage, build_pdf
from tests.servers import build_settings


def digital_pdf(path: Path, pages: int) -> Path:
    path.write_bytes(
        build_pdf(
            [
                TextPage(lines=[(72, 100, 12, f"Página {n}: información pública del año {n}.")])
                for n in range(1, pages + 1)
            ]
        )
    )
    return path


@pytest.fixture(scope="module")
def twelve_pages(tmp_path_factory) -> Path:
    return digital_pdf(tmp_path_factory.mktemp("progress") / "doce.pdf", 12)


def test_progress_every_n_pages(cpu_pipeline, twelve_pages):
    every = cpu_pipeline.settings.progress_every
    assert every == 5
    updates: list[tuple[str, dict[str, Any]]] = []
    worker = Worker(
        build_settings(), cpu_pipeline, progress_sink=lambda job, p: updates.append((job["id"], p))
    )
    payload = worker.run_job({"id": "job-p", "input": {"document_path": str(twelve_pages)}})
    assert payload["metadata"]["status"] == "success"
    assert updates == [
        ("job-p", {"pages_done": 5, "pages_total": 12}),
        ("job-p", {"pages_done": 10, "pages_total": 12}),
        ("job-p", {"pages_done": 12, "pages_total": 12}),
    ]


def test_progress_counts_selected_pages(cpu_pipeline, twelve_pages):
    updates: list[dict[str, Any]] = []
    worker = Worker(build_settings(), cpu_pipeline, progress_sink=lambda job, p: updates.append(p))
    worker.run_job({"id": "j", "input": {"document_path": str(twelve_pages), "pages": "2-4"}})
    assert updates == [{"pages_done": 3, "pages_total": 3}]


def test_a_failing_sink_does_not_fail_the_job(cpu_pipeline, twelve_pages):
    def broken(job: dict[str, Any], progress: dict[str, Any]) -> None:
        raise RuntimeError("progress endpoint down")

    worker = Worker(build_settings(), cpu_pipeline, progress_sink=broken)
    payload = worker.run_job({"id": "j", "input": {"document_path": str(twelve_pages)}})
    assert payload["metadata"]["status"] == "success"


def _connect(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def test_progress_sink_runs_outside_the_network_guard(cpu_pipeline, twelve_pages, http_server):
    """RunPod's progress_update opens a connection to RunPod; the job's guard must not refuse it.

    The control: ``on_page`` runs inside the guard, and the same connection is refused there.
    """
    port = http_server.port
    from_sink: list[bool] = []
    from_page: list[bool] = []
    worker = Worker(
        build_settings(),
        cpu_pipeline,
        progress_sink=lambda job, p: from_sink.append(_connect(port)),
    )
    payload = worker.run_job(
        {"id": "j", "input": {"document_path": str(twelve_pages), "pages": "1-5"}},
        on_page=lambda page, done, total: from_page.append(_connect(port)) if done == 1 else None,
    )
    assert from_sink == [True]
    assert from_page == [False]
    assert payload["metadata"]["network"]["blocked_outbound"] == 1
