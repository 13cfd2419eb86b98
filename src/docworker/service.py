"""The RunPod-facing worker: startup gate, async handlers, progress, large results.

``build_worker()`` reads settings, sets up JSON logging, makes the process
offline for model hubs, runs the startup checks (returning ``None`` when a
required one fails: the caller exits 1), builds the pipeline once and logs
the cold-start timings (``cold start`` line: process start to build,
settings, checks, page processes, OCR load and warm-up, GPU engine).

``Worker.handler`` is the async RunPod handler: the blocking pipeline runs in
a thread, so ``concurrency_modifier`` (``DOCWORKER_CONCURRENCY``) can let one
worker hold several jobs. Jobs share nothing mutable: each has its own
pipeline state and temporary folder, and they take turns on the page
processes. With ``DOCWORKER_STREAMING`` the worker registers
``Worker.stream_handler`` instead, an async generator (RunPod's ``/stream``
with ``return_aggregate_stream``): a job with ``"stream": true`` yields one
item per page as it finishes, ``{"page": {...}, "pages_done": n,
"pages_total": m}``, then the full payload; any other job yields the payload
alone. RunPod then returns every job's output on ``/runsync`` and ``/status``
as that list of items. RunPod's local test mode does not iterate generators,
so streaming is off by default, and there a job with ``"stream": true`` is
refused up front (``invalid_input`` naming ``DOCWORKER_STREAMING``) rather
than silently answered whole.

Stop: RunPod's per-job stop cancels the handler's task. The handler then sets
the job's stop event (``isolation.pool.stop_scope``): the job's page run ends
within a page, its page processes in flight are replaced, no other page of it
starts, and the worker takes the next job as usual.

Progress: every ``DOCWORKER_PROGRESS_EVERY`` pages the worker sends
``{"pages_done": n, "pages_total": m}`` through ``progress_sink``
(``runpod.serverless.progress_update`` on RunPod, a log line elsewhere). The
sink runs outside the job's network guard: RunPod's progress call opens a
connection to RunPod, which the guard would otherwise refuse and count.

Payloads larger than ``DOCWORKER_RESULT_INLINE_MAX_BYTES`` are uploaded to
the result bucket when ``BUCKET_ENDPOINT_URL`` is set (``docworker.results``).

What RunPod's SDK gets (``runpod_output``), from every handler and stream item:

- an error as ``{"error": "<JSON text>"}``: the error object (``code``,
  ``message``, ``retryable``, ``details``) serialized, because RunPod's error
  field is a string. The SDK's local API (``--rp_serve_api``) declares it
  ``str`` and answers a dict with an empty HTTP 500; the platform documents a
  string. ``json.loads(result["error"])`` gives the object back.
- a ``RunpodOutput``: a plain dict to serialize, whose ``str()`` is a one-line
  summary with no document text. The SDK formats every handler output into a
  DEBUG line (``Handler output: ...``), and local test mode prints the result
  at INFO; neither may carry a document's text, nor cost a ``str()`` of a
  9 MB payload.

Inputs: RunPod job dicts ``{"id": ..., "input": {...}}``.
Outputs: the pipeline's payload (response, stored response or error) as ``runpod_output``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from docworker import errors
from docworker.checks import Probe, startup
from docworker.config import Settings
from docworker.contract import PageResult
from docworker.logs import setup_logging

if TYPE_CHECKING:  # the pipeline's imports load only after the startup checks pass
    from docworker.pipeline import Pipeline

_log = logging.getLogger(__name__)

#: progress_sink(job, {"pages_done": n, "pages_total": m})
ProgressSink = Callable[[dict[str, Any], dict[str, Any]], None]

#: on_page(page, pages_done, pages_total), called from the job's thread.
PageSink = Callable[[PageResult, int, int], None]

STREAM_REFUSED = (
    "`stream: true` needs an endpoint that streams: this one has DOCWORKER_STREAMING off;"
    " send the job without `stream`, or set DOCWORKER_STREAMING=true on the endpoint"
)


def _runpod_progress(job: dict[str, Any], progress: dict[str, Any]) -> None:
    from runpod.serverless import progress_update

    progress_update(job, progress)


def _log_progress(job: dict[str, Any], progress: dict[str, Any]) -> None:
    _log.info(
        "progress %d/%d",
        progress["pages_done"],
        progress["pages_total"],
        extra={"job_id": job.get("id")},
    )


def _wants_stream(job: dict[str, Any]) -> bool:
    job_input = job.get("input")
    return isinstance(job_input, dict) and job_input.get("stream") is True


class RunpodOutput(dict):  # type: ignore[type-arg]
    """A payload handed to RunPod's SDK: serialized as the dict it is, printed as a summary."""

    def __repr__(self) -> str:
        return f"<docworker output: {summary(self)}>"

    __str__ = __repr__


def summary(payload: dict[str, Any]) -> str:
    """One line about a payload, with no document text: status, pages, sizes, error code."""
    if "error" in payload:
        error = payload["error"]
        if isinstance(error, str):
            try:
                error = json.loads(error)
            except ValueError:
                error = {}
        code = error.get("code", "?") if isinstance(error, dict) else "?"
        return f"error {code}"
    if "page" in payload:
        page = payload["page"]
        number = page.get("number") if isinstance(page, dict) else None
        return f"page {number}, {payload.get('pages_done')}/{payload.get('pages_total')} done"
    metadata = payload.get("metadata")
    if isinstance(metadata, dict):
        document = metadata.get("document") or {}
        data = payload.get("data") or {}
        text = data.get("text") if isinstance(data, dict) else None
        return (
            f"{metadata.get('status')}, {document.get('pages_processed')} page(s)"
            f", {len(text) if isinstance(text, str) else 0} characters of text"
        )
    return "keys " + ", ".join(sorted(str(k) for k in payload))


def runpod_output(payload: dict[str, Any]) -> RunpodOutput:
    """A payload as RunPod gets it: an error object becomes its JSON text (same fields).

    Other keys stay (``refresh_worker``, which RunPod reads beside ``error``).
    """
    if "error" in payload and isinstance(payload["error"], dict):
        return RunpodOutput(payload, error=json.dumps(payload["error"], ensure_ascii=False))
    return payload if isinstance(payload, RunpodOutput) else RunpodOutput(payload)


class Worker:
    """Holds the pipeline; its ``handler`` (or ``stream_handler``) is what RunPod calls."""

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

    def run_job(
        self,
        job: dict[str, Any],
        on_page: PageSink | None = None,
        stop: threading.Event | None = None,
    ) -> dict[str, Any]:
        """Blocking: one job to its payload. ``on_page`` receives each page as it finishes.

        Once ``stop`` is set the job's page work ends within a page and this
        raises ``JobStopped`` (nobody receives a stopped job's result).
        """
        job_id = job.get("id")
        if on_page is None and _wants_stream(job) and not self.settings.streaming:
            return errors.to_error_payload(
                errors.InvalidInput(
                    STREAM_REFUSED,
                    details=[
                        {"loc": "stream", "msg": "DOCWORKER_STREAMING is off", "type": "setting"}
                    ],
                )
            )
        # The pipeline runs pages under the network guard; the progress sink
        # must not (RunPod's progress_update opens a connection), so it runs
        # in the context this job started with.
        outside = contextvars.copy_context()

        def progress(done: int, total: int) -> None:
            try:
                outside.run(self.progress_sink, job, {"pages_done": done, "pages_total": total})
            except Exception:  # progress is best effort; never fail a job over it
                _log.warning("progress update failed", exc_info=True)

        from docworker.isolation.pool import stop_scope

        with stop_scope(stop) if stop is not None else contextlib.nullcontext():
            payload = self.pipeline.run(job.get("input"), job_id, progress, on_page=on_page)
        if "error" in payload:
            return payload
        if self.result_store is not None:
            payload = self.result_store.maybe_store(payload, job_id)
        return payload

    async def handler(self, job: dict[str, Any]) -> dict[str, Any]:
        """RunPod's handler: the job runs in a thread so the event loop stays free."""
        stop = threading.Event()
        try:
            return runpod_output(await asyncio.to_thread(self.run_job, job, None, stop))
        except asyncio.CancelledError:
            _stopped(job, stop)
            raise

    async def stream_handler(self, job: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """RunPod's generator handler: page items for ``stream`` jobs, then the payload."""
        stop = threading.Event()
        try:
            async for item in self._stream(job, stop):
                yield item
        except asyncio.CancelledError:
            _stopped(job, stop)
            raise
        except GeneratorExit:  # closed early, or after its last item: nobody reads more
            stop.set()
            raise

    async def _stream(
        self, job: dict[str, Any], stop: threading.Event
    ) -> AsyncIterator[dict[str, Any]]:
        if not _wants_stream(job):
            yield runpod_output(await asyncio.to_thread(self.run_job, job, None, stop))
            return
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        def on_page(page: PageResult, done: int, total: int) -> None:
            item = {"page": page.model_dump(mode="json"), "pages_done": done, "pages_total": total}
            loop.call_soon_threadsafe(queue.put_nowait, item)

        task = asyncio.ensure_future(asyncio.to_thread(self.run_job, job, on_page, stop))
        # A stopped job's thread ends in JobStopped after this generator is gone.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter in done:
                yield runpod_output(getter.result())
                continue
            getter.cancel()
            break
        while not queue.empty():
            yield runpod_output(queue.get_nowait())
        yield runpod_output(task.result())

    def concurrency(self, current: int) -> int:
        return self.settings.concurrency

    def runpod_config(self) -> dict[str, Any]:
        if self.settings.streaming:
            return {
                "handler": self.stream_handler,
                "concurrency_modifier": self.concurrency,
                "return_aggregate_stream": True,
            }
        return {"handler": self.handler, "concurrency_modifier": self.concurrency}


def _stopped(job: dict[str, Any], stop: threading.Event) -> None:
    """RunPod stopped the job (its task was cancelled, its stream closed): end its page work."""
    stop.set()
    _log.info("job stopped; its page work ends within a page", extra={"job_id": job.get("id")})


def load_settings() -> Settings | None:
    try:
        return Settings()
    except ValidationError as e:
        fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in e.errors())
        print(f"docworker: invalid configuration: {fields}", file=sys.stderr)
        return None


def _docstrange_local_mode() -> tuple[bool, str]:
    # Imported when the check runs, inside the checks' own error handling.
    from docworker.engines.office import docstrange

    return docstrange.check_local_mode()


def engine_probes() -> dict[str, Probe]:
    """The startup checks that live beside their engines, by check name.

    ``checks/`` never imports ``engines/``; this is where the two meet.
    """
    return {"docstrange": _docstrange_local_mode}


def process_age_s() -> float | None:
    """Seconds since this process started (interpreter start-up and imports), Linux only."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, uptime - started)


def _torch_threads() -> dict[str, int] | None:
    """torch's CPU thread pools in this process, if the checks imported torch."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        return {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}
    except Exception:  # a half-imported torch (the check reports why)
        return None


def _passes(report: startup.Report) -> bool:
    """Log the startup checks; on a failed required one, say why and refuse to start."""
    _log.info("startup checks", extra={"data": report.to_dict()})
    if report.ok:
        return True
    line = f"docworker: refusing to start: {report.reason()}"
    _log.error(line)
    print(line, file=sys.stderr)
    return False


def build_worker(settings: Settings | None = None) -> Worker | None:
    """Everything before ``serverless.start``; ``None`` means: exit 1, the reason is logged."""
    age = process_age_s()
    t0 = time.perf_counter()
    settings = settings or load_settings()
    if settings is None:
        return None
    setup_logging(settings.log_level)
    from docworker.isolation import netguard

    netguard.set_offline_env()
    t1 = time.perf_counter()
    # Without a GPU engine to load, torch stays out of this process: the GPU checks
    # run in a child process while the page processes warm up, and gate the start.
    pending = None
    if settings.default_engine == "cpu":
        pending = startup.start_gpu_checks(settings, engine_probes())
    elif not _passes(startup.run_checks(settings, engine_probes())):
        return None
    t2 = time.perf_counter()
    try:
        # Imported only once the checks pass, so a broken environment is reported
        # by the gate, not by an ImportError; fetch now rather than in the first job.
        from docworker import fetch  # noqa: F401
        from docworker.pipeline import Pipeline

        pipeline = Pipeline.build(settings)
    except errors.WorkerError as e:
        if pending is not None and not _passes(startup.run_checks(settings, {}, pending)):
            return None
        _log.error("docworker: refusing to start: %s", e.message)
        print(f"docworker: refusing to start: {e.message}", file=sys.stderr)
        return None
    t3 = time.perf_counter()
    checks_ms, ready = round((t2 - t1) * 1000, 1), t3
    if pending is not None:
        if not _passes(startup.run_checks(settings, {}, pending)):
            pipeline.close()
            return None
        ready = time.perf_counter()
        checks_ms = round((ready - t3) * 1000, 1)  # only the wait for their verdict
    needs_gpu = {"gpu", "layout", "vlm"} & set(settings.require)
    if needs_gpu and "gpu" not in pipeline.engines:
        why = pipeline.unavailable.get("gpu", "not loaded")
        line = f"docworker: refusing to start: gpu engine required but {why}"
        _log.error(line)
        print(line, file=sys.stderr)
        pipeline.close()
        return None
    store = None
    if settings.bucket_endpoint_url:
        from docworker.results import ResultStore

        store = ResultStore.from_settings(settings)
    t4 = time.perf_counter()
    cold = {
        "process_to_build_ms": round(age * 1000, 1) if age is not None else None,
        "settings_ms": round((t1 - t0) * 1000, 1),
        "checks_ms": checks_ms,
        "checks_apart": pending is not None,
        "pipeline_ms": round((t3 - t2) * 1000, 1),
        **getattr(pipeline, "build_timings", {}),
        "result_store_ms": round((t4 - ready) * 1000, 1),
        "total_ms": round((t4 - t0) * 1000 + (age or 0.0) * 1000, 1),
        "gpu_engine": pipeline.unavailable.get("gpu", "loaded"),
        "page_processes": pipeline.pool.size,
        "ocr_threads": max(1, (os.cpu_count() or 1) // pipeline.pool.size),
        "torch_threads": _torch_threads(),
    }
    _log.info("cold start %s", json.dumps(cold), extra={"data": cold})
    return Worker(settings, pipeline, result_store=store)
