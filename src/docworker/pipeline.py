"""The pipeline: one job's input dict → the response payload dict.

``Pipeline.build(settings)`` starts the page processes and loads the GPU
engine where it can run, once per worker. ``Pipeline.run(job_input, job_id)``
then does, per job::

    JobInput → engine choice → fetch (per-job temp dir) → probe (page count,
    password, limits) → pages in bounded windows (CPU engine in page processes,
    or renders → GPU engine) → ExtractionResponse → dict

A failed page becomes a page with ``status: failed`` and an entry in
``metadata.errors``; the document is then ``partial``. A job whose every page
failed, or that fails before pages, returns the single error payload of
``errors.to_error_payload``. Nothing raises out of ``run``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from docworker import __version__, decode, errors
from docworker.config import Settings
from docworker.contract import (
    DocumentData,
    DocumentInfo,
    EngineInfo,
    ErrorInfo,
    ExtractionResponse,
    JobInput,
    Metadata,
    ModelInfo,
    NetworkInfo,
    PageResult,
    parse_page_ranges,
)
from docworker.isolation import tasks
from docworker.isolation.pool import PagePool
from docworker.logs import job_context
from docworker.stages import running

_log = logging.getLogger(__name__)

#: progress(pages_done, pages_total) — called from the job's thread.
ProgressFn = Callable[[int, int], None]
#: on_page(page, pages_done, pages_total) — each page as it finishes, outputs trimmed.
PageFn = Callable[[PageResult, int, int], None]


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors without the offending values (they may be a whole document)."""
    return [
        {
            "loc": ".".join(str(p) for p in err["loc"]) or "input",
            "msg": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors()
    ]


def parse_input(job_input: Any) -> JobInput:
    if not isinstance(job_input, dict):
        raise errors.InvalidInput("job input must be a JSON object")
    try:
        return JobInput.model_validate(job_input)
    except ValidationError as e:
        raise errors.InvalidInput(
            "job input does not match the input schema", details=validation_details(e)
        ) from e


@dataclass
class _JobState:
    """Everything one job accumulates; never shared between jobs."""

    job: JobInput
    job_id: str | None
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[ErrorInfo] = field(default_factory=list)
    structured_pages: list[Any] = field(default_factory=list)

    def add_timings(self, page_timings: dict[str, float]) -> None:
        for stage, ms in page_timings.items():
            self.timings[stage] = round(self.timings.get(stage, 0.0) + ms, 2)


class Pipeline:
    """Built once per worker; ``run`` may be called from several threads at once."""

    def __init__(
        self,
        settings: Settings,
        pool: PagePool,
        *,
        ocr_models: list[ModelInfo],
        gpu: Any | None = None,
        gpu_reason: str = "GPU engine not loaded",
    ):
        self.settings = settings
        self.pool = pool
        self.ocr_models = ocr_models
        self.gpu = gpu
        self.gpu_reason = gpu_reason
        self._gpu_lock = threading.Lock()
        cores = os.cpu_count() or 1
        self.ocr_threads = max(1, cores // pool.size)
        #: Cold-start phases of ``build`` in ms (logged by ``service.build_worker``).
        self.build_timings: dict[str, float] = {}

    # ------------------------------------------------------------------ build

    @classmethod
    def build(cls, settings: Settings, *, load_gpu: bool = True) -> Pipeline:
        """Start page processes, warm the OCR models, load the GPU engine if possible."""
        pool = PagePool(
            settings.page_workers(os.cpu_count() or 1),
            settings.page_memory_mb,
            initializer="docworker.isolation.tasks.init_child",
        )
        t = time.perf_counter()
        pool.start()
        # A no-op round trip: the children are up and have imported docworker.
        list(pool.run("builtins.abs", [0] * pool.size, timeout_s=300))
        timings = {"page_processes_ms": _ms(t)}
        t = time.perf_counter()
        threads = max(1, (os.cpu_count() or 1) // pool.size)
        ocr_models: list[ModelInfo] = []
        failed: errors.WorkerError | None = None
        for _, result in pool.run(
            "docworker.isolation.tasks.warmup",
            [(threads, settings.ocr_engine)] * pool.size,
            timeout_s=300,
        ):
            if isinstance(result, errors.WorkerError):
                _log.warning("OCR warm-up failed: %s", result.message)
                failed = result
            else:
                ocr_models = result
        if failed is not None and settings.ocr_engine != "rapidocr":
            # An engine chosen on purpose must work: refuse to start rather than
            # fail every scanned page.
            pool.close()
            raise errors.EngineUnavailable(f"OCR engine {settings.ocr_engine}: {failed.message}")
        timings["ocr_load_warmup_ms"] = _ms(t)
        t = time.perf_counter()
        gpu, reason = None, "GPU engine not requested at startup"
        if load_gpu and settings.default_engine != "cpu":
            gpu, reason = load_gpu_engine(settings)
        if gpu is not None and settings.warmup:
            try:
                gpu.warmup()
            except errors.WorkerError as e:
                gpu, reason = None, f"warm-up failed: {e.message}"
        timings["gpu_load_ms"] = _ms(t)
        pipeline = cls(settings, pool, ocr_models=ocr_models, gpu=gpu, gpu_reason=reason)
        pipeline.build_timings = timings
        return pipeline

    def close(self) -> None:
        self.pool.close()

    # -------------------------------------------------------------------- run

    def run(
        self,
        job_input: Any,
        job_id: str | None = None,
        progress: ProgressFn | None = None,
        on_page: PageFn | None = None,
    ) -> dict[str, Any]:
        """The payload for one job: the response dict, or ``{"error": {...}}``."""
        with job_context(job_id):
            start = time.perf_counter()
            try:
                response = self._run(job_input, job_id, progress, start, on_page)
            except errors.WorkerError as e:
                _log.info("job failed: %s (%s)", e.code, e.message)
                return errors.to_error_payload(e)
            except Exception as e:  # the last line of defence: never a traceback to the caller
                _log.exception("job failed with an unexpected error")
                return errors.to_error_payload(e)
            _log.info(
                "job done: %s, %d pages, %.0f ms",
                response.metadata.status,
                response.metadata.document.pages_processed,
                response.metadata.timings_ms.get("total", 0.0),
            )
            return response.model_dump(mode="json")

    def choose_engine(self, requested: str) -> tuple[str, str]:
        """``(engine, reason)``; raise ``EngineUnavailable`` rather than fall back silently."""
        if requested == "cpu":
            return "cpu", "requested cpu"
        if requested == "gpu":
            if self.gpu is None:
                raise errors.EngineUnavailable(
                    f"the gpu engine is not available: {self.gpu_reason}"
                )
            return "gpu", "requested gpu"
        if self.gpu is not None:
            return "gpu", "auto: CUDA and GPU weights present"
        return "cpu", f"auto: gpu engine unavailable ({self.gpu_reason})"

    def _run(
        self,
        job_input: Any,
        job_id: str | None,
        progress: ProgressFn | None,
        start: float,
        on_page: PageFn | None = None,
    ) -> ExtractionResponse:
        job = parse_input(job_input)
        requested = job.engine or self.settings.default_engine
        engine, reason = self.choose_engine(requested)
        if job.json_schema is not None and engine != "gpu":
            raise errors.EngineUnavailable(
                "`json_schema` (structured extraction) needs the gpu engine;"
                f" this job runs on {engine} ({reason})"
            )
        deadline = time.monotonic() + self.settings.job_timeout_s
        state = _JobState(job=job, job_id=job_id)
        with tempfile.TemporaryDirectory(prefix="docworker-job-") as workdir:
            t = time.perf_counter()
            document = fetch(job, self.settings, Path(workdir))
            state.timings["fetch"] = _ms(t)
            structured: dict[str, Any] | None = None
            with network_guard() as guard:
                if document.mime in decode.OFFICE_TYPES:
                    pages, page_count = self._office(document, state, deadline)
                    engine, reason = "office", f"office document ({office_reader(document.mime)})"
                else:
                    pages, page_count = self._pages(
                        document, engine, state, deadline, progress, on_page
                    )
                    structured = self._structured(state, pages)
            blocked = guard.blocked
        if blocked:
            state.warnings.append(f"{blocked} outbound connection attempt(s) were blocked")
        state.timings["total"] = _ms(start)
        response = self._response(
            state, document, pages, page_count, engine, requested, reason, blocked
        )
        response.data.structured = structured
        return response

    def _structured(self, state: _JobState, pages: list[PageResult]) -> dict[str, Any] | None:
        """Fill the job's ``json_schema`` from the first rendered pages and their markdown."""
        schema = state.job.json_schema
        if schema is None:
            return None
        used = state.structured_pages
        if len(pages) > len(used):
            state.warnings.append(
                f"structured extraction read the first {len(used)} of {len(pages)} pages"
                " (DOCWORKER_STRUCTURED_MAX_PAGES)"
            )
        numbers = {p.number for p in used}
        markdown = "\n\n".join(p.markdown or "" for p in pages if p.number in numbers)
        t = time.perf_counter()
        with self._gpu_lock:
            result = self.gpu.structured(used, markdown, schema)  # type: ignore[union-attr]
        state.timings["structured"] = _ms(t)
        state.structured_pages = []
        return result

    # ------------------------------------------------------------ page routes

    def _doc_task(self, document: Any, job: JobInput) -> tasks.DocTask:
        s = self.settings
        return tasks.DocTask(
            path=str(document.path),
            mime=document.mime,
            password=job.password.get_secret_value() if job.password else None,
            max_pages=s.max_pages,
            max_page_points=s.max_page_points,
            max_pixels=s.max_render_pixels,
        )

    def _probe(self, doc: tasks.DocTask, deadline: float) -> int:
        for _, result in self.pool.run(
            "docworker.isolation.tasks.probe",
            [doc],
            timeout_s=self.settings.page_timeout_s,
            deadline=deadline,
        ):
            if isinstance(result, errors.WorkerError):
                if isinstance(result, errors.TimeLimitExceeded | errors.EngineFailed):
                    raise errors.CorruptDocument(
                        f"the document could not be opened: {result.message}"
                    ) from result
                raise result
            return int(result.page_count)
        raise errors.WorkerError("probe returned nothing")

    def _pages(
        self,
        document: Any,
        engine: str,
        state: _JobState,
        deadline: float,
        progress: ProgressFn | None,
        on_page: PageFn | None = None,
    ) -> tuple[list[PageResult], int]:
        job = state.job
        doc = self._doc_task(document, job)
        t = time.perf_counter()
        page_count = self._probe(doc, deadline)
        state.timings["probe"] = _ms(t)
        numbers = parse_page_ranges(job.pages, page_count)
        if not numbers:
            raise errors.InvalidInput(
                f"`pages` selects no page; the document has {page_count} page(s)"
            )
        dpi = min(job.dpi or self.settings.render_dpi, self.settings.render_dpi * 2, 600)
        page_tasks = (
            tasks.PageTask(
                doc=doc,
                number=n,
                ocr=job.ocr,
                dpi=dpi,
                min_chars=self.settings.text_layer_min_chars,
                ocr_threads=self.ocr_threads,
                ocr_engine=self.settings.ocr_engine,
            )
            for n in numbers
        )
        unit = "pt" if document.mime == decode.PDF else "px"
        results: list[PageResult] = []
        pages_iter = (
            self._gpu_pages(page_tasks, state, deadline, unit)
            if engine == "gpu"
            else self._cpu_pages(page_tasks, state, deadline, unit)
        )
        outputs = set(job.outputs)
        heads_and_feet: list[running.Candidate] = []
        for page in pages_iter:
            heads_and_feet.extend(running.candidates(len(results), page))
            _keep_outputs(page, outputs)
            results.append(page)
            if on_page is not None:
                on_page(page, len(results), len(numbers))
            if progress and (
                len(results) % self.settings.progress_every == 0 or len(results) == len(numbers)
            ):
                progress(len(results), len(numbers))
        running.mark(results, heads_and_feet)
        return results, page_count

    def _failed_page(
        self, number: int, unit: str, err: errors.WorkerError, state: _JobState
    ) -> PageResult:
        info = ErrorInfo(code=err.code, message=err.message, retryable=err.retryable, page=number)
        state.errors.append(info)
        return PageResult(
            number=number,
            width=0,
            height=0,
            unit=unit,
            source="none",
            status="failed",
            error=info,  # type: ignore[arg-type]
        )

    def _cpu_pages(
        self, page_tasks: Iterator[tasks.PageTask], state: _JobState, deadline: float, unit: str
    ) -> Iterator[PageResult]:
        for task, result in self.pool.run(
            "docworker.isolation.tasks.cpu_page",
            page_tasks,
            timeout_s=self.settings.page_timeout_s,
            deadline=deadline,
            window=self.settings.window_pages,
        ):
            if isinstance(result, errors.WorkerError):
                yield self._failed_page(task.number, unit, result, state)
            else:
                state.add_timings(result.timings_ms)
                yield result

    def _gpu_pages(
        self, page_tasks: Iterator[tasks.PageTask], state: _JobState, deadline: float, unit: str
    ) -> Iterator[PageResult]:
        batch: list[Any] = []
        batch_size = self.settings.vlm_batch_size

        def flush() -> Iterator[PageResult]:
            t = time.perf_counter()
            with self._gpu_lock:
                pages = self.gpu.process(batch, state.job, warnings=state.warnings)  # type: ignore[union-attr]
            keep = self.settings.structured_max_pages - len(state.structured_pages)
            if state.job.json_schema is not None and keep > 0:
                state.structured_pages.extend(batch[:keep])
            state.timings["gpu"] = round(state.timings.get("gpu", 0.0) + _ms(t), 2)
            for page in pages:
                if page.status == "failed" and page.error is not None:
                    state.errors.append(page.error)
                yield page
            batch.clear()

        for task, result in self.pool.run(
            "docworker.isolation.tasks.render_page",
            page_tasks,
            timeout_s=self.settings.page_timeout_s,
            deadline=deadline,
            window=max(self.settings.window_pages, batch_size),
        ):
            if isinstance(result, errors.WorkerError):
                yield from flush() if batch else ()
                yield self._failed_page(task.number, unit, result, state)
                continue
            batch.append(result)
            if len(batch) >= batch_size:
                yield from flush()
        if batch:
            yield from flush()

    def _office(
        self, document: Any, state: _JobState, deadline: float
    ) -> tuple[list[PageResult], int]:
        task = tasks.OfficeTask(
            path=str(document.path),
            mime=document.mime,
            max_uncompressed=self.settings.max_zip_uncompressed_bytes,
            max_ratio=self.settings.max_zip_ratio,
        )
        t = time.perf_counter()
        for _, result in self.pool.run(
            "docworker.isolation.tasks.office",
            [task],
            timeout_s=self.settings.page_timeout_s,
            deadline=deadline,
        ):
            if isinstance(result, errors.WorkerError):
                raise result
            state.timings["office"] = _ms(t)
            page = PageResult(
                number=1,
                width=0,
                height=0,
                unit="px",
                source="office",
                status="ok",
                text=result.text,
                markdown=result.markdown,
                blocks=result.blocks,
                tables=result.tables,
            )
            state.warnings.extend(result.notes)
            return [page], 1
        raise errors.WorkerError("office conversion returned nothing")

    # --------------------------------------------------------------- response

    def _response(
        self,
        state: _JobState,
        document: Any,
        pages: list[PageResult],
        page_count: int,
        engine: str,
        requested: str,
        reason: str,
        blocked: int,
    ) -> ExtractionResponse:
        job = state.job
        ok = [p for p in pages if p.status == "ok"]
        if not ok:
            first = state.errors[0] if state.errors else None
            cls = errors.WorkerError
            for candidate in errors.all_error_classes():
                if first is not None and candidate.code == first.code:
                    cls = candidate
            raise cls(
                f"all {len(pages)} processed page(s) failed"
                + (f"; first: {first.message}" if first else ""),
                details=[e.model_dump() for e in state.errors[:20]],
            )
        status = "success" if len(ok) == len(pages) and not state.errors else "partial"
        outputs = set(job.outputs)
        for page in pages:
            _keep_outputs(page, outputs)
        data = DocumentData(
            pages=pages,
            markdown="\n\n".join(p.markdown for p in ok if p.markdown)
            if "markdown" in outputs
            else None,
            text="\n\n".join(p.text for p in ok if p.text) if "text" in outputs else None,
        )
        if engine == "gpu":
            models = self.gpu.models()  # type: ignore[union-attr]
            device = self.gpu.device  # type: ignore[union-attr]
        elif engine == "office":
            models = [office_model(document.mime)]
            device = "cpu"
        else:
            models = [
                ModelInfo(
                    role="text_layer",
                    id="pdfium",
                    version=f"pypdfium2 {_dist('pypdfium2')}",
                    runtime="pdfium",
                ),
                *self.ocr_models,
            ]
            device = "cpu"
        metadata = Metadata(
            job_id=state.job_id,
            status=status,
            document=DocumentInfo(
                sha256=document.sha256,
                mime=document.mime,
                bytes=document.size,
                filename=document.filename,
                page_count=page_count,
                pages_processed=len(pages),
            ),
            engine=EngineInfo(
                name=engine, requested=requested, reason=reason, device=device, models=models
            ),  # type: ignore[arg-type]
            timings_ms=state.timings,
            warnings=state.warnings,
            errors=state.errors,
            network=NetworkInfo(blocked_outbound=blocked),
            worker_version=__version__,
        )
        return ExtractionResponse(data=data, metadata=metadata)


def office_reader(mime: str) -> str:
    if mime == decode.ODT:
        return "docworker's OpenDocument reader"
    return "docstrange local processors"


def office_model(mime: str) -> ModelInfo:
    if mime == decode.ODT:
        return ModelInfo(role="office", id="docworker-odt", version=__version__, runtime="python")
    return ModelInfo(
        role="office",
        id="docstrange-local-processors",
        version=_dist("docstrange"),
        runtime="python",
    )


def _keep_outputs(page: PageResult, outputs: set[str]) -> None:
    """Drop the parts of a page the job did not ask for (as soon as the page arrives)."""
    if "text" not in outputs:
        page.text = None
    if "markdown" not in outputs:
        page.markdown = None
    if "blocks" not in outputs:
        page.blocks = None
    if "tables" not in outputs:
        page.tables = None


@functools.cache
def _dist(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def fetch(job: JobInput, settings: Settings, workdir: Path) -> Any:
    """Download the job's document into ``workdir`` (see ``docworker.fetch``)."""
    from docworker.fetch import fetch_document

    return fetch_document(job, settings, workdir)


@contextlib.contextmanager
def network_guard() -> Iterator[Any]:
    """Refuse and count outbound connections while pages are processed."""
    from docworker.isolation import netguard

    netguard.install()
    with netguard.guard() as guard:
        yield guard


def load_gpu_engine(settings: Settings) -> tuple[Any | None, str]:
    """The GPU engine, or ``None`` and the reason it cannot run here."""
    try:
        from docworker.engines.gpu import GpuEngine
    except ImportError as e:
        return None, f"GPU engine code missing ({e.name})"
    try:
        engine = GpuEngine.from_settings(settings)
    except errors.EngineUnavailable as e:
        return None, e.message
    return engine, "loaded"
