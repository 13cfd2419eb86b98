"""The ``docstrange`` engine: docstrange's own local GPU extractor, page by page.

This is the seed system the worker replaces, kept selectable (``engine:
"docstrange"``) so the two can be compared on the same documents: each page
is rendered in a page process, written as a PNG, and read by docstrange 1.1.8's
GPU processor, that is Nanonets-OCR-s loaded and prompted by docstrange itself.
The extractor is ``engines.office.docstrange.local_extractor()``: the very
instance the startup check built and verified local (``cloud_mode is False``),
never a second one. Its markdown becomes blocks and tables with the GPU engine's
own parser (``engines.gpu.assemble``), without layout boxes: every block covers
the page band between its neighbours.

The engine loads only where ``docstrange`` is in ``DOCWORKER_REQUIRE`` (the
image requires it), since building the extractor loads a second copy of
Nanonets-OCR-s onto the GPU.

Inputs: a ``JobRun`` (PDF or image). Output: ``PageResult`` pages in page order.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docworker import errors, weights
from docworker.contract import ModelInfo, PageResult
from docworker.engines import JobRun, dist_version, paged

if TYPE_CHECKING:
    from docworker.config import Settings
    from docworker.isolation.pool import PagePool

_log = logging.getLogger(__name__)


class DocstrangeEngine:
    """Pages read by docstrange's local GPU extractor (one shared, verified instance)."""

    name = "docstrange"

    def __init__(self, extractor: Any, models: list[ModelInfo], device: str = "cuda") -> None:
        self.extractor = extractor
        self.device = device
        self._models = models
        self._lock = threading.Lock()  # docstrange's processors are not thread-safe

    @classmethod
    def available(cls, settings: Settings) -> str | None:
        if "docstrange" not in settings.require:
            return (
                "docstrange engine not loaded: add docstrange to DOCWORKER_REQUIRE"
                " (it loads its own copy of Nanonets-OCR-s)"
            )
        return None

    @classmethod
    def from_settings(cls, settings: Settings, pool: PagePool) -> DocstrangeEngine:
        """The startup check's extractor; ``EngineUnavailable`` with the check's reason."""
        from docworker.engines.office import docstrange

        extractor = docstrange.local_extractor()
        docstrange.verify_local(extractor)  # the instance that serves jobs is checked again
        entry = _manifest_entry(settings.model_dir)
        model = ModelInfo(
            role="vlm",
            id=entry.id if entry else "nanonets/Nanonets-OCR-s",
            version=entry.revision if entry else "unknown",
            runtime=f"docstrange {dist_version('docstrange')}",
        )
        _log.info("docstrange engine ready (cloud_mode=%s)", extractor.cloud_mode)
        return cls(extractor, [model])

    def models(self, mime: str) -> list[ModelInfo]:
        return list(self._models)

    def pages(self, run: JobRun) -> Iterator[PageResult]:
        from docworker.engines.gpu.assemble import page_result
        from docworker.engines.office import docstrange
        from docworker.stages.vlm import VlmResult

        doc, numbers = paged.select(run)
        unit = paged.unit(run)
        with tempfile.TemporaryDirectory(prefix="docworker-docstrange-") as tmp:
            for task, page in run.pool.run(
                "docworker.isolation.tasks.render_page",
                paged.page_tasks(run, doc, numbers, ocr_threads=1),
                timeout_s=run.settings.page_timeout_s,
                deadline=run.deadline,
                window=run.settings.window_pages,
            ):
                if isinstance(page, errors.WorkerError):
                    yield run.failed_page(task.number, unit, page)
                    continue
                image = Path(tmp) / f"page-{page.number}.png"
                page.image.save(image)
                started = time.perf_counter()
                try:
                    with self._lock:
                        markdown = docstrange.page_markdown(self.extractor, image)
                    result = VlmResult(page=page.number, text=markdown.strip())
                except errors.WorkerError as e:
                    result = VlmResult(page=page.number, error=e)
                finally:
                    image.unlink(missing_ok=True)
                result.seconds = time.perf_counter() - started
                run.time("docstrange", started)
                if result.error is None and not result.text:
                    run.warnings.append(
                        f"page {page.number}: docstrange returned no text (its Nanonets"
                        " service also returns nothing on an error of its own)"
                    )
                out = page_result(page, [], result, run.job.outputs, 0.0, None, run.warnings)
                if out.status == "failed" and out.error is not None:
                    run.errors.append(out.error)
                yield out


def _manifest_entry(model_dir: Path) -> weights.ModelEntry | None:
    try:
        return weights.read_manifest(Path(model_dir)).get(weights.VLM_FOLDERS["nanonets"])
    except weights.ManifestError:
        return None
