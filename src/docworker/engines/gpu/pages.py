"""The gpu engine as the pipeline sees it: rendered pages in, ``PageResult`` out.

The page processes render the job's pages (``isolation.tasks.render_page``);
this process batches the renders and hands each batch to the loaded GPU models
(``engines.gpu.GpuEngine``: RT-DETR layout plus a vision-language model). The
GPU is shared by every job on the worker, so batches take turns under one lock.
When the job carries a ``json_schema``, the first rendered pages are kept
and the schema is filled from them after the last page (``run.structured``).

Inputs: a ``JobRun``. Output: ``PageResult`` pages in page order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from docworker import errors
from docworker.contract import ModelInfo, PageResult
from docworker.engines import JobRun, paged

if TYPE_CHECKING:
    from docworker.config import Settings
    from docworker.isolation.pool import PagePool


class GpuPagesEngine:
    """Layout + VLM over renders; ``models`` is the loaded ``GpuEngine`` (or a stand-in)."""

    name = "gpu"

    def __init__(self, models: Any):
        self.gpu = models
        self.device: str = models.device
        self._lock = threading.Lock()

    @classmethod
    def available(cls, settings: Settings) -> str | None:
        if settings.default_engine == "cpu":
            return "GPU engine not requested at startup (DOCWORKER_DEFAULT_ENGINE=cpu)"
        return None

    @classmethod
    def from_settings(cls, settings: Settings, pool: PagePool) -> GpuPagesEngine:
        """Load (and warm, per ``settings.warmup``) the GPU models; ``EngineUnavailable`` if not."""
        try:
            from docworker.engines.gpu import GpuEngine
        except ImportError as e:
            raise errors.EngineUnavailable(f"GPU engine code missing ({e.name})") from e
        models = GpuEngine.from_settings(settings)
        if settings.warmup:
            try:
                models.warmup()
            except errors.WorkerError as e:
                raise errors.EngineUnavailable(f"warm-up failed: {e.message}") from e
        return cls(models)

    def models(self, mime: str) -> list[ModelInfo]:
        return self.gpu.models()

    def pages(self, run: JobRun) -> Iterator[PageResult]:
        doc, numbers = paged.select(run)
        unit = paged.unit(run)
        batch_size = run.settings.vlm_batch_size
        batch: list[Any] = []
        kept: list[Any] = []  # renders kept for structured extraction
        done: list[PageResult] = []

        def flush() -> Iterator[PageResult]:
            t = time.perf_counter()
            with self._lock:
                pages = self.gpu.process(batch, run.job, warnings=run.warnings)
            room = run.settings.structured_max_pages - len(kept)
            if run.job.json_schema is not None and room > 0:
                kept.extend(batch[:room])
            run.time("gpu", t)
            for page in pages:
                if page.status == "failed" and page.error is not None:
                    run.errors.append(page.error)
                done.append(page)
                yield page
            batch.clear()

        for task, result in run.pool.run(
            "docworker.isolation.tasks.render_page",
            paged.page_tasks(run, doc, numbers, ocr_threads=1),
            timeout_s=run.settings.page_timeout_s,
            deadline=run.deadline,
            window=max(run.settings.window_pages, batch_size),
        ):
            if isinstance(result, errors.WorkerError):
                yield from flush() if batch else ()
                yield run.failed_page(task.number, unit, result)
                continue
            batch.append(result)
            if len(batch) >= batch_size:
                yield from flush()
        if batch:
            yield from flush()
        if run.job.json_schema is not None:
            run.structured = self._structured(run, kept, done)

    def _structured(
        self, run: JobRun, kept: list[Any], pages: list[PageResult]
    ) -> dict[str, Any] | None:
        """Fill the job's ``json_schema`` from the first rendered pages and their markdown."""
        if len(pages) > len(kept):
            run.warnings.append(
                f"structured extraction read the first {len(kept)} of {len(pages)} pages"
                " (DOCWORKER_STRUCTURED_MAX_PAGES)"
            )
        numbers = {p.number for p in kept}
        markdown = "\n\n".join(p.markdown or "" for p in pages if p.number in numbers)
        t = time.perf_counter()
        with self._lock:
            result = self.gpu.structured(kept, markdown, run.job.json_schema)
        run.time("structured", t)
        return result
