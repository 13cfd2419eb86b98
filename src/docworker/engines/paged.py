"""What the page engines (cpu, gpu) share: open the document in a page process,
select the job's pages and describe each page as a picklable task.

Input: a ``JobRun`` whose document is fetched. Output: ``(DocTask, page numbers)``
and ``PageTask`` values for ``isolation.tasks`` functions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from docworker import decode, errors
from docworker.contract import parse_page_ranges
from docworker.engines import JobRun
from docworker.isolation.tasks import DocTask, PageTask


def doc_task(run: JobRun) -> DocTask:
    s, job = run.settings, run.job
    return DocTask(
        path=str(run.document.path),
        mime=run.document.mime,
        password=job.password.get_secret_value() if job.password else None,
        max_pages=s.max_pages,
        max_page_points=s.max_page_points,
        max_pixels=s.max_render_pixels,
    )


def probe(run: JobRun, doc: DocTask) -> int:
    """The document's page count, opened (and its password checked) in a page process."""
    for _, result in run.pool.run(
        "docworker.isolation.tasks.probe",
        [doc],
        timeout_s=run.settings.page_timeout_s,
        deadline=run.deadline,
    ):
        if isinstance(result, errors.WorkerError):
            if isinstance(result, errors.TimeLimitExceeded | errors.EngineFailed):
                raise errors.CorruptDocument(
                    f"the document could not be opened: {result.message}"
                ) from result
            raise result
        return int(result.page_count)
    raise errors.WorkerError("probe returned nothing")


def select(run: JobRun) -> tuple[DocTask, list[int]]:
    """Probe the document and pick the job's pages; sets ``page_count`` and ``selected``."""
    doc = doc_task(run)
    t = time.perf_counter()
    run.page_count = probe(run, doc)
    run.time("probe", t)
    numbers = parse_page_ranges(run.job.pages, run.page_count)
    if not numbers:
        raise errors.InvalidInput(
            f"`pages` selects no page; the document has {run.page_count} page(s)"
        )
    run.selected = len(numbers)
    return doc, numbers


def page_tasks(
    run: JobRun, doc: DocTask, numbers: list[int], ocr_threads: int
) -> Iterator[PageTask]:
    s, job = run.settings, run.job
    dpi = min(job.dpi or s.render_dpi, s.render_dpi * 2, 600)
    for n in numbers:
        yield PageTask(
            doc=doc,
            number=n,
            ocr=job.ocr,
            dpi=dpi,
            min_chars=s.text_layer_min_chars,
            ocr_threads=ocr_threads,
            ocr_engine=s.ocr_engine,
            languages=tuple(job.languages),
        )


def unit(run: JobRun) -> str:
    """Boxes are in PDF points for PDFs, pixels for images."""
    return "pt" if run.document.mime == decode.PDF else "px"
