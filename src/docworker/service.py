"""The RunPod-facing worker: startup gate, the async handler, progress and concurrency.

``build_worker()`` reads settings, sets up JSON logging, makes the process
offline for model hubs, runs the startup checks (returning ``None`` when a
required one fails: the caller exits 1), builds the pipeline once and logs
the cold-start timings. ``Worker.handler`` is the async RunPod handler: the
blocking pipeline runs in a thread so ``concurrency_modifier`` can let one
worker hold several jobs.

Inputs: RunPod job dicts ``{"id": ..., "input": {...}}``.
Outputs: the pipeline's payload dict (response or ``{"error": ...}``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from docworker import errors, startup
from docworker.config import Settings
from docworker.logs import setup_logging
from docworker.pipeline import Pipeline

_log = logging.getLogger(__name__)

#: progress_sink(job, {"pages_done": n, "pages_total": m})
ProgressSink = Callable[[dict[str, Any], dict[str, Any]], None]


def _runpod_progress(job: dict[str, Any], progress: dict[str, Any]) -> None:
    from runpod.serverless import progress_update

    progress_update(job, progress)


def _log_progress(job: dict[str, Any], progress: dict[str, Any]) -> None:
    _log.info("progress %d/%d", progress["pages_done"], progress["pages_total"])


class Worker:
    """Holds the pipeline; its ``handler`` is what RunPod calls."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        progress_sink: ProgressSink | None = None,
        result_store: Any | None = None,
    ):
        self.settings = settings
        self.pipeline = pipeline
        self.progress_sink = progress_sink or (
            _runpod_progress if settings.on_runpod else _log_progress
        )
        self.result_store = result_store

    def run_job(self, job: dict[str, Any]) -> dict[str, Any]:
        """Blocking: one job to its payload."""
        job_id = job.get("id")

        def progress(done: int, total: int) -> None:
            try:
                self.progress_sink(job, {"pages_done": done, "pages_total": total})
            except Exception:  # progress is best effort; never fail a job over it
                _log.warning("progress update failed", exc_info=True)

        payload = self.pipeline.run(job.get("input"), job_id, progress)
        if self.result_store is not None and "error" not in payload:
            payload = self.result_store.maybe_store(payload, job_id)
        return payload

    async def handler(self, job: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(self.run_job, job)

    def concurrency(self, current: int) -> int:
        return self.settings.concurrency

    def runpod_config(self) -> dict[str, Any]:
        return {"handler": self.handler, "concurrency_modifier": self.concurrency}


def load_settings() -> Settings | None:
    try:
        return Settings()
    except ValidationError as e:
        fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in e.errors())
        print(f"docworker: invalid configuration: {fields}", file=sys.stderr)
        return None


def build_worker(settings: Settings | None = None) -> Worker | None:
    """Everything before ``serverless.start``; ``None`` means: exit 1, the reason is logged."""
    t0 = time.perf_counter()
    settings = settings or load_settings()
    if settings is None:
        return None
    setup_logging(settings.log_level)
    from docworker import netguard

    netguard.set_offline_env()
    t1 = time.perf_counter()
    report = startup.run_checks(settings)
    _log.info("startup checks", extra={"data": report.to_dict()})
    if not report.ok:
        line = f"docworker: refusing to start: {report.reason()}"
        _log.error(line)
        print(line, file=sys.stderr)
        return None
    t2 = time.perf_counter()
    try:
        pipeline = Pipeline.build(settings)
    except errors.WorkerError as e:
        _log.error("docworker: refusing to start: %s", e.message)
        print(f"docworker: refusing to start: {e.message}", file=sys.stderr)
        return None
    t3 = time.perf_counter()
    store = None
    if settings.bucket_endpoint_url:
        from docworker.results import ResultStore

        store = ResultStore.from_settings(settings)
    cold = {
        "settings_ms": round((t1 - t0) * 1000, 1),
        "checks_ms": round((t2 - t1) * 1000, 1),
        "pipeline_ms": round((t3 - t2) * 1000, 1),
        "gpu_engine": pipeline.gpu_reason,
        "page_processes": pipeline.pool.size,
    }
    _log.info("cold start %s", json.dumps(cold), extra={"data": cold})
    return Worker(settings, pipeline, result_store=store)
