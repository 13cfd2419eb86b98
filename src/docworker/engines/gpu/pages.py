"""The gpu engine as the pipeline sees it: rendered pages in, ``PageResult`` out.

The page processes render the job's pages (``isolation.tasks.render_page``);
this process groups the renders (``DOCWORKER_LAYOUT_BATCH_SIZE``), runs layout
on each group and hands every page to the shared continuous VLM batch
(``GpuEngine.start``), then goes on rendering and laying out the next group
while those pages generate. The job's ``images`` (figure crops of the layout
model's Picture regions, page images) are cut from the same renders
(``image_request``, ``engines.gpu.figures``). Results are yielded in page order as they come
back; at most ``2 × DOCWORKER_VLM_BATCH_SIZE`` pages of a job are in flight.
Pages of every job running on the worker share the VLM's batch.

A fatal GPU error (``errors.GpuFatal``) ends the job (with ``refresh_worker``);
so does the job's time budget running out while pages generate (``timeout``;
the job's remaining pages leave the batch). Any other page failure fails
that page only. When the job carries a
``json_schema``, the first rendered pages are kept and the schema is filled
from them after the last page (``run.structured``).

Inputs: a ``JobRun``. Output: ``PageResult`` pages in page order.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from docworker import errors
from docworker.contract import ModelInfo, PageResult
from docworker.engines import JobRun, paged
from docworker.engines.gpu.figures import ImageRequest

if TYPE_CHECKING:
    from docworker.config import Settings
    from docworker.isolation.pool import PagePool


class _Ready:
    """A page already decided (a failed render): yielded in its turn, errors already recorded."""

    recorded = True

    def __init__(self, page: PageResult) -> None:
        self.page = page

    def done(self) -> bool:
        return True

    def cancel(self) -> None:
        return None

    def result(self, timeout: float | None = None) -> PageResult:
        return self.page


def image_request(run: JobRun) -> ImageRequest:
    """The job's ``images`` option with the worker's limits (``engines.gpu.figures``)."""
    s, job = run.settings, run.job
    return ImageRequest(
        mode=job.images,
        dpi=job.images_dpi or s.images_dpi,
        max_per_page=s.max_images_per_page,
        max_pixels=s.max_render_pixels,
    )


class GpuPagesEngine:
    """Layout + VLM over renders; ``models`` is the loaded ``GpuEngine`` (or a stand-in)."""

    name = "gpu"

    def __init__(self, models: Any):
        self.gpu = models
        self.device: str = models.device

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

    def _start(self, batch: list[Any], run: JobRun) -> list[Any]:
        """``GpuEngine.start``; a stand-in with only ``process`` gets its pages at once."""
        request = image_request(run)
        start = getattr(self.gpu, "start", None)
        if start is not None:
            return start(batch, run.job, run.warnings, images=request)
        pages = self.gpu.process(batch, run.job, warnings=run.warnings, images=request)
        return [_Ready(page) for page in pages]

    def pages(self, run: JobRun) -> Iterator[PageResult]:
        doc, numbers = paged.select(run)
        unit = paged.unit(run)
        settings = run.settings
        group = settings.layout_batch_size
        in_flight = max(2 * settings.vlm_batch_size, group)
        batch: list[Any] = []
        kept: list[Any] = []  # renders kept for structured extraction
        done: list[PageResult] = []
        pending: collections.deque[Any] = collections.deque()

        def launch() -> None:
            t = time.perf_counter()
            pending.extend(self._start(batch, run))
            run.time("gpu", t)
            room = settings.structured_max_pages - len(kept)
            if run.job.json_schema is not None and room > 0:
                kept.extend(batch[:room])
            batch.clear()

        def drain(wait_all: bool) -> Iterator[PageResult]:
            while pending and (wait_all or pending[0].done() or len(pending) >= in_flight):
                item = pending.popleft()
                t = time.perf_counter()
                try:
                    # GpuFatal ends the job (and the worker); TimeLimitExceeded ends the job.
                    page = item.result(timeout=max(0.0, run.deadline - time.monotonic()))
                except errors.WorkerError:
                    for later in pending:
                        later.cancel()  # free their rows for the other jobs
                    raise
                run.time("gpu", t)
                if not getattr(item, "recorded", False) and page.status == "failed":
                    if page.error is not None:
                        run.errors.append(page.error)
                done.append(page)
                yield page

        for task, result in run.pool.run(
            "docworker.isolation.tasks.render_page",
            paged.page_tasks(run, doc, numbers, ocr_threads=1),
            timeout_s=settings.page_timeout_s,
            deadline=run.deadline,
            window=max(settings.window_pages, group),
        ):
            if isinstance(result, errors.WorkerError):
                if batch:
                    launch()
                pending.append(_Ready(run.failed_page(task.number, unit, result)))
            else:
                batch.append(result)
                if len(batch) >= group:
                    launch()
            yield from drain(wait_all=False)
        if batch:
            launch()
        yield from drain(wait_all=True)
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
        result = self.gpu.structured(kept, markdown, run.job.json_schema)
        run.time("structured", t)
        return result
