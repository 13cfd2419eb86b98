"""The pipeline: one job's input dict → the response payload dict.

``Pipeline.build(settings)`` starts the page processes and builds every engine
that can run here (``engines.load``), once per worker. ``Pipeline.run(job_input,
job_id)`` then does, per job::

    JobInput → fetch (per-job temp dir) → engine choice, now that the type is
    known (``engines.choose``) → engine.pages(run), outputs trimmed as pages
    arrive → running heads and feet → ExtractionResponse → dict

A failed page becomes a page with ``status: failed`` and an entry in
``metadata.errors``; the document is then ``partial``. A job whose every page
failed, or that fails before pages, returns the single error payload of
``errors.to_error_payload``. Nothing raises out of ``run`` but ``JobStopped``:
the job's stop event (``isolation.pool.stop_scope``) was set, and nobody
receives its result.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from docworker import __version__, engines, errors, images
from docworker.config import Settings
from docworker.contract import (
    DocumentData,
    DocumentInfo,
    EngineInfo,
    ExtractionResponse,
    JobInput,
    Metadata,
    NetworkInfo,
    PageResult,
)
from docworker.engines import Engine, JobRun
from docworker.isolation.pool import JobStopped, PagePool, raise_if_stopped
from docworker.logs import job_context
from docworker.stages import joining, running

_log = logging.getLogger(__name__)

#: progress(pages_done, pages_total) — called from the job's thread.
ProgressFn = Callable[[int, int], None]
#: on_page(page, pages_done, pages_total) — each page as it finishes, outputs trimmed.
PageFn = Callable[[PageResult, int, int], None]


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def _strings(value: Any, limit: int = 100) -> list[str]:
    """The strings in an offending input value (itself, or a list's items)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value[:limit] if isinstance(v, str)]
    return []


def _without_values(msg: str, value: Any) -> str:
    """``msg`` with every quoted piece of the offending value replaced by ``<value>``.

    Validators quote what they refuse (``invalid page range '9-1'``); a quoted
    text that is part of the input is the input's, whatever the validator.
    """
    given = _strings(value)

    def replace(match: re.Match[str]) -> str:
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        return "<value>" if quoted and any(quoted in s for s in given) else match.group(0)

    return _QUOTED.sub(replace, msg) if given else msg


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors without the offending values (they may be a whole document)."""
    return [
        {
            "loc": ".".join(str(p) for p in err["loc"]) or "input",
            "msg": _without_values(err["msg"], err.get("input")),
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


class Pipeline:
    """Built once per worker; ``run`` may be called from several threads at once.

    ``engines`` holds every engine that loaded (by name); ``unavailable`` says why
    each other one did not.
    """

    def __init__(
        self,
        settings: Settings,
        pool: PagePool,
        engines: dict[str, Engine],
        unavailable: dict[str, str] | None = None,
    ):
        self.settings = settings
        self.pool = pool
        self.engines = engines
        self.unavailable = dict(unavailable or {})
        #: Cold-start phases of ``build`` in ms (logged by ``service.build_worker``).
        self.build_timings: dict[str, float] = {}

    # ------------------------------------------------------------------ build

    @classmethod
    def build(cls, settings: Settings, *, load_gpu: bool = True) -> Pipeline:
        """Start the page processes, then build every engine that can run here.

        The cpu engine must load (it warms the OCR models): if it cannot, the
        worker refuses to start. The gpu engine loads only when ``load_gpu``.
        """
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
        built: dict[str, Engine] = {}
        unavailable: dict[str, str] = {}
        for name in engines.ENGINES:
            if name == "gpu" and not load_gpu:
                unavailable[name] = "GPU engine not requested at startup"
                continue
            t = time.perf_counter()
            one, why = engines.load(settings, pool, [name])
            built.update(one)
            unavailable.update(why)
            timings[f"{name}_engine_ms"] = _ms(t)
        if "cpu" not in built:
            pool.close()
            raise errors.EngineUnavailable(unavailable["cpu"])
        pipeline = cls(settings, pool, built, unavailable)
        pipeline.build_timings = timings
        return pipeline

    def with_settings(self, settings: Settings) -> Pipeline:
        """The same page processes and engines under other per-job settings (limits)."""
        return Pipeline(settings, self.pool, self.engines, self.unavailable)

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
            except JobStopped:
                _log.info("job stopped after %.0f ms", (time.perf_counter() - start) * 1000)
                raise
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
        run = JobRun(
            job=job,
            job_id=job_id,
            settings=self.settings,
            pool=self.pool,
            deadline=time.monotonic() + self.settings.job_timeout_s,
        )
        with tempfile.TemporaryDirectory(prefix="docworker-job-") as workdir:
            t = time.perf_counter()
            run.document = fetch(job, self.settings, Path(workdir))
            run.time("fetch", t)
            raise_if_stopped()
            engine, reason = engines.choose(
                requested, run.document.mime, self.engines, self.unavailable
            )
            if job.json_schema is not None and engine.name != "gpu":
                raise errors.EngineUnavailable(
                    "`json_schema` (structured extraction) needs the gpu engine;"
                    f" this job runs on {engine.name} ({reason})"
                )
            if warning := images.engine_warning(job.images, engine.name):
                run.warnings.append(warning)
            with network_guard() as guard:
                pages = self._pages(engine, run, progress, on_page)
            blocked = guard.blocked
        if blocked:
            run.warnings.append(f"{blocked} outbound connection attempt(s) were blocked")
        run.timings["total"] = _ms(start)
        response = self._response(run, pages, engine, requested, reason, blocked)
        response.data.structured = run.structured
        return response

    def _pages(
        self,
        engine: Engine,
        run: JobRun,
        progress: ProgressFn | None,
        on_page: PageFn | None,
    ) -> list[PageResult]:
        """Every page the engine yields, outputs trimmed as each arrives; then running heads."""
        outputs = set(run.job.outputs)
        results: list[PageResult] = []
        heads_and_feet: list[running.Candidate] = []
        s = self.settings
        budget = images.ImageBudget(
            run.job.images, s.max_image_bytes_per_job, s.max_images_per_page
        )
        for page in engine.pages(run):
            budget.admit(page)
            heads_and_feet.extend(running.candidates(len(results), page))
            _keep_outputs(page, outputs)
            results.append(page)
            if on_page is not None:
                on_page(page, len(results), run.selected)
            if progress and (
                len(results) % self.settings.progress_every == 0 or len(results) == run.selected
            ):
                progress(len(results), run.selected)
        running.mark(results, heads_and_feet)
        run.warnings.extend(budget.warnings())
        return results

    # --------------------------------------------------------------- response

    def _response(
        self,
        run: JobRun,
        pages: list[PageResult],
        engine: Engine,
        requested: str,
        reason: str,
        blocked: int,
    ) -> ExtractionResponse:
        job, document = run.job, run.document
        ok = [p for p in pages if p.status == "ok"]
        if not ok:
            first = run.errors[0] if run.errors else None
            cls = errors.WorkerError
            for candidate in errors.all_error_classes():
                if first is not None and candidate.code == first.code:
                    cls = candidate
            raise cls(
                f"all {len(pages)} processed page(s) failed"
                + (f"; first: {first.message}" if first else ""),
                details=[e.model_dump() for e in run.errors[:20]],
            )
        status = "success" if len(ok) == len(pages) and not run.errors else "partial"
        outputs = set(job.outputs)
        data = DocumentData(
            pages=pages,
            markdown=joining.join_pages([p.markdown for p in ok if p.markdown])
            if "markdown" in outputs
            else None,
            text="\n\n".join(p.text for p in ok if p.text) if "text" in outputs else None,
        )
        metadata = Metadata(
            job_id=run.job_id,
            status=status,
            document=DocumentInfo(
                sha256=document.sha256,
                mime=document.mime,
                bytes=document.size,
                filename=document.filename,
                page_count=run.page_count,
                pages_processed=len(pages),
            ),
            engine=EngineInfo(
                name=engine.name,
                requested=requested,
                reason=reason,
                device=engine.device,
                models=engine.models(document.mime),
            ),  # type: ignore[arg-type]
            timings_ms=run.timings,
            warnings=run.warnings,
            errors=run.errors,
            network=NetworkInfo(blocked_outbound=blocked),
            worker_version=__version__,
        )
        return ExtractionResponse(data=data, metadata=metadata)


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
